"""What is running in this process right now: each generation's context (to cancel it) and its
latest progress (for `GET /generations/{id}` and the event stream). Memory only: progress is
ephemeral by nature; the durable state is the generation row."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from limner.backends.base import GenerationContext


@dataclass(frozen=True)
class Progress:
    #: 0-based index of the image being made, of `images`
    image: int
    images: int
    #: the backend's step, of `total` (0 of 0 before the first report)
    step: int
    total: int


class LiveBoard:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._contexts: dict[str, GenerationContext] = {}
        self._progress: dict[str, Progress] = {}

    def start(self, generation_id: str, context: GenerationContext, *, images: int) -> None:
        with self._lock:
            self._contexts[generation_id] = context
            self._progress[generation_id] = Progress(0, images, 0, 0)

    def image_context(
        self, generation_id: str, context: GenerationContext, index: int
    ) -> GenerationContext:
        """A context for one image of the generation: same cancel switch, progress recorded."""

        def report(step: int, total: int) -> None:
            with self._lock:
                current = self._progress.get(generation_id)
                if current is not None:
                    self._progress[generation_id] = Progress(index, current.images, step, total)
            if context.on_progress is not None:
                context.on_progress(step, total)

        with self._lock:
            current = self._progress.get(generation_id)
            if current is not None:
                self._progress[generation_id] = Progress(index, current.images, 0, 0)
        return GenerationContext(on_progress=report, cancel_event=context.cancel_event)

    def finish(self, generation_id: str) -> None:
        with self._lock:
            self._contexts.pop(generation_id, None)
            self._progress.pop(generation_id, None)

    def progress(self, generation_id: str) -> Progress | None:
        with self._lock:
            return self._progress.get(generation_id)

    def cancel(self, generation_id: str) -> bool:
        """Ask a generation running here to stop at its next step; False if not running here."""
        with self._lock:
            context = self._contexts.get(generation_id)
        if context is None:
            return False
        context.cancel()
        return True
