"""Media on local disk under `<data_dir>/images/<token[:2]>/<token>.<ext>`."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from limner.errors import NotFound
from limner.fileperms import make_private_dirs
from limner.storage.base import (
    EXTENSIONS,
    StoredImage,
    StoredObjectInfo,
    parse_object_name,
    validate_token,
)


class LocalImageStore:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        make_private_dirs(self.root)  # the data dir, when this is the first to need it

    def path_for(self, token: str, media_type: str) -> Path:
        validate_token(token)
        path = (self.root / token[:2] / f"{token}.{EXTENSIONS[media_type]}").resolve()
        # belt and braces: the token pattern already rules out traversal
        if self.root not in path.parents:
            raise NotFound("No such image.")
        return path

    def put(self, token: str, data: bytes, media_type: str) -> None:
        path = self.path_for(token, media_type)
        path.parent.mkdir(parents=True, exist_ok=True)
        # write then rename, so a reader never sees half an image
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, token: str, media_type: str) -> StoredImage:
        path = self.path_for(token, media_type)
        try:
            return StoredImage(path.read_bytes(), media_type)
        except FileNotFoundError as exc:
            raise NotFound("No such image.") from exc

    def delete(self, token: str, media_type: str) -> None:
        self.path_for(token, media_type).unlink(missing_ok=True)

    def list_objects(self) -> Iterator[StoredObjectInfo]:
        for path in self.root.glob("*/*"):
            parsed = parse_object_name(path.name)
            if parsed is None or parsed[0][:2] != path.parent.name:
                continue
            try:
                modified = path.stat().st_mtime
            except FileNotFoundError:  # deleted while we listed
                continue
            yield StoredObjectInfo(
                token=parsed[0],
                media_type=parsed[1],
                modified_at=datetime.fromtimestamp(modified, UTC),
            )

    def remove_partial_writes(self, older_than: datetime) -> int:
        """Delete temporary files of writes a crash interrupted (before their rename)."""
        removed = 0
        for path in self.root.glob("*/.tmp-*"):
            try:
                if datetime.fromtimestamp(path.stat().st_mtime, UTC) < older_than:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        return removed

    def check(self) -> bool:
        return os.access(self.root, os.W_OK)
