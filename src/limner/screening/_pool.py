"""Screening in worker processes (`LIMNER_SCREENING_WORKERS`), off the generating process's GIL.

The detectors' own inference releases the GIL, but their pre-processing (decode, resize, face
detection) is Python and numpy in the thread of the request, beside the model and the HTTP
threads. `ScreeningPool.screen` runs the very same `ModelScreener` (built from the same settings)
in `workers` spawned processes and returns its `ScreeningResult`. Fail closed as before: a worker
that raises or dies makes `screen` raise, which the gate turns into a refusal
(`ScreeningUnavailable`, 503); the pool is rebuilt for the next image.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING

from PIL import Image

from limner.errors import ConfigurationError
from limner.parentwatch import exit_with_parent
from limner.screening._factory import build_screener
from limner.screening._screener import ModelScreener
from limner.screening._types import Checks, ScreeningResult

if TYPE_CHECKING:
    from limner.config import Settings

log = logging.getLogger(__name__)

_worker_screener: ModelScreener | None = None


def _start_worker(settings: Settings) -> None:
    global _worker_screener
    exit_with_parent()  # a killed server takes its workers with it (`limner.parentwatch`)
    _worker_screener = build_screener(settings)


def _screen_in_worker(image: Image.Image, checks: Checks) -> ScreeningResult:
    assert _worker_screener is not None, "the pool's initializer builds the screener"
    return _worker_screener.screen(image, checks)


class ScreeningPool:
    """An `ImageScreener` whose `screen` runs in `workers` processes; safe from many threads.
    `check_ready` and `describe` answer from a screener in this process (the models that load
    here load in the workers too)."""

    def __init__(self, settings: Settings, *, workers: int) -> None:
        if workers < 1:
            raise ConfigurationError(f"a screening pool needs at least one worker, not {workers}")
        self.settings = settings
        self.workers = workers
        self.local = build_screener(settings)
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None  # started on the first image

    def check_ready(self, checks: Checks | None = None) -> None:
        self.local.check_ready(checks)

    def describe(self) -> dict[str, str]:
        return self.local.describe()

    def screen(self, image: Image.Image, checks: Checks) -> ScreeningResult:
        pool = self._current()
        try:
            return pool.submit(_screen_in_worker, image, checks).result()
        except BrokenProcessPool:
            log.error("a screening worker died; starting the pool again")
            with self._lock:
                if self._pool is pool:
                    self._pool = None
            raise

    def _current(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=self.workers,
                    # spawn: a server process has threads, and torch does not survive a fork
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start_worker,
                    initargs=(self.settings,),
                )
            return self._pool

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None
