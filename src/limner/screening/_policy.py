"""Which outputs are screened, and which results are refused. Pure; no models here.

- a job that took a user image: nudity, in every style (no sexual imagery of real people);
- a key marked SFW-only: nudity, on every output it gets;
- the adult style: apparent age on every detected face, refused below `min_apparent_age`.

Input pictures (`image`, `mask`, references) are screened before any model sees them
(`input_checks`, `input_refusal_rule`): apparent-minor faces when the style is adult or the prompt
is sexual; nudity when the style is not adult (a sexual picture never enters a non-adult job).
"""

from __future__ import annotations

from limner.domain.styles import Style, is_adult_style
from limner.screening._types import Checks, ScreeningResult

#: the adult threshold is 18; estimators err by years, so the default margin refuses under 25.
#: Operators may raise it, never lower it (the setting's lower bound is this value).
MIN_APPARENT_AGE = 25

RULE_NUDITY = "output_nudity"
RULE_MINOR_AGE = "output_minor_age"
RULE_INPUT_NUDITY = "input_nudity"
RULE_INPUT_MINOR_AGE = "input_minor_age"


def checks_for(*, style: Style, sfw_only: bool, image_input: bool) -> Checks:
    return Checks(nudity=image_input or sfw_only, apparent_age=is_adult_style(style))


def refusal_rule(
    result: ScreeningResult, checks: Checks, *, min_apparent_age: float = MIN_APPARENT_AGE
) -> str | None:
    """The rule that refuses this output, or None when it may be delivered."""
    if checks.apparent_age and any(face.apparent_age < min_apparent_age for face in result.faces):
        return RULE_MINOR_AGE
    if checks.nudity and result.nudity:
        return RULE_NUDITY
    return None


def input_checks(*, adult: bool, sexual_prompt: bool) -> Checks:
    """The screens an input picture gets: ages with adult or sexual intent, nudity otherwise."""
    return Checks(nudity=not adult, apparent_age=adult or sexual_prompt)


def input_refusal_rule(
    result: ScreeningResult, checks: Checks, *, min_apparent_age: float = MIN_APPARENT_AGE
) -> str | None:
    """The rule that refuses this input picture, or None when a model may see it."""
    if checks.apparent_age and any(face.apparent_age < min_apparent_age for face in result.faces):
        return RULE_INPUT_MINOR_AGE
    if checks.nudity and result.nudity:
        return RULE_INPUT_NUDITY
    return None
