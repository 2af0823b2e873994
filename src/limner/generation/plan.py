"""A request, planned once: parse -> moderate -> price -> pick the kind handler and the backend.

Everything that can refuse a request without making anything runs here, before any credit is
reserved: a wrong field (400), moderation (403, recorded), screening that cannot run (503), a
kind, style or quality no backend of this server can make (503 `NotAvailable`; a test key's
request goes to the placeholder backend only, whatever serves live keys), and an input picture
the admission gate refuses (`generation.admission`: 403, recorded). The `Plan` then
carries what the engine needs: the parsed request, its price, the screening for its outputs,
its input pictures, the chosen backend and the prompt built once for every backend alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from PIL import Image

from limner.backends.base import (
    Backend,
    ConditionsOnReferences,
    GenerationSpec,
    KnowsNativeSize,
)
from limner.db.tables import Generation
from limner.domain.prompts import BuiltPrompt, build_prompt
from limner.domain.requests import GenerateRequest
from limner.errors import ContentBlocked, GenerationFailed, ValidationFailed
from limner.generation.accounts import AccountRef
from limner.generation.admission import InputAdmission
from limner.generation.backends import BackendSet
from limner.generation.characters import FIELD as CHARACTER_FIELD
from limner.generation.characters import (
    STORED_CHARACTER,
    CharacterBook,
    CharacterUse,
    apply_to_body,
    character_text_fields,
    with_character_checks,
)
from limner.generation.inputs import ImageResolver, KindInput, PictureRef
from limner.generation.kinds import KINDS, Kind, kind_named, kind_of
from limner.generation.refusals import RefusalRecorder
from limner.media.refs import RefSource
from limner.moderation.base import ModerationRequest, TextModerator, Verdict
from limner.provenance import COMPONENT_OF, PARENT_OF, Ingredient
from limner.runner import GenerationRunner
from limner.screening import Checks, ScreeningGate

__all__ = ["ORIGIN", "Plan", "Planner", "RefusalRecorder", "output_size"]

#: the key of `generations.params` that keeps a plan's origin (not a request field)
ORIGIN = "origin"


@dataclass(frozen=True)
class Plan:
    kind: Kind
    request: GenerateRequest
    runner: GenerationRunner
    prompt: BuiltPrompt
    checks: Checks
    price_per_output: int
    #: the input pictures with their fields and origins (admitted in `plan()`)
    inputs: tuple[KindInput, ...] = field(default=(), repr=False)
    #: what the backend gets from them (`Kind.backend_inputs`: a mask, an outpaint canvas)
    backend_inputs: tuple[Image.Image, ...] = field(default=(), repr=False)
    #: false for a test key's request: the placeholder backend, priced at nothing, no credits
    livemode: bool = True
    #: the request's character (`character_id`), applied
    character: CharacterUse | None = None
    #: the chosen backend conditions on the character's references (the response says so)
    reference_conditioning: bool = False
    #: a queued job's character was deleted before it ran: the job fails, nothing is charged
    character_missing: bool = False
    #: the requested (width, height), checked against the preset; None: the preset's own size
    size: tuple[int, int] | None = None
    #: where the request came from, kept with the generation's params for abuse review (the
    #: OpenAI surface: `{"surface": "openai", "user": ...}`); never parsed as the request
    origin: dict[str, str] = field(default_factory=dict)
    #: the size the picture is delivered at when it is not the made `size` (the OpenAI surface:
    #: a client's size over the preset's pixels is made smaller and resized up before the
    #: caption, screening and stamping); None: delivered as made
    resize_to: tuple[int, int] | None = None

    @property
    def cost(self) -> int:
        """What is reserved: every output's price (only the delivered ones are charged)."""
        return self.price_per_output * self.kind.outputs(self.request)

    @property
    def takes_user_image(self) -> bool:
        """A user's picture went into it (the kind's own, or a character's reference): its
        outputs are marked composite in their provenance."""
        return self.kind.takes_user_image or (
            self.character is not None and self.character.user_pictures
        )

    @property
    def queued(self) -> bool:
        return self.request.queued

    @property
    def backend(self) -> str:
        return self.runner.backend.name

    def stored_params(self) -> dict[str, Any]:
        """The request as `generations.params` keeps it (the prompt has its own column), the
        character it used, which the answer names (`views.present`), and the plan's origin."""
        params = self.request.model_dump(mode="json", by_alias=True, exclude={"prompt"})
        if self.character is not None:
            params[STORED_CHARACTER] = {
                "id": self.character.id,
                "name": self.character.name,
                "reference_conditioning": self.reference_conditioning,
            }
        if self.origin:
            params[ORIGIN] = dict(self.origin)
        return params

    def ingredients(self) -> tuple[Ingredient, ...]:
        """The input pictures as C2PA ingredients: `image` is the parent, the rest components;
        a character's references are components too, where they conditioned the model (read
        from storage once per plan: `CharacterUse.reference_files`)."""
        pictures = tuple(
            Ingredient(
                data=each.picture.data,
                media_type=each.picture.media_type,
                relationship=PARENT_OF if each.field == "image" else COMPONENT_OF,
                title=each.field,
            )
            for each in self.inputs
        )
        if self.character is None or not self.reference_conditioning:
            return pictures
        references = self.character.reference_files()
        return pictures + tuple(
            Ingredient(
                data=data,
                media_type=media_type,
                relationship=COMPONENT_OF,
                title=f"{CHARACTER_FIELD} {self.character.id} reference {number}",
            )
            for number, (data, media_type) in enumerate(references, start=1)
        )

    def finish(self, made: Image.Image) -> Image.Image:
        """The delivered picture from the backend's (resized back, composited: `Kind.finish`;
        resized up to `resize_to`)."""
        image = self.kind.finish(made, self.backend_inputs, self.request)
        if self.resize_to is None or image.size == self.resize_to:
            return image
        return image.resize(self.resize_to, Image.Resampling.LANCZOS)

    def spec(self, generation_id: str, seed: int) -> GenerationSpec:
        if self.character_missing:  # raised inside the engine's output loop: failed, released
            raise GenerationFailed("The character of this generation was deleted before it ran.")
        return GenerationSpec(
            generation_id=generation_id,
            prompt=self.prompt.positive,
            negative_prompt=self.prompt.negative,
            style=self.request.style,
            quality=self.request.quality,
            seed=seed,
            kind=self.kind.name,
            inputs=self.backend_inputs,
            character=self.character.references
            if self.character is not None and self.reference_conditioning
            else None,
            # a video kind's options carry its frame size (it is not sized as an image)
            **{
                "width": self.size[0] if self.size else None,
                "height": self.size[1] if self.size else None,
                **self.kind.spec_options(self.request),
            },
        )


