"""The one small interface every generation backend implements.

A backend turns a finished `GenerationSpec` into `Media`. The spec comes from the engine's plan:
its prompt is already built from the style and the appearance by the one prompt builder
(`limner.domain.prompts`), so every backend means the same thing by a style; the style and
quality left in the spec only pick the backend's own preset (model, size, steps). A backend
knows nothing about keys, credits, captions, provenance or storage.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from PIL import Image

from limner.domain.prompts import PromptOptions
from limner.domain.styles import Gender, Quality, Style
from limner.errors import GenerationFailed

#: progress(step, total_steps): called by a backend as work advances
ProgressCallback = Callable[[int, int], None]
#: the media type of a video output
VIDEO = "video/mp4"
#: preview(image): a rough picture of the work so far, for clients watching the progress
PreviewCallback = Callable[[Image.Image], None]


class EmbeddingCache(Protocol):
    """Where what a model computes once from a character's references is kept (the database in
    a server, `limner.characters.embeddings`), keyed by the model that computed it."""

    def load(self, model_key: str) -> bytes | None:
        """The stored bytes for this model, or None when it has not computed them yet."""
        ...

    def store(self, model_key: str, data: bytes) -> None:
        """Keep the bytes this model computed (a second store of the same key is harmless)."""
        ...


@dataclass(frozen=True, eq=False)
class CharacterReferences:
    """A character's reference pictures, for a backend that conditions on them.

    The pictures are loaded only on a cache miss: a backend asks `embeddings` first, so a
    character pays for its references once, not on every request."""

    #: `chr_...`: also what makes a backend's marks of the character the same in any scene
    character_id: str
    #: the references' digest (their sha256s in order): part of every cache key
    digest: str
    #: loads the stored pictures, in the character's order
    load_images: Callable[[], tuple[Image.Image, ...]]
    embeddings: EmbeddingCache


@dataclass(frozen=True)
class GenerationSpec:
    """One output to make, finished by the plan: a backend never re-interprets the request."""

    generation_id: str
    #: the built positive prompt (style words, adult-style traits, the user's prompt)
    prompt: str
    #: picks the backend's preset (model, size, steps); the prompt already carries its words
    style: Style
    quality: Quality
    seed: int
    #: the built negative prompt
    negative_prompt: str = ""
    #: the kind of job (`limner.generation.kinds`): "t2i", "i2i", ...
    kind: str = "t2i"
    #: input pictures, in the kind's order (i2i: the source image)
    inputs: tuple[Image.Image, ...] = ()
    #: i2i: how far the output may move from the input (near 0 keeps it, 1 ignores it)
    strength: float | None = None
    #: a character's references, where the backend conditions on them (`ConditionsOnReferences`)
    character: CharacterReferences | None = None
    #: t2v/i2v: seconds of video and the frame rate (None: the preset's own)
    duration_s: int | None = None
    fps: int | None = None
    #: the output's size (a video's frame size), checked by the plan against the preset's native
    #: pixel count; None: the preset's own size
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class Media:
    """What a backend made: one image, or a video as its frames and their rate."""

    #: an image is one frame; a video has many
    frames: tuple[Image.Image, ...]
    #: how the output is delivered: "image/png" (a video: "video/mp4")
    mime_type: str = "image/png"
    #: frames per second, for videos only
    fps: float | None = None

    def __post_init__(self) -> None:
        if not self.frames:
            raise ValueError("media needs at least one frame")

    @classmethod
    def video(cls, frames: tuple[Image.Image, ...], fps: float) -> Media:
        """A video (`t2v`, `i2v`): RGB frames of one size, played at `fps`."""
        return cls(tuple(f if f.mode == "RGB" else f.convert("RGB") for f in frames), VIDEO, fps)

    @classmethod
    def still(cls, image: Image.Image, mime_type: str = "image/png") -> Media:
        return cls((image if image.mode == "RGB" else image.convert("RGB"),), mime_type)

    @property
    def image(self) -> Image.Image:
        """The picture (for a video, its first frame: the poster)."""
        return self.frames[0]


class GenerationCanceled(GenerationFailed):
    """Raised inside a backend when its context was canceled (timeout, client cancel)."""

    default_message = "Generation was canceled."


@dataclass(eq=False)  # compared and hashed by identity: the runner keeps a set of them
class GenerationContext:
    """Per-generation control: progress reporting and cooperative cancellation."""

    on_progress: ProgressCallback | None = None
    cancel_event: threading.Event = field(default_factory=threading.Event)
    #: set when someone watches the progress: a backend that can make previews cheaply does
    on_preview: PreviewCallback | None = None

    def report(self, step: int, total: int) -> None:
        self.raise_if_canceled()
        if self.on_progress is not None:
            self.on_progress(step, total)

    @property
    def wants_previews(self) -> bool:
        return self.on_preview is not None

    def preview(self, image: Image.Image) -> None:
        if self.on_preview is not None:
            self.on_preview(image)

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

    def supports(self, style: Style, quality: Quality, kind: str = "t2i") -> bool:
        """Whether this backend can make `kind` in `style` at `quality` now. The plan asks
        before any credit is reserved; a disabled preset answers False."""
        ...

    def prompt_options(
        self, style: Style, quality: Quality, gender: Gender | None
    ) -> PromptOptions:
        """The operator's words for this preset (trigger words, a negative override), which the
        plan hands to the one prompt builder; `PromptOptions()` when there are none."""
        ...

    def generate(self, spec: GenerationSpec, context: GenerationContext) -> Media:
        """Make one output. Raise `GenerationFailed` (or let any error escape) on failure."""
        ...

    def close(self) -> None:
        """Release models and memory."""


@runtime_checkable
class ConditionsOnReferences(Protocol):
    """A backend that can condition a generation on a character's reference pictures. A backend
    without it still renders characters, from their traits and fixed seed only."""

    def reference_conditioning(self, style: Style, quality: Quality, kind: str = "t2i") -> bool:
        """Whether this preset conditions on references (the response's
        `reference_conditioning`); the plan asks before the spec is made."""
        ...


@runtime_checkable
class KnowsNativeSize(Protocol):
    """A backend whose presets have a native size: a request may ask for another size of at
    most that many pixels (multiples of 8), at the same price."""

    def native_size(self, style: Style, quality: Quality) -> tuple[int, int]:
        """(width, height) the preset makes when the request names no size."""
        ...


@runtime_checkable
class ExplainsUnavailable(Protocol):
    """A backend that can say why it does not make something it otherwise could (a preset whose
    model is missing), so the refusal names what the operator has to configure."""

    def unavailable_reason(self, style: Style, quality: Quality, kind: str = "t2i") -> str | None:
        """A message for the caller, or None when this backend has no particular reason."""
        ...
