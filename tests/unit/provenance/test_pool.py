"""StampingPool: the same stamp in a worker process, its errors raised in the caller."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from limner import keys
from limner.api import create_app
from limner.provenance import (
    InvalidGenerationId,
    StamperConfig,
    StampingPool,
    WatermarkNotReadable,
    verify,
)

from ._images import GEN_ID, natural_image


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StampingPool]:
    config = StamperConfig(
        generator="Limner test",
        key_dir=tmp_path_factory.mktemp("keys"),
        c2pa=True,
        watermark_key=b"limner-watermark-v1",
    )
    pool = StampingPool(config, workers=1)
    pool.warm_up()
    yield pool
    pool.close()


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_a_worker_stamps_all_three_layers(pool: StampingPool, fmt: str) -> None:
    data = pool.stamp(natural_image(256, seed=3), generation_id=GEN_ID, fmt=fmt)
    found = verify(data, trust_anchors_pem=pool.trust_anchors_pem)
    assert found.format == fmt
    assert found.watermark_id == GEN_ID == found.generation_id
    assert found.generator == "Limner test"
    assert found.c2pa_valid and found.c2pa_trusted


def test_the_workers_errors_are_raised_here_with_their_type(pool: StampingPool) -> None:
    with pytest.raises(InvalidGenerationId):
        pool.stamp(Image.new("RGB", (64, 64)), generation_id="gen_NOPE")
    # and the pool still works afterwards
    assert verify(pool.stamp(natural_image(128, seed=1), generation_id=GEN_ID)).from_limner


def test_watermark_not_readable_crosses_the_process_boundary() -> None:
    error = WatermarkNotReadable()
    import pickle

    again = pickle.loads(pickle.dumps(error))
    assert type(again) is WatermarkNotReadable and str(again) == str(error)


def test_a_server_with_stamping_processes_serves_marked_images(
    settings_factory, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    app = create_app(settings_factory(provenance_workers=1))
    with app.state.limner.database.transaction() as session:
        headers = {"Authorization": f"Bearer {keys.create_key(session=session).key}"}
    with TestClient(app) as client:  # the lifespan starts and stops the worker
        answer = client.post(
            "/api/v1/generate",
            json={"prompt": "a lighthouse at dusk", "output_format": "jpeg"},
            headers=headers,
        ).json()
        data = client.get(answer["image_url"]).content
    assert Image.open(io.BytesIO(data)).format == "JPEG"
    found = verify(data, trust_anchors_pem=app.state.limner.trust_anchors_pem)
    assert found.watermark_id == answer["id"] and found.c2pa_trusted
