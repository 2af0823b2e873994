"""Who runs next: a fair queue of generation slots, and one heavy job per device at a time.

`FairScheduler` hands out `slots` run slots. Requests beyond them wait (at most `queue_size`, then
`BackendBusy`), and a key never holds more than `per_key_limit` slots at once. When a slot frees,
the keys that are waiting take turns (round robin, each key's own requests in arrival order), so
one key with a hundred requests waiting delays another key's single request by at most one turn.

`DeviceTurns` is a lock per device name ("cuda:0", "cpu"): a backend that computes on a local
device runs one job on it at a time, whatever kind of pipeline the job uses, because two models
sharing one GPU run no faster together and may not fit.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from limner.backends.base import GenerationCanceled
from limner.errors import BackendBusy, GenerationTimedOut

#: how often a waiting request looks at its cancel event
CANCEL_CHECK_S = 0.25


@dataclass(eq=False)
class Ticket:
    """One request's place: waiting until `granted`, then holding a slot until released."""

    key: str
    granted: bool = False
    released: bool = False


class FairScheduler:
    def __init__(self, *, slots: int, per_key_limit: int, queue_size: int) -> None:
        if slots < 1 or per_key_limit < 1 or queue_size < 0:
            raise ValueError("slots and per_key_limit must be at least 1, queue_size at least 0")
        self.slots = slots
        self.per_key_limit = per_key_limit
        self.queue_size = queue_size
        self._changed = threading.Condition()
        #: keys with waiting tickets, in turn order (the next key to serve is first)
        self._waiting: OrderedDict[str, deque[Ticket]] = OrderedDict()
        self._waiting_count = 0
        self._running: dict[str, int] = {}
        self._running_count = 0

    @property
    def running(self) -> int:
        with self._changed:
            return self._running_count

    @property
    def waiting(self) -> int:
        with self._changed:
            return self._waiting_count

    def running_for(self, key: str) -> int:
        with self._changed:
            return self._running.get(key, 0)

    def acquire(
        self,
        key: str,
        *,
        timeout_s: float | None = None,
        cancel: threading.Event | None = None,
    ) -> Ticket:
        """Wait for a slot. Raises `BackendBusy` at once when the queue is full,
        `GenerationTimedOut` after `timeout_s` and `GenerationCanceled` when `cancel` is set."""
        ticket = self.enqueue(key)
        self.wait(ticket, timeout_s=timeout_s, cancel=cancel)
        return ticket

    def enqueue(self, key: str) -> Ticket:
        """Take a place in the queue without waiting: the ticket may be granted at once, or
        later (see `wait`). Raises `BackendBusy` when the queue is full."""
        ticket = Ticket(key)
        with self._changed:
            if self._waiting_count >= self.queue_size and not self._can_start_now(key):
                raise BackendBusy()
            self._waiting.setdefault(key, deque()).append(ticket)
            self._waiting_count += 1
            self._dispatch()
        return ticket

    def wait(
        self,
        ticket: Ticket,
        *,
        timeout_s: float | None = None,
        cancel: threading.Event | None = None,
    ) -> None:
        """Block until `ticket` is granted; on timeout or cancel it leaves the queue."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        with self._changed:
            while not ticket.granted:
                if cancel is not None and cancel.is_set():
                    self._withdraw(ticket)
                    raise GenerationCanceled()
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    self._withdraw(ticket)
                    raise GenerationTimedOut()
                # a cancel sets an event that does not notify us: look again now and then
                self._changed.wait(
                    CANCEL_CHECK_S if remaining is None else min(remaining, CANCEL_CHECK_S)
                )

    def release(self, ticket: Ticket) -> None:
        with self._changed:
            if not ticket.granted or ticket.released:
                return
            ticket.released = True
            self._running[ticket.key] -= 1
            if not self._running[ticket.key]:
                del self._running[ticket.key]
            self._running_count -= 1
            self._dispatch()
            self._changed.notify_all()  # wait_idle, and anyone watching the counts

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until nothing runs or waits; False if `timeout` seconds pass first."""
        with self._changed:
            return self._changed.wait_for(
                lambda: self._running_count == 0 and self._waiting_count == 0, timeout=timeout
            )

    @contextmanager
    def slot(
        self, key: str, *, timeout_s: float | None = None, cancel: threading.Event | None = None
    ) -> Iterator[Ticket]:
        ticket = self.acquire(key, timeout_s=timeout_s, cancel=cancel)
        try:
            yield ticket
        finally:
            self.release(ticket)

    # -- with `_changed` held ----------------------------------------------------------------

    def _can_start_now(self, key: str) -> bool:
        # no other key can be waiting for a free slot: `_dispatch` would have granted it
        return (
            self._running_count < self.slots
            and self._running.get(key, 0) < self.per_key_limit
            and key not in self._waiting
        )

    def _dispatch(self) -> None:
        granted_any = False
        while self._running_count < self.slots:
            key = next(
                (k for k in self._waiting if self._running.get(k, 0) < self.per_key_limit), None
            )
            if key is None:
                break
            queue = self._waiting[key]
            ticket = queue.popleft()
            self._waiting_count -= 1
            # this key goes to the back of the turn order (or leaves it, with nothing waiting)
            del self._waiting[key]
            if queue:
                self._waiting[key] = queue
            ticket.granted = True
            self._running[key] = self._running.get(key, 0) + 1
            self._running_count += 1
            granted_any = True
        if granted_any:
            self._changed.notify_all()

    def _withdraw(self, ticket: Ticket) -> None:
        queue = self._waiting.get(ticket.key)
        if queue is None or ticket not in queue:
            return
        queue.remove(ticket)
        self._waiting_count -= 1
        if not queue:
            del self._waiting[ticket.key]


class DeviceTurns:
    """One lock per device name; `turn(None)` (no local device) never waits."""

    def __init__(self) -> None:
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        #: device name -> the job holding it (for status and tests)
        self.holders: dict[str, str] = {}

    def lock_for(self, device: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(device, threading.Lock())

    @contextmanager
    def turn(self, device: str | None, holder: str = "") -> Iterator[None]:
        if device is None:
            yield
            return
        with self.lock_for(device):
            self.holders[device] = holder
            try:
                yield
            finally:
                self.holders.pop(device, None)
