"""Characters through HTTP on the placeholder backend: the resource (create, list, get, delete,
ownership), `character_id` on generate (style, traits, seed, the answer), the placeholder's
consistent rendering of a character, and the adult style's rules for references."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select

from limner import keys, ledger
from limner.api import create_app
from limner.backends.placeholder import PlaceholderBackend, character_box
from limner.config import Settings
from limner.db.tables import CharacterEmbedding, MediaObject
from limner.errors import NotFound
from limner.generation.refusals import recent_refusals
from limner.media.sweep import sweep_storage
from tests.conftest import Key, KeyFactory
from tests.support.events import wait_finished
from tests.support.gated import GATE_LIMIT_S, GatedBackend
from tests.support.screening import MODULE

SCENES = ("a lighthouse at dusk", "a market street in the rain", "a quiet library at noon")


def png(
    colour: tuple[int, int, int], size: tuple[int, int] = (48, 40), *, flat: bool = False
) -> bytes:
    """A two-colour picture (a palette to take), or one flat colour (`flat`)."""
    buffer = io.BytesIO()
    image = Image.new("RGB", size, colour)
    if not flat:
        image.paste((255 - colour[0], colour[1] // 2, 200), (0, 0, size[0] // 2, size[1] // 3))
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def data_url(
    colour: tuple[int, int, int], size: tuple[int, int] = (48, 40), *, flat: bool = False
) -> str:
    return "data:image/png;base64," + base64.b64encode(png(colour, size, flat=flat)).decode()


def upload(
    client: TestClient,
    key: Key,
    colour: tuple[int, int, int] = (30, 120, 200),
    *,
    flat: bool = False,
) -> str:
    data = png(colour, flat=flat)
    response = client.post(
        "/api/v1/uploads", files={"file": ("p.png", data, "image/png")}, headers=key.headers
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def create(client: TestClient, key: Key, **body: Any) -> dict[str, Any]:
    response = client.post("/api/v1/characters", json=body, headers=key.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def generate(client: TestClient, key: Key, **body: Any) -> dict[str, Any]:
    response = client.post("/api/v1/generate", json=body, headers=key.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def picture(client: TestClient, body: dict[str, Any]) -> Image.Image:
    response = client.get(body["image_url"])
    assert response.status_code == 200
    return Image.open(io.BytesIO(response.content)).convert("RGB")


def mark(image: Image.Image) -> np.ndarray:
    """The inside of the character's disc (the corners of its box are the scene's)."""
    left, top, right, bottom = character_box(image.size)
    inset = (right - left) * 3 // 20  # the disc's inscribed square
    box = (left + inset, top + inset, right - inset, bottom - inset)
    return np.asarray(image.crop(box), dtype=np.float32)


def same_mark(a: Image.Image, b: Image.Image) -> bool:
    """Equal but for the invisible watermark, which carries each generation's own id."""
    return float(np.abs(mark(a) - mark(b)).mean()) < 2.0


def credits(client: TestClient, key: Key) -> int:
    return int(client.get("/api/v1/account", headers=key.headers).json()["credits_available"])


@pytest.fixture
def funded(make_key: KeyFactory) -> Key:
    return make_key(plan="pro", credits=40)


@pytest.fixture
def other(make_key: KeyFactory) -> Key:
    return make_key(credits=10, name="other")


