"""The plugin that fails a test which sleeps (tests/support/no_sleep.py) catches what it should."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from tests.support import no_sleep


def test_a_long_sleep_fails_the_test_naming_where() -> None:
    with pytest.raises(pytest.fail.Exception, match=r"slept 0.5 s at .*test_no_sleep.py:\d+"):
        time.sleep(0.5)
    assert len(no_sleep._violations) == 1
    no_sleep._violations.clear()  # this test expected it


def test_a_long_asyncio_sleep_fails_the_test() -> None:
    with pytest.raises(pytest.fail.Exception, match=r"slept 0\.5 s"):
        asyncio.run(asyncio.sleep(0.5))
    no_sleep._violations.clear()


def test_a_long_sleep_in_another_thread_is_recorded() -> None:
    thread = threading.Thread(target=time.sleep, args=(no_sleep.MAX_SLEEP_S * 2,))
    # time.sleep called directly by Thread is not the tests' code: the caller must be in tests/
    thread.start()
    thread.join()
    assert no_sleep._violations == []

    def nap() -> None:
        time.sleep(no_sleep.MAX_SLEEP_S * 2)

    thread = threading.Thread(target=nap)
    thread.start()
    thread.join()
    assert len(no_sleep._violations) == 1 and "test_no_sleep.py" in no_sleep._violations[0]
    no_sleep._violations.clear()


def test_a_short_sleep_is_allowed() -> None:
    time.sleep(0.01)
    asyncio.run(asyncio.sleep(0.01))
    assert no_sleep._violations == []


@pytest.mark.allow_sleep("checks the marker")
def test_a_marked_test_may_sleep() -> None:
    time.sleep(no_sleep.MAX_SLEEP_S + 0.05)
    assert no_sleep._violations == []
