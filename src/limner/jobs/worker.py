"""In-process worker threads that work the durable queue; started and stopped by the app.

Each worker claims a job, runs it through `GenerationService.execute` (which settles it: capture
or release, in one transaction with the final status and the webhook outbox row) and looks for the
next. Idle workers sleep until a submit in this process wakes them or `poll_s` passes (jobs
submitted by another process are found by polling).
"""

from __future__ import annotations

import logging
import threading
import time

from limner.backends.base import GenerationContext
from limner.errors import BackendBusy
from limner.generation.engine import GenerationService
from limner.jobs.queue import JobQueue

log = logging.getLogger(__name__)

#: how long a job waits when the backend's slots are all taken (by synchronous requests)
BUSY_DELAY_S = 0.5
#: how often a running job looks at its `cancel_requested` flag (a cancel from another process)
CANCEL_CHECK_S = 0.5


class WorkerPool:
    def __init__(
        self, *, service: GenerationService, queue: JobQueue, workers: int, poll_s: float
    ) -> None:
        self.service = service
        self.queue = queue
        self.workers = workers
        self.poll_s = poll_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for index in range(self.workers):
            thread = threading.Thread(
                target=self._loop, name=f"limner-worker-{index}", args=(index,), daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        self._threads.clear()

    def _loop(self, index: int) -> None:
        worker_id = f"{threading.get_native_id()}-{index}"
        while not self._stop.is_set():
            try:
                generation_id = self.queue.claim(worker_id)
            except Exception:
                log.exception("claiming a job failed")
                generation_id = None
            if generation_id is None:
                self._wake.wait(self.poll_s)
                self._wake.clear()
                continue
            self._run(generation_id)

    def _run(self, generation_id: str) -> None:
        context = GenerationContext()
        last_check = time.monotonic()

        def watch_for_cancel(_step: int, _total: int) -> None:
            nonlocal last_check
            if time.monotonic() - last_check >= CANCEL_CHECK_S:
                last_check = time.monotonic()
                if self.queue.cancel_requested(generation_id):
                    context.cancel()

        context.on_progress = watch_for_cancel
        try:
            self.service.execute(generation_id, context, defer_when_busy=True)
        except BackendBusy:
            self.queue.defer(generation_id, BUSY_DELAY_S)
        except Exception:
            # left running: recovery at the next start re-queues or fails it, never loses it
            log.exception("job %s could not be settled", generation_id)
