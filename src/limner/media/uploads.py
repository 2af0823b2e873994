"""Uploads: a key's input pictures, cleaned, stored and kept until they expire.

The bytes are stored first and the row written after, so a crash in between leaves only a file no
row owns; the storage sweep (`limner.media.sweep`) removes it after its grace period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from limner.clock import utcnow
from limner.db.engine import Database
from limner.db.tables import MediaObject
from limner.errors import NotFound
from limner.ids import new_image_token, new_upload_id
from limner.media._decode import CleanImage, MediaLimits, clean_image
from limner.storage.base import ImageStore

UPLOAD = "upload"
OUTPUT = "output"


@dataclass(frozen=True)
class UploadInfo:
    """What a client sees of an upload (`{id, width, height, sha256, expires_at}`)."""

    id: str
    width: int
    height: int
    sha256: str
    media_type: str
    created_at: datetime
    expires_at: datetime

    @classmethod
    def of(cls, row: MediaObject) -> UploadInfo:
        assert row.expires_at is not None
        return cls(
            id=row.id,
            width=row.width,
            height=row.height,
            sha256=row.sha256,
            media_type=row.media_type,
            created_at=row.created_at,
            expires_at=row.expires_at,
        )


def create_upload(
    *,
    database: Database,
    store: ImageStore,
    account_id: int,
    data: bytes,
    limits: MediaLimits,
    ttl: timedelta,
    field: str = "file",
) -> UploadInfo:
    """Clean the picture, store it, record it for `account_id`. Raises `PayloadTooLarge` or
    `ValidationFailed` (on `field`) for a picture that is too big or not PNG/JPEG/WebP."""
    clean = clean_image(data, limits=limits, field=field)
    return store_clean_upload(
        database=database, store=store, account_id=account_id, clean=clean, ttl=ttl
    )


def store_clean_upload(
    *, database: Database, store: ImageStore, account_id: int, clean: CleanImage, ttl: timedelta
) -> UploadInfo:
    token = new_image_token()
    store.put(token, clean.data, clean.media_type)
    now = utcnow()
    row = MediaObject(
        id=new_upload_id(),
        account_id=account_id,
        kind=UPLOAD,
        token=token,
        media_type=clean.media_type,
        width=clean.width,
        height=clean.height,
        byte_size=len(clean.data),
        sha256=clean.sha256,
        created_at=now,
        expires_at=now + ttl,
    )
    with database.transaction() as session:
        session.add(row)
        session.flush()
        return UploadInfo.of(row)


def find_upload(
    *, session: Session, account_id: int, upload_id: str, now: datetime | None = None
) -> MediaObject:
    """The key's own, unexpired upload. Unknown, another key's and expired ids all raise the
    same `NotFound`, so an answer never hints that someone else's upload exists."""
    now = now or utcnow()
    row = session.scalar(
        select(MediaObject).where(MediaObject.id == upload_id, MediaObject.kind == UPLOAD)
    )
    if row is None or row.account_id != account_id or _expired(row, now):
        raise NotFound(f"No upload {upload_id!r}.")
    return row


def get_upload(*, database: Database, account_id: int, upload_id: str) -> UploadInfo:
    with database.read() as session:
        return UploadInfo.of(
            find_upload(session=session, account_id=account_id, upload_id=upload_id)
        )


def delete_upload(
    *, database: Database, store: ImageStore, account_id: int, upload_id: str
) -> None:
    """Forget the upload, then delete its bytes (a crash in between leaves a file the sweep
    removes; never a row without its file)."""
    with database.transaction() as session:
        row = find_upload(session=session, account_id=account_id, upload_id=upload_id)
        token, media_type = row.token, row.media_type
        session.delete(row)
    store.delete(token, media_type)


def _expired(row: MediaObject, now: datetime) -> bool:
    if row.expires_at is None:
        return False
    expires_at = row.expires_at
    if expires_at.tzinfo is None:  # SQLite hands back naive datetimes; they were stored as UTC
        expires_at = expires_at.replace(tzinfo=now.tzinfo)
    return expires_at <= now
