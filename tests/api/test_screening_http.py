"""Image screening through the HTTP API, with the production wiring (`create_app` from settings).

The refusal paths plug stand-in models in through the same settings an operator uses
(`LIMNER_SCREENING_*=module:factory`); the real models run on a placeholder image at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from limner import keys, ledger
from limner.api import create_app
from limner.config import Settings
from limner.db.tables import Generation, ModerationEvent
from limner.screening import ScreeningPool
from tests.support.screening import MODULE

CREDITS = 10
REALISTIC = {"prompt": "a lighthouse on a cliff at dusk", "style": "realistic"}
ADULT = {
    "prompt": "a portrait by a window in soft morning light",
    "style": "nude",
    "appearance": {"age": 30},
}


@contextmanager
def running(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


def new_key(client: TestClient, *, sfw_only: bool = False) -> tuple[dict[str, str], int]:
    database = client.app.state.limner.database  # type: ignore[attr-defined]
    with database.transaction() as session:
        issued = keys.create_key(session=session, sfw_only=sfw_only)
        ledger.grant(session=session, account_id=issued.account_id, amount=CREDITS)
    return {"Authorization": f"Bearer {issued.key}"}, issued.account_id


def available(client: TestClient, headers: dict[str, str]) -> int:
    return int(client.get("/api/v1/account", headers=headers).json()["credits_available"])


def refusals(client: TestClient, account_id: int) -> list[tuple[str, str]]:
    database = client.app.state.limner.database  # type: ignore[attr-defined]
    with database.read() as session:
        events = session.scalars(
            select(ModerationEvent).where(ModerationEvent.account_id == account_id)
        )
        return [(event.field, event.rule) for event in events]


def stored_images(settings: Settings) -> list[str]:
    folder = settings.images_dir
    return [p.name for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def assert_refused_free_and_unstored(
    client: TestClient,
    settings: Settings,
    headers: dict[str, str],
    account_id: int,
    body: dict[str, Any],
    rule: str,
) -> None:
    before = available(client, headers)
    images_before = stored_images(settings)
    response = client.post("/api/v1/generate", json=body, headers=headers)
    assert response.status_code == 403, response.text
    assert response.json()["error"] == "content_blocked"
    assert response.json()["field"] == "image"
    assert available(client, headers) == before
    assert stored_images(settings) == images_before
    assert refusals(client, account_id)[-1] == ("image", rule)
    database = client.app.state.limner.database  # type: ignore[attr-defined]
    with database.read() as session:
        generation = session.scalars(
            select(Generation).where(Generation.account_id == account_id)
        ).one()
        assert generation.image_token is None
        assert generation.credits_used == 0


def test_an_sfw_only_key_gets_no_flagged_output_and_pays_nothing(
    settings_factory: Callable[..., Settings],
) -> None:
    settings = settings_factory(
        free_daily_credits=0, screening_nudity_detector=f"{MODULE}:flags_nudity"
    )
    with running(settings) as client:
        headers, account_id = new_key(client, sfw_only=True)
        assert_refused_free_and_unstored(
            client, settings, headers, account_id, REALISTIC, "output_nudity"
        )
        # an ordinary key's text-only job is screened too, but nudity alone does not refuse it
        # (the age cascade that follows finds no face on the placeholder picture)
        plain, _ = new_key(client)
        response = client.post("/api/v1/generate", json=REALISTIC, headers=plain)
        assert response.status_code == 200, response.text


def test_an_sfw_only_key_passes_when_the_detector_finds_nothing(
    settings_factory: Callable[..., Settings],
) -> None:
    with running(
        settings_factory(free_daily_credits=0)
    ) as client:  # the real nudity model, on a placeholder image
        headers, _ = new_key(client, sfw_only=True)
        response = client.post("/api/v1/generate", json=REALISTIC, headers=headers)
        assert response.status_code == 200, response.text
        assert available(client, headers) == CREDITS - 1


def test_a_detector_that_cannot_load_refuses_rather_than_lets_through(
    settings_factory: Callable[..., Settings],
) -> None:
    settings = settings_factory(
        free_daily_credits=0, screening_nudity_detector=f"{MODULE}:cannot_load"
    )
    with running(settings) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["screening"] == "failed"
        headers, _ = new_key(client, sfw_only=True)
        response = client.post("/api/v1/generate", json=REALISTIC, headers=headers)
        assert response.status_code == 503
        assert response.json()["error"] == "generation_failed"
        assert available(client, headers) == CREDITS
        assert stored_images(settings) == []
        # every output of every style is screened, so no job runs without the detector
        plain, _ = new_key(client)
        for style in ("realistic", "anime", "nude"):
            body = {**REALISTIC, "style": style}
            assert client.post("/api/v1/generate", json=body, headers=plain).status_code == 503
        assert available(client, plain) == CREDITS


def test_a_detector_that_breaks_while_running_refuses(
    settings_factory: Callable[..., Settings],
) -> None:
    settings = settings_factory(
        free_daily_credits=0, screening_nudity_detector=f"{MODULE}:breaks_while_running"
    )
    with running(settings) as client:
        headers, _ = new_key(client, sfw_only=True)
        response = client.post("/api/v1/generate", json=REALISTIC, headers=headers)
        assert response.status_code == 503
        assert available(client, headers) == CREDITS
        assert stored_images(settings) == []


def test_the_adult_style_refuses_a_face_that_looks_under_age(
    settings_factory: Callable[..., Settings],
) -> None:
    settings = settings_factory(
        free_daily_credits=0, screening_age_estimator=f"{MODULE}:finds_a_face_aged_12"
    )
    with running(settings) as client:
        headers, account_id = new_key(client)
        assert_refused_free_and_unstored(
            client, settings, headers, account_id, ADULT, "output_minor_age"
        )
        # other styles are age-screened only when nudity is found, and the real detector finds
        # none on the placeholder picture
        assert client.post("/api/v1/generate", json=REALISTIC, headers=headers).status_code == 200


@pytest.mark.parametrize(("minimum", "status"), [(25, 200), (35, 403)])
def test_the_minimum_apparent_age_can_be_raised(
    settings_factory: Callable[..., Settings], minimum: int, status: int
) -> None:
    settings = settings_factory(
        free_daily_credits=0,
        screening_age_estimator=f"{MODULE}:finds_a_face_aged_30",
        screening_min_apparent_age=minimum,
    )
    with running(settings) as client:
        headers, _ = new_key(client)
        assert client.post("/api/v1/generate", json=ADULT, headers=headers).status_code == status


def test_the_adult_style_with_a_failing_age_estimator_refuses(
    settings_factory: Callable[..., Settings],
) -> None:
    settings = settings_factory(
        free_daily_credits=0, screening_age_estimator="no_such_package.ages:build"
    )
    with running(settings) as client:
        headers, _ = new_key(client)
        response = client.post("/api/v1/generate", json=ADULT, headers=headers)
        assert response.status_code == 503
        assert response.json()["error"] == "generation_failed"
        assert available(client, headers) == CREDITS
        # any output may show nudity and then needs the age model: every style is refused
        assert client.post("/api/v1/generate", json=REALISTIC, headers=headers).status_code == 503
        assert available(client, headers) == CREDITS


def test_the_adult_style_runs_with_the_real_models(
    settings_factory: Callable[..., Settings],
) -> None:
    with running(settings_factory(free_daily_credits=0)) as client:
        assert client.get("/readyz").json()["checks"]["screening"] == "ok"
        headers, _ = new_key(client)
        response = client.post("/api/v1/generate", json=ADULT, headers=headers)
        assert response.status_code == 200, response.text


def test_every_output_of_a_job_that_took_a_user_image_is_screened(
    settings_factory: Callable[..., Settings],
) -> None:
    """An `i2i` request takes a user's picture: its outputs are screened for nudity (the input
    picture passes: the stand-in flags only pictures that are not one flat colour)."""
    settings = settings_factory(
        free_daily_credits=0, screening_nudity_detector=f"{MODULE}:flags_outputs_only"
    )
    with running(settings) as client:
        headers, account_id = new_key(client)
        image_to_image = {**REALISTIC, "type": "i2i", "image": png_data_url()}
        assert_refused_free_and_unstored(
            client, settings, headers, account_id, image_to_image, "output_nudity"
        )
        # without a user image, nudity alone does not refuse (no face is found to be a minor's)
        response = client.post("/api/v1/generate", json=REALISTIC, headers=headers)
        assert response.status_code == 200, response.text


# -- every style: nudity, then apparent age (the cascade) ----------------------------------------


@pytest.mark.parametrize(
    ("style", "rule"),
    [
        ("realistic", "output_minor_nudity"),
        ("anime", "output_minor_nudity"),
        ("nude", "output_minor_age"),
    ],
)
def test_nudity_with_an_apparent_minor_is_refused_in_every_style(
    settings_factory: Callable[..., Settings], style: str, rule: str
) -> None:
    """An ordinary key, a text-only job: no setting asked for screening, and it still runs."""
    settings = settings_factory(
        free_daily_credits=0,
        screening_nudity_detector=f"{MODULE}:flags_nudity",
        screening_age_estimator=f"{MODULE}:finds_a_face_aged_12",
    )
    body = ADULT if style == "nude" else {**REALISTIC, "style": style}
    with running(settings) as client:
        headers, account_id = new_key(client)
        assert_refused_free_and_unstored(client, settings, headers, account_id, body, rule)


@pytest.mark.parametrize("style", ["realistic", "anime", "nude"])
def test_nudity_with_adult_faces_is_delivered(
    settings_factory: Callable[..., Settings], style: str
) -> None:
    """Every style may carry adult content for adults: nudity alone refuses only a job that took
    a user image or an SFW-only key's."""
    settings = settings_factory(
        free_daily_credits=0,
        screening_nudity_detector=f"{MODULE}:flags_nudity",
        screening_age_estimator=f"{MODULE}:finds_a_face_aged_30",
    )
    body = ADULT if style == "nude" else {**REALISTIC, "style": style}
    with running(settings) as client:
        headers, account_id = new_key(client)
        response = client.post("/api/v1/generate", json=body, headers=headers)
        assert response.status_code == 200, response.text
        assert available(client, headers) == CREDITS - 1
        assert refusals(client, account_id) == []


