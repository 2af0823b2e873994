"""Running a plan, end to end: reserve -> generate -> caption -> screen -> stamp -> store -> settle.

The order is the contract's safety and money rules: the plan (`limner.generation.plan`) has
moderated and priced the request before credits are reserved and before any backend is touched;
a failure anywhere after the reservation releases it, so a failed or refused generation costs
nothing; the charge is captured only once the outputs are stored. Every status change goes
through `limner.generation.lifecycle`.
"""

from __future__ import annotations

import logging
import random
import secrets
import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from PIL import Image
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from limner import ledger
from limner.backends.base import (
    VIDEO,
    GenerationCanceled,
    GenerationContext,
    Media,
    ProgressCallback,
)
from limner.clock import utcnow
from limner.db.engine import Database
from limner.db.tables import Account, Generation, GenerationImage, Job
from limner.domain.requests import MAX_SEED
from limner.errors import (
    BackendBusy,
    ContentBlocked,
    GenerationFailed,
    GenerationTimedOut,
    LimnerError,
    NotFound,
)
from limner.generation.accounts import AccountRef, account_ref
from limner.generation.backends import BackendSet
from limner.generation.kinds import moderation_fields
from limner.generation.kinds.base import Delivered
from limner.generation.kinds.video import deliver_video
from limner.generation.lifecycle import Ending, Lifecycle
from limner.generation.live import LiveBoard
from limner.generation.plan import Plan, Planner
from limner.generation.refusals import RefusalLog
from limner.generation.states import JobStatus
from limner.ids import new_generation_id, new_image_token
from limner.imaging.caption import draw_caption, random_caption
from limner.provenance import Ingredient, ProvenanceStamper, StampingPool
from limner.runner import GenerationRunner
from limner.screening import ScreeningGate
from limner.storage.base import ImageStore

__all__ = [
    "OUTPUT_FORMATS",
    "GenerationService",
    "Outcome",
    "ProvenanceStamp",
    "Stamper",
    "moderation_fields",
]

log = logging.getLogger(__name__)


class Stamper(Protocol):
    """Turns a finished image into stored bytes carrying provenance."""

    def stamp(
        self,
        image: Image.Image,
        *,
        generation_id: str,
        image_input: bool,
        backend: str,
        ingredients: tuple[Ingredient, ...] = (),
        output_format: str = "png",
    ) -> tuple[bytes, str]: ...

    def stamp_video(
        self,
        frames: tuple[Image.Image, ...],
        fps: int,
        *,
        generation_id: str,
        image_input: bool,
        on_second: Callable[[int, int], None],
        ingredients: tuple[Ingredient, ...] = (),
    ) -> bytes: ...

    def warm_up(self) -> None:
        """Get ready before the first request (start worker processes)."""

    def close(self) -> None:
        """Stop what `warm_up` started."""


#: `output_format` -> (the provenance encoder's name, the media type served)
OUTPUT_FORMATS = {
    "png": ("PNG", "image/png"),
    "jpeg": ("JPEG", "image/jpeg"),
    "webp": ("WEBP", "image/webp"),
}