def test_create_get_list_and_delete(client: TestClient, app: FastAPI, funded: Key) -> None:
    first = create(
        client,
        funded,
        name="Mara",
        style="anime",
        description="a tall hiker with a red scarf",
        references=[upload(client, funded), data_url((200, 60, 40))],
    )
    assert first["id"].startswith("chr_") and first["name"] == "Mara"
    assert first["style"] == "anime" and first["description"] == "a tall hiker with a red scarf"
    assert [ref["source"] for ref in first["references"]] == ["upload", "data"]
    assert client.get(f"/api/v1/characters/{first['id']}", headers=funded.headers).json() == first

    second = create(client, funded, name="Ole", references=[data_url((10, 200, 10))])
    page = client.get("/api/v1/characters?limit=1", headers=funded.headers).json()
    assert [each["id"] for each in page["data"]] == [second["id"]] and page["has_more"]
    rest = client.get(
        f"/api/v1/characters?limit=1&cursor={page['next_cursor']}", headers=funded.headers
    ).json()
    assert [each["id"] for each in rest["data"]] == [first["id"]] and not rest["has_more"]

    database = app.state.limner.database
    with database.read() as session:
        copies = session.scalars(select(MediaObject).where(MediaObject.kind == "character")).all()
        tokens = [(row.token, row.media_type) for row in copies]
    assert len(tokens) == 3 and all(row.expires_at is None for row in copies)

    assert (
        client.delete(f"/api/v1/characters/{first['id']}", headers=funded.headers).status_code
        == 204
    )
    assert (
        client.get(f"/api/v1/characters/{first['id']}", headers=funded.headers).status_code == 404
    )
    store = app.state.limner.store
    with database.read() as session:
        left = session.scalars(
            select(MediaObject.token).where(MediaObject.kind == "character")
        ).all()
    assert len(left) == 1
    gone = [token for token, _ in tokens if token not in left]
    assert len(gone) == 2
    for token, media_type in tokens:
        if token in gone:
            with pytest.raises(NotFound):
                store.get(token, media_type)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"style": "realistic", "references": ["data:x"]}, "name"),
        ({"name": "A", "references": []}, "references"),
        ({"name": "A", "references": ["upl_aaaaaaaaaaaaaaaa"] * 5}, "references"),
        ({"name": "A", "references": ["upl_aaaaaaaaaaaaaaaa"]}, "references.0"),
        ({"name": "A", "references": ["gen_aaaaaaaaaaaaaaaa"]}, "references.0"),
        (
            {"name": "A", "style": "anime", "appearance": {"age": 30}, "references": ["x"]},
            "appearance",
        ),
        (
            {"name": "A", "style": "nude", "appearance": {"age": 17}, "references": ["x"]},
            "appearance.age",
        ),
        ({"name": "A", "style": "cartoon", "references": ["x"]}, "style"),
        ({"name": " ", "references": ["x"]}, "name"),
    ],
)
def test_wrong_create_bodies_are_validation_errors(
    client: TestClient, funded: Key, body: dict[str, Any], field: str
) -> None:
    response = client.post("/api/v1/characters", json=body, headers=funded.headers)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "validation_error"
    assert response.json()["field"] == field


def test_another_keys_character_is_404_on_the_resource_and_400_in_a_request(
    client: TestClient, funded: Key, other: Key
) -> None:
    mine = create(client, funded, name="Mara", references=[data_url((90, 90, 160))])
    path = f"/api/v1/characters/{mine['id']}"
    assert client.get(path, headers=other.headers).status_code == 404
    assert client.delete(path, headers=other.headers).status_code == 404
    assert client.get("/api/v1/characters", headers=other.headers).json()["data"] == []
    before = credits(client, other)
    theirs = client.post(
        "/api/v1/generate",
        json={"prompt": SCENES[0], "character_id": mine["id"]},
        headers=other.headers,
    )
    unknown = client.post(
        "/api/v1/generate",
        json={"prompt": SCENES[0], "character_id": "chr_aaaaaaaaaaaaaaaa"},
        headers=other.headers,
    )
    for response in (theirs, unknown):
        assert response.status_code == 400, response.text
        assert response.json()["error"] == "validation_error"
        assert response.json()["field"] == "character_id"
    assert theirs.json()["message"] == unknown.json()["message"]  # no hint that it exists
    assert credits(client, other) == before
    # another key's generation is no reference either
    made = generate(client, funded, prompt=SCENES[0])
    response = client.post(
        "/api/v1/characters", json={"name": "B", "references": [made["id"]]}, headers=other.headers
    )
    assert response.status_code == 400 and response.json()["field"] == "references.0"


def test_the_placeholder_renders_a_character_the_same_in_every_scene(
    client: TestClient, app: FastAPI, funded: Key
) -> None:
    mara = create(client, funded, name="Mara", references=[upload(client, funded, (200, 40, 40))])
    ole = create(client, funded, name="Ole", references=[upload(client, funded, (20, 40, 220))])
    scenes = []
    for scene, seed in zip(SCENES, (1, 2, 3), strict=True):
        body = generate(client, funded, prompt=scene, seed=seed, character_id=mara["id"])
        assert body["character"] == {"id": mara["id"], "name": "Mara"}
        assert body["reference_conditioning"] is True
        scenes.append(picture(client, body))
    # the character is the same in every scene; the scenes around it are not
    for scene in scenes[1:]:
        assert same_mark(scenes[0], scene)
        assert float(np.abs(np.asarray(scenes[0], np.float32) - np.asarray(scene)).mean()) > 5
    plain = picture(client, generate(client, funded, prompt=SCENES[0], seed=1))
    assert not same_mark(plain, scenes[0])
    other = picture(
        client, generate(client, funded, prompt=SCENES[0], seed=1, character_id=ole["id"])
    )
    assert not same_mark(other, scenes[0])
    # the palette was taken from the references once, then read back
    with app.state.limner.database.read() as session:
        counted = session.scalar(select(func.count()).select_from(CharacterEmbedding))
    assert counted == 2


