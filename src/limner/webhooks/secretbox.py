"""Webhook signing secrets at rest: sealed with a Fernet key kept in the protected key folder.

Signing needs the secret itself (HMAC), so it cannot be stored as a hash; it is stored sealed
(`fernet:<token>`), and the key lives beside the provenance signing key
(`LIMNER_PROVENANCE_KEY_DIR`, default `<data dir>/keys`, mode 0700, the key file 0600), not in the
database. A copy of the
database alone, a backup or a read replica, then reveals no secret. Rows written before sealing
existed are sealed when a process starts (`seal_plaintext_rows`).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select
from sqlalchemy.orm import Session

from limner.db.tables import WebhookSecret
from limner.errors import ConfigurationError
from limner.fileperms import make_private_dirs

KEY_FILE = "webhook-secrets.key"
PREFIX = "fernet:"


class SecretBox:
    """Seals and opens stored webhook secrets with one key."""

    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    @classmethod
    def load_or_create(cls, key_dir: Path) -> SecretBox:
        """The key in `key_dir`, made on first start (processes racing to it agree on one)."""
        path = key_dir / KEY_FILE
        if not path.exists():
            make_private_dirs(key_dir)
            _create_once(path, Fernet.generate_key())
        try:
            return cls(path.read_bytes().strip())
        except ValueError as exc:
            raise ConfigurationError(f"{path} is not a Fernet key") from exc

    def seal(self, secret: str) -> str:
        return PREFIX + self._fernet.encrypt(secret.encode()).decode()

    def open(self, stored: str) -> str:
        if not stored.startswith(PREFIX):
            return stored  # written before sealing; sealed at the next start
        try:
            return self._fernet.decrypt(stored.removeprefix(PREFIX)).decode()
        except InvalidToken as exc:
            raise ConfigurationError(
                f"a webhook secret cannot be opened with {KEY_FILE}: was the key folder replaced? "
                "Restore it, or rotate the secrets (limner webhooks secret --rotate)."
            ) from exc


def seal_plaintext_rows(*, session: Session, box: SecretBox) -> int:
    """Seal secrets stored before sealing existed; returns how many were sealed."""
    rows = session.scalars(
        select(WebhookSecret).where(WebhookSecret.secret.not_like(f"{PREFIX}%"))
    ).all()
    for row in rows:
        row.secret = box.seal(row.secret)
    return len(rows)


def _create_once(path: Path, key: bytes) -> None:
    """Write `key` to `path` unless it exists: written whole under a private name, then linked
    into place, so no process ever reads a half-written key."""
    draft = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(key)
        with contextlib.suppress(FileExistsError):  # another process made it first: use theirs
            os.link(draft, path)
    finally:
        draft.unlink()