class Planner:
    def __init__(
        self,
        *,
        backends: BackendSet,
        moderator: TextModerator,
        screening: ScreeningGate,
        resolve_image: ImageResolver,
        admission: InputAdmission,
        record_refusal: RefusalRecorder,
        max_batch: int,
        characters: CharacterBook | None = None,
        kinds: Mapping[str, Kind] = KINDS,
    ) -> None:
        #: the kinds with this server's terms (video prices and caps)
        self.kinds = kinds
        self.backends = backends
        self.moderator = moderator
        self.screening = screening
        self.resolve_image = resolve_image
        self.admission = admission
        self.record_refusal = record_refusal
        self.max_batch = max_batch
        self.characters = characters

    def plan(self, account: AccountRef, body: dict[str, Any]) -> Plan:
        """Plan a request body (a decoded JSON object), or raise why it cannot run."""
        character = None
        if isinstance(body, dict) and body.get(CHARACTER_FIELD) is not None:
            # before parsing: the character's style and traits are part of the request
            character = self._character(body[CHARACTER_FIELD], account)
            body = apply_to_body(body, character)
        kind = kind_of(body, self.kinds)
        request = kind.parse({name: value for name, value in body.items() if name != "type"})
        if request.n > self.max_batch:
            raise ValidationFailed(
                "n", f"`n` must be at most {self.max_batch} on this server but is {request.n}"
            )
        pictures = kind.pictures(request)
        # the adult style never takes a user's picture: refused (and recorded) from the
        # reference alone, before anything is fetched or decoded
        for ref in pictures:
            self.admission.check_reference(
                ref.reference, field=ref.field, style=request.style, account=account
            )
        verdict = self._moderate(account, kind, request, character)
        checks = with_character_checks(kind.checks(request, sfw_only=account.sfw_only), character)
        self.screening.require(checks)  # fail closed, before any credit or model is touched
        runner = self.backends.pick(
            kind.capability, request.style, request.quality, livemode=account.livemode
        )
        if kind.sized_as_image:
            output_size(request, runner.backend)  # a size over the preset's pixels: 400, now
        sized = request.width is not None or request.height is not None
        if kind.sized_as_image and pictures and sized:
            # the result of an image-input request is the input's size (or the outpaint
            # canvas): a requested size would be ignored, so it is refused rather than dropped
            side = "width" if request.width is not None else "height"
            raise ValidationFailed(
                side,
                f"{side}: a '{kind.name}' request answers at the size of its input picture; "
                "resize the input instead",
            )
        inputs = []
        for ref in pictures:  # each admitted before any model sees it or any credit is held
            picture = self._resolve_one(ref, account)
            self.admission.admit(
                picture.picture,
                field=ref.field,
                style=request.style,
                sexual_prompt=verdict.sexual,
                account=account,
            )
            inputs.append(picture)
        return self._finish(kind, request, runner, account, checks, tuple(inputs), character)

    def restore(self, generation: Generation, account: AccountRef) -> Plan:
        """The plan of a stored generation (a queued job, run by a worker of any process): its
        stored request was planned when submitted, so it is not moderated or refused again,
        but for an https:// picture, fetched anew, which passes the admission gate again."""
        kind = kind_named(generation.type, self.kinds)
        #: not request fields: the character it used (looked up again) and the plan's origin
        params = {
            name: v
            for name, v in generation.params.items()
            if name not in (STORED_CHARACTER, ORIGIN)
        }
        request = kind.request_model.model_validate({**params, "prompt": generation.prompt})
        runner = self.backends.named(
            generation.backend, livemode=account.livemode
        ) or self.backends.pick(
            kind.capability, request.style, request.quality, livemode=account.livemode
        )
        inputs = tuple(self._resolve_one(ref, account) for ref in kind.pictures(request))
        character, missing = None, False
        if request.character_id is not None:
            try:  # its style and traits are in the stored request; its references are looked up
                character = self._character(request.character_id, account)
            except ValidationFailed:
                missing = True
        # an https:// picture is fetched again here and may not be the one admitted at submit
        # time: it passes the same gate again (the others are immutable: uploads, gen_, data:)
        fetched = [each for each in inputs if each.picture.source is RefSource.url]
        if fetched:
            sexual = self.moderator.check(self._moderation_request(kind, request, character)).sexual
            for each in fetched:
                self.admission.admit(
                    each.picture,
                    field=each.field,
                    style=request.style,
                    sexual_prompt=sexual,
                    account=account,
                )
        checks = with_character_checks(kind.checks(request, sfw_only=account.sfw_only), character)
        plan = self._finish(kind, request, runner, account, checks, inputs, character)
        if missing:
            plan = replace(plan, character_missing=True)
        origin = generation.params.get(ORIGIN)
        return replace(plan, origin=dict(origin)) if isinstance(origin, dict) else plan

    def _character(self, character_id: object, account: AccountRef) -> CharacterUse:
        if self.characters is None:
            raise ValidationFailed(
                CHARACTER_FIELD, f"{CHARACTER_FIELD}: this server has no characters"
            )
        return self.characters(character_id, account=account)

    def _resolve_one(self, ref: PictureRef, account: AccountRef) -> KindInput:
        picture = self.resolve_image.resolve(ref.reference, field=ref.field, account=account)
        return KindInput(ref.field, picture)

    def _finish(
        self,
        kind: Kind,
        request: GenerateRequest,
        runner: GenerationRunner,
        account: AccountRef,
        checks: Checks,
        inputs: tuple[KindInput, ...],
        character: CharacterUse | None = None,
    ) -> Plan:
        conditioning = False
        if character is not None:
            backend = runner.backend
            conditioning = isinstance(
                backend, ConditionsOnReferences
            ) and backend.reference_conditioning(request.style, request.quality, kind.capability)
            if request.seed is None and not conditioning:
                # the same person needs the same noise when nothing else holds the face
                request = request.model_copy(update={"seed": character.seed})
        gender = request.appearance.gender if request.appearance is not None else None
        options = runner.backend.prompt_options(request.style, request.quality, gender)
        prompt = build_prompt(
            prompt=request.prompt,
            style=request.style,
            appearance=request.appearance,
            trigger_words=options.trigger_words,
            style_negative=options.style_negative,
            character=character.description if character is not None else None,
        )
        return Plan(
            kind=kind,
            request=request,
            runner=runner,
            prompt=prompt,
            checks=checks,
            # a test key is never charged: its price is nothing, so nothing is held or captured
            price_per_output=kind.price_per_output(request) if account.livemode else 0,
            inputs=inputs,
            backend_inputs=kind.backend_inputs(inputs, request),
            livemode=account.livemode,
            character=character,
            reference_conditioning=conditioning,
            size=output_size(request, runner.backend) if kind.sized_as_image else None,
        )

    def _moderate(
        self,
        account: AccountRef,
        kind: Kind,
        request: GenerateRequest,
        character: CharacterUse | None = None,
    ) -> Verdict:
        verdict = self.moderator.check(self._moderation_request(kind, request, character))
        if not verdict.allowed:
            self._refuse(
                account,
                verdict.field or "prompt",
                verdict.rule or "blocked",
                request.style.value,
                message=verdict.message,
            )
        return verdict

    @staticmethod
    def _moderation_request(
        kind: Kind, request: GenerateRequest, character: CharacterUse | None = None
    ) -> ModerationRequest:
        """The request's text with its character's, and whether a user's picture went in (the
        kind's own or a character's reference)."""
        fields = kind.text_fields(request)
        if character is not None:
            fields += character_text_fields(character)
        return ModerationRequest(
            style=request.style,
            fields=tuple(fields),
            has_image_input=kind.takes_user_image
            or (character is not None and character.user_pictures),
        )

    def _refuse(
        self, account: AccountRef, field: str, rule: str, style: str, *, message: str | None = None
    ) -> None:
        self.record_refusal(account, field, rule, style)
        raise ContentBlocked(field=field, rule=rule, message=message)


def output_size(request: GenerateRequest, backend: Backend) -> tuple[int, int] | None:
    """The (width, height) a request asks for, the side it leaves out being the preset's; None
    when it asks for none. More pixels than the preset's native size is `validation_error`
    (the price is per image, and memory and time grow with the pixels)."""
    if request.width is None and request.height is None:
        return None
    field = "width" if request.width is not None else "height"
    if not isinstance(backend, KnowsNativeSize):
        raise ValidationFailed(field, f"{field}: this server's backend makes its own size only")
    native_width, native_height = backend.native_size(request.style, request.quality)
    width = request.width or native_width
    height = request.height or native_height
    if width * height > native_width * native_height:
        raise ValidationFailed(
            field,
            f"{field}: {width}x{height} is more than the {native_width}x{native_height} pixels "
            f"of the '{request.style.value}' style at '{request.quality.value}' quality",
        )
    return width, height
