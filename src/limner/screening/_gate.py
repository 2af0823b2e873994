"""`ScreeningGate`: what the generation service asks before and after the backend runs.

Before: `require(checks)` refuses a job whose screens cannot run (`ScreeningUnavailable`, 503),
before credits are reserved or a model is touched. After: `rule_for(image, checks)` names the
rule that refuses the output, or None. A screen that fails while running refuses too.
Input pictures: `input_rule_for(image, adult=..., sexual_prompt=...)`, with the same fail-closed
behaviour, before any model sees the picture.
"""

from __future__ import annotations

import logging

from PIL import Image

from limner.errors import ConfigurationError, ScreeningUnavailable
from limner.screening._policy import (
    MIN_APPARENT_AGE,
    input_checks,
    input_refusal_rule,
    refusal_rule,
)
from limner.screening._screener import ALL_CHECKS
from limner.screening._types import Checks, ImageScreener, ScreeningResult

log = logging.getLogger(__name__)


class ScreeningGate:
    def __init__(self, screener: ImageScreener, *, min_apparent_age: float = MIN_APPARENT_AGE):
        if min_apparent_age < MIN_APPARENT_AGE:
            raise ConfigurationError(
                f"the minimum apparent age may be raised, never set below {MIN_APPARENT_AGE}"
            )
        self.screener = screener
        self.min_apparent_age = min_apparent_age

    def check_ready(self) -> None:
        """Every screening model loads (for start-up and /readyz); `ConfigurationError` if not."""
        self.screener.check_ready(ALL_CHECKS)

    def report_at_start(self) -> bool:
        """Load the models now and say loudly if one cannot; the server still starts."""
        try:
            self.check_ready()
        except ConfigurationError as exc:
            log.error("image screening is unavailable (%s): jobs that need it will be refused", exc)
            return False
        return True

    def close(self) -> None:
        """Stop the screener's worker processes, if it has any (`ScreeningPool`)."""
        close = getattr(self.screener, "close", None)
        if callable(close):
            close()

    def require(self, checks: Checks) -> None:
        if not checks.any:
            return
        try:
            self.screener.check_ready(checks)
        except ConfigurationError as exc:
            log.error("refusing a job that needs image screening: %s", exc)
            raise ScreeningUnavailable() from exc

    def rule_for(self, image: Image.Image, checks: Checks) -> str | None:
        if not checks.any:
            return None
        result = self._screen(image, checks)
        return refusal_rule(result, checks, min_apparent_age=self.min_apparent_age)

    def input_rule_for(self, image: Image.Image, *, adult: bool, sexual_prompt: bool) -> str | None:
        """The rule refusing an input picture, or None; `ScreeningUnavailable` (503) when its
        screens cannot run, so no picture reaches a model unscreened."""
        checks = input_checks(adult=adult, sexual_prompt=sexual_prompt)
        self.require(checks)
        result = self._screen(image, checks)
        return input_refusal_rule(result, checks, min_apparent_age=self.min_apparent_age)

    def _screen(self, image: Image.Image, checks: Checks) -> ScreeningResult:
        try:
            return self.screener.screen(image, checks)
        except Exception as exc:  # a screen that cannot give an answer never lets an image out
            log.exception("image screening failed")
            raise ScreeningUnavailable() from exc
