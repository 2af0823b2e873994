"""Generation, end to end: moderate -> reserve -> generate -> caption -> stamp -> store -> capture.

The order is the contract's safety and money rules: moderation runs before credits are reserved and
before any backend is touched; a failure anywhere after the reservation releases it, so a failed or
refused generation costs nothing; the charge is captured only once the image is stored.
"""

from __future__ import annotations

import logging
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from PIL import Image
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from limner import ledger
from limner.backends.base import (
    GenerationCanceled,
    GenerationContext,
    GenerationSpec,
    ProgressCallback,
)
from limner.clock import utcnow
from limner.db.engine import Database
from limner.db.tables import (
    Account,
    Generation,
    GenerationImage,
    Job,
    Reservation,
)
from limner.domain.requests import MAX_SEED, GenerateRequest, adult_image_inputs
from limner.domain.styles import Style, credit_cost
from limner.errors import (
    BackendBusy,
    ContentBlocked,
    GenerationFailed,
    GenerationTimedOut,
    LimnerError,
    NotFound,
)
from limner.ids import new_generation_id, new_image_token
from limner.imaging.caption import draw_caption, random_caption
from limner.jobs.live import LiveBoard
from limner.jobs.states import JobStatus
from limner.moderation.audit import record_refusal
from limner.moderation.base import ModerationRequest, TextField, TextModerator
from limner.provenance import ProvenanceStamper
from limner.runner import GenerationRunner
from limner.screening import Checks, ScreeningGate, checks_for
from limner.storage.base import ImageStore

log = logging.getLogger(__name__)


class Stamper(Protocol):
    """Turns a finished image into stored bytes carrying provenance."""

    def stamp(
        self, image: Image.Image, *, generation_id: str, image_input: bool, backend: str
    ) -> tuple[bytes, str]: ...


class ProvenanceStamp:
    """Every output as PNG with metadata, a watermark of its id and a C2PA manifest."""

    def __init__(self, stamper: ProvenanceStamper) -> None:
        self.stamper = stamper

    def stamp(
        self, image: Image.Image, *, generation_id: str, image_input: bool, backend: str
    ) -> tuple[bytes, str]:
        data = self.stamper.stamp(
            image,
            generation_id=generation_id,
            image_input=image_input,
            fmt="PNG",
            placeholder=backend == "placeholder",
        )
        return data, "image/png"


#: called inside the transaction that settles a generation (the webhook outbox uses it)
SettleHook = Callable[[Session, Generation], None]


@dataclass(frozen=True)
class Outcome:
    """A settled generation; `error` says why nothing was delivered (failed or canceled)."""

    generation: Generation
    error: LimnerError | None


@dataclass(frozen=True)
class AccountRef:
    """The authenticated caller, as the service needs it."""

    id: int
    key_prefix: str
    plan: str
    #: every output this key gets is screened for nudity
    sfw_only: bool = False


