"""The image store interface. Images are named only by server-made tokens, never by user input."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from limner.errors import NotFound

TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg"}


@dataclass(frozen=True)
class StoredImage:
    data: bytes
    media_type: str


def validate_token(token: str) -> str:
    """Refuse anything that is not exactly a token we could have made (no dots, no slashes)."""
    if not TOKEN_PATTERN.fullmatch(token):
        raise NotFound("No such image.")
    return token


class ImageStore(Protocol):
    def put(self, token: str, data: bytes, media_type: str) -> None: ...

    def get(self, token: str, media_type: str) -> StoredImage: ...

    def delete(self, token: str, media_type: str) -> None: ...

    def check(self) -> bool:
        """True when the store can be written (for /readyz)."""
        ...
