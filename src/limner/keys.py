"""API keys: issue, hash, verify, revoke.

A key looks like `lmn_<8 hex id>_<43 url-safe secret>`. The `lmn_<id>` prefix is stored in clear
to find the account and to show in listings; the whole key is stored only as its SHA-256 (keys
are 256-bit random, so a slow hash adds nothing) and compared in constant time.

A test key (`test=True`, Stripe's test mode) has the same shape; its account row says
`livemode = false`, which makes its requests use the placeholder backend and never charge it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from limner.clock import utcnow
from limner.db.tables import Account
from limner.errors import InvalidApiKey, NotFound, ValidationFailed

KEY_PATTERN = re.compile(r"^(lmn_[0-9a-f]{8})_[A-Za-z0-9_-]{43}$")
PLANS = ("free", "pro")


@dataclass(frozen=True)
class IssuedKey:
    account_id: int
    key: str
    prefix: str


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(
    *,
    session: Session,
    plan: str = "free",
    name: str = "",
    sfw_only: bool = False,
    test: bool = False,
) -> IssuedKey:
    """Create an account with a new key. The clear key is returned once and never stored.
    A `test` key gets placeholder images and is never charged (its plan sets its allowance
    shown and nothing else)."""
    if plan not in PLANS:
        raise ValidationFailed("plan", f"plan must be one of {', '.join(PLANS)}")
    while True:
        prefix = "lmn_" + secrets.token_hex(4)
        if session.scalar(select(Account.id).where(Account.key_prefix == prefix)) is None:
            break
    key = f"{prefix}_{secrets.token_urlsafe(32)}"
    account = Account(
        key_prefix=prefix,
        key_hash=hash_key(key),
        name=name,
        plan=plan,
        created_at=utcnow(),
        daily_remaining=0,
        granted_balance=0,
        sfw_only=sfw_only,
        livemode=not test,
    )
    session.add(account)
    session.flush()
    return IssuedKey(account_id=account.id, key=key, prefix=prefix)


def authenticate(*, session: Session, key: str) -> Account:
    """The active account for `key`, or `InvalidApiKey`. Constant-time on the secret part."""
    match = KEY_PATTERN.match(key)
    # Hash even when the shape is wrong, so timing does not tell shapes apart.
    presented = hash_key(key)
    if match is None:
        raise InvalidApiKey()
    account = session.scalar(select(Account).where(Account.key_prefix == match.group(1)))
    stored = account.key_hash if account is not None else hash_key("")
    if not hmac.compare_digest(presented, stored) or account is None:
        raise InvalidApiKey()
    if account.revoked_at is not None:
        raise InvalidApiKey()
    return account


def find_account(*, session: Session, prefix_or_id: str) -> Account:
    """Look an account up by key prefix (`lmn_ab12cd34`) or numeric id, for operator commands."""
    if prefix_or_id.isdigit():
        account = session.get(Account, int(prefix_or_id))
    else:
        prefix = prefix_or_id[:12]
        account = session.scalar(select(Account).where(Account.key_prefix == prefix))
    if account is None:
        raise NotFound(f"No key {prefix_or_id!r}.")
    return account


def revoke_key(*, session: Session, prefix_or_id: str) -> Account:
    account = find_account(session=session, prefix_or_id=prefix_or_id)
    if account.revoked_at is None:
        account.revoked_at = utcnow()
    return account


def list_accounts(*, session: Session) -> list[Account]:
    return list(session.scalars(select(Account).order_by(Account.id)))


def set_sfw_only(*, session: Session, prefix_or_id: str, sfw_only: bool) -> Account:
    """Mark a key SFW-only (every output it gets is screened for nudity), or clear the mark."""
    account = find_account(session=session, prefix_or_id=prefix_or_id)
    account.sfw_only = sfw_only
    return account