@pytest.mark.parametrize(
    ("detector", "style", "status"),
    [
        ("finds_no_nudity", "realistic", 200),  # no nudity: the age model is not asked
        ("finds_no_nudity", "anime", 200),
        ("finds_no_nudity", "nude", 503),  # the adult style always asks it
        ("flags_nudity", "realistic", 503),  # nudity: the cascade asks it
    ],
)
def test_the_age_model_runs_only_on_outputs_with_nudity_outside_the_adult_style(
    settings_factory: Callable[..., Settings], detector: str, style: str, status: int
) -> None:
    """The stand-in age model fails whenever it is asked, so 200 means it was not asked, and 503
    that it was (and that a cascade which cannot finish refuses, unpaid)."""
    settings = settings_factory(
        free_daily_credits=0,
        screening_nudity_detector=f"{MODULE}:{detector}",
        screening_age_estimator=f"{MODULE}:fails_if_asked",
    )
    body = ADULT if style == "nude" else {**REALISTIC, "style": style}
    with running(settings) as client:
        headers, _ = new_key(client)
        response = client.post("/api/v1/generate", json=body, headers=headers)
        assert response.status_code == status, response.text
        assert available(client, headers) == (CREDITS - 1 if status == 200 else CREDITS)


def png_data_url() -> str:
    import base64
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (120, 140, 160)).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


