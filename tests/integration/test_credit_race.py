"""Many concurrent requests on a key with few credits, over real HTTP to a real server."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

from limner import keys, ledger
from limner.api import create_app
from tests.support.live_server import running


def test_concurrent_requests_never_overspend(settings_factory) -> None:
    settings = settings_factory(
        free_daily_credits=0,
        rate_limit_free="1000/minute",
        generation_workers=4,
        generation_queue_size=64,
        placeholder_delay_s=0.05,
    )
    app = create_app(settings)
    with app.state.limner.database.transaction() as session:
        issued = keys.create_key(session=session)
        ledger.grant(session=session, account_id=issued.account_id, amount=7)
    headers = {"Authorization": f"Bearer {issued.key}"}

    with running(app) as base_url:

        def one(index: int) -> int:
            quality = "hires" if index % 3 == 0 else "fast"
            body = {"prompt": f"a lighthouse at dusk, take {index}", "quality": quality}
            response = httpx.post(
                f"{base_url}/api/v1/generate", json=body, headers=headers, timeout=60
            )
            assert response.status_code in (200, 402), response.text
            return response.json()["credits_used"] if response.status_code == 200 else 0

        with ThreadPoolExecutor(max_workers=16) as pool:
            spent = list(pool.map(one, range(30)))
        final = httpx.get(f"{base_url}/api/v1/account", headers=headers).json()

    # fast costs 1 and hires 2, so with 7 credits every last credit can be spent
    assert sum(spent) == 7
    assert final["credits_available"] == 0
    with app.state.limner.database.transaction() as session:
        result = ledger.audit(session=session, account_id=issued.account_id)
        assert result.consistent
        assert result.granted_balance == 0
        assert result.open_reservations == 0
