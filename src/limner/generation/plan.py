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
from dataclasses import dataclass, field
from typing import Any

from limner.backends.base import GenerationSpec
from limner.db.tables import Generation
from limner.domain.prompts import BuiltPrompt, build_prompt
from limner.domain.requests import GenerateRequest
from limner.errors import ContentBlocked, ValidationFailed
from limner.generation.accounts import AccountRef
from limner.generation.admission import InputAdmission
from limner.generation.backends import BackendSet
from limner.generation.inputs import ImageResolver, KindInput, PictureRef
from limner.generation.kinds import KINDS, Kind, kind_named, kind_of
from limner.generation.refusals import RefusalRecorder
from limner.moderation.base import ModerationRequest, TextModerator, Verdict
from limner.runner import GenerationRunner
from limner.screening import Checks, ScreeningGate

__all__ = ["Plan", "Planner", "RefusalRecorder"]


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
    #: false for a test key's request: the placeholder backend, priced at nothing, no credits
    livemode: bool = True

    @property
    def cost(self) -> int:
        """What is reserved: every output's price (only the delivered ones are charged)."""
        return self.price_per_output * self.kind.outputs(self.request)

    @property
    def queued(self) -> bool:
        return self.request.queued

    @property
    def backend(self) -> str:
        return self.runner.backend.name

    def stored_params(self) -> dict[str, Any]:
        """The request as `generations.params` keeps it (the prompt has its own column)."""
        return self.request.model_dump(mode="json", by_alias=True, exclude={"prompt"})

    def spec(self, generation_id: str, seed: int) -> GenerationSpec:
        return GenerationSpec(
            generation_id=generation_id,
            prompt=self.prompt.positive,
            negative_prompt=self.prompt.negative,
            style=self.request.style,
            quality=self.request.quality,
            seed=seed,
            kind=self.kind.name,
            inputs=tuple(each.picture.image for each in self.inputs),
            **self.kind.spec_options(self.request),
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

    def plan(self, account: AccountRef, body: dict[str, Any]) -> Plan:
        """Plan a request body (a decoded JSON object), or raise why it cannot run."""
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
        verdict = self._moderate(account, kind, request)
        checks = kind.checks(request, sfw_only=account.sfw_only)
        self.screening.require(checks)  # fail closed, before any credit or model is touched
        runner = self.backends.pick(
            kind.capability, request.style, request.quality, livemode=account.livemode
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
        return self._finish(kind, request, runner, account, checks, tuple(inputs))

    def restore(self, generation: Generation, account: AccountRef) -> Plan:
        """The plan of a stored generation (a queued job, run by a worker of any process): its
        stored request was planned when submitted, so it is not moderated or refused again."""
        kind = kind_named(generation.type, self.kinds)
        request = kind.request_model.model_validate(
            {**generation.params, "prompt": generation.prompt}
        )
        runner = self.backends.named(
            generation.backend, livemode=account.livemode
        ) or self.backends.pick(
            kind.capability, request.style, request.quality, livemode=account.livemode
        )
        checks = kind.checks(request, sfw_only=account.sfw_only)
        inputs = tuple(self._resolve_one(ref, account) for ref in kind.pictures(request))
        return self._finish(kind, request, runner, account, checks, inputs)

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
    ) -> Plan:
        gender = request.appearance.gender if request.appearance is not None else None
        options = runner.backend.prompt_options(request.style, request.quality, gender)
        prompt = build_prompt(
            prompt=request.prompt,
            style=request.style,
            appearance=request.appearance,
            trigger_words=options.trigger_words,
            style_negative=options.style_negative,
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
            livemode=account.livemode,
        )

    def _moderate(self, account: AccountRef, kind: Kind, request: GenerateRequest) -> Verdict:
        verdict = self.moderator.check(
            ModerationRequest(
                style=request.style,
                fields=tuple(kind.text_fields(request)),
                has_image_input=kind.takes_user_image,
            )
        )
        if not verdict.allowed:
            self._refuse(
                account,
                verdict.field or "prompt",
                verdict.rule or "blocked",
                request.style.value,
                message=verdict.message,
            )
        return verdict

    def _refuse(
        self, account: AccountRef, field: str, rule: str, style: str, *, message: str | None = None
    ) -> None:
        self.record_refusal(account, field, rule, style)
        raise ContentBlocked(field=field, rule=rule, message=message)