class ProvenanceStamp:
    """Every output with metadata, a watermark of its id and a C2PA manifest (with the input
    pictures as its ingredients), encoded as the request's `output_format` (PNG unless asked),
    by a `ProvenanceStamper` in this thread or a `StampingPool` of worker processes
    (`LIMNER_PROVENANCE_WORKERS`)."""

    def __init__(self, stamper: ProvenanceStamper | StampingPool) -> None:
        self.stamper = stamper

    def stamp(
        self,
        image: Image.Image,
        *,
        generation_id: str,
        image_input: bool,
        backend: str,
        ingredients: tuple[Ingredient, ...] = (),
        output_format: str = "png",
    ) -> tuple[bytes, str]:
        fmt, media_type = OUTPUT_FORMATS[output_format]
        data = self.stamper.stamp(
            image,
            generation_id=generation_id,
            image_input=image_input,
            fmt=fmt,
            placeholder=backend == "placeholder",
            ingredients=ingredients,
        )
        return data, media_type

    def warm_up(self) -> None:
        if isinstance(self.stamper, StampingPool):
            self.stamper.warm_up()

    def close(self) -> None:
        if isinstance(self.stamper, StampingPool):
            self.stamper.close()

    def stamp_video(
        self,
        frames: tuple[Image.Image, ...],
        fps: int,
        *,
        generation_id: str,
        image_input: bool,
        on_second: Callable[[int, int], None],
        ingredients: tuple[Ingredient, ...] = (),
    ) -> bytes:
        # in this thread, never the pool: a clip's frames are too many to pickle across, and
        # the encoder reports each second as it goes (the pool is for stills)
        local = self.stamper.local if isinstance(self.stamper, StampingPool) else self.stamper
        return local.stamp_video(
            frames,
            fps,
            generation_id=generation_id,
            image_input=image_input,
            on_second=on_second,
            ingredients=ingredients,
        )


@dataclass(frozen=True)
class Outcome:
    """A settled generation; `error` says why nothing was delivered (failed or canceled)."""

    generation: Generation
    error: LimnerError | None


