"""Media references: what a request's `image`, `mask` or a character's references may name.

- `upl_...`: one of the key's own uploads, not expired;
- `gen_...` or `gen_...#2`: one of the key's own completed generations (its first image, or the
  numbered one, counting from 1);
- `data:image/png;base64,...` (or jpeg, webp): inline, within the upload limits;
- `https://...`: fetched through the outbound guard (`limner.media.fetch`).

A reference that is unknown, expired or another key's is one and the same `validation_error` on
the field, so an answer never tells whether someone else's upload or generation exists.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import ssl
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from PIL import Image
from sqlalchemy import select

from limner.config import Settings
from limner.db.engine import Database
from limner.db.tables import Generation, GenerationImage
from limner.errors import NotFound, PayloadTooLarge, ValidationFailed
from limner.media._decode import MediaLimits, clean_image, decode_picture
from limner.media.fetch import MediaFetcher
from limner.media.uploads import find_upload
from limner.storage.base import ImageStore
from limner.webhooks.ssrf import any_address, is_public

GENERATION_REF = re.compile(r"^(gen_[a-z0-9]{1,36})(?:#([1-9][0-9]?))?$")
DATA_URL = re.compile(r"^data:(image/(?:png|jpeg|webp));base64,(.*)$", re.DOTALL)


class RefSource(StrEnum):
    upload = "upload"  #: `upl_...`
    generation = "generation"  #: `gen_...`, this server's own output
    data = "data"  #: `data:image/...;base64,`
    url = "url"  #: `https://...`


@dataclass(frozen=True)
class InputImage:
    """A resolved reference: the picture, ready for a backend, and where it came from."""

    image: Image.Image
    #: the stored or cleaned encoding (hash it, verify its provenance, record it as ingredient)
    data: bytes
    media_type: str
    sha256: str
    source: RefSource
    #: the upload or generation id; None for data: and https: references
    ref_id: str | None = None

    @property
    def user_supplied(self) -> bool:
        """A picture from outside this server (everything but `gen_...`), for the safety rules
        that keep user pictures away from the adult style."""
        return self.source is not RefSource.generation


@dataclass(frozen=True)
class MediaSources:
    """Where references are looked up, built once from settings."""

    database: Database
    store: ImageStore
    limits: MediaLimits
    fetcher: MediaFetcher

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        database: Database,
        store: ImageStore,
        limits: MediaLimits | None = None,
    ) -> MediaSources:
        """`limits`: the process's one `MediaLimits` (its decode gate is shared); built from
        `settings` when not given."""
        return cls(
            database=database,
            store=store,
            limits=limits or MediaLimits.from_settings(settings),
            fetcher=MediaFetcher(
                timeout_s=settings.media_fetch_timeout_s,
                max_bytes=settings.max_upload_bytes,
                allowed=any_address if settings.media_fetch_allow_private else is_public,
                verify=_trusted(settings.media_fetch_ca_file),
            ),
        )


def _trusted(ca_file: Path | None) -> ssl.SSLContext | bool:
    """The operator's CA bundle (an intranet's own CA), else the default trust store."""
    return True if ca_file is None else ssl.create_default_context(cafile=str(ca_file))


class _Owner(Protocol):
    @property
    def id(self) -> int: ...


class MediaResolver:
    """`resolve_media_ref` in the shape of an image resolver callable, for wiring into the
    generation engine: `resolver(reference, field=..., account=...)` answers the picture."""

    def __init__(self, sources: MediaSources) -> None:
        self.sources = sources

    def __call__(self, reference: str, *, field: str, account: _Owner) -> Image.Image:
        return self.resolve(reference, field=field, account=account).image

    def resolve(self, reference: str, *, field: str, account: _Owner) -> InputImage:
        """The picture with its origin (`InputImage.user_supplied` for the safety rules)."""
        return resolve_media_ref(reference, owner=account.id, field=field, sources=self.sources)


def source_of(ref: object) -> RefSource | None:
    """Where a reference would come from, read from its form alone (nothing is fetched or looked
    up), so a rule can refuse a user's picture before the server touches it; None if malformed."""
    if not isinstance(ref, str):
        return None
    for prefix, source in _PREFIXES:
        if ref.startswith(prefix):
            return source
    return None


_PREFIXES = (
    ("upl_", RefSource.upload),
    ("gen_", RefSource.generation),
    ("data:", RefSource.data),
    ("https://", RefSource.url),
)


