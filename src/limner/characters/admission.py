"""Admitting a character's reference pictures (safety.md line 2, the studio spec's "Safety").

- The adult style takes no user-supplied picture: only the key's own outputs (`gen_...`), and
  only once their provenance verifies (the watermark in the stored bytes names that very
  generation). Anything else is refused `403 content_blocked` on the reference and recorded,
  before an outside picture is even fetched.
- Every reference is screened like any input picture: in the adult style for faces of apparent
  minors, in the other styles for nudity (a sexual picture never makes a non-adult character).

This is the characters' own minimal gate: the shared input-admission module of the image-inputs
work (`admission:` commits on branch `inputs`) had not landed when it was written; once it has,
this module should call it instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from limner.domain.styles import Style, is_adult_style
from limner.errors import ContentBlocked
from limner.generation.accounts import AccountRef
from limner.media.refs import GENERATION_REF, InputImage, RefSource
from limner.provenance import verify
from limner.screening import Checks, ScreeningGate

__all__ = [
    "RULE_ADULT_USER_PICTURE",
    "RULE_INPUT_MINOR_AGE",
    "RULE_INPUT_NUDITY",
    "RULE_PROVENANCE",
    "ReferenceAdmission",
]

RULE_ADULT_USER_PICTURE = "adult_image_input"
RULE_PROVENANCE = "adult_reference_provenance"
RULE_INPUT_NUDITY = "input_nudity"
RULE_INPUT_MINOR_AGE = "input_minor_age"

#: records a refusal (account, field, rule, style) before it is raised
Recorder = Callable[[AccountRef, str, str, str], None]


@dataclass(frozen=True)
class ReferenceAdmission:
    screening: ScreeningGate
    record_refusal: Recorder
    watermark_key: bytes
    trust_anchors_pem: bytes | None = None

    def before_resolving(self, account: AccountRef, style: Style, references: list[str]) -> None:
        """The adult style names only this server's outputs: refused before anything is fetched."""
        if not is_adult_style(style):
            return
        for index, reference in enumerate(references):
            if not reference.startswith("gen_"):
                self._refuse(account, f"references.{index}", RULE_ADULT_USER_PICTURE, style)

    def require_screening(self, style: Style) -> None:
        """Fail closed (503) before anything is stored when the screens cannot run."""
        self.screening.require(self.checks(style))

    def admit(self, account: AccountRef, style: Style, index: int, picture: InputImage) -> None:
        """Provenance (adult style) and screening of one resolved reference, or `ContentBlocked`."""
        field = f"references.{index}"
        if is_adult_style(style):
            if picture.source is not RefSource.generation or not self._made_here(picture):
                self._refuse(account, field, RULE_PROVENANCE, style)
        rule = self.screening.rule_for(picture.image, self.checks(style))
        if rule is not None:
            self._refuse(
                account,
                field,
                RULE_INPUT_NUDITY if rule.endswith("nudity") else RULE_INPUT_MINOR_AGE,
                style,
            )

    @staticmethod
    def checks(style: Style) -> Checks:
        adult = is_adult_style(style)
        return Checks(nudity=not adult, apparent_age=adult)

    def _made_here(self, picture: InputImage) -> bool:
        match = GENERATION_REF.fullmatch(picture.ref_id or "")
        if match is None:
            return False
        result = verify(
            picture.data, watermark_key=self.watermark_key, trust_anchors_pem=self.trust_anchors_pem
        )
        return result.watermark_id == match.group(1)

    def _refuse(self, account: AccountRef, field: str, rule: str, style: Style) -> None:
        self.record_refusal(account, field, rule, style.value)
        raise ContentBlocked(field=field, rule=rule)
