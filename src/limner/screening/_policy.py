"""Which outputs are screened, and which results are refused. Pure; no models here.

- every output of every style: nudity, and when nudity is found, apparent age on every face (a
  cascade: the age model runs only on outputs with nudity); nudity with a face estimated below
  `min_apparent_age` is refused in every style. No setting, plan or key turns this off;
- a job that took a user image: nudity alone refuses, in every style (no sexual imagery of real
  people);
- a key marked SFW-only: nudity alone refuses, on every output it gets;
- the adult style: apparent age on every detected face, nudity or not, refused below
  `min_apparent_age`.

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
RULE_MINOR_NUDITY = "output_minor_nudity"
RULE_INPUT_NUDITY = "input_nudity"
RULE_INPUT_MINOR_AGE = "input_minor_age"


def checks_for(*, style: Style, sfw_only: bool, image_input: bool) -> Checks:
    # minor_nudity is on for every output: it has no parameter, so nothing can turn it off
    return Checks(
        nudity=image_input or sfw_only, apparent_age=is_adult_style(style), minor_nudity=True
    )


def refusal_rule(
    result: ScreeningResult, checks: Checks, *, min_apparent_age: float = MIN_APPARENT_AGE
) -> str | None:
    """The rule that refuses this output, or None when it may be delivered."""
    minor = any(face.apparent_age < min_apparent_age for face in result.faces)
    if checks.apparent_age and minor:
        return RULE_MINOR_AGE
    if checks.minor_nudity and result.nudity and minor:
        return RULE_MINOR_NUDITY
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