def resolve_media_ref(ref: str, *, owner: int, field: str, sources: MediaSources) -> InputImage:
    """The picture `ref` names for the key `owner` (an account id), or `ValidationFailed` on
    `field` (`PayloadTooLarge` for an inline picture past the byte limit)."""
    if not isinstance(ref, str) or not ref:
        raise ValidationFailed(field, f"{field}: expected a media reference string")
    if ref.startswith("upl_"):
        return _upload(ref, owner=owner, field=field, sources=sources)
    if ref.startswith("gen_"):
        return _generation(ref, owner=owner, field=field, sources=sources)
    if ref.startswith("data:"):
        return _data_url(ref, field=field, sources=sources)
    if ref.startswith("https://"):
        data = sources.fetcher.fetch(ref, field=field)
        return _cleaned(data, RefSource.url, None, field=field, limits=sources.limits)
    raise ValidationFailed(
        field,
        f"{field}: expected an upload id (upl_...), a generation id (gen_...), "
        "a data:image/...;base64, URL or an https:// URL",
    )


def _not_yours(field: str) -> ValidationFailed:
    # the same words for unknown, expired and another key's references
    return ValidationFailed(field, f"{field}: no such upload or generation for this key")


def _upload(ref: str, *, owner: int, field: str, sources: MediaSources) -> InputImage:
    with sources.database.read() as session:
        try:
            row = find_upload(session=session, account_id=owner, upload_id=ref)
        except NotFound as exc:
            raise _not_yours(field) from exc
        token, media_type, sha256 = row.token, row.media_type, row.sha256
    data = _stored(sources, token, media_type, field)
    return InputImage(
        image=_decoded(data, sources.limits, field),
        data=data,
        media_type=media_type,
        sha256=sha256,
        source=RefSource.upload,
        ref_id=ref,
    )


def _generation(ref: str, *, owner: int, field: str, sources: MediaSources) -> InputImage:
    match = GENERATION_REF.fullmatch(ref)
    if match is None:
        raise _not_yours(field)
    generation_id, number = match.group(1), int(match.group(2) or 1)
    with sources.database.read() as session:
        generation = session.get(Generation, generation_id)
        if generation is None or generation.account_id != owner:
            raise _not_yours(field)
        if generation.status != "completed":
            raise _not_yours(field)
        image = session.scalar(
            select(GenerationImage).where(
                GenerationImage.generation_id == generation_id,
                GenerationImage.position == number - 1,
            )
        )
        if image is not None:
            token, media_type = image.token, image.media_type
        elif number == 1 and generation.image_token and generation.image_media_type:
            token, media_type = generation.image_token, generation.image_media_type
        else:
            raise _not_yours(field)
    data = _stored(sources, token, media_type, field)
    return InputImage(
        image=_decoded(data, sources.limits, field),
        data=data,
        media_type=media_type,
        sha256=hashlib.sha256(data).hexdigest(),
        source=RefSource.generation,
        ref_id=ref,
    )


def _data_url(ref: str, *, field: str, sources: MediaSources) -> InputImage:
    match = DATA_URL.fullmatch(ref)
    if match is None:
        raise ValidationFailed(
            field, f"{field}: a data URL must be data:image/png|jpeg|webp;base64,..."
        )
    payload = match.group(2)
    # refuse before decoding: base64 is 4 characters per 3 bytes
    if len(payload) // 4 * 3 > sources.limits.max_bytes + 3:
        raise PayloadTooLarge(sources.limits.max_bytes)
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationFailed(field, f"{field}: the data URL is not valid base64") from exc
    return _cleaned(data, RefSource.data, None, field=field, limits=sources.limits)


def _cleaned(
    data: bytes, source: RefSource, ref_id: str | None, *, field: str, limits: MediaLimits
) -> InputImage:
    clean = clean_image(data, limits=limits, field=field)
    return InputImage(
        image=clean.image,
        data=clean.data,
        media_type=clean.media_type,
        sha256=clean.sha256,
        source=source,
        ref_id=ref_id,
    )


def _stored(sources: MediaSources, token: str, media_type: str, field: str) -> bytes:
    try:
        return sources.store.get(token, media_type).data
    except NotFound as exc:  # the row outlived its bytes: as good as gone
        raise _not_yours(field) from exc


def _decoded(data: bytes, limits: MediaLimits, field: str) -> Image.Image:
    """Our own stored bytes (cleaned uploads, stamped outputs), held to the same shape limits
    as any input: an upload stored before a limit was tightened is refused, not resized to."""
    with limits.gate.held():
        return decode_picture(data, limits=limits, field=field)
