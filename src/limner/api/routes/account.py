"""`GET /api/v1/account`: the caller's plan and credits."""

from __future__ import annotations

from fastapi import APIRouter

from limner import ledger
from limner.api.deps import ContextDep, ReadingCaller
from limner.api.errors import error_responses
from limner.api.schemas import AccountPublic
from limner.clock import isoformat_z
from limner.db.tables import Account

router = APIRouter(prefix="/api/v1", tags=["account"])


@router.get("/account", response_model=AccountPublic, responses=error_responses(401, 429))
def get_account(caller: ReadingCaller, context: ContextDep) -> AccountPublic:
    with context.database.read() as session:
        account = session.get(Account, caller.id)
        assert account is not None
        balance = ledger.balance(
            account=account, allowance=context.settings.daily_allowance(account.plan)
        )
        return AccountPublic(
            key_prefix=account.key_prefix,
            name=account.name,
            plan=account.plan,
            credits_available=balance.available,
            daily_allowance=balance.daily_allowance,
            daily_credits_remaining=balance.daily_remaining,
            granted_credits=balance.granted,
            resets_at=isoformat_z(balance.resets_at),
            livemode=caller.livemode,
        )
