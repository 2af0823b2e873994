"""The one small interface every generation backend implements.

A backend turns a `GenerationSpec` into a PIL image. It knows nothing about keys, credits,
captions, provenance or storage: the service does those, identically for every backend.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from PIL import Image

from limner.domain.requests import Appearance
from limner.domain.styles import Quality, Style
from limner.errors import GenerationFailed

#: progress(step, total_steps): called by a backend as work advances
ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class GenerationSpec:
    """Everything a backend needs for one image, built by the service from a valid request."""

    generation_id: str
    prompt: str
    style: Style
    quality: Quality
    seed: int
    appearance: Appearance | None = None
    negative_prompt: str | None = None


class GenerationCanceled(GenerationFailed):
    """Raised inside a backend when its context was canceled (timeout, client cancel)."""

    default_message = "Generation was canceled."


@dataclass(eq=False)  # compared and hashed by identity: the runner keeps a set of them
class GenerationContext:
    """Per-generation control: progress reporting and cooperative cancellation."""

    on_progress: ProgressCallback | None = None
    cancel_event: threading.Event = field(default_factory=threading.Event)

    def report(self, step: int, total: int) -> None:
        self.raise_if_canceled()
        if self.on_progress is not None:
            self.on_progress(step, total)

    def cancel(self) -> None:
        self.cancel_event.set()

    @property
    def canceled(self) -> bool:
        return self.cancel_event.is_set()

    def raise_if_canceled(self) -> None:
        if self.cancel_event.is_set():
            raise GenerationCanceled()


@runtime_checkable
class Backend(Protocol):
    """A generation backend. Implementations must be safe to call from worker threads."""

    #: short name used in settings, metadata and logs ("placeholder", "diffusers")
    name: str

    def check_ready(self) -> None:
        """Raise `ConfigurationError` if the backend cannot serve (called at start-up)."""

    def generate(self, spec: GenerationSpec, context: GenerationContext) -> Image.Image:
        """Make one RGB image. Raise `GenerationFailed` (or let any error escape) on failure."""
        ...

    def close(self) -> None:
        """Release models and memory."""
