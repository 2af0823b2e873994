"""Generation, end to end: moderate -> reserve -> generate -> caption -> stamp -> store -> capture.

The order is the contract's safety and money rules: moderation runs before credits are reserved and
before any backend is touched; a failure anywhere after the reservation releases it, so a failed or
refused generation costs nothing; the charge is captured only once the image is stored.
"""

from __future__ import annotations

import logging
import random
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from PIL import Image
from sqlalchemy import select, update

from limner import ledger
from limner.backends.base import GenerationContext, GenerationSpec, ProgressCallback
from limner.clock import utcnow
from limner.db.engine import Database
from limner.db.tables import Account, Generation
from limner.domain.requests import MAX_SEED, GenerateRequest
from limner.domain.styles import credit_cost
from limner.errors import ContentBlocked, GenerationFailed, LimnerError, NotFound
from limner.ids import new_generation_id, new_image_token
from limner.imaging.caption import draw_caption, random_caption
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
        screening: ScreeningGate,
    ) -> None:
        self.database = database
        self.runner = runner
        self.store = store
        self.moderator = moderator
        self.stamper = stamper
        self.allowance_for_plan = allowance_for_plan
        self.screening = screening

    # -- the synchronous v1 path -------------------------------------------------------------

    def generate(
        self,
        account: AccountRef,
        request: GenerateRequest,
        on_progress: ProgressCallback | None = None,
        *,
        image_input: bool = False,
    ) -> Generation:
        self.moderate(account, request)
        checks = checks_for(style=request.style, sfw_only=account.sfw_only, image_input=image_input)
        self.screening.require(checks)  # fail closed, before any credit or model is touched
        generation_id = new_generation_id()
        seed = request.seed if request.seed is not None else secrets.randbelow(MAX_SEED + 1)
        cost = credit_cost(request.quality)
        with self.database.transaction() as session:
            reservation = ledger.reserve(
                session=session,
                account_id=account.id,
                amount=cost,
                allowance=self.allowance_for_plan[account.plan],
                generation_id=generation_id,
            )
            session.add(
                Generation(
                    id=generation_id,
                    account_id=account.id,
                    status="running",
                    type="t2i",
                    prompt=request.prompt,
                    quality=request.quality.value,
                    style=request.style.value,
                    params=request.model_dump(mode="json", exclude={"prompt"}),
                    seed=seed,
                    backend=self.runner.backend.name,
                    created_at=utcnow(),
                )
            )
        try:
            token, media_type = self._produce(
                generation_id,
                request,
                seed,
                on_progress,
                account=account,
                checks=checks,
                image_input=image_input,
            )
        except LimnerError as exc:
            self._fail(generation_id, reservation.id, exc)
            raise
        except Exception as exc:
            log.exception("generation %s failed after the backend", generation_id)
            self._fail(generation_id, reservation.id, GenerationFailed())
            raise GenerationFailed() from exc
        with self.database.transaction() as session:
            charged = ledger.capture(session=session, reservation_id=reservation.id)
            session.execute(
                update(Generation)
                .where(Generation.id == generation_id)
                .values(
                    status="completed",
                    credits_used=charged,
                    image_token=token,
                    image_media_type=media_type,
                    completed_at=utcnow(),
                )
            )
            generation = session.get(Generation, generation_id, populate_existing=True)
        assert generation is not None
        return generation

    def moderate(self, account: AccountRef, request: GenerateRequest) -> None:
        """Refuse the request (and record the refusal) before any credit or model is touched."""
        verdict = self.moderator.check(
            ModerationRequest(style=request.style, fields=tuple(moderation_fields(request)))
        )
        if verdict.allowed:
            return
        self._refuse(account, request, verdict.field or "prompt", verdict.rule or "blocked")

    def _refuse(self, account: AccountRef, request: GenerateRequest, field: str, rule: str) -> None:
        """Record the refusal for abuse review and raise it (the caller releases any credit)."""
        with self.database.transaction() as session:
            record_refusal(
                session=session,
                account_id=account.id,
                key_prefix=account.key_prefix,
                field=field,
                rule=rule,
                style=request.style.value,
            )
        raise ContentBlocked(field=field, rule=rule)

    def _produce(
        self,
        generation_id: str,
        request: GenerateRequest,
        seed: int,
        on_progress: ProgressCallback | None,
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
        image = self.runner.run(spec, GenerationContext(on_progress=on_progress))
        caption = request.caption()
        if caption is not None:
            text = caption.text or random_caption(random.Random(seed))
            image = draw_caption(image, text, caption.position)
        # the delivered picture is screened, after the caption and before it is stamped or stored
        rule = self.screening.rule_for(image, checks)
        if rule is not None:
            self._refuse(account, request, "image", rule)
        data, media_type = self.stamper.stamp(
            image,
            generation_id=generation_id,
            image_input=image_input,
            backend=self.runner.backend.name,
        )
        token = new_image_token()
        self.store.put(token, data, media_type)
        return token, media_type

    def _fail(self, generation_id: str, reservation_id: str, error: LimnerError) -> None:
        with self.database.transaction() as session:
            ledger.release(session=session, reservation_id=reservation_id, reason=error.code)
            session.execute(
                update(Generation)
                .where(Generation.id == generation_id)
                .values(
                    status="failed",
                    error_code=error.code,
                    error_message=error.message[:300],
                    completed_at=utcnow(),
                )
            )

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
            if generation is None or generation.status != "completed":
                raise NotFound("No such image.")
            return generation

    def recover(self, started_at: datetime) -> int:
        """After a crash: release reservations left open and fail generations left running."""
        with self.database.transaction() as session:
            released = ledger.release_open_reservations(
                session=session, created_before=started_at, reason="server restart"
            )
            session.execute(
                update(Generation)
                .where(
                    Generation.status.in_(("running", "queued")), Generation.created_at < started_at
                )
                .values(
                    status="failed",
                    error_code="generation_failed",
                    error_message="Interrupted by a server restart; not charged.",
                    completed_at=utcnow(),
                )
            )
        if released:
            log.warning("released %d credit reservation(s) left open by a previous run", released)
        return released


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
