"""Build the screener from settings: a built-in model by name, or an operator's own by import path.

`LIMNER_SCREENING_NUDITY_DETECTOR` and `LIMNER_SCREENING_AGE_ESTIMATOR` take a built-in name
(`opennsfw`, `dlib-age`) or `package.module:factory`, a callable taking the `Settings` and
returning an object with the `NudityDetector` / `AgeEstimator` methods. Nothing is imported or
loaded here: a path that cannot be imported, or a model that cannot load, is found by
`check_ready()`, so the jobs that need it are refused (fail closed) while the others still run.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from limner.errors import ConfigurationError
from limner.screening._screener import ModelScreener
from limner.screening._types import AgeEstimator, FaceAge, NudityDetector

if TYPE_CHECKING:
    from PIL import Image

    from limner.config import Settings


def _opennsfw(_settings: Settings) -> NudityDetector:
    from limner.screening._opennsfw import OpenNsfwDetector

    return OpenNsfwDetector()


def _dlib_age(_settings: Settings) -> AgeEstimator:
    from limner.screening._dlib_age import DlibAgeEstimator

    return DlibAgeEstimator()


NUDITY_DETECTORS: dict[str, Callable[[Settings], NudityDetector]] = {"opennsfw": _opennsfw}
AGE_ESTIMATORS: dict[str, Callable[[Settings], AgeEstimator]] = {"dlib-age": _dlib_age}


def build_screener(settings: Settings) -> ModelScreener:
    return ModelScreener(
        nudity=_build(settings.screening_nudity_detector, NUDITY_DETECTORS, settings),
        ages=_build(settings.screening_age_estimator, AGE_ESTIMATORS, settings),
        nudity_threshold=settings.screening_nudity_threshold,
    )


def _build(spec: str, builtins: dict[str, Callable[[Settings], Any]], settings: Settings) -> Any:
    factory = builtins.get(spec)
    if factory is not None:
        return factory(settings)
    if ":" not in spec:
        known = ", ".join(sorted(builtins))
        raise ConfigurationError(
            f"screening model {spec!r} is neither a built-in ({known}) nor 'module:factory'"
        )
    return _Deferred(spec, settings)


class _Deferred:
    """An operator's detector, imported and built on first use so a failure fails closed."""

    def __init__(self, spec: str, settings: Settings) -> None:
        self.name = spec
        self._settings = settings
        self._model: Any = None

    def _load(self) -> Any:
        if self._model is None:
            module_name, _, attribute = self.name.partition(":")
            try:
                factory = getattr(importlib.import_module(module_name), attribute)
            except (ImportError, AttributeError) as exc:
                raise ConfigurationError(f"cannot import screening model {self.name!r}") from exc
            model = factory(self._settings)
            model.check_ready()
            self._model = model
        return self._model

    def check_ready(self) -> None:
        self._load()

    def nudity_score(self, image: Image.Image) -> float:
        return float(self._load().nudity_score(image))

    def faces(self, image: Image.Image) -> list[FaceAge]:
        return list(self._load().faces(image))
