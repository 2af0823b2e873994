"""Generation through Ray Serve on a local Ray instance, with the tiny torch pipeline:
two models multiplexed on a replica (LRU unloading a third's predecessor) and concurrent
compatible requests batched into single pipeline calls."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from limner.config import Settings
from limner.serving.pipelines import RenderRequest

ray = pytest.importorskip("ray", reason="the ray extra is not installed")
serve = pytest.importorskip("ray.serve", reason="the ray extra is not installed")

pytestmark = pytest.mark.slow
APP = "limner-test"


@pytest.fixture(scope="module")
def handle() -> Iterator[Any]:
    from limner.serving.deployment import ServingConfig, build_app

    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        namespace="limner",
        object_store_memory=100 * 1024 * 1024,
    )
    try:
        config = ServingConfig(max_batch_size=8, batch_wait_s=0.2, max_models_per_replica=2)
        yield serve.run(build_app(config), name=APP, route_prefix=None)
    finally:
        serve.shutdown()
        ray.shutdown()


def render(handle: Any, model: str, seed: int, size: int = 64) -> dict[str, Any]:
    request = RenderRequest(model, "a lighthouse", seed, size, size, 4)
    return handle.options(multiplexed_model_id=model).remote(request.to_dict()).result()


def concurrently(call: Callable[[int], Any], count: int) -> list[Any]:
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(call, range(count)))


def test_multiplexing_and_batching(handle: Any) -> None:
    baseline = handle.stats.remote().result()["batch_sizes"]

    first = concurrently(lambda seed: render(handle, "model-a", seed), 8)
    again = render(handle, "model-a", 0)
    other = concurrently(lambda seed: render(handle, "model-b", seed), 8)
    # mixed resolutions arrive together: each pipeline call must get one resolution only
    mixed = concurrently(lambda i: render(handle, "model-b", i, size=32 if i % 2 else 48), 8)
    render(handle, "model-c", 0)  # a third model: the least recently used one (a) goes

    stats = handle.stats.remote().result()
    assert stats["loaded"] == ["model-a", "model-b", "model-c"]
    assert stats["unloaded"] == ["model-a"]
    sizes = stats["batch_sizes"][len(baseline) :]
    assert sum(sizes) == 8 + 1 + 8 + 8 + 1
    assert max(sizes) > 1, f"no request was batched: {sizes}"
    assert [(r["width"], r["height"]) for r in mixed] == [
        (32, 32) if i % 2 else (48, 48) for i in range(8)
    ]
    # deterministic per model and seed; two models are two different networks
    assert first[0]["rgb"] == again["rgb"]
    assert first[0]["rgb"] != other[0]["rgb"]
    assert first[0]["rgb"] != first[1]["rgb"]


def test_the_api_generates_through_ray(
    handle: Any, settings_factory: Callable[..., Settings]
) -> None:
    from limner.api import create_app
    from limner.keys import create_key

    settings = settings_factory(workers="ray", ray_app_name=APP, ray_model="model-a")
    app = create_app(settings)
    assert app.state.limner.backend.name == "ray"
    with app.state.limner.database.transaction() as session:
        issued = create_key(session=session)
    with TestClient(app) as client:
        response = client.post(
            "/api/v1/generate",
            json={"prompt": "a lighthouse at dusk", "seed": 7},
            headers={"Authorization": f"Bearer {issued.key}"},
        )
        assert response.status_code == 200, response.text
        assert response.json()["credits_used"] == 1
        image = client.get(response.json()["image_url"].removeprefix("http://testserver"))
    assert image.status_code == 200
    import io

    assert Image.open(io.BytesIO(image.content)).size == (512, 512)
