"""`RayBackend`: the `Backend` an API process uses when generations run on Ray Serve.

It joins the Ray cluster at `LIMNER_RAY_ADDRESS` (or starts a local Ray when unset), finds the
generation application by name or deploys it, and sends each spec through a deployment handle
with the model id as the multiplexed model id, so Serve routes it to a replica holding that model.
The replica gets the prompt the API's plan built (style words, adult-style traits, the negative
prompt), so a style means the same here as on every other backend.
"""

from __future__ import annotations

import logging
from typing import Any

from PIL import Image

from limner.backends.base import GenerationContext, GenerationSpec, Media
from limner.config import Settings
from limner.domain.prompts import PromptOptions
from limner.domain.styles import Gender, Quality, Style
from limner.errors import ConfigurationError, GenerationFailed
from limner.serving.pipelines import RenderRequest

log = logging.getLogger(__name__)

#: width, height and steps the serving tier renders for each quality
QUALITY_RENDER: dict[Quality, tuple[int, int, int]] = {
    Quality.fast: (512, 512, 8),
    Quality.hires: (1024, 1024, 16),
}
#: how often a waiting generation checks whether it was canceled
POLL_S = 0.25


def _ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise ImportError(
            "Ray Serve workers need the 'ray' extra: pip install 'limner[ray]'"
        ) from exc
    return ray


class RayBackend:
    name = "ray"

    def __init__(self, handle: Any, *, model_id: str, started_ray: bool = False) -> None:
        self._handle = handle
        self.model_id = model_id
        self._started_ray = started_ray

    @classmethod
    def from_settings(cls, settings: Settings) -> RayBackend:
        try:
            started = connect(settings.ray_address)
            handle = application_handle(settings)
        except ImportError as exc:  # the extra is missing: refuse to start, naming it
            raise ConfigurationError(str(exc)) from exc
        except Exception as exc:  # Ray's own errors: unreachable cluster, failed deployment
            target = settings.ray_address or "a local Ray instance"
            raise ConfigurationError(f"cannot serve generations on {target}: {exc}") from exc
        return cls(handle, model_id=settings.ray_model, started_ray=started)

    def check_ready(self) -> None:
        ray = _ray()
        if not ray.is_initialized():
            raise ConfigurationError("Ray is not connected.")

    def supports(self, style: Style, quality: Quality, kind: str = "t2i") -> bool:
        """Text to image in every style: the built prompt carries the style's words."""
        return kind == "t2i"

    def prompt_options(
        self, style: Style, quality: Quality, gender: Gender | None
    ) -> PromptOptions:
        return PromptOptions()

    def native_size(self, style: Style, quality: Quality) -> tuple[int, int]:
        width, height, _steps = QUALITY_RENDER[quality]
        return width, height

    def generate(self, spec: GenerationSpec, context: GenerationContext) -> Media:
        native_width, native_height, steps = QUALITY_RENDER[spec.quality]
        width, height = spec.width or native_width, spec.height or native_height
        render = RenderRequest(
            model_id=self.model_id,
            prompt=spec.prompt,
            seed=spec.seed,
            width=width,
            height=height,
            steps=steps,
            negative_prompt=spec.negative_prompt,
        )
        response = self._handle.options(multiplexed_model_id=self.model_id).remote(render.to_dict())
        result = self._wait(response, context)
        return Media.still(
            Image.frombytes("RGB", (result["width"], result["height"]), result["rgb"])
        )

    def _wait(self, response: Any, context: GenerationContext) -> dict[str, Any]:
        while True:
            if context.canceled:
                response.cancel()
                context.raise_if_canceled()
            try:
                result: dict[str, Any] = response.result(timeout_s=POLL_S)
                return result
            except TimeoutError:
                continue
            except Exception as exc:  # a replica died or the pipeline raised
                raise GenerationFailed() from exc

    def close(self) -> None:
        if self._started_ray:
            ray = _ray()
            from ray import serve

            serve.shutdown()
            ray.shutdown()


def connect(address: str | None) -> bool:
    """Join the cluster at `address`, or start a local Ray. True when we started it."""
    ray = _ray()
    if ray.is_initialized():
        return False
    if address:
        ray.init(address=address, namespace="limner", log_to_driver=False)
        return False
    ray.init(namespace="limner", include_dashboard=False, log_to_driver=False)
    return True


def application_handle(settings: Settings) -> Any:
    """The running application's handle, deploying it first when the cluster lacks it."""
    from ray import serve

    from limner.serving.deployment import DEPLOYMENT_NAME

    try:
        return serve.get_deployment_handle(DEPLOYMENT_NAME, app_name=settings.ray_app_name)
    except Exception:  # Serve raises different errors for "no such app" across versions
        log.info("deploying Ray Serve application %r", settings.ray_app_name)
    return deploy(settings)


def deploy(settings: Settings) -> Any:
    from ray import serve

    from limner.serving.deployment import build_app, serving_config

    return serve.run(
        build_app(serving_config(settings)), name=settings.ray_app_name, route_prefix=None
    )
