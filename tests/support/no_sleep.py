"""A pytest plugin: a test that sleeps longer than `MAX_SLEEP_S` at once fails, saying where.

A test waits on an event it controls (the event stream, a receiver's condition, the gated
backends here), never on a clock: a sleep long enough to matter is either wasted time or a race
that a loaded machine loses. Only sleeps called from the tests' own code count (`tests/`), in
any thread of the test process; the code under test keeps its own timers. A test that must
sleep says so and why: `@pytest.mark.allow_sleep("why")`.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections.abc import Coroutine, Generator
from pathlib import Path
from typing import Any

import pytest

__all__ = ["MAX_SLEEP_S"]

#: the longest single sleep a test may take (short polls of another process stay under it)
MAX_SLEEP_S = 0.3

_TESTS_DIR = str(Path(__file__).resolve().parents[1])
_real_sleep = time.sleep
_real_async_sleep = asyncio.sleep
#: whether a long sleep is allowed now: outside tests, and in tests marked allow_sleep
_allowed = {"now": True}
_violations: list[str] = []


def _from_tests(depth: int) -> str | None:
    frame = sys._getframe(depth)
    filename = frame.f_code.co_filename
    if filename.startswith(_TESTS_DIR) and filename != __file__:
        return f"{filename}:{frame.f_lineno}"
    return None


def _check(seconds: float, depth: int) -> None:
    if _allowed["now"] or seconds <= MAX_SLEEP_S:
        return
    where = _from_tests(depth + 1)
    if where is None:
        return
    message = (
        f"a test slept {seconds:g} s at {where} (the limit is {MAX_SLEEP_S} s): wait on an "
        "event the test controls instead (tests/support/), or mark the test "
        '@pytest.mark.allow_sleep("why")'
    )
    _violations.append(message)
    if threading.current_thread() is threading.main_thread():
        raise pytest.fail.Exception(message, pytrace=False)
    # another thread's exception would reach nobody: the test fails when its phase ends


def _sleep(seconds: float) -> None:
    _check(seconds, 2)
    _real_sleep(seconds)


def _async_sleep(delay: float, *args: Any, **kwargs: Any) -> Coroutine[Any, Any, Any]:
    _check(delay, 2)
    return _real_async_sleep(delay, *args, **kwargs)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "allow_sleep(reason): this test may sleep longer than no_sleep.MAX_SLEEP_S"
    )
    time.sleep = _sleep
    asyncio.sleep = _async_sleep  # type: ignore[assignment]


def pytest_unconfigure(config: pytest.Config) -> None:
    time.sleep = _real_sleep
    asyncio.sleep = _real_async_sleep


def _watched(item: pytest.Item) -> Generator[None, object, object]:
    _allowed["now"] = item.get_closest_marker("allow_sleep") is not None
    _violations.clear()
    try:
        result = yield
    finally:
        _allowed["now"] = True
    if _violations:  # also a sleep in another thread, which was let through
        raise pytest.fail.Exception(_violations[0], pytrace=False)
    return result


# the test's fixtures are its code too: setup, call and teardown are each watched
@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, object, object]:
    return (yield from _watched(item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    return (yield from _watched(item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, object, object]:
    return (yield from _watched(item))