# -- in worker processes (LIMNER_SCREENING_WORKERS) ---------------------------------------------


@pytest.mark.parametrize(
    ("detector", "status"),
    [("flags_nudity", 403), ("breaks_while_running", 503), (None, 200)],
)
def test_screening_in_worker_processes_decides_as_in_the_thread(
    settings_factory: Callable[..., Settings], detector: str | None, status: int
) -> None:
    """The same refusals, failures and passes with the screen in a spawned worker (`None`: the
    real nudity model on a placeholder image)."""
    settings = settings_factory(
        free_daily_credits=0,
        screening_workers=1,
        **({"screening_nudity_detector": f"{MODULE}:{detector}"} if detector else {}),
    )
    with running(settings) as client:
        screener = client.app.state.limner.service.screening.screener  # type: ignore[attr-defined]
        assert isinstance(screener, ScreeningPool)
        headers, account_id = new_key(client, sfw_only=True)
        if status == 403:
            assert_refused_free_and_unstored(
                client, settings, headers, account_id, REALISTIC, "output_nudity"
            )
            return
        response = client.post("/api/v1/generate", json=REALISTIC, headers=headers)
        assert response.status_code == status, response.text
        assert available(client, headers) == (CREDITS - 1 if status == 200 else CREDITS)


def test_a_screening_worker_that_dies_refuses_its_image_and_is_replaced(
    settings_factory: Callable[..., Settings],
) -> None:
    settings = settings_factory(
        free_daily_credits=0,
        screening_workers=1,
        screening_nudity_detector=f"{MODULE}:dies_once",
    )
    with running(settings) as client:
        headers, _ = new_key(client, sfw_only=True)
        died = client.post("/api/v1/generate", json=REALISTIC, headers=headers)
        assert died.status_code == 503  # fail closed: never delivered unscreened
        assert available(client, headers) == CREDITS
        assert stored_images(settings) == []
        again = client.post("/api/v1/generate", json=REALISTIC, headers=headers)
        assert again.status_code == 200, again.text
        assert available(client, headers) == CREDITS - 1
