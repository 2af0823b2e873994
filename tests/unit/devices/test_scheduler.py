"""Fair slots and device turns: the order is driven by the test, with events, never by sleeps."""

from __future__ import annotations

import threading

import pytest

from limner.backends.base import GenerationCanceled
from limner.devices import DeviceTurns, FairScheduler
from limner.errors import BackendBusy, GenerationTimedOut


def test_waiting_keys_take_turns() -> None:
    scheduler = FairScheduler(slots=1, per_key_limit=1, queue_size=10)
    busy = scheduler.enqueue("a")  # key a holds the only slot ...
    assert busy.granted
    a_tickets = [scheduler.enqueue("a") for _ in range(3)]  # ... and queues three more
    b_ticket = scheduler.enqueue("b")  # key b arrives last, with one
    c_ticket = scheduler.enqueue("c")
    order = []
    running = busy
    for _ in range(5):
        scheduler.release(running)
        (running,) = [t for t in (*a_tickets, b_ticket, c_ticket) if t.granted and not t.released]
        order.append(running.key)
    assert order == ["a", "b", "c", "a", "a"]  # b and c wait one turn, not three


def test_a_key_never_holds_more_than_its_limit() -> None:
    scheduler = FairScheduler(slots=3, per_key_limit=2, queue_size=10)
    a1, a2, a3 = (scheduler.enqueue("a") for _ in range(3))
    assert (a1.granted, a2.granted, a3.granted) == (True, True, False)
    b1 = scheduler.enqueue("b")
    assert b1.granted  # the third slot goes to another key, not to a's third request
    assert (scheduler.running, scheduler.waiting, scheduler.running_for("a")) == (3, 1, 2)
    scheduler.release(b1)
    assert not a3.granted  # a free slot does not lift a's own limit
    scheduler.release(a1)
    assert a3.granted and scheduler.running_for("a") == 2


def test_a_full_queue_is_busy_at_once() -> None:
    scheduler = FairScheduler(slots=1, per_key_limit=1, queue_size=1)
    scheduler.enqueue("a")
    waiting = scheduler.enqueue("b")
    with pytest.raises(BackendBusy):
        scheduler.enqueue("c")
    assert not waiting.granted and scheduler.waiting == 1


def test_a_waiting_request_can_be_canceled() -> None:
    scheduler = FairScheduler(slots=1, per_key_limit=1, queue_size=4)
    holder = scheduler.enqueue("a")
    cancel = threading.Event()
    outcome: list[BaseException] = []
    queued = scheduler.enqueue("b")

    def wait() -> None:
        try:
            scheduler.wait(queued, cancel=cancel)
        except GenerationCanceled as exc:
            outcome.append(exc)

    waiter = threading.Thread(target=wait)
    waiter.start()
    cancel.set()
    waiter.join(timeout=30)
    assert not waiter.is_alive() and len(outcome) == 1
    assert scheduler.waiting == 0
    scheduler.release(holder)
    assert not queued.granted and scheduler.running == 0  # a canceled request takes no slot


def test_waiting_past_the_timeout_gives_up() -> None:
    scheduler = FairScheduler(slots=1, per_key_limit=1, queue_size=4)
    scheduler.enqueue("a")  # never released in this test
    with pytest.raises(GenerationTimedOut):
        scheduler.acquire("b", timeout_s=0.05)
    assert scheduler.waiting == 0


def test_device_turns_are_one_at_a_time_per_device() -> None:
    turns = DeviceTurns()
    with turns.turn("cuda:0", holder="gen_a"):
        assert turns.holders == {"cuda:0": "gen_a"}
        assert turns.lock_for("cuda:0").locked()
        assert not turns.lock_for("cuda:1").locked()  # another device is free
        with turns.turn(None):  # no local device: never waits
            pass
    assert turns.holders == {} and not turns.lock_for("cuda:0").locked()
