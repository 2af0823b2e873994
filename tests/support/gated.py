"""Backends whose pace the test sets with events, so no test waits on a clock.

Each wraps a real backend (placeholder or diffusers): the work done is the real one, only its start
(or its steps) waits for the test. A gate left closed fails the test after `GATE_LIMIT_S` instead of
hanging the suite; that limit is a safety net, never what a test relies on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from limner.backends.base import Backend, GenerationContext, GenerationSpec, Media

GATE_LIMIT_S = 120.0


class _Wrapper:
    """Everything but `generate` is the inner backend's (supports, prompt options, device)."""

    inner: Backend

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class GatedBackend(_Wrapper):
    """Each generation announces itself on `started`, then waits for the test to set `gate`."""

    def __init__(self, inner: Backend) -> None:
        self.inner = inner
        self.name = inner.name
        self.started = threading.Event()
        self.gate = threading.Event()

    def check_ready(self) -> None:
        self.inner.check_ready()

    def close(self) -> None:
        self.inner.close()

    def generate(self, spec: GenerationSpec, context: GenerationContext) -> Media:
        self.started.set()
        if not self.gate.wait(GATE_LIMIT_S):
            raise AssertionError("the test never opened the gate")
        return self.inner.generate(spec, context)


class SteppedBackend(_Wrapper):
    """Reports step 1 of each image, then waits for one `step_permits.release()` from the test
    before the rest; with `wait_for_cancel` it holds there until the generation is canceled."""

    def __init__(
        self,
        inner: Backend,
        *,
        wait_for_cancel: bool = False,
        hold: Callable[[GenerationSpec], bool] = lambda _spec: True,
    ) -> None:
        self.inner = inner
        self.name = inner.name
        self.wait_for_cancel = wait_for_cancel
        #: which generations stop at step 1 (the others run straight through)
        self.hold = hold
        self.step_permits = threading.Semaphore(0)
        self.at_step_1 = threading.Event()
        self.finished_images = 0

    def check_ready(self) -> None:
        self.inner.check_ready()

    def close(self) -> None:
        self.inner.close()

    def generate(self, spec: GenerationSpec, context: GenerationContext) -> Media:
        if not self.hold(spec):
            return self.inner.generate(spec, context)
        context.report(1, 4)
        self.at_step_1.set()
        if self.wait_for_cancel:
            if not context.cancel_event.wait(GATE_LIMIT_S):
                raise AssertionError("the generation was never canceled")
        elif not self.step_permits.acquire(timeout=GATE_LIMIT_S):
            raise AssertionError("the test never released step 2")
        image = self.inner.generate(spec, context)  # its own steps raise once canceled
        self.finished_images += 1
        return image
