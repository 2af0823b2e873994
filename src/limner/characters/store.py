"""Characters: create (admit, copy the references into storage the character owns), list, read,
delete (its stored copies and embeddings, never the generations they came from), and `use`: the
`CharacterBook` the generation plan looks characters up through.

Ownership answers (studio spec): a read or delete of another key's id is `404` like an unknown
one; a `character_id` in a request that is unknown or another key's is `400 validation_error` on
`character_id`, worded the same either way. Bytes are stored before the rows that own them, so a
crash in between leaves files no row owns, which the storage sweep removes.
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

from PIL import Image
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from limner.backends.base import CharacterReferences
from limner.characters.embeddings import StoredEmbeddings
from limner.characters.model import CharacterCreate, CharacterInfo, StoredReference
from limner.clock import utcnow
from limner.db.engine import Database
from limner.db.paging import newest_first
from limner.db.tables import Character, CharacterEmbedding, MediaObject
from limner.domain.requests import CHARACTER_ID_PATTERN, MAX_SEED, parse_model
from limner.domain.styles import Style
from limner.errors import ContentBlocked, NotFound, ValidationFailed
from limner.generation.accounts import AccountRef
from limner.generation.admission import InputAdmission
from limner.generation.characters import FIELD, CharacterUse
from limner.generation.refusals import RefusalLog
from limner.ids import new_character_id, new_character_media_id, new_image_token
from limner.media import decode_picture
from limner.media.refs import InputImage, MediaResolver, RefSource
from limner.moderation.base import ModerationRequest, TextField, TextModerator
from limner.storage.base import ImageStore

__all__ = ["CHARACTER_MEDIA", "CharacterPage", "CharacterStore"]

#: `media_objects.kind` of a character's stored reference (kept as long as the character)
CHARACTER_MEDIA = "character"
_ID = re.compile(CHARACTER_ID_PATTERN)


@dataclass(frozen=True)
class CharacterPage:
    items: list[CharacterInfo]
    next_cursor: str | None


class CharacterStore:
    def __init__(
        self,
        *,
        database: Database,
        store: ImageStore,
        resolver: MediaResolver,
        moderator: TextModerator,
        admission: InputAdmission,
        refusals: RefusalLog,
    ) -> None:
        self.database = database
        self.store = store
        self.resolver = resolver
        self.moderator = moderator
        self.admission = admission
        self.refusals = refusals

    # -- the resource --------------------------------------------------------------------------

    def create(self, account: AccountRef, body: Any) -> CharacterInfo:
        """Validate (400), moderate (403, recorded), admit each reference through the one input
        gate (`generation.admission`: 403, recorded; 503 when screening cannot run), then store
        the copies and the character."""
        request = parse_model(CharacterCreate, body)
        style = request.style
        fields = [f"references.{index}" for index in range(len(request.references))]
        # the adult style's rule from the reference alone, before anything is fetched
        for field, reference in zip(fields, request.references, strict=True):
            self.admission.check_reference(reference, field=field, style=style, account=account)
        sexual = self._moderate(account, request)
        pictures: list[InputImage] = []
        for field, reference in zip(fields, request.references, strict=True):
            picture = self.resolver.resolve(reference, field=field, account=account)
            self.admission.admit(
                picture, field=field, style=style, sexual_prompt=sexual, account=account
            )
            pictures.append(picture)
        return self._store(account, request, pictures)

    def page(self, account: AccountRef, *, cursor: str | None, limit: int) -> CharacterPage:
        """Newest first; `cursor` is the last id of the previous page."""
        query = select(Character).where(Character.account_id == account.id)
        with self.database.read() as session:
            rows, next_cursor = newest_first(
                session, Character, query, account_id=account.id, cursor=cursor, limit=limit
            )
            items = [_info(row) for row in rows]
        return CharacterPage(items, next_cursor)

    def get(self, account: AccountRef, character_id: str) -> CharacterInfo:
        with self.database.read() as session:
            return _info(self._owned(session, account, character_id))

    def delete(self, account: AccountRef, character_id: str) -> None:
        """The character, its embeddings and its stored copies; the rows first, then the bytes
        (a crash in between leaves files no row owns, which the sweep removes)."""
        with self.database.transaction() as session:
            row = self._owned(session, account, character_id)
            media_ids = [StoredReference.of(ref).media_id for ref in row.refs]
            media = session.scalars(select(MediaObject).where(MediaObject.id.in_(media_ids))).all()
            doomed = [(each.token, each.media_type) for each in media]
            session.execute(
                delete(CharacterEmbedding).where(CharacterEmbedding.character_id == row.id)
            )
            for each in media:
                session.delete(each)
            session.delete(row)
        for token, media_type in doomed:
            self.store.delete(token, media_type)

    # -- for the generation plan ---------------------------------------------------------------

    def use(self, character_id: object, *, account: AccountRef) -> CharacterUse:
        """The `CharacterBook`: the key's character for a request, or 400 on `character_id`."""
        unknown = ValidationFailed(FIELD, f"{FIELD}: no such character for this key")
        if not isinstance(character_id, str) or not _ID.fullmatch(character_id):
            raise unknown
        with self.database.read() as session:
            row = session.get(Character, character_id)
            if row is None or row.account_id != account.id:
                raise unknown
            info = _info(row)
            seed = row.seed
            tokens = self._tokens(session, info.references)
        digest = hashlib.sha256(
            "\n".join(ref.sha256 for ref in info.references).encode()
        ).hexdigest()
        return CharacterUse(
            id=info.id,
            name=info.name,
            style=info.style,
            description=info.description,
            appearance=info.appearance,
            seed=seed,
            references=CharacterReferences(
                character_id=info.id,
                digest=digest,
                load_images=lambda: tuple(self._load(token, media) for token, media in tokens),
                embeddings=StoredEmbeddings(self.database, info.id),
            ),
            user_pictures=any(ref.source != RefSource.generation.value for ref in info.references),
            reference_files=functools.cache(
                lambda: tuple((self.store.get(token, media).data, media) for token, media in tokens)
            ),
        )

    # -- internals -----------------------------------------------------------------------------

    def _moderate(self, account: AccountRef, request: CharacterCreate) -> bool:
        """Moderate the character's text (403, recorded); whether it is sexual (which makes the
        screening of its references stricter)."""
        fields = []
        if request.description is not None:
            fields.append(TextField("description", request.description))
        if request.appearance is not None:
            fields += [
                TextField(f"appearance.{name}", value)
                for name, value in request.appearance.free_text_fields().items()
            ]
        if not fields:
            return False
        verdict = self.moderator.check(
            ModerationRequest(
                style=request.style,
                fields=tuple(fields),
                has_image_input=request.style is not Style.nude,
            )
        )
        if not verdict.allowed:
            field = verdict.field or "description"
            rule = verdict.rule or "blocked"
            self.refusals.record(account, field, rule, request.style.value)
            raise ContentBlocked(field=field, rule=rule, message=verdict.message)
        return verdict.sexual

    def _store(
        self, account: AccountRef, request: CharacterCreate, pictures: list[InputImage]
    ) -> CharacterInfo:
        now = utcnow()
        stored: list[tuple[StoredReference, MediaObject]] = []
        for picture in pictures:
            token = new_image_token()
            self.store.put(token, picture.data, picture.media_type)
            width, height = picture.image.size
            reference = StoredReference(
                media_id=new_character_media_id(),
                sha256=picture.sha256,
                width=width,
                height=height,
                source=picture.source.value,
                generation_id=picture.ref_id if picture.source is RefSource.generation else None,
            )
            row = MediaObject(
                id=reference.media_id,
                account_id=account.id,
                kind=CHARACTER_MEDIA,
                token=token,
                media_type=picture.media_type,
                width=width,
                height=height,
                byte_size=len(picture.data),
                sha256=picture.sha256,
                created_at=now,
                expires_at=None,  # uploads expire; a character's copies live as long as it does
            )
            stored.append((reference, row))
        character = Character(
            id=new_character_id(),
            account_id=account.id,
            name=request.name,
            style=request.style.value,
            description=request.description,
            appearance=request.appearance.model_dump(exclude_none=True)
            if request.appearance is not None
            else None,
            seed=secrets.randbelow(MAX_SEED + 1),
            refs=[reference.as_json() for reference, _row in stored],
            created_at=now,
        )
        with self.database.transaction() as session:
            for _reference, row in stored:
                session.add(row)
            session.add(character)
            session.flush()
            return _info(character)

    def _owned(self, session: Session, account: AccountRef, character_id: str) -> Character:
        row = session.get(Character, character_id)
        if row is None or row.account_id != account.id:
            raise NotFound(f"No character {character_id!r}.")
        return row

    @staticmethod
    def _tokens(session: Session, references: tuple[StoredReference, ...]) -> list[tuple[str, str]]:
        ids = [ref.media_id for ref in references]
        rows = {
            row.id: (row.token, row.media_type)
            for row in session.scalars(select(MediaObject).where(MediaObject.id.in_(ids)))
        }
        return [rows[media_id] for media_id in ids if media_id in rows]

    def _load(self, token: str, media_type: str) -> Image.Image:
        data = self.store.get(token, media_type).data
        # stored cleaned references: held to the shape limits all the same (one rule per door)
        limits = self.resolver.sources.limits
        with limits.gate.held():
            return decode_picture(data, limits=limits, field=FIELD).convert("RGB")


def _info(row: Character) -> CharacterInfo:
    return CharacterInfo(
        id=row.id,
        name=row.name,
        style=Style(row.style),
        description=row.description,
        appearance=dict(row.appearance) if row.appearance else None,
        references=tuple(StoredReference.of(ref) for ref in row.refs),
        created_at=row.created_at,
    )