def test_the_style_is_the_characters(client: TestClient, funded: Key) -> None:
    anime = create(client, funded, name="Aki", style="anime", references=[data_url((1, 2, 3))])
    body = generate(client, funded, prompt=SCENES[1], character_id=anime["id"])
    assert body["style"] == "anime" and body["character"]["id"] == anime["id"]
    before = credits(client, funded)
    for style in ("realistic", "nude"):
        response = client.post(
            "/api/v1/generate",
            json={"prompt": SCENES[1], "style": style, "character_id": anime["id"]},
            headers=funded.headers,
        )
        assert response.status_code == 400, response.text
        assert response.json()["field"] == "character_id"
    assert credits(client, funded) == before
    for value in ("chr_x", 7, "gen_aaaaaaaaaaaaaaaa"):
        response = client.post(
            "/api/v1/generate",
            json={"prompt": SCENES[1], "character_id": value},
            headers=funded.headers,
        )
        assert response.status_code == 400 and response.json()["field"] == "character_id"


def test_the_copies_outlive_the_upload(client: TestClient, funded: Key) -> None:
    upload_id = upload(client, funded)
    mara = create(client, funded, name="Mara", references=[upload_id])
    assert client.delete(f"/api/v1/uploads/{upload_id}", headers=funded.headers).status_code == 204
    # the storage sweep counts the character's copies as owned, however old they are
    context = client.app.state.limner  # type: ignore[attr-defined]
    report = sweep_storage(database=context.database, store=context.store, grace=timedelta(0))
    assert report.orphans_removed == 0
    body = generate(client, funded, prompt=SCENES[0], character_id=mara["id"])
    assert body["status"] == "completed" and body["credits_used"] == 1


def adult_generation(client: TestClient, key: Key) -> str:
    body = generate(
        client,
        key,
        prompt="a portrait by a window",
        style="nude",
        appearance={"gender": "female", "age": 30},
    )
    return str(body["id"])


def test_an_adult_character_only_from_the_keys_own_verified_generations(
    client: TestClient, app: FastAPI, funded: Key, other: Key
) -> None:
    own = adult_generation(client, funded)
    refused = [upload(client, funded), data_url((120, 80, 60)), "https://example.test/a.png"]
    for index, reference in enumerate(refused):
        references = [own] * index + [reference]
        response = client.post(
            "/api/v1/characters",
            json={"name": "Eve", "style": "nude", "references": references},
            headers=funded.headers,
        )
        assert response.status_code == 403, response.text
        assert response.json()["error"] == "content_blocked"
        assert response.json()["field"] == f"references.{index}"
    with app.state.limner.database.read() as session:
        events = recent_refusals(session=session, key_prefix=funded.prefix)
        assert [event.field for event in events if event.rule == "adult_image_input"] == [
            "references.2",
            "references.1",
            "references.0",
        ]
    # another key's generation: not theirs to name at all
    response = client.post(
        "/api/v1/characters",
        json={"name": "Eve", "style": "nude", "references": [adult_generation(client, other)]},
        headers=funded.headers,
    )
    assert response.status_code == 400 and response.json()["field"] == "references.0"

    eve = create(
        client,
        funded,
        name="Eve",
        style="nude",
        references=[own],
        appearance={"gender": "female", "age": 34, "hair_color": "auburn"},
    )
    assert eve["references"][0]["generation_id"] == own
    # traits apply, the request's win field by field, and strict validation still applies
    body = generate(
        client,
        funded,
        prompt="a portrait by the window in the evening light",
        character_id=eve["id"],
        appearance={"hair_color": "silver"},
    )
    assert body["style"] == "nude" and body["character"]["name"] == "Eve"
    stored = client.get(f"/api/v1/generations/{body['id']}", headers=funded.headers).json()
    assert stored["character"]["id"] == eve["id"]
    response = client.post(
        "/api/v1/generate",
        json={
            "prompt": "a portrait by the window in the evening light",
            "character_id": eve["id"],
            "appearance": {"age": 17},
        },
        headers=funded.headers,
    )
    assert response.status_code == 400 and response.json()["field"] == "appearance.age"
    response = client.post(
        "/api/v1/generate",
        json={
            "prompt": "a portrait by the window in the evening light",
            "character_id": eve["id"],
            "appearance": {"gender": "robot"},
        },
        headers=funded.headers,
    )
    assert response.status_code == 400 and response.json()["field"] == "appearance.gender"