class GenerationService:
    def __init__(
        self,
        *,
        database: Database,
        runner: GenerationRunner,
        store: ImageStore,
        moderator: TextModerator,
        stamper: Stamper,
        allowance_for_plan: dict[str, int],
        owner: str | None = None,
        screening: ScreeningGate,
    ) -> None:
        self.database = database
        self.runner = runner
        self.store = store
        self.moderator = moderator
        self.stamper = stamper
        self.allowance_for_plan = allowance_for_plan
        #: running generations in this process: progress and cancel
        self.live = LiveBoard()
        self.settle_hooks: list[SettleHook] = []
        #: this process's instance id, written on each reservation (see `limner.recovery`)
        self.owner = owner
        self.screening = screening

    # -- submit and execute: the synchronous path and the queue's workers share them ----------

    def generate(
        self,
        account: AccountRef,
        request: GenerateRequest,
        on_progress: ProgressCallback | None = None,
        *,
        image_input: bool = False,
    ) -> Generation:
        """The synchronous v1 path: submit, run here, answer when stored (or raise)."""
        generation = self.submit(account, request, queued=False, image_input=image_input)
        outcome = self.execute(generation.id, GenerationContext(on_progress=on_progress))
        if outcome.error is not None:
            raise outcome.error
        return outcome.generation

    def submit(
        self,
        account: AccountRef,
        request: GenerateRequest,
        *,
        queued: bool,
        image_input: bool = False,
    ) -> Generation:
        """Moderate, reserve `n` images' credits and record the generation: `queued` (with its
        job row, for the workers) or `running` (the caller executes it at once)."""
        self.moderate(account, request)
        checks = checks_for(style=request.style, sfw_only=account.sfw_only, image_input=image_input)
        self.screening.require(checks)  # fail closed, before any credit or model is touched
        generation_id = new_generation_id()
        seed = request.seed if request.seed is not None else secrets.randbelow(MAX_SEED + 1)
        cost = credit_cost(request.quality) * request.n
        now = utcnow()
        with self.database.transaction() as session:
            ledger.reserve(
                session=session,
                account_id=account.id,
                amount=cost,
                allowance=self.allowance_for_plan[account.plan],
                generation_id=generation_id,
                # a queued job's hold belongs to the queue; the claiming process takes it over
                owner=None if queued else self.owner,
            )
            generation = Generation(
                id=generation_id,
                account_id=account.id,
                status=JobStatus.queued.value if queued else JobStatus.running.value,
                # the type says whether a user image went in (so which screening applies)
                type="i2i" if image_input else "t2i",
                prompt=request.prompt,
                quality=request.quality.value,
                style=request.style.value,
                params=request.model_dump(mode="json", by_alias=True, exclude={"prompt"}),
                seed=seed,
                backend=self.runner.backend.name,
                created_at=now,
            )
            session.add(generation)
            if queued:
                session.flush()
                session.add(
                    Job(
                        generation_id=generation_id,
                        account_id=account.id,
                        webhook_url=request.webhook_url,
                        attempts=0,
                        queued_at=now,
                        available_at=now,
                        cancel_requested=False,
                    )
                )
        return generation

    def execute(
        self, generation_id: str, context: GenerationContext, *, defer_when_busy: bool = False
    ) -> Outcome:
        """Make every image of a `running` generation, then settle it in one transaction:
        completed (the successes charged, the rest released), failed or canceled (released).
        With `defer_when_busy`, a busy backend before the first image raises `BackendBusy` and
        changes nothing (the queue tries again later)."""
        with self.database.read() as session:
            generation = session.get(Generation, generation_id)
            if generation is None:
                raise NotFound(f"No generation {generation_id!r}.")
            owner_account = session.get(Account, generation.account_id)
            assert owner_account is not None
        request = GenerateRequest.model_validate({**generation.params, "prompt": generation.prompt})
        account = account_ref(owner_account)
        checks = checks_for(
            style=request.style, sfw_only=account.sfw_only, image_input=generation.type != "t2i"
        )
        made: list[tuple[int, str, str]] = []  # (seed, token, media type)
        error: LimnerError | None = None
        canceled = False
        self.live.start(generation_id, context, images=request.n)
        try:
            for index in range(request.n):
                seed = (generation.seed + index) % (MAX_SEED + 1)
                image_context = self.live.image_context(generation_id, context, index)
                try:
                    token, media_type = self._produce(
                        generation_id,
                        request,
                        seed,
                        image_context,
                        account=account,
                        checks=checks,
                        image_input=generation.type != "t2i",
                    )
                except BackendBusy:
                    if defer_when_busy and index == 0:
                        raise
                    error = BackendBusy()
                    break
                except GenerationCanceled:
                    canceled = True
                    break
                except GenerationTimedOut as exc:
                    error = exc  # the backend is struggling: the rest would time out too
                    break
                except LimnerError as exc:
                    error = exc
                    continue
                except Exception:
                    log.exception("generation %s image %d failed", generation_id, index)
                    error = GenerationFailed()
                    continue
                made.append((seed, token, media_type))
            if context.canceled and not isinstance(error, GenerationTimedOut):
                canceled = True
            settled = self._settle(generation, request, made, canceled, error)
        finally:
            self.live.finish(generation_id)
        if settled.status == JobStatus.completed.value:
            return Outcome(settled, None)
        if settled.status == JobStatus.canceled.value:
            return Outcome(settled, GenerationCanceled())
        return Outcome(settled, error or GenerationFailed())

    def _settle(
        self,
        generation: Generation,
        request: GenerateRequest,
        made: list[tuple[int, str, str]],
        canceled: bool,
        error: LimnerError | None,
    ) -> Generation:
        if canceled:
            target, values = JobStatus.canceled, {"error_code": "canceled"}
            values["error_message"] = "Canceled by the owner; not charged."
        elif not made:
            failure = error or GenerationFailed()
            target = JobStatus.failed
            values = {"error_code": failure.code, "error_message": failure.message[:300]}
        else:
            target, values = JobStatus.completed, {}
        now = utcnow()
        with self.database.transaction() as session:
            moved = session.execute(
                update(Generation)
                .where(Generation.id == generation.id, Generation.status == "running")
                .values(status=target.value, completed_at=now, **values)
                .execution_options(synchronize_session=False)
            )
            if moved.rowcount != 1:  # type: ignore[attr-defined]
                raise LimnerError(f"generation {generation.id} was no longer running")
            reservation_id = session.scalar(
                select(Reservation.id).where(
                    Reservation.generation_id == generation.id, Reservation.status == "open"
                )
            )
            charged = 0
            if reservation_id is not None:
                if target is JobStatus.completed:
                    charged = ledger.capture_partial(
                        session=session,
                        reservation_id=reservation_id,
                        amount=credit_cost(request.quality) * len(made),
                    )
                else:
                    reason = "canceled" if canceled else values.get("error_code", "failed")
                    ledger.release(session=session, reservation_id=reservation_id, reason=reason)
            if target is JobStatus.completed:
                seed, token, media_type = made[0]
                session.execute(
                    update(Generation)
                    .where(Generation.id == generation.id)
                    .values(credits_used=charged, image_token=token, image_media_type=media_type)
                    .execution_options(synchronize_session=False)
                )
                for position, (seed, token, media_type) in enumerate(made):
                    session.add(
                        GenerationImage(
                            generation_id=generation.id,
                            position=position,
                            seed=seed,
                            token=token,
                            media_type=media_type,
                            created_at=now,
                        )
                    )
            session.execute(
                update(Job)
                .where(Job.generation_id == generation.id)
                .values(finished_at=now)
                .execution_options(synchronize_session=False)
            )
            settled = session.get(Generation, generation.id, populate_existing=True)
            assert settled is not None
            for hook in self.settle_hooks:
                hook(session, settled)
        return settled

    def refuse_adult_image_inputs(self, account: AccountRef, body: dict[str, Any]) -> None:
        """The adult style never takes a user's image: refuse (and record) before validation."""
        fields = adult_image_inputs(body)
        if fields:
            self._refuse(account, fields[0], "adult_image_input", Style.nude.value)

    def moderate(self, account: AccountRef, request: GenerateRequest) -> None:
        """Refuse the request (and record the refusal) before any credit or model is touched."""
        verdict = self.moderator.check(
            ModerationRequest(style=request.style, fields=tuple(moderation_fields(request)))
        )
        if verdict.allowed:
            return
        self._refuse(
            account,
            verdict.field or "prompt",
            verdict.rule or "blocked",
            request.style.value,
            message=verdict.message,
        )

    def _refuse(
        self, account: AccountRef, field: str, rule: str, style: str, *, message: str | None = None
    ) -> None:
        with self.database.transaction() as session:
            record_refusal(
                session=session,
                account_id=account.id,
                key_prefix=account.key_prefix,
                field=field,
                rule=rule,
                style=style,
            )
        raise ContentBlocked(field=field, rule=rule, message=message)

    def _produce(
        self,
        generation_id: str,
        request: GenerateRequest,
        seed: int,
        context: GenerationContext,
        *,
        account: AccountRef,
        checks: Checks,
        image_input: bool,
    ) -> tuple[str, str]:
        spec = GenerationSpec(
            generation_id=generation_id,
            prompt=request.prompt,
            style=request.style,
            quality=request.quality,
            seed=seed,
            appearance=request.appearance,
        )
        image = self.runner.run(spec, context)
        caption = request.caption()
        if caption is not None:
            text = caption.text or random_caption(random.Random(seed))
            image = draw_caption(image, text, caption.position)
        # the delivered picture is screened, after the caption and before it is stamped or stored
        rule = self.screening.rule_for(image, checks)
        if rule is not None:
            self._refuse(account, "image", rule, request.style.value)
        data, media_type = self.stamper.stamp(
            image,
            generation_id=generation_id,
            image_input=image_input,
            backend=self.runner.backend.name,
        )
        token = new_image_token()
        self.store.put(token, data, media_type)
        return token, media_type

    # -- reads and recovery ------------------------------------------------------------------

    def get_generation(self, account: AccountRef, generation_id: str) -> Generation:
        with self.database.read() as session:
            generation = session.get(Generation, generation_id)
            # someone else's id answers exactly like an unknown one
            if generation is None or generation.account_id != account.id:
                raise NotFound(f"No generation {generation_id!r}.")
            return generation

    def image_by_token(self, token: str) -> Generation:
        with self.database.read() as session:
            generation = session.scalar(select(Generation).where(Generation.image_token == token))
            if generation is None:  # a batch's second and later images
                generation = session.scalar(
                    select(Generation)
                    .join(GenerationImage, GenerationImage.generation_id == Generation.id)
                    .where(GenerationImage.token == token)
                )
                if generation is not None:
                    media_type = session.scalar(
                        select(GenerationImage.media_type).where(GenerationImage.token == token)
                    )
                    generation.image_media_type = media_type
                    session.expunge(generation)
            if generation is None or generation.status != "completed":
                raise NotFound("No such image.")
            return generation


def moderation_fields(request: GenerateRequest) -> list[TextField]:
    """Every free-text field of the request, with its dotted path."""
    fields = [TextField("prompt", request.prompt)]
    if request.appearance is not None:
        fields += [
            TextField(f"appearance.{name}", value)
            for name, value in request.appearance.free_text_fields().items()
        ]
    caption = request.caption()
    if caption is not None and caption.text:
        fields.append(TextField("snap_caption.text", caption.text))
    return fields


def account_ref(account: Account) -> AccountRef:
    return AccountRef(
        id=account.id, key_prefix=account.key_prefix, plan=account.plan, sfw_only=account.sfw_only
    )
