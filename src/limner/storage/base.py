"""The media store interface. Objects are named only by server-made tokens, never by user input.

Each object is stored under its token and the extension of its MIME type, so a listing of the
store says both (the sweep in `limner.media.sweep` reads it to find objects no row owns).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from limner.errors import NotFound

TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")
#: every MIME type the store keeps, and the file extension it is stored (and served) under
EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/webp": "webp",
    "video/mp4": "mp4",
}
MEDIA_TYPES = {extension: media_type for media_type, extension in EXTENSIONS.items()}


@dataclass(frozen=True)
class StoredImage:
    data: bytes
    media_type: str


@dataclass(frozen=True)
class StoredObjectInfo:
    """One object found by a listing: enough to decide whether the sweep may remove it."""

    token: str
    media_type: str
    modified_at: datetime


def parse_object_name(name: str) -> tuple[str, str] | None:
    """`<token>.<ext>` -> (token, media type); None for anything the store did not write."""
    token, _, extension = name.rpartition(".")
    media_type = MEDIA_TYPES.get(extension)
    if media_type is None or not TOKEN_PATTERN.fullmatch(token):
        return None
    return token, media_type


def validate_token(token: str) -> str:
    """Refuse anything that is not exactly a token we could have made (no dots, no slashes)."""
    if not TOKEN_PATTERN.fullmatch(token):
        raise NotFound("No such image.")
    return token


class ImageStore(Protocol):
    def put(self, token: str, data: bytes, media_type: str) -> None: ...

    def get(self, token: str, media_type: str) -> StoredImage: ...

    def delete(self, token: str, media_type: str) -> None: ...

    def list_objects(self) -> Iterator[StoredObjectInfo]:
        """Every stored object (any order); files the store did not write are skipped."""
        ...

    def check(self) -> bool:
        """True when the store can be written (for /readyz)."""
        ...
