"""A bounded, timed executor in front of a backend.

At most `workers` generations run at once and `queue_size` more wait; beyond that a request is
refused at once with `BackendBusy` (503, "busy, try again") rather than piling up. A generation
that takes longer than the timeout answers `GenerationTimedOut` and is asked to stop at its next
step; its slot stays taken until the backend really returns, so the bound stays honest.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from limner.backends.base import Backend, GenerationContext, GenerationSpec, Media
from limner.errors import BackendBusy, GenerationFailed, GenerationTimedOut

log = logging.getLogger(__name__)


class GenerationRunner:
    def __init__(
        self, backend: Backend, *, workers: int, queue_size: int, timeout_s: float
    ) -> None:
        self.backend = backend
        self.timeout_s = timeout_s
        self.capacity = workers + queue_size
        self._slots = threading.BoundedSemaphore(self.capacity)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="limner-gen")
        self._in_flight = 0
        self._contexts: set[GenerationContext] = set()
        self._lock = threading.Lock()
        # notified whenever a slot frees, so shutdown (and tests) can wait for idle without polling
        self._idle = threading.Condition(self._lock)

    @property
    def in_flight(self) -> int:
        with self._lock:
            return self._in_flight

    def run(self, spec: GenerationSpec, context: GenerationContext) -> Media:
        """Generate one output or raise a `GenerationFailed` subclass; never anything else."""
        if not self._slots.acquire(blocking=False):
            raise BackendBusy()
        with self._lock:
            self._in_flight += 1
            self._contexts.add(context)
        try:
            future = self._pool.submit(self._call, spec, context)
        except BaseException:
            self._free_slot(context)
            raise
        future.add_done_callback(lambda _f: self._free_slot(context))
        return self._wait(future, context)

    def _wait(self, future: Future[Media], context: GenerationContext) -> Media:
        try:
            return future.result(timeout=self.timeout_s)
        except FutureTimeout as exc:
            context.cancel()
            future.cancel()
            raise GenerationTimedOut() from exc

    def _call(self, spec: GenerationSpec, context: GenerationContext) -> Media:
        context.raise_if_canceled()
        try:
            media = self.backend.generate(spec, context)
        except GenerationFailed:
            raise
        except Exception as exc:  # a backend bug or a model error: log it, tell the client 503
            log.exception("backend %s failed on %s", self.backend.name, spec.generation_id)
            raise GenerationFailed() from exc
        if not isinstance(media, Media):
            raise GenerationFailed("The backend returned no media.")
        return media

    def _free_slot(self, context: GenerationContext) -> None:
        with self._lock:
            self._in_flight -= 1
            self._contexts.discard(context)
            self._slots.release()
            self._idle.notify_all()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no generation holds a slot; False if `timeout` seconds pass first."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout=timeout)

    def cancel_all(self) -> int:
        """Ask every generation holding a slot to stop at its next step (server shutdown)."""
        with self._lock:
            contexts = list(self._contexts)
        for context in contexts:
            context.cancel()
        return len(contexts)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