class GenerationService:
    """The engine: plans requests, records them, runs them here or for the queue's workers."""

    def __init__(
        self,
        *,
        database: Database,
        backends: BackendSet,
        planner: Planner,
        store: ImageStore,
        stamper: Stamper,
        allowance_for_plan: dict[str, int],
        owner: str | None = None,
        screening: ScreeningGate,
        lifecycle: Lifecycle,
        refusals: RefusalLog,
    ) -> None:
        self.database = database
        self.backends = backends
        self.planner = planner
        self.store = store
        self.stamper = stamper
        self.allowance_for_plan = allowance_for_plan
        #: running generations in this process: progress and cancel
        self.live = LiveBoard()
        #: observe(stage, seconds) after each stage of each output: backend, caption, screen,
        #: stamp, store (the API's `/metrics` adds one)
        self.stage_observers: list[Callable[[str, float], None]] = []
        self.lifecycle = lifecycle
        #: this process's instance id, written on each reservation (see `limner.recovery`)
        self.owner = owner
        self.screening = screening
        self.refusals = refusals

    @property
    def runner(self) -> GenerationRunner:
        """The runner of the configured backend (`LIMNER_BACKEND`)."""
        return self.backends.primary

    # -- plan, submit and execute: the synchronous path and the queue's workers share them ----

    def plan(self, account: AccountRef, body: dict[str, Any]) -> Plan:
        """Parse, moderate, price and place a request body; nothing is reserved yet."""
        return self.planner.plan(account, body)

    def generate(
        self, account: AccountRef, plan: Plan, on_progress: ProgressCallback | None = None
    ) -> Generation:
        """The synchronous v1 path: submit, run here, answer when stored (or raise)."""
        generation = self.submit(account, plan, queued=False)
        outcome = self.execute(generation.id, GenerationContext(on_progress=on_progress), plan=plan)
        if outcome.error is not None:
            raise outcome.error
        return outcome.generation

    def submit(self, account: AccountRef, plan: Plan, *, queued: bool) -> Generation:
        """Reserve the plan's credits and record the generation: `queued` (with its job row,
        for the workers) or `running` (the caller executes it at once)."""
        request = plan.request
        generation_id = new_generation_id()
        seed = request.seed if request.seed is not None else secrets.randbelow(MAX_SEED + 1)
        now = utcnow()
        # a queued job's hold belongs to the queue; the claiming process takes it over
        owner = None if queued else self.owner
        with self.database.transaction() as session:
            if plan.livemode:
                ledger.reserve(
                    session=session,
                    account_id=account.id,
                    amount=plan.cost,
                    allowance=self.allowance_for_plan[account.plan],
                    generation_id=generation_id,
                    owner=owner,
                )
            else:  # a test key: nothing moves, but recovery still learns who runs it
                ledger.hold_nothing(
                    session=session, account_id=account.id, generation_id=generation_id, owner=owner
                )
            generation = Generation(
                id=generation_id,
                account_id=account.id,
                type=plan.kind.name,
                prompt=request.prompt,
                quality=request.quality.value,
                style=request.style.value,
                params=plan.stored_params(),
                seed=seed,
                backend=plan.backend,
                created_at=now,
                livemode=plan.livemode,
            )
            job = None
            if queued:
                job = Job(
                    generation_id=generation_id,
                    account_id=account.id,
                    kind=plan.kind.name,
                    webhook_url=request.webhook_url,
                    attempts=0,
                    queued_at=now,
                    available_at=now,
                    cancel_requested=False,
                )
            self.lifecycle.open(session=session, generation=generation, job=job)
        return generation

    def execute(
        self,
        generation_id: str,
        context: GenerationContext,
        *,
        defer_when_busy: bool = False,
        plan: Plan | None = None,
    ) -> Outcome:
        """Make every output of a `running` generation, then settle it in one transaction:
        completed (the successes charged, the rest released), failed or canceled (released).
        `plan` is the one the request was submitted with (the synchronous path); a worker's job
        is planned again from its stored row. With `defer_when_busy`, a busy backend before the
        first output raises `BackendBusy` and changes nothing (the queue tries again later)."""
        with self.database.read() as session:
            generation = session.get(Generation, generation_id)
            if generation is None:
                raise NotFound(f"No generation {generation_id!r}.")
            owner_account = session.get(Account, generation.account_id)
            assert owner_account is not None
        account = account_ref(owner_account)
        # a queued job is what clients follow on the event stream: it gets previews where the
        # model can make them cheaply; a synchronous request answers with the image itself
        previews = plan is None
        if plan is None:
            try:
                plan = self.planner.restore(generation, account)
            except LimnerError as exc:  # an input gone (an expired upload) or refused now
                return Outcome(self._fail_unplanned(generation, exc), exc)
        outputs = plan.kind.outputs(plan.request)
        made: list[tuple[int, Delivered]] = []  # (seed, its stored files)
        error: LimnerError | None = None
        canceled = False
        self.live.start(generation_id, context, images=outputs, previews=previews)
        seeds = [(generation.seed + index) % (MAX_SEED + 1) for index in range(outputs)]
        # the images of one request share batched calls where the backend batches them
        group = self._group_key(generation_id, plan, seeds)
        together: list[Media | GenerationFailed] = []
        try:
            for index in range(outputs):
                seed = seeds[index]
                try:
                    if group is not None and index == 0:
                        together = self._make_together(
                            generation_id, plan, group, seeds, context, account=account
                        )
                    if together:
                        output = together[index]
                        if isinstance(output, GenerationFailed):
                            raise output
                        delivered = self._deliver(
                            generation_id, plan, seed, output, account=account
                        )
                    else:
                        image_context = self.live.image_context(generation_id, context, index)
                        delivered = self._produce(
                            generation_id, plan, seed, image_context, account=account
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
                    log.exception("generation %s output %d failed", generation_id, index)
                    error = GenerationFailed()
                    continue
                made.append((seed, delivered))
            if context.canceled and not isinstance(error, GenerationTimedOut):
                canceled = True
            settled = self._settle(generation, plan, made, canceled, error)
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
        plan: Plan,
        made: list[tuple[int, Delivered]],
        canceled: bool,
        error: LimnerError | None,
    ) -> Generation:
        if canceled:
            ending = Ending.canceled()
        elif not made:
            failure = error or GenerationFailed()
            ending = Ending.failed(failure.code, failure.message)
        else:
            ending = Ending(JobStatus.completed, charge=plan.price_per_output * len(made))
        with self.database.transaction() as session:
            if made:  # the image rows first, so the settle hooks (the webhook body) see them
                self._record_images(session, generation.id, made)
            settled = self.lifecycle.finish(
                session=session,
                generation_id=generation.id,
                ending=ending,
                sources=(JobStatus.running,),
            )
            if settled is None:  # rolls the image rows back too
                raise LimnerError(f"generation {generation.id} was no longer running")
        return settled

    def _fail_unplanned(self, generation: Generation, error: LimnerError) -> Generation:
        """A queued job that cannot be planned again: failed, its reservation released."""
        with self.database.transaction() as session:
            settled = self.lifecycle.finish(
                session=session,
                generation_id=generation.id,
                ending=Ending.failed(error.code, error.message),
                sources=(JobStatus.running,),
            )
            if settled is None:
                raise LimnerError(f"generation {generation.id} was no longer running")
        return settled

    @staticmethod
    def _record_images(
        session: Session, generation_id: str, made: list[tuple[int, Delivered]]
    ) -> None:
        now = utcnow()
        first = made[0][1]
        token, media_type = first.files[0]
        session.execute(
            update(Generation)
            .where(Generation.id == generation_id)
            .values(image_token=token, image_media_type=media_type, media=first.info)
            .execution_options(synchronize_session=False)
        )
        files = [(seed, file) for seed, delivered in made for file in delivered.files]
        for position, (seed, (token, media_type)) in enumerate(files):
            session.add(
                GenerationImage(
                    generation_id=generation_id,
                    position=position,
                    seed=seed,
                    token=token,
                    media_type=media_type,
                    created_at=now,
                )
            )

    @staticmethod
    def _group_key(generation_id: str, plan: Plan, seeds: list[int]) -> Hashable | None:
        """The batch key all the images of this generation share, or None (one image, a
        backend that does not batch, or a spec that cannot be made now: the per-image path then
        meets that error where it is settled)."""
        if len(seeds) < 2:
            return None
        try:
            return plan.runner.group_key([plan.spec(generation_id, seed) for seed in seeds])
        except LimnerError:
            return None

    def _make_together(
        self,
        generation_id: str,
        plan: Plan,
        group: Hashable,
        seeds: list[int],
        context: GenerationContext,
        *,
        account: AccountRef,
    ) -> list[Media | GenerationFailed]:
        """Every image of the generation from the backend at once (`GenerationRunner.run_many`):
        one result per seed, media or that image's error."""
        contexts = [
            self.live.image_context(generation_id, context, index) for index in range(len(seeds))
        ]
        with self._stage("backend", outputs=len(seeds)):  # waiting for a slot included
            return plan.runner.run_many(
                group,
                [plan.spec(generation_id, seed) for seed in seeds],
                contexts,
                owner=str(account.id),
                timeout_s=plan.kind.timeout_s,
            )

    def _produce(
        self,
        generation_id: str,
        plan: Plan,
        seed: int,
        context: GenerationContext,
        *,
        account: AccountRef,
    ) -> Delivered:
        with self._stage("backend"):  # waiting for a slot included
            # the key is the runner's unit of fairness: one key cannot take every slot
            media = plan.runner.run(
                plan.spec(generation_id, seed),
                context,
                owner=str(account.id),
                timeout_s=plan.kind.timeout_s,
            )
        return self._deliver(generation_id, plan, seed, media, context=context, account=account)

    def _deliver(
        self,
        generation_id: str,
        plan: Plan,
        seed: int,
        media: Media,
        *,
        account: AccountRef,
        context: GenerationContext | None = None,
    ) -> Delivered:
        """A made output on its way out: finished to the requested size, captioned, screened,
        stamped and stored (a video through its own hook)."""
        if media.mime_type == VIDEO:
            # the video kinds' hook: screen, stamp, encode, store (never made together)
            assert context is not None
            return self._deliver_video(generation_id, plan, media, context, account=account)
        image = plan.finish(media.image)  # back to the requested size, through the mask
        caption = plan.request.caption()
        if caption is not None:
            with self._stage("caption"):
                text = caption.text or random_caption(random.Random(seed))
                image = draw_caption(image, text, caption.position)
        # the delivered picture is screened, after the caption and before it is stamped or stored
        with self._stage("screen"):
            rule = self.screening.rule_for(image, plan.checks)
        if rule is not None:
            self.refusals.record(account, "image", rule, plan.request.style.value)
            raise ContentBlocked(field="image", rule=rule)
        with self._stage("stamp"):
            data, media_type = self.stamper.stamp(
                image,
                generation_id=generation_id,
                image_input=plan.takes_user_image,
                backend=plan.backend,
                ingredients=plan.ingredients(),
                output_format=plan.request.output_format.value,
            )
        token = new_image_token()
        with self._stage("store"):
            self.store.put(token, data, media_type)
        return Delivered(files=((token, media_type),))

    def _deliver_video(
        self,
        generation_id: str,
        plan: Plan,
        media: Media,
        context: GenerationContext,
        *,
        account: AccountRef,
    ) -> Delivered:
        """A video output, by `kinds.video.deliver_video`: its sampled frames screened, every
        frame watermarked, the MP4 encoded (progress per encoded second) and signed, it and its
        poster stored."""
        image_input = plan.takes_user_image
        ingredients = plan.ingredients()

        def refuse(rule: str) -> None:
            self.refusals.record(account, "image", rule, plan.request.style.value)

        def on_second(done: int, total: int) -> None:
            # as a step: the cancel switch and the queue's cancel watch see it; then the stage
            context.report(done, total)
            self.live.encoding(generation_id, done, total)

        def stamp_video(frames: tuple[Image.Image, ...], fps: int, **kwargs: Any) -> bytes:
            return self.stamper.stamp_video(
                frames, fps, image_input=image_input, ingredients=ingredients, **kwargs
            )

        def stamp_poster(poster: Image.Image) -> tuple[bytes, str]:
            # always PNG: `output_format` is for still outputs (a video kind refuses it)
            return self.stamper.stamp(
                poster,
                generation_id=generation_id,
                image_input=image_input,
                backend=plan.backend,
                ingredients=ingredients,
            )

        def store(data: bytes, media_type: str) -> str:
            token = new_image_token()
            self.store.put(token, data, media_type)
            return token

        with self._stage("video"):
            return deliver_video(
                media,
                generation_id=generation_id,
                checks=plan.checks,
                screen=self.screening.rule_for,
                refuse=refuse,
                stamp_video=stamp_video,
                stamp_poster=stamp_poster,
                store=store,
                on_second=on_second,
            )

    @contextmanager
    def _stage(self, name: str, outputs: int = 1) -> Iterator[None]:
        """Time one stage of `outputs` outputs made together for the observers (`/metrics`:
        once per output, each having waited that long); a failed stage is not reported (its
        time says nothing about the stage's normal cost)."""
        started = time.perf_counter()
        yield
        seconds = time.perf_counter() - started
        for observe in self.stage_observers:
            for _ in range(outputs):
                observe(name, seconds)

    # -- reads and recovery ------------------------------------------------------------------

    def get_generation(self, account: AccountRef, generation_id: str) -> Generation:
        with self.database.read() as session:
            generation = session.get(Generation, generation_id)
            # someone else's id answers exactly like an unknown one
            if generation is None or generation.account_id != account.id:
                raise NotFound(f"No generation {generation_id!r}.")
            return generation

    def stored_images(self, generation_id: str) -> list[GenerationImage]:
        """The stored outputs of a generation, in seed order (empty until it completes)."""
        with self.database.read() as session:
            return list(
                session.scalars(
                    select(GenerationImage)
                    .where(GenerationImage.generation_id == generation_id)
                    .order_by(GenerationImage.position)
                )
            )

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
