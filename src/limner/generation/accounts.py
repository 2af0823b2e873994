"""The authenticated caller, as the engine needs it (no HTTP here: `api.deps` builds it)."""

from __future__ import annotations

from dataclasses import dataclass

from limner.db.tables import Account

__all__ = ["AccountRef", "account_ref"]


@dataclass(frozen=True)
class AccountRef:
    """The authenticated caller, as the service needs it."""

    id: int
    key_prefix: str
    plan: str
    #: every output this key gets is screened for nudity
    sfw_only: bool = False
    #: false for a test key: the placeholder backend, no credits, its own rate limit
    livemode: bool = True


def account_ref(account: Account) -> AccountRef:
    return AccountRef(
        id=account.id,
        key_prefix=account.key_prefix,
        plan=account.plan,
        sfw_only=account.sfw_only,
        livemode=account.livemode is not False,  # None on a row not yet flushed: live
    )
