"""What is running in this process right now: each generation's context (to cancel it) and its
latest progress (for `GET /generations/{id}` and the event stream). Memory only: progress is
ephemeral by nature; the durable state is the generation row."""

from __future__ import annotations

import base64
import io
import threading
from dataclasses import dataclass, replace

from PIL import Image

from limner.backends.base import GenerationContext

#: previews are small: a progress event carries one inline
PREVIEW_MAX_PX = 256
PREVIEW_JPEG_QUALITY = 70


@dataclass(frozen=True)
class Progress:
    #: 0-based index of the image being made, of `images`
    image: int
    images: int
    #: the backend's step, of `total` (0 of 0 before the first report)
    step: int
    total: int
    #: the latest preview of the image being made, as a `data:image/jpeg;base64,` URL
    preview: str | None = None
    #: "generating" (denoising steps), or "encoding" (a video: seconds encoded, of all)
    stage: str = "generating"


class LiveBoard:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._contexts: dict[str, GenerationContext] = {}
        self._progress: dict[str, Progress] = {}
        self._previewed: set[str] = set()

    def start(
        self,
        generation_id: str,
        context: GenerationContext,
        *,
        images: int,
        previews: bool = False,
    ) -> None:
        """Track a generation; with `previews`, its backend is asked for progress previews."""
        with self._lock:
            self._contexts[generation_id] = context
            self._progress[generation_id] = Progress(0, images, 0, 0)
            if previews:
                self._previewed.add(generation_id)

    def image_context(
        self, generation_id: str, context: GenerationContext, index: int
    ) -> GenerationContext:
        """A context for one image of the generation: same cancel switch, progress recorded."""

        def report(step: int, total: int) -> None:
            with self._lock:
                current = self._progress.get(generation_id)
                if current is not None:
                    self._progress[generation_id] = replace(
                        current, image=index, step=step, total=total, stage="generating"
                    )
            if context.on_progress is not None:
                context.on_progress(step, total)

        def preview(image: Image.Image) -> None:
            url = preview_data_url(image)
            with self._lock:
                current = self._progress.get(generation_id)
                if current is not None and current.image == index:
                    self._progress[generation_id] = replace(current, preview=url)

        with self._lock:
            current = self._progress.get(generation_id)
            if current is not None:
                self._progress[generation_id] = Progress(index, current.images, 0, 0)
            wanted = generation_id in self._previewed
        return GenerationContext(
            on_progress=report,
            cancel_event=context.cancel_event,
            on_preview=preview if wanted else None,
        )

    def encoding(self, generation_id: str, seconds: int, total: int) -> None:
        """A video's encoding progress: `seconds` of `total` encoded (and stamped)."""
        with self._lock:
            current = self._progress.get(generation_id)
            if current is not None:
                self._progress[generation_id] = replace(
                    current, step=seconds, total=total, stage="encoding", preview=None
                )

    def finish(self, generation_id: str) -> None:
        with self._lock:
            self._contexts.pop(generation_id, None)
            self._progress.pop(generation_id, None)
            self._previewed.discard(generation_id)

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


def preview_data_url(image: Image.Image) -> str:
    """A small JPEG of `image` as a data URL (at most `PREVIEW_MAX_PX` on the longer side)."""
    small = image.convert("RGB")
    small.thumbnail((PREVIEW_MAX_PX, PREVIEW_MAX_PX))
    buffer = io.BytesIO()
    small.save(buffer, format="JPEG", quality=PREVIEW_JPEG_QUALITY)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
