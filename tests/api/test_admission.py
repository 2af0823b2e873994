"""Input admission through HTTP (`generation/admission.py`): the studio spec's safety rules for
input pictures, with the production wiring and real uploads, generations and refusal log.

Stand-in screening models are plugged in as an operator's own (`module:factory` settings); they
decide without looking, so no test needs a picture showing what is refused.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select

from limner import keys, ledger
from limner.api import create_app
from limner.config import Settings
from limner.db.tables import Generation, ModerationEvent
from tests.support.screening import MODULE

CREDITS = 10
SCENE = "a lighthouse on a cliff at dusk"
#: sexual wording (no explicit text): makes the prompt sexual for the input age screen
FIGURE_STUDY = "a nude figure study in charcoal"


@contextmanager
def running(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture
def open_server(settings_factory: Callable[..., Settings]) -> Callable[..., Any]:
    def make(**overrides: object) -> Any:
        return running(settings_factory(free_daily_credits=0, **overrides))

    return make


class Caller:
    def __init__(self, client: TestClient) -> None:
        self.client = client
        database = client.app.state.limner.database  # type: ignore[attr-defined]
        with database.transaction() as session:
            issued = keys.create_key(session=session)
            ledger.grant(session=session, account_id=issued.account_id, amount=CREDITS)
        self.account_id = issued.account_id
        self.headers = {"Authorization": f"Bearer {issued.key}"}

    def post(self, body: dict[str, Any]) -> Any:
        return self.client.post("/api/v1/generate", json=body, headers=self.headers)

    def available(self) -> int:
        answer = self.client.get("/api/v1/account", headers=self.headers)
        return int(answer.json()["credits_available"])

    def upload(self, data: bytes) -> str:
        response = self.client.post(
            "/api/v1/uploads", files={"file": ("p.png", data, "image/png")}, headers=self.headers
        )
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def generation(self) -> str:
        response = self.post({"prompt": SCENE, "seed": 3})
        assert response.status_code == 200, response.text
        return str(response.json()["id"])

    def refusals(self) -> list[tuple[str, str, str]]:
        database = self.client.app.state.limner.database  # type: ignore[attr-defined]
        with database.read() as session:
            events = session.scalars(
                select(ModerationEvent)
                .where(ModerationEvent.account_id == self.account_id)
                .order_by(ModerationEvent.created_at)
            )
            return [(event.field, event.rule, event.style) for event in events]

    def generations(self) -> int:
        database = self.client.app.state.limner.database  # type: ignore[attr-defined]
        with database.read() as session:
            return int(
                session.scalar(
                    select(func.count())
                    .select_from(Generation)
                    .where(Generation.account_id == self.account_id)
                )
                or 0
            )

    def refused(self, body: dict[str, Any], *, rule: str, field: str = "image") -> str:
        """403 content_blocked on `field`, recorded with `rule`, nothing charged or made; the
        answer's message."""
        before, made = self.available(), self.generations()
        response = self.post(body)
        assert response.status_code == 403, response.text
        assert response.json()["error"] == "content_blocked"
        assert response.json()["field"] == field
        assert self.available() == before
        assert self.generations() == made
        assert self.refusals()[-1] == (field, rule, body.get("style", "realistic"))
        return str(response.json()["message"])


