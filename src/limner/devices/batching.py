"""Dynamic batching: generations that share a pipeline and its shape settings run as one call.

A backend opts in by answering `batch_key(spec)` (same key: one call can make both: same model,
size, steps, guidance; None: never batched) and `batch_cap(spec)`, and by making a list of specs
at once in `generate_batch`. Each generation that holds a run slot (`FairScheduler`) comes here
before the device:

- the first of a key becomes its leader and waits up to `window_s` for others to join (no wait
  once the batch is full); the others wait for their own result;
- the leader takes the device turn, takes up to `cap` waiting entries of its key (arrival order)
  and runs them as one call; if more are left, the first of them becomes the next leader;
- each image keeps its own spec (seed, prompt) and context (progress, cancel); the backend returns
  one result per spec, media or the error of that image alone. A canceled entry is answered
  `GenerationCanceled` and its image dropped; a batch whose every entry is canceled stops.

Requests queue here only while they hold a slot, so `LIMNER_GENERATION_WORKERS` bounds a batch
too: a batch of 8 needs 8 slots. The images of one request (`n` > 1) come as a group
(`run_group`): one slot, one waiting thread, and their entries join the queue together, so they
share a call with each other and with other requests.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Hashable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

from limner.backends.base import GenerationCanceled, GenerationContext, GenerationSpec, Media
from limner.backends.batching import BatchingBackend, BatchResult, run_each


@dataclass(eq=False)
class _Entry:
    spec: GenerationSpec
    context: GenerationContext
    done: bool = False
    leader: bool = False
    result: BatchResult | None = None


@dataclass(frozen=True)
class BatchRecord:
    """A call made: how many images and of which generations (for observers and /metrics)."""

    key: Hashable
    generation_ids: tuple[str, ...]

    @property
    def size(self) -> int:
        return len(self.generation_ids)


@dataclass
class _KeyQueue:
    entries: deque[_Entry] = field(default_factory=deque)
    has_leader: bool = False


class BatchGate:
    """Where the generations of one backend meet before its device; safe from many threads."""

    def __init__(
        self,
        backend: BatchingBackend,
        *,
        window_s: float,
        turn: Callable[[str], AbstractContextManager[None]],
        generate: Callable[[GenerationSpec, GenerationContext], Media] | None = None,
        max_batch: int | None = None,
    ) -> None:
        self.backend = backend
        #: how an image that found no company is made: the backend's own `generate`
        self._generate = generate or (
            lambda spec, context: backend.generate(spec, context)  # type: ignore[attr-defined]
        )
        self.window_s = window_s
        #: `turn(holder)`: the device's turn for one call (DeviceTurns.turn of the runner's device)
        self._turn = turn
        #: the server's cap on any batch (`LIMNER_GENERATION_MAX_BATCH`); the backend's own applies
        self.max_batch = max_batch
        self._changed = threading.Condition()
        self._queues: dict[Hashable, _KeyQueue] = {}
        #: observe(record) after each call, from the leader's thread
        self.observers: list[Callable[[BatchRecord], None]] = []

    def waiting(self, key: Hashable) -> int:
        """Generations of `key` waiting here now (the running batch's are not counted)."""
        with self._changed:
            return self._count(key)

    def wait_for_waiting(self, key: Hashable, count: int, timeout: float | None = None) -> bool:
        """Block until `count` generations of `key` wait here (for tests and start-up checks);
        False if `timeout` passed first."""
        with self._changed:
            return self._changed.wait_for(lambda: self._count(key) >= count, timeout)

    def _count(self, key: Hashable) -> int:  # with `_changed` held
        queue = self._queues.get(key)
        return len(queue.entries) if queue else 0

    def cap_for(self, spec: GenerationSpec) -> int:
        cap = max(1, self.backend.batch_cap(spec))
        return min(cap, self.max_batch) if self.max_batch else cap

    def run(self, key: Hashable, spec: GenerationSpec, context: GenerationContext) -> Media:
        """Make `spec`'s image, alone or in a batch with others of `key`."""
        entry = _Entry(spec, context)
        cap = self.cap_for(spec)
        with self._changed:
            queue = self._queues.setdefault(key, _KeyQueue())
            queue.entries.append(entry)
            if not queue.has_leader:
                queue.has_leader = entry.leader = True
            self._changed.notify_all()
            # followers: wait for a result, or to be made the next leader
            self._changed.wait_for(lambda: entry.done or entry.leader)
            if not entry.done and self.window_s > 0:
                # the leader gathers: until the batch is full or the window has passed
                self._changed.wait_for(lambda: len(queue.entries) >= cap, timeout=self.window_s)
        if not entry.done:
            self._lead(key, queue, cap, entry)
        result = entry.result
        if isinstance(result, BaseException):
            raise result
        assert isinstance(result, Media)
        return result

    def run_group(
        self,
        key: Hashable,
        specs: list[GenerationSpec],
        contexts: list[GenerationContext],
    ) -> list[BatchResult]:
        """Make every spec's image (all of `key`) with one waiting thread: the entries join the
        queue together, and this thread leads whichever of them the queue makes a leader. One
        result per spec, media or that image's own error."""
        entries = [_Entry(spec, context) for spec, context in zip(specs, contexts, strict=True)]
        cap = self.cap_for(specs[0])
        with self._changed:
            queue = self._queues.setdefault(key, _KeyQueue())
            queue.entries.extend(entries)
            if not queue.has_leader:
                queue.has_leader = entries[0].leader = True
            self._changed.notify_all()
        while True:
            with self._changed:
                self._changed.wait_for(
                    lambda: (
                        all(e.done for e in entries)
                        or any(e.leader and not e.done for e in entries)
                    )
                )
                leading = next((e for e in entries if e.leader and not e.done), None)
                if leading is None:
                    break
                # a leader is the front of its key's live queue (one that empties is dropped
                # only once its last entry is taken into a batch)
                live = self._queues[key]
                if self.window_s > 0:
                    self._changed.wait_for(
                        lambda live=live: len(live.entries) >= cap,  # type: ignore[misc]
                        timeout=self.window_s,
                    )
            self._lead(key, live, cap, leading)
        return [entry.result for entry in entries]  # type: ignore[misc]

    def _lead(self, key: Hashable, queue: _KeyQueue, cap: int, me: _Entry) -> None:
        with self._turn(me.spec.generation_id):
            with self._changed:
                batch = [queue.entries.popleft() for _ in range(min(cap, len(queue.entries)))]
                if queue.entries:  # the rest wait for the device under their own leader
                    queue.entries[0].leader = True
                else:
                    queue.has_leader = False
                    del self._queues[key]
                self._changed.notify_all()
            try:
                results = self._call(batch)
            except BaseException as exc:
                results = [exc] * len(batch)
        with self._changed:
            for entry, result in zip(batch, results, strict=True):
                entry.result = result
                entry.done = True
            self._changed.notify_all()
        record = BatchRecord(key, tuple(entry.spec.generation_id for entry in batch))
        for observe in self.observers:
            observe(record)

    def _call(self, batch: list[_Entry]) -> list[BatchResult]:
        live = [entry for entry in batch if not entry.context.canceled]
        results: dict[int, BatchResult] = {
            id(entry): GenerationCanceled() for entry in batch if entry.context.canceled
        }
        if len(live) == 1:  # alone: the ordinary path
            made: list[BatchResult] = run_each(self._generate, [live[0].spec], [live[0].context])
            results[id(live[0])] = made[0]
        elif live:
            made = self.backend.generate_batch(
                [entry.spec for entry in live], [entry.context for entry in live]
            )
            if len(made) != len(live):
                raise RuntimeError(f"the backend returned {len(made)} results for {len(live)}")
            for entry, result in zip(live, made, strict=True):
                # canceled while the batch ran: its image is not delivered
                results[id(entry)] = GenerationCanceled() if entry.context.canceled else result
        return [results[id(entry)] for entry in batch]
