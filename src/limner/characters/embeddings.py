"""The per-character cache of what a model computes once from the references (IP-Adapter image
embeddings, the placeholder's palette), kept in the database so every process and every later
request reuses it; deleting the character deletes it (`CharacterStore.delete`)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from limner.clock import utcnow
from limner.db.engine import Database
from limner.db.tables import Character, CharacterEmbedding

__all__ = ["StoredEmbeddings"]


class StoredEmbeddings:
    """An `EmbeddingCache` (`limner.backends.base`) for one character."""

    def __init__(self, database: Database, character_id: str) -> None:
        self.database = database
        self.character_id = character_id

    def load(self, model_key: str) -> bytes | None:
        with self.database.read() as session:
            return session.scalar(
                select(CharacterEmbedding.data).where(
                    CharacterEmbedding.character_id == self.character_id,
                    CharacterEmbedding.model_key == model_key,
                )
            )

    def store(self, model_key: str, data: bytes) -> None:
        try:
            with self.database.transaction() as session:
                if session.get(Character, self.character_id) is None:
                    return  # deleted meanwhile: nothing of it is kept
                session.add(
                    CharacterEmbedding(
                        character_id=self.character_id,
                        model_key=model_key,
                        data=data,
                        created_at=utcnow(),
                    )
                )
        except IntegrityError:
            # two first uses at once computed the same thing (the first one stays), or the
            # character was deleted meanwhile (then nothing should be kept)
            return
