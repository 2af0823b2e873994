"""The grace period of a graceful stop, measured from the signal that asked for it.

On SIGTERM uvicorn stops accepting and waits up to the grace period for running requests; the
app's lifespan then gives running queue jobs what is left of the same period, so the whole stop
takes at most `LIMNER_SHUTDOWN_GRACE_S` (plus the clean-up), however the time was spent.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

Handler = Callable[[int, FrameType | None], Any]

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class ShutdownClock:
    def __init__(self, grace_s: float) -> None:
        self.grace_s = grace_s
        self.began: float | None = None

    def watch_signals(self) -> None:
        """Note the time of SIGTERM/SIGINT, then let the server's own handler run. Only where
        the server handles signals (its main thread); elsewhere the clock starts at `begin`."""
        if threading.current_thread() is not threading.main_thread():
            return
        for number in STOP_SIGNALS:
            previous = signal.getsignal(number)
            if not callable(previous):
                continue  # the default action: nothing serves here that a note could help

            def noted(signum: int, frame: FrameType | None, previous: Handler = previous) -> None:
                self.begin()
                previous(signum, frame)

            signal.signal(number, noted)

    def begin(self) -> None:
        if self.began is None:
            self.began = time.monotonic()

    def remaining(self) -> float:
        self.begin()
        assert self.began is not None
        return max(0.0, self.grace_s - (time.monotonic() - self.began))
