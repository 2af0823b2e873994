"""The tables. Balances live on `accounts`; `ledger_entries` is the append-only record that
explains every change to them (sum of deltas per bucket == the balance, see `limner.ledger`)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Account(Base):
    """One API key and its credit balances (a key is an account, as in the commercial service)."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: public, non-secret part of the key, shown in listings ("lmn_ab12cd34")
    key_prefix: Mapped[str] = mapped_column(String(32), unique=True, index=True)
    #: sha256 of the full key; the key itself is never stored
    key_hash: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100), default="")
    plan: Mapped[str] = mapped_column(String(16), default="free")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    #: the UTC day `daily_remaining` belongs to; a new day refills it
    daily_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    daily_remaining: Mapped[int] = mapped_column(Integer, default=0)
    granted_balance: Mapped[int] = mapped_column(Integer, default=0)
    #: every output this key gets is screened for nudity (docs/safety.md)
    sfw_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: false for a test key: the placeholder backend only, never charged (docs/api.md)
    livemode: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    # the database itself refuses a negative balance, whatever the code above it does
    __table_args__ = (
        CheckConstraint("daily_remaining >= 0", name="ck_accounts_daily_nonnegative"),
        CheckConstraint("granted_balance >= 0", name="ck_accounts_granted_nonnegative"),
    )


class LedgerEntry(Base):
    """An append-only balance change. Never updated, never deleted."""

    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: daily_refill | grant | reserve | release | capture
    kind: Mapped[str] = mapped_column(String(16))
    daily_delta: Mapped[int] = mapped_column(Integer, default=0)
    granted_delta: Mapped[int] = mapped_column(Integer, default=0)
    reservation_id: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    generation_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    note: Mapped[str] = mapped_column(String(200), default="")


class Reservation(Base):
    """Credits held for one generation: open -> captured | released."""

    __tablename__ = "reservations"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    generation_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    daily_amount: Mapped[int] = mapped_column(Integer)
    granted_amount: Mapped[int] = mapped_column(Integer)
    #: the UTC day the daily part was taken from; a release after that day returns no daily credit
    daily_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    settled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    #: the server process (`instances.id`) whose generation holds it; crash recovery releases a
    #: reservation only when its owner is gone (see `limner.recovery`)
    owner: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)


class Generation(Base):
    __tablename__ = "generations"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    #: queued | running | completed | failed | canceled | blocked
    status: Mapped[str] = mapped_column(String(16))
    #: the kind of job (`limner.generation.kinds`): t2i, i2i, ...; the response's `type`
    type: Mapped[str] = mapped_column(String(16), default="t2i")
    prompt: Mapped[str] = mapped_column(Text)
    quality: Mapped[str] = mapped_column(String(16))
    style: Mapped[str] = mapped_column(String(16))
    params: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    seed: Mapped[int] = mapped_column(BigInteger)
    backend: Mapped[str] = mapped_column(String(32))
    credits_used: Mapped[int] = mapped_column(Integer, default=0)
    #: unguessable token naming the stored image; the URL is built from it
    image_token: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    image_media_type: Mapped[str | None] = mapped_column(String(32), nullable=True)
    error_code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    error_message: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    #: false when a test key made it (the placeholder backend, no credits); every body says it
    livemode: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    #: a video output: duration_s, fps, frames, width, height (null for images)
    media: Mapped[dict[str, object] | None] = mapped_column(JSON, nullable=True)

    __table_args__ = (Index("ix_generations_account_created", "account_id", "created_at"),)


class ModerationEvent(Base):
    """A refusal, for abuse review: id, key, field, rule, time. Never the text or an image."""

    __tablename__ = "moderation_events"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), nullable=True)
    key_prefix: Mapped[str | None] = mapped_column(String(32), nullable=True)
    field: Mapped[str] = mapped_column(String(64))
    rule: Mapped[str] = mapped_column(String(64))
    style: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


# -- jobs, batches, webhooks, idempotency (migration 0002) -------------------------------------