def test_a_queued_generation_follows_the_character(client: TestClient, funded: Key) -> None:
    mara = create(client, funded, name="Mara", references=[data_url((200, 200, 30))])
    queued = client.post(
        "/api/v1/generate",
        json={"prompt": SCENES[0], "seed": 4, "character_id": mara["id"], "async": True},
        headers=funded.headers,
    )
    assert queued.status_code == 202, queued.text
    assert queued.json()["character"]["id"] == mara["id"]
    done = wait_finished(client, queued.json()["id"], funded.headers)
    assert done["status"] == "completed" and done["reference_conditioning"] is True
    now = generate(client, funded, prompt=SCENES[0], seed=4, character_id=mara["id"])
    assert same_mark(picture(client, done), picture(client, now))


def test_a_queued_job_whose_character_was_deleted_fails_free(
    settings_factory: Callable[..., Settings],
) -> None:
    backend = GatedBackend(PlaceholderBackend())  # holds the first job, so the second waits
    app = create_app(settings_factory(queue_workers=1), backend=backend)
    with TestClient(app) as client:
        with app.state.limner.database.transaction() as session:
            issued = keys.create_key(session=session, plan="pro")
            ledger.grant(session=session, account_id=issued.account_id, amount=5)
        key = Key(issued.key, issued.prefix, issued.account_id)
        mara = create(client, key, name="Mara", references=[data_url((200, 200, 30))])
        before = credits(client, key)
        first = client.post(
            "/api/v1/generate", json={"prompt": SCENES[0], "async": True}, headers=key.headers
        )
        assert backend.started.wait(GATE_LIMIT_S)  # the one worker is busy with the first job
        second = client.post(
            "/api/v1/generate",
            json={"prompt": SCENES[1], "async": True, "character_id": mara["id"]},
            headers=key.headers,
        )
        assert second.status_code == 202 and second.json()["status"] == "queued"
        assert (
            client.delete(f"/api/v1/characters/{mara['id']}", headers=key.headers).status_code
            == 204
        )
        backend.gate.set()
        assert wait_finished(client, first.json()["id"], key.headers)["status"] == "completed"
        failed = wait_finished(client, second.json()["id"], key.headers)
        assert failed["status"] == "failed" and failed["credits_used"] == 0
        assert "deleted" in failed["message"]
        assert credits(client, key) == before - 1  # only the first job was charged


def test_a_characters_text_is_moderated_on_creation_and_use(
    client: TestClient, app: FastAPI, funded: Key
) -> None:
    # an age under 18 is refused in the adult style, in any field (safety.md line 1)
    own = adult_generation(client, funded)
    response = client.post(
        "/api/v1/characters",
        json={"name": "Eve", "style": "nude", "references": [own],
              "description": "a 16 year old student"},
        headers=funded.headers,
    )  # fmt: skip
    assert response.status_code == 403, response.text
    assert response.json()["field"] == "description"
    with app.state.limner.database.read() as session:
        assert recent_refusals(session=session, key_prefix=funded.prefix)[0].field == "description"
    assert client.get("/api/v1/characters", headers=funded.headers).json()["data"] == []


def test_a_character_from_a_users_picture_makes_every_output_screened(
    settings_factory: Callable[..., Settings],
) -> None:
    """safety.md line 2: the outputs of a job that took a user's picture are screened for nudity;
    a character's uploaded reference is such a picture in every request that names it. (The
    stand-in detector flags every picture but a flat one, so the flat reference passes.)"""
    settings = settings_factory(screening_nudity_detector=f"{MODULE}:flags_outputs_only")
    with TestClient(create_app(settings)) as client:
        app = client.app
        with app.state.limner.database.transaction() as session:  # type: ignore[attr-defined]
            issued = keys.create_key(session=session, plan="pro")
            ledger.grant(session=session, account_id=issued.account_id, amount=5)
        key = Key(issued.key, issued.prefix, issued.account_id)
        from_upload = create(client, key, name="Mara", references=[upload(client, key, flat=True)])
        before = credits(client, key)
        response = client.post(
            "/api/v1/generate",
            json={"prompt": SCENES[0], "character_id": from_upload["id"]},
            headers=key.headers,
        )
        assert response.status_code == 403, response.text
        assert response.json()["error"] == "content_blocked"
        assert credits(client, key) == before
        # the same request without the character is not screened for nudity
        assert generate(client, key, prompt=SCENES[0], seed=2)["status"] == "completed"


