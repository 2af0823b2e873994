"""The Ray Serve generation deployment.

Each replica holds up to `max_models_per_replica` pipelines, loaded on demand with
`@serve.multiplexed` (Serve routes a request for a model to a replica that already holds it, and
the least recently used pipeline is unloaded to make room). Concurrent requests are gathered with
`@serve.batch` for a short window and split by `RenderRequest.batch_key` (model, resolution,
steps): each group is one pipeline call. One replica per GPU (`num_gpus=1`) where the cluster has
GPUs. Each replica counts what it loaded, unloaded and the batch sizes it ran (`stats`), for tests,
benchmarks and operators.
"""

from __future__ import annotations

import asyncio
import os
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from limner.serving.pipelines import Pipeline, RenderRequest, load_loader

try:
    from ray import serve
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("Ray Serve workers need the 'ray' extra: pip install 'limner[ray]'") from exc

DEPLOYMENT_NAME = "LimnerGeneration"


@dataclass(frozen=True)
class ServingConfig:
    pipeline_loader: str = "limner.serving.pipelines:tiny_pipeline"
    max_batch_size: int = 4
    batch_wait_s: float = 0.05
    max_models_per_replica: int = 2
    num_replicas: int = 1
    num_gpus_per_replica: float = 0.0
    num_cpus_per_replica: float = 1.0


class _Held:
    """A loaded pipeline; Serve calls `__del__` when it evicts it (LRU), which we record."""

    def __init__(self, model_id: str, pipeline: Pipeline, unloaded: list[str]) -> None:
        self.model_id = model_id
        self.pipeline = pipeline
        self._unloaded = unloaded
        self._released = False

    def __del__(self) -> None:
        if self._released:  # Serve calls it on eviction, then the garbage collector again
            return
        self._released = True
        self._unloaded.append(self.model_id)
        self.pipeline = None  # type: ignore[assignment]


def build_app(config: ServingConfig) -> Any:
    """A Serve application for `serve.run`; the decorators take their values from `config`."""

    @serve.deployment(
        name=DEPLOYMENT_NAME,
        num_replicas=config.num_replicas,
        max_ongoing_requests=max(16, config.max_batch_size * 4),
        ray_actor_options={
            "num_gpus": config.num_gpus_per_replica,
            "num_cpus": config.num_cpus_per_replica,
        },
    )
    class GenerationDeployment:
        def __init__(self) -> None:
            self._loader = load_loader(config.pipeline_loader)
            self.loaded: list[str] = []
            self.unloaded: list[str] = []
            self.batch_sizes: list[int] = []

        @serve.multiplexed(max_num_models_per_replica=config.max_models_per_replica)
        async def pipeline(self, model_id: str) -> _Held:
            pipeline = await asyncio.to_thread(self._loader, model_id)
            self.loaded.append(model_id)
            return _Held(model_id, pipeline, self.unloaded)

        async def __call__(self, request: dict[str, Any]) -> dict[str, Any]:
            """One image: `RenderRequest` fields in, `{"width", "height", "rgb"}` out."""
            render = RenderRequest.from_dict(request)
            await self.pipeline(render.model_id)  # load (or touch) before waiting in a batch
            return await self.generate_batch(render)

        @serve.batch(max_batch_size=config.max_batch_size, batch_wait_timeout_s=config.batch_wait_s)
        async def generate_batch(self, renders: list[RenderRequest]) -> list[dict[str, Any]]:
            groups: dict[tuple[str, int, int, int], list[int]] = defaultdict(list)
            for index, render in enumerate(renders):
                groups[render.batch_key].append(index)
            results: list[dict[str, Any]] = [{} for _ in renders]
            for key, indexes in groups.items():
                held = await self.pipeline(key[0])
                batch = [renders[i] for i in indexes]
                self.batch_sizes.append(len(batch))
                images = await asyncio.to_thread(held.pipeline, batch)
                for index, image in zip(indexes, images, strict=True):
                    height, width = image.shape[:2]
                    results[index] = {"width": width, "height": height, "rgb": image.tobytes()}
            return results

        def stats(self) -> dict[str, Any]:
            context = serve.get_replica_context()
            return {
                "replica": context.replica_id.unique_id,
                "pid": os.getpid(),
                "loaded": list(self.loaded),
                "unloaded": list(self.unloaded),
                "batch_sizes": list(self.batch_sizes),
            }

    return GenerationDeployment.bind()  # type: ignore[attr-defined]


def serving_config(settings: Any) -> ServingConfig:
    """Sizing from settings and the cluster: one replica per GPU (one GPU each) when the
    cluster has GPUs, else `LIMNER_RAY_NUM_REPLICAS` (default 1) CPU replicas."""
    import ray

    gpus = int(ray.cluster_resources().get("GPU", 0)) if ray.is_initialized() else 0
    return ServingConfig(
        pipeline_loader=settings.ray_pipeline_loader,
        max_batch_size=settings.ray_max_batch_size,
        batch_wait_s=settings.ray_batch_wait_s,
        max_models_per_replica=settings.ray_max_models_per_replica,
        num_replicas=settings.ray_num_replicas or max(gpus, 1),
        num_gpus_per_replica=1.0 if gpus else 0.0,
    )
