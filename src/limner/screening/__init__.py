"""Image screening of finished outputs: nudity on every output, apparent age on an output with
nudity (a cascade) and on every adult-style output.

Which outputs are screened is `checks_for()`; `ScreeningGate` is what the generation service
calls; `build_screener(settings)` builds the models (packaged, loaded lazily). See docs/safety.md.
"""

from __future__ import annotations

from limner.screening._factory import build_screener
from limner.screening._gate import ScreeningGate
from limner.screening._policy import (
    MIN_APPARENT_AGE,
    RULE_INPUT_MINOR_AGE,
    RULE_INPUT_NUDITY,
    RULE_MINOR_AGE,
    RULE_MINOR_NUDITY,
    RULE_NUDITY,
    checks_for,
    input_checks,
    input_refusal_rule,
    refusal_rule,
)
from limner.screening._pool import ScreeningPool
from limner.screening._screener import ModelScreener
from limner.screening._types import (
    AgeEstimator,
    Checks,
    FaceAge,
    ImageScreener,
    NudityDetector,
    ScreeningResult,
)

__all__ = [
    "MIN_APPARENT_AGE",
    "RULE_INPUT_MINOR_AGE",
    "RULE_INPUT_NUDITY",
    "RULE_MINOR_AGE",
    "RULE_MINOR_NUDITY",
    "RULE_NUDITY",
    "AgeEstimator",
    "Checks",
    "FaceAge",
    "ImageScreener",
    "ModelScreener",
    "NudityDetector",
    "ScreeningGate",
    "ScreeningPool",
    "ScreeningResult",
    "build_screener",
    "checks_for",
    "input_checks",
    "input_refusal_rule",
    "refusal_rule",
]