class Job(Base):
    """Queue bookkeeping for an asynchronous generation; its status lives on `generations`."""

    __tablename__ = "jobs"

    generation_id: Mapped[str] = mapped_column(ForeignKey("generations.id"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    #: the kind of job (`limner.generation.kinds`), as `generations.type` says it
    kind: Mapped[str] = mapped_column(String(16), default="t2i", server_default="t2i")
    webhook_url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    #: times a worker claimed it (a restart re-queues a running job once)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    queued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: not claimable before this moment (a busy backend defers a job)
    available_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    worker_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        Index("ix_jobs_available", "available_at"),
        Index("ix_jobs_account_claimed", "account_id", "claimed_at"),
    )


class GenerationImage(Base):
    """One stored image of a generation (a batch has up to `n`); index 0 is `image_url`."""

    __tablename__ = "generation_images"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    generation_id: Mapped[str] = mapped_column(ForeignKey("generations.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    seed: Mapped[int] = mapped_column(BigInteger)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    media_type: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WebhookSecret(Base):
    """A `whsec_` signing secret of an account. A rotated-out secret signs until `expires_at`."""

    __tablename__ = "webhook_secrets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    #: sealed with the key in the key folder (`limner.webhooks.secretbox`), never plain text
    secret: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: None while current; set at rotation to the end of the grace period
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class WebhookDelivery(Base):
    """One webhook message (an outbox row): written with the job's final state, sent by the
    dispatcher, retried on the schedule. `message_id` is the stable `webhook-id`."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(String(40), unique=True)
    generation_id: Mapped[str] = mapped_column(ForeignKey("generations.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    event_type: Mapped[str] = mapped_column(String(40))
    url: Mapped[str] = mapped_column(String(2048))
    payload: Mapped[str] = mapped_column(Text)
    #: pending | sending | succeeded | failed | disabled
    status: Mapped[str] = mapped_column(String(16), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WebhookAttempt(Base):
    """The delivery log: one row per HTTP attempt."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_deliveries.id"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(String(300), nullable=True)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)


class DisabledWebhookEndpoint(Base):
    """An endpoint that answered 410 Gone: nothing more is sent to it until a resend."""

    __tablename__ = "disabled_webhook_endpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    url: Mapped[str] = mapped_column(String(2048))
    disabled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("account_id", "url", name="uq_disabled_webhook_endpoint"),)


class IdempotencyRecord(Base):
    """The first answer to a POST with an `Idempotency-Key`, replayed for 24 hours.

    Inserted before the work starts (the primary key makes concurrent twins collide), completed
    with the response afterwards."""

    __tablename__ = "idempotency_keys"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    #: in_progress | done | erased (its generation was deleted: a replay is refused, never run)
    state: Mapped[str] = mapped_column(String(16))
    response_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response_body: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    #: the process (`Instance.id`) running the request while in_progress, so that crash recovery
    #: frees the keys of a process that died mid-request (migration 0012; null before it)
    owner: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    #: the generation the answer made, so deleting it finds the key (an OpenAI answer in
    #: `b64_json` does not name it); null for other POSTs and before migration 0012
    generation_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)


class Instance(Base):
    """One running server or worker process, with a heartbeat, so that other processes can tell
    whether the owner of an open reservation is alive (see `limner.recovery`)."""

    __tablename__ = "instances"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: hostname plus PID namespace: processes sharing it can test each other's PIDs
    host: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    stopped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


# -- stored media: uploads now, outputs as the engine records them (migration 0008) -----------


class MediaObject(Base):
    """A stored media object with its owner, kind and expiry (`limner.media`).

    An upload (`kind="upload"`) lives until `expires_at`; the storage sweep deletes it then. The
    row is written only after its bytes are stored, so a crash in between leaves a file with no
    row, which the sweep also removes once it is older than the grace period."""

    __tablename__ = "media_objects"

    #: `upl_...` for uploads
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    #: upload | output
    kind: Mapped[str] = mapped_column(String(16))
    #: the storage token naming the bytes (never shown to clients for uploads)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    media_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    byte_size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    #: the generation that made it (outputs only)
    generation_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: None: kept as long as its owner (outputs)
    expires_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True, index=True
    )


# -- characters: the same person across generations (migration 0010) --------------------------


class Character(Base):
    """A key's character (`limner.characters`): a style, traits or a description, and 1-4
    reference pictures copied into `media_objects` rows of kind `character` that it owns."""

    __tablename__ = "characters"

    #: `chr_...`
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    style: Mapped[str] = mapped_column(String(16))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: appearance traits (adult style only), as the request's `appearance` object
    appearance: Mapped[dict[str, object] | None] = mapped_column(JSON, nullable=True)
    #: the fixed seed used when the request has none and the model has no reference conditioning
    seed: Mapped[int] = mapped_column(BigInteger)
    #: the stored references, in order: [{media_id, sha256, source, width, height}]
    refs: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class CharacterEmbedding(Base):
    """What a model computed once from a character's references (IP-Adapter image embeddings,
    the placeholder's palette), keyed by the model; deleted with the character."""

    __tablename__ = "character_embeddings"

    character_id: Mapped[str] = mapped_column(ForeignKey("characters.id"), primary_key=True)
    #: names the model and its settings: another encoder computes its own
    model_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