def png(size: tuple[int, int] = (48, 32), colour: tuple[int, int, int] = (30, 160, 90)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def data_url(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode()


def i2i(image: str, *, style: str = "realistic", prompt: str = SCENE, **extra: Any) -> dict:
    body: dict[str, Any] = {"prompt": prompt, "type": "i2i", "image": image, "style": style}
    if style == "nude":
        body["appearance"] = {"age": 30}
    return {**body, **extra}


def test_the_adult_style_refuses_an_upload_a_data_url_and_a_web_url(open_server) -> None:
    with open_server() as client:
        caller = Caller(client)
        upload_id = caller.upload(png())
        for reference in (upload_id, data_url(png())):
            message = caller.refused(i2i(reference, style="nude"), rule="adult_image_input")
            # the rule in words a user can act on, not "blocked by content moderation"
            assert message.startswith("image: the adult style ('nude') takes no uploaded")
            assert "this key's own adult-style generations (its gen_ id)" in message
        # refused from its form alone: a loopback URL would be a 400 if it were fetched at all
        caller.refused(i2i("https://127.0.0.1:9/a.png", style="nude"), rule="adult_image_input")
        # the same upload is fine in another style
        assert caller.post(i2i(upload_id)).status_code == 200


def test_the_adult_style_takes_the_keys_own_verified_generation(open_server) -> None:
    with open_server() as client:
        caller = Caller(client)
        own = caller.generation()
        before = caller.available()
        response = caller.post(i2i(own, style="nude", strength=0.5))
        assert response.status_code == 200, response.text
        assert response.json()["type"] == "i2i" and response.json()["credits_used"] == 1
        assert caller.available() == before - 1
        # its numbered form names the same picture
        assert caller.post(i2i(f"{own}#1", style="nude")).status_code == 200


def test_the_adult_style_refuses_a_generation_whose_provenance_does_not_verify(
    settings_factory: Callable[..., Settings],
) -> None:
    """An output marked under another watermark key (an operator who rotated it, or bytes not
    made here) is the key's own row, yet its pixels do not name it: refused."""
    with running(settings_factory(free_daily_credits=0, watermark_key="an-old-key")) as client:
        caller = Caller(client)
        own = caller.generation()
        key = caller.headers
    with running(settings_factory(free_daily_credits=0, watermark_key="the-new-key")) as client:
        caller.client = client
        assert caller.headers == key
        message = caller.refused(i2i(own, style="nude"), rule="unverified_provenance")
        assert "watermark or C2PA manifest does not name the generation" in message
        # outside the adult style the key's own picture needs no such proof
        assert caller.post(i2i(own)).status_code == 200


def test_a_sexual_input_picture_refuses_a_non_adult_request(open_server) -> None:
    with open_server(screening_nudity_detector=f"{MODULE}:flags_nudity") as client:
        caller = Caller(client)
        upload_id = caller.upload(png())
        caller.refused(i2i(upload_id), rule="input_nudity")
        caller.refused(i2i(data_url(png())), rule="input_nudity")


def test_apparent_minors_refuse_in_the_adult_style_and_with_a_sexual_prompt(open_server) -> None:
    with open_server(screening_age_estimator=f"{MODULE}:finds_a_face_aged_12") as client:
        caller = Caller(client)
        own = caller.generation()  # t2i in a non-adult style is not age-screened
        caller.refused(i2i(own, style="nude"), rule="input_minor_age")
        upload_id = caller.upload(png())
        caller.refused(i2i(upload_id, prompt=FIGURE_STUDY), rule="input_minor_age")
        # an ordinary scene in an ordinary style does not screen ages
        assert caller.post(i2i(upload_id)).status_code == 200


def test_adult_faces_pass_the_input_age_screen(open_server) -> None:
    with open_server(screening_age_estimator=f"{MODULE}:finds_a_face_aged_30") as client:
        caller = Caller(client)
        own = caller.generation()
        assert caller.post(i2i(own, style="nude")).status_code == 200
        assert caller.post(i2i(caller.upload(png()), prompt=FIGURE_STUDY)).status_code == 200


@pytest.mark.parametrize(
    "setting",
    [
        {"screening_nudity_detector": f"{MODULE}:cannot_load"},
        {"screening_nudity_detector": f"{MODULE}:breaks_while_running"},
    ],
)
def test_input_screening_that_cannot_run_refuses(open_server, setting: dict[str, str]) -> None:
    with open_server(**setting) as client:
        caller = Caller(client)
        before = caller.available()
        response = caller.post(i2i(caller.upload(png())))
        assert response.status_code == 503, response.text
        assert response.json()["error"] == "generation_failed"
        assert caller.available() == before
        assert caller.generations() == 0
        # a text-only request's output is screened for nudity too, so it is refused the same way
        assert caller.post({"prompt": SCENE}).status_code == 503
        assert caller.available() == before


def test_an_input_age_estimator_that_cannot_load_refuses_a_sexual_prompt(open_server) -> None:
    with open_server(screening_age_estimator="no_such_package.ages:build") as client:
        caller = Caller(client)
        response = caller.post(i2i(caller.upload(png()), prompt=FIGURE_STUDY))
        assert response.status_code == 503, response.text
        assert caller.generations() == 0
