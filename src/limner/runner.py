"""The per-device scheduler in front of a backend: fair slots, one heavy job per device, timeouts.

At most `workers` generations run at once and `queue_size` more wait; beyond that a request is
refused at once with `BackendBusy` (503, "busy, try again") rather than piling up. A key runs at
most `per_key_limit` generations at once, and waiting keys take turns (`FairScheduler`), so one
key with many requests cannot starve the others. A backend that computes on a local device
(`backend.device`, as the diffusers backend has) runs one job on that device at a time, whatever
model the job needs (`DeviceTurns`); its models share the device's memory budget through one
`ResidentSet`. A backend that can batch (`devices.batching`) has the generations holding slots
gathered into one call per pipeline and shape (`BatchGate`), up to its cap and
`LIMNER_GENERATION_MAX_BATCH`.

A generation that takes longer than the timeout (waiting included) answers `GenerationTimedOut`
and is asked to stop at its next step; its slot stays taken until the backend really returns, so
the bound stays honest.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from limner.backends.base import Backend, GenerationContext, GenerationSpec, Media
from limner.backends.batching import BatchingBackend
from limner.devices import DeviceTurns, FairScheduler, Ticket
from limner.devices.batching import BatchGate
from limner.errors import GenerationFailed, GenerationTimedOut

log = logging.getLogger(__name__)

#: a distinct key for each request that names no owner (no per-key limit applies to it)
_anonymous = itertools.count()


def can_batch(backend: Backend) -> bool:
    """The backend's own class makes batches (`BatchingBackend`); a wrapper that only forwards
    attributes to one (as test gates do) is run image by image, through its own `generate`."""
    return isinstance(backend, BatchingBackend) and all(
        callable(getattr(type(backend), name, None))
        for name in ("batch_key", "batch_cap", "generate_batch")
    )


def device_of(backend: Backend) -> str | None:
    """The local device a backend computes on ("cuda:0", "cpu"), or None (placeholder, Ray)."""
    device = getattr(backend, "device", None)
    return None if device is None else str(device)


class GenerationRunner:
    def __init__(
        self,
        backend: Backend,
        *,
        workers: int,
        queue_size: int,
        timeout_s: float,
        per_key_limit: int | None = None,
        devices: DeviceTurns | None = None,
        batch_window_s: float = 0.0,
        max_batch: int | None = None,
    ) -> None:
        self.backend = backend
        self.timeout_s = timeout_s
        self.capacity = workers + queue_size
        self.scheduler = FairScheduler(
            slots=workers, per_key_limit=per_key_limit or workers, queue_size=queue_size
        )
        #: shared by every runner of the process, so two backends on one GPU take turns too
        self.devices = devices or DeviceTurns()
        self.device = device_of(backend)
        #: generations of a backend that batches meet here before the device (None: it does not)
        self.batches: BatchGate | None = None
        if can_batch(backend) and max_batch != 1:
            self.batches = BatchGate(
                backend,  # type: ignore[arg-type]
                # looked up at each call: the backend's `generate` as it is then
                generate=lambda spec, context: self.backend.generate(spec, context),
                # waiting for company pays only where a device call is shared: not without one
                window_s=batch_window_s if self.device is not None else 0.0,
                turn=lambda holder: self.devices.turn(self.device, holder=holder),
                max_batch=max_batch,
            )
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="limner-gen")
        #: contexts of the generations holding or waiting for a slot, for `cancel_all`
        self._contexts: set[GenerationContext] = set()
        self._contexts_lock = threading.Lock()

    @property
    def in_flight(self) -> int:
        """Generations holding a slot (running, or timed out and not yet returned)."""
        return self.scheduler.running

    def run(
        self,
        spec: GenerationSpec,
        context: GenerationContext,
        *,
        owner: str | None = None,
        timeout_s: float | None = None,
    ) -> Media:
        """Generate one output for `owner` (the key, for the per-key limit) or raise a
        `GenerationFailed` subclass; never anything else. `timeout_s` replaces the runner's
        timeout for this output (a video's is longer than an image's)."""
        timeout_s = timeout_s if timeout_s is not None else self.timeout_s
        deadline = time.monotonic() + timeout_s
        key = owner if owner is not None else f"anonymous-{next(_anonymous)}"
        with self._contexts_lock:
            self._contexts.add(context)
        try:
            ticket = self.scheduler.acquire(key, timeout_s=timeout_s, cancel=context.cancel_event)
        except BaseException:
            self._forget(context)
            raise
        try:
            future = self._pool.submit(self._call, spec, context)
        except BaseException:
            self._release(ticket, context)
            raise
        future.add_done_callback(lambda _f: self._release(ticket, context))
        return self._wait(future, context, deadline)

    def group_key(self, specs: list[GenerationSpec]) -> Hashable | None:
        """The batch key every spec shares, or None: then `run_many` cannot make them together
        and each goes through `run`."""
        if self.batches is None or len(specs) < 2:
            return None
        keys = {self.batches.backend.batch_key(spec) for spec in specs}
        return keys.pop() if len(keys) == 1 else None

    def run_many(
        self,
        key: Hashable,
        specs: list[GenerationSpec],
        contexts: list[GenerationContext],
        *,
        owner: str | None = None,
        timeout_s: float | None = None,
    ) -> list[Media | GenerationFailed]:
        """The images of one generation (`n` > 1) together: one slot, and their specs join the
        batch gate as a group (`BatchGate.run_group`), so they share calls with each other and
        with other requests. `key` is `group_key(specs)`. One result per spec: media, or that
        image's `GenerationFailed`; the whole group raises only `BackendBusy` (no slot),
        `GenerationTimedOut` (`timeout_s` per image, for all of them) or a cancel."""
        assert self.batches is not None
        timeout_s = (timeout_s if timeout_s is not None else self.timeout_s) * len(specs)
        deadline = time.monotonic() + timeout_s
        owner_key = owner if owner is not None else f"anonymous-{next(_anonymous)}"
        with self._contexts_lock:
            self._contexts.update(contexts)
        first = contexts[0]
        try:
            ticket = self.scheduler.acquire(
                owner_key, timeout_s=timeout_s, cancel=first.cancel_event
            )
        except BaseException:
            for context in contexts:
                self._forget(context)
            raise
        gate = self.batches
        try:
            future = self._pool.submit(gate.run_group, key, specs, contexts)
        except BaseException:
            self._release_group(ticket, contexts)
            raise
        future.add_done_callback(lambda _f: self._release_group(ticket, contexts))
        try:
            results = future.result(timeout=max(0.0, deadline - time.monotonic()))
        except FutureTimeout as exc:
            for context in contexts:
                context.cancel()
            future.cancel()
            raise GenerationTimedOut() from exc
        except Exception as exc:  # the gate itself broke: every image fails alone, as in `run`
            log.exception("backend %s failed on a group of %d", self.backend.name, len(specs))
            raise GenerationFailed() from exc
        return [self._one_result(result, spec) for result, spec in zip(results, specs, strict=True)]

    def _one_result(self, result: object, spec: GenerationSpec) -> Media | GenerationFailed:
        if isinstance(result, Media):
            return result
        if isinstance(result, GenerationFailed):
            return result
        if isinstance(result, BaseException):  # a backend bug or model error, as `_call` says it
            log.error("backend %s failed on %s: %r", self.backend.name, spec.generation_id, result)
            return GenerationFailed()
        return GenerationFailed("The backend returned no media.")

    def _release_group(self, ticket: Ticket, contexts: list[GenerationContext]) -> None:
        self.scheduler.release(ticket)
        for context in contexts:
            self._forget(context)

    def _wait(self, future: Future[Media], context: GenerationContext, deadline: float) -> Media:
        try:
            return future.result(timeout=max(0.0, deadline - time.monotonic()))
        except FutureTimeout as exc:
            context.cancel()
            future.cancel()
            raise GenerationTimedOut() from exc

    def _call(self, spec: GenerationSpec, context: GenerationContext) -> Media:
        context.raise_if_canceled()
        key = self.batches.backend.batch_key(spec) if self.batches is not None else None
        try:
            if self.batches is not None and key is not None:
                media = self.batches.run(key, spec, context)
            else:
                with self.devices.turn(self.device, holder=spec.generation_id):
                    context.raise_if_canceled()
                    media = self.backend.generate(spec, context)
        except GenerationFailed:
            raise
        except Exception as exc:  # a backend bug or a model error: log it, tell the client 503
            log.exception("backend %s failed on %s", self.backend.name, spec.generation_id)
            raise GenerationFailed() from exc
        if not isinstance(media, Media):
            raise GenerationFailed("The backend returned no media.")
        return media

    def _release(self, ticket: Ticket, context: GenerationContext) -> None:
        self.scheduler.release(ticket)
        self._forget(context)

    def _forget(self, context: GenerationContext) -> None:
        with self._contexts_lock:
            self._contexts.discard(context)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no generation holds or waits for a slot; False if `timeout` passes."""
        return self.scheduler.wait_idle(timeout)

    def cancel_all(self) -> int:
        """Ask every generation holding or waiting for a slot to stop (server shutdown)."""
        with self._contexts_lock:
            contexts = list(self._contexts)
        for context in contexts:
            context.cancel()
        return len(contexts)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
