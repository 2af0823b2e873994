"""Errors the provenance package raises; all sit under `LimnerError`.

LimnerError
├── ValidationFailed
│   └── InvalidGenerationId      a generation id that is not `gen_` + 16 base32 chars
└── GenerationFailed
    └── ProvenanceError          stamping could not finish; the image must not be released
        └── WatermarkNotReadable the stamped output did not decode back to its own id
"""

from __future__ import annotations

from limner.errors import GenerationFailed, ValidationFailed


class InvalidGenerationId(ValidationFailed):
    """The generation id does not look like `gen_` followed by 16 lowercase base32 characters."""

    def __init__(self, value: str) -> None:
        super().__init__(
            "generation_id",
            f"`generation_id` must be 'gen_' + 16 lowercase base32 characters but is {value!r}",
        )


class ProvenanceError(GenerationFailed):
    """Provenance could not be attached; the image is withheld rather than released unmarked."""

    default_message = "The image could not be marked as AI-generated."


class WatermarkNotReadable(ProvenanceError):
    """The invisible watermark did not read back from the stamped bytes."""

    default_message = "The invisible watermark did not read back from the stamped image."