def test_every_kind_takes_a_character(client: TestClient, funded: Key) -> None:
    """The character step is the plan's, not a kind's: i2i gets it without code of its own (the
    input is the output's size, since an i2i answers at its input's size)."""
    mara = create(client, funded, name="Mara", references=[data_url((200, 40, 40))])
    body = generate(
        client, funded, prompt=SCENES[1], type="i2i", strength=1.0, seed=5,
        image=data_url((10, 10, 10), size=(512, 512), flat=True), character_id=mara["id"],
    )  # fmt: skip
    assert body["type"] == "i2i" and body["character"]["id"] == mara["id"]
    plain_scene = generate(client, funded, prompt=SCENES[0], seed=9, character_id=mara["id"])
    assert same_mark(picture(client, body), picture(client, plain_scene))


def test_inpaint_and_outpaint_take_a_character(client: TestClient, funded: Key, other: Key) -> None:
    """inpaint and outpaint go through the same plan step: the repainted region shows the
    character's mark (the same in any scene), the answer names it, another key's is refused."""
    mara = create(client, funded, name="Mara", references=[data_url((200, 40, 40))])
    canvas = data_url((90, 90, 90), size=(512, 512), flat=True)
    everywhere = data_url((255, 255, 255), size=(512, 512), flat=True)

    def inpaint(prompt: str, seed: int, **character: str) -> dict[str, Any]:
        return generate(
            client, funded, prompt=prompt, type="inpaint", image=canvas, mask=everywhere,
            seed=seed, **character,
        )  # fmt: skip

    inpainted = [
        inpaint(SCENES[0], 1, character_id=mara["id"]),
        inpaint(SCENES[1], 2, character_id=mara["id"]),
        inpaint(SCENES[0], 1),
    ]
    assert [each["character"]["id"] for each in inpainted[:2]] == [mara["id"]] * 2
    assert "character" not in inpainted[2]
    first, second, plain = (picture(client, each) for each in inpainted)
    assert same_mark(first, second) and not same_mark(first, plain)

    outpainted = generate(
        client, funded, prompt=SCENES[2], type="outpaint", image=data_url((90, 90, 90)),
        expand={"right": 64}, character_id=mara["id"],
    )  # fmt: skip
    assert outpainted["type"] == "outpaint" and outpainted["character"]["id"] == mara["id"]
    assert outpainted["reference_conditioning"] is True
    refused = client.post(
        "/api/v1/generate",
        json={"prompt": SCENES[2], "type": "outpaint", "image": data_url((90, 90, 90)),
              "expand": {"left": 64}, "character_id": mara["id"]},
        headers=other.headers,
    )  # fmt: skip
    assert refused.status_code == 400 and refused.json()["field"] == "character_id"


def test_outputs_record_the_characters_references_as_c2pa_ingredients(
    client: TestClient, funded: Key
) -> None:
    """Where its references conditioned the model, each is a `componentOf` ingredient of the
    output's C2PA manifest (beside an i2i's `parentOf` input); verify reports them."""
    mara = create(
        client, funded, name="Mara", references=[data_url((200, 40, 40)), upload(client, funded)]
    )

    def verified(body: dict[str, Any]) -> dict[str, Any]:
        data = client.get(body["image_url"]).content
        headers = {**funded.headers, "Content-Type": "image/png"}
        response = client.post("/api/v1/verify", content=data, headers=headers)
        assert response.status_code == 200, response.text
        return dict(response.json())

    scene = verified(generate(client, funded, prompt=SCENES[0], character_id=mara["id"]))
    assert scene["ingredients"] == ["componentOf", "componentOf"] and scene["c2pa_valid"]
    assert scene["made_from_input"] is True
    edited = generate(
        client, funded, prompt=SCENES[1], type="i2i", image=data_url((10, 10, 10)),
        character_id=mara["id"],
    )  # fmt: skip
    assert verified(edited)["ingredients"] == ["parentOf", "componentOf", "componentOf"]
    assert verified(generate(client, funded, prompt=SCENES[0]))["ingredients"] == []


def test_the_served_schema_documents_characters(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    create_op = schema["paths"]["/api/v1/characters"]["post"]
    body = create_op["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/CharacterCreate"}
    assert {"201", "400", "403"} <= set(create_op["responses"])
    assert set(schema["paths"]["/api/v1/characters/{character_id}"]) == {"get", "delete"}
    components = schema["components"]["schemas"]
    assert set(components["CharacterCreate"]["required"]) == {"name", "references"}
    assert "character_id" in components["GenerateRequest"]["properties"]
    assert {"character", "reference_conditioning"} <= set(
        components["GenerationPublic"]["properties"]
    )
