"""Input admission: the one safety gate every input picture passes before any model sees it.

Every kind that takes pictures (i2i, inpaint, outpaint, character references, i2v) goes through
`InputAdmission`, so the studio spec's safety rules (`shared/spec/studio.md`, "Safety"; line 2 of
`safety.md`) hold alike everywhere, and no setting turns them off:

- the adult style never takes a user-supplied picture (upload, data URL, https URL): refused
  from the reference's form alone (`check_reference`, before anything is fetched or decoded) and
  again on the resolved picture (`admit`);
- in the adult style, the key's own `gen_` output is taken only when its provenance verifies:
  the watermark in its pixels names that very generation, and a C2PA manifest, if present, is
  valid (`limner.provenance.verify`);
- every picture is screened (`ScreeningGate.input_rule_for`): faces of apparent minors refuse
  when the style is adult or the prompt is sexual; a sexual picture refuses a non-adult request.
  A screen that cannot run refuses with 503 (fail closed).

A refusal is `403 content_blocked` naming the field, recorded in the refusal log (never the
picture), and costs nothing: admission runs in `Planner.plan`, before any credit is reserved.
A queued job restored by a worker (`Planner.restore`) was admitted when it was submitted.
"""

from __future__ import annotations

from dataclasses import dataclass

from limner.domain.styles import Style, is_adult_style
from limner.errors import ContentBlocked
from limner.generation.accounts import AccountRef
from limner.generation.refusals import RefusalRecorder
from limner.media.refs import GENERATION_REF, InputImage, RefSource, source_of
from limner.provenance import verify
from limner.screening import ScreeningGate

__all__ = [
    "RULE_ADULT_IMAGE_INPUT",
    "RULE_UNVERIFIED_PROVENANCE",
    "InputAdmission",
    "ProvenanceKeys",
]

#: a user-supplied picture in the adult style
RULE_ADULT_IMAGE_INPUT = "adult_image_input"
#: a `gen_` picture in the adult style whose provenance does not name that generation
RULE_UNVERIFIED_PROVENANCE = "unverified_provenance"


@dataclass(frozen=True)
class ProvenanceKeys:
    """What verifying this server's own outputs needs (from the stamper's settings)."""

    watermark_key: bytes
    trust_anchors_pem: bytes | None = None


class InputAdmission:
    """Admits or refuses input pictures. Build once (wiring); safe to call from any thread."""

    def __init__(
        self,
        *,
        screening: ScreeningGate,
        record_refusal: RefusalRecorder,
        provenance: ProvenanceKeys,
    ) -> None:
        self.screening = screening
        self.record_refusal = record_refusal
        self.provenance = provenance

    def check_reference(
        self, reference: object, *, field: str, style: Style, account: AccountRef
    ) -> None:
        """Refuse a user's picture in the adult style from the reference alone: before the
        server fetches a URL or decodes a byte of it. Anything but `gen_...` counts as the
        user's (a malformed reference too: the adult style takes only this server's outputs)."""
        if is_adult_style(style) and source_of(reference) is not RefSource.generation:
            self._refuse(account, field, RULE_ADULT_IMAGE_INPUT, style)

    def admit(
        self,
        picture: InputImage,
        *,
        field: str,
        style: Style,
        sexual_prompt: bool,
        account: AccountRef,
    ) -> None:
        """Return if `picture` may be given to a model for this request, else raise
        `ContentBlocked` (recorded) or `ScreeningUnavailable` (a screen cannot run)."""
        adult = is_adult_style(style)
        if adult:
            if picture.user_supplied:
                self._refuse(account, field, RULE_ADULT_IMAGE_INPUT, style)
            if not self._provenance_verifies(picture):
                self._refuse(account, field, RULE_UNVERIFIED_PROVENANCE, style)
        rule = self.screening.input_rule_for(
            picture.image, adult=adult, sexual_prompt=sexual_prompt
        )
        if rule is not None:
            self._refuse(account, field, rule, style)

    def _provenance_verifies(self, picture: InputImage) -> bool:
        """The picture's own bytes carry this server's watermark naming the referenced
        generation, and no C2PA manifest that fails validation."""
        match = GENERATION_REF.fullmatch(picture.ref_id or "")
        if picture.source is not RefSource.generation or match is None:
            return False
        result = verify(
            picture.data,
            watermark_key=self.provenance.watermark_key,
            trust_anchors_pem=self.provenance.trust_anchors_pem,
        )
        return (
            result.watermark_id == match.group(1)
            and result.ids_agree is not False
            and result.c2pa_valid is not False
        )

    def _refuse(self, account: AccountRef, field: str, rule: str, style: Style) -> None:
        self.record_refusal(account, field, rule, style.value)
        raise ContentBlocked(field=field, rule=rule, message=rule_message(rule, field))


def rule_message(rule: str, field: str) -> str | None:
    """The refusal in words a user can act on, for the input gate's own rules (safety line 2);
    None for a screening rule, which keeps the generic answer (it never says what was seen)."""
    if rule == RULE_ADULT_IMAGE_INPUT:
        return (
            f"{field}: the adult style ('nude') takes no uploaded or linked picture, only one of "
            "this key's own adult-style generations (its gen_ id). Choose another style for "
            "this picture, or refer to a gen_ id of your own."
        )
    if rule == RULE_UNVERIFIED_PROVENANCE:
        return (
            f"{field}: the adult style takes only this key's own generations, and this "
            "picture's watermark or C2PA manifest does not name the generation it was referred "
            "to by. Refer to the gen_ id of an unaltered adult-style generation of this key."
        )
    return None
