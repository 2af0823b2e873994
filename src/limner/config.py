"""Settings: every `LIMNER_*` environment variable, read once when the app or CLI starts.

Nothing here runs at import time; `Settings()` is built by `create_app()`, the CLI and workers.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from limits import parse as parse_rate_limit
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class BackendName(StrEnum):
    #: diffusers when its models are here or can be fetched, else the placeholder (labelled)
    auto = "auto"
    placeholder = "placeholder"
    diffusers = "diffusers"


class AutoModels(StrEnum):
    """Which models `LIMNER_BACKEND=auto` fetches on a first start (docs/models.md)."""

    #: the `fast` presets' models; `hires` too on a CUDA GPU with room for it (memory and disk)
    fit = "fit"
    fast = "fast"  #: the `fast` presets' models only
    all = "all"  #: every enabled preset's Hub models


class ImageDelivery(StrEnum):
    proxy = "proxy"  #: `/generations/{token}.png` streams the bytes from the store
    presigned = "presigned"  #: it answers 307 to a short-lived presigned store URL


class LogFormat(StrEnum):
    text = "text"  #: human-readable lines
    json = "json"  #: one JSON object per line, with the request id


class WorkerTier(StrEnum):
    local = "local"  #: generate in this process's thread pool
    ray = "ray"  #: send generations to a Ray Serve deployment


class Settings(BaseSettings):
    """All operator settings. Each field maps to `LIMNER_<FIELD>` (see docs/configuration.md)."""

    model_config = SettingsConfigDict(env_prefix="LIMNER_", extra="ignore")

    data_dir: Path = Field(Path("limner-data"), description="SQLite file and images live here.")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default is sqlite in data_dir."
    )
    public_url: str = Field(
        "http://127.0.0.1:8000", description="Base of every image_url this server returns."
    )
    backend: BackendName = Field(
        BackendName.auto,
        description="Generation backend: auto (diffusers where a model can be had, else the "
        "labelled placeholder), diffusers or placeholder.",
    )
    extra_backends: list[BackendName] = Field(
        default_factory=list,
        description="More backends beside `backend`, tried in order for what it cannot make "
        '(JSON list, e.g. ["placeholder"]).',
    )
    auto_models: AutoModels = Field(
        AutoModels.fit, description="backend=auto: which models a first start fetches."
    )
    auto_hub_timeout_s: float = Field(
        5.0,
        gt=0,
        le=120,
        description="backend=auto: how long the first look at the model hub may take before "
        "the server starts with the placeholder (one try, no retries).",
    )

    # credits
    free_daily_credits: int = Field(5, ge=0, description="Daily allowance of the free plan.")
    pro_daily_credits: int = Field(100, ge=0, description="Daily allowance of the pro plan.")
    video_credits_per_second_fast: int = Field(
        2, ge=0, description="Credits per requested second of video (t2v, i2v) at fast quality."
    )
    video_credits_per_second_hires: int = Field(
        4, ge=0, description="Credits per requested second of video (t2v, i2v) at hires quality."
    )

    # video caps (docs/studio.md): each refusal is a 400 naming the field
    video_max_fps: int = Field(30, ge=1, le=120, description="Largest `fps` a video may ask for.")
    video_max_frames: int = Field(
        257, ge=1, description="Largest duration_s x fps of a video request."
    )
    video_max_pixels: int = Field(
        1280 * 720, ge=64 * 64, description="Largest width x height of a video frame."
    )
    video_timeout_s: float = Field(
        1800.0, gt=0, description="How long one video may take (generation_timeout_s is images')."
    )

    # rate limits, in the `limits` notation ("10/minute", "100/hour;10/minute" is not allowed)
    rate_limit_free: str = "10/minute"
    rate_limit_pro: str = "60/minute"
    #: generation requests of a test key (`limner keys create --test`), whatever its plan
    rate_limit_test: str = "10/minute"
    rate_limit_read: str = "300/minute"
    rate_limit_anonymous: str = "30/minute"
    redis_url: str | None = Field(None, description="Shared rate-limit storage (redis://...).")

    # generation
    generation_timeout_s: float = Field(120.0, gt=0)
    generation_workers: int = Field(1, ge=1, description="Concurrent generations per process.")
    generation_queue_size: int = Field(16, ge=0, description="Waiting generations before 503.")
    placeholder_failure_rate: float = Field(0.0, ge=0.0, le=1.0)
    placeholder_delay_s: float = Field(0.0, ge=0.0, description="Simulated work per image.")

    # request limits
    max_body_bytes: int = Field(64 * 1024, ge=1024)
    max_header_bytes: int = Field(
        16 * 1024, ge=1024, description="Request line plus headers; larger is 431."
    )
    max_header_count: int = Field(100, ge=10, description="Header fields; more is 431.")
    header_timeout_s: float = Field(
        10.0,
        gt=0,
        description="How long a client may take to send a request line and its headers (from "
        "connecting, or from the previous answer); a slower connection is closed.",
    )
    shutdown_grace_s: float = Field(
        30.0, ge=0, description="On SIGTERM, how long running requests may take to finish."
    )
    trust_proxy_headers: bool = Field(
        False, description="Take the client address from X-Forwarded-For (behind a proxy)."
    )

    # moderation: operators may add rules, never remove the built-in ones
    moderation_extra_real_people_file: Path | None = Field(
        None, description="One name per line, added to the shipped list of real people."
    )
    moderation_blocked_terms_file: Path | None = Field(
        None, description="One term per line, refused in every style."
    )

    # diffusers backend (docs/models.md)
    models_file: Path | None = Field(None, description="Model registry TOML; default: packaged.")
    diffusers_device: str = Field("auto", description="auto | cpu | cuda | cuda:N | mps")
    diffusers_dtype: str = Field("auto", description="auto | float32 | float16 | bfloat16")
    diffusers_compile: bool = Field(
        False, description="torch.compile the UNet and VAE decoder (warm-up at start)."
    )
    diffusers_compile_mode: str = Field(
        "auto",
        description="torch.compile mode; auto: max-autotune-no-cudagraphs on a GPU, default on "
        "a CPU (with frozen weights); max-autotune or reduce-overhead add CUDA graphs.",
    )
    diffusers_cuda_graphs: bool = Field(
        False,
        description="Replay the UNet and VAE decoder from CUDA graphs, one per batch size "
        "(CUDA, no offload; instead of diffusers_compile).",
    )
    diffusers_threads: int | None = Field(
        None, ge=1, description="CPU threads for torch; default: every core this process may use."
    )
    diffusers_channels_last: bool = Field(
        True, description="NHWC layout for the UNet and VAE on CPU and CUDA."
    )
    diffusers_memory_budget_bytes: int | None = Field(
        None, ge=0, description="Loaded pipelines kept within this; default 70% of GPU memory."
    )
    diffusers_offload: str = Field("none", description="none | model | sequential (CUDA only)")
    diffusers_download: bool = Field(False, description="Let start-up download missing models.")
    diffusers_preload: bool = Field(False, description="Load every model at start-up.")

    # provenance (docs/provenance.md): always on; these only choose keys
    provenance_key_dir: Path | None = Field(
        None, description="C2PA signing key and certificates; default <data_dir>/keys."
    )
    provenance_c2pa: bool = Field(True, description="Sign a C2PA manifest into every image.")
    watermark_key: str = Field(
        "limner-watermark-v1", min_length=8, description="Secret that places the watermark."
    )
    provenance_workers: int | None = Field(
        None,
        ge=0,
        description="Processes that watermark, encode and sign outputs off the generating "
        "process; 0 stamps in the request's thread; default half the CPUs, 2 to 8.",
    )
    provenance_png_level: int = Field(
        1, ge=0, le=9, description="zlib level of released PNGs (1: fast, 9: smallest)."
    )
    retention_days: int | None = Field(
        None, ge=1, description="Erase finished generations older than this; default: keep."
    )
    max_image_bytes: int = Field(20 * 1024 * 1024, ge=1024, description="Largest uploaded image.")

    # image screening (docs/safety.md): always on for the outputs that need it
    screening_nudity_detector: str = Field(
        "opennsfw", description="Built-in name (opennsfw) or 'module:factory'."
    )
    screening_age_estimator: str = Field(
        "dlib-age", description="Built-in name (dlib-age) or 'module:factory'."
    )
    screening_nudity_threshold: float = Field(
        0.5, gt=0.0, le=0.5, description="Nudity score refused; may be lowered, never raised."
    )
    screening_workers: int = Field(
        0,
        ge=0,
        description="Processes that screen outputs off the generating process (0: in the "
        "request's thread); each loads the screening models.",
    )
    screening_min_apparent_age: int = Field(
        25, ge=25, le=70, description="Faces estimated younger are refused; may only be raised."
    )

    # browsers and operators (docs/deployment.md)
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Origins allowed to call the API from a browser, comma-separated; '*' for any.",
    )
    log_format: LogFormat = Field(LogFormat.text, description="text or json (one object a line).")

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip().rstrip("/") for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("extra_backends")
    @classmethod
    def _extra_backends_named(cls, value: list[BackendName]) -> list[BackendName]:
        if BackendName.auto in value:
            raise ValueError("name the backends (placeholder, diffusers); auto is for `backend`")
        return value

    @field_validator(
        "rate_limit_free",
        "rate_limit_pro",
        "rate_limit_test",
        "rate_limit_read",
        "rate_limit_anonymous",
    )
    @classmethod
    def _valid_rate_limit(cls, value: str) -> str:
        try:
            parse_rate_limit(value)
        except ValueError as exc:
            raise ValueError(
                f"it should be one rate limit like '10/minute' or '100/hour', not {value!r}"
            ) from exc
        return value

    @model_validator(mode="after")
    def _sweep_spares_running_generations(self) -> Settings:
        # a running generation's images have no row until it settles: the sweep must not see
        # them as orphans, so its grace outlasts the longest batch (n images, each timed out)
        longest = self.longest_generation_s
        if self.storage_sweep_grace_s is not None and self.storage_sweep_grace_s < longest:
            raise ValueError(
                f"storage_sweep_grace_s ({self.storage_sweep_grace_s:g}) must be at least "
                f"generation_timeout_s x max_batch ({longest:g}), or the sweep could remove the "
                "images of a generation that is still running"
            )
        return self

    @model_validator(mode="after")
    def _upload_sides_ordered(self) -> Settings:
        if self.min_upload_side > self.max_upload_side:
            raise ValueError(
                f"min_upload_side ({self.min_upload_side}) must not exceed max_upload_side "
                f"({self.max_upload_side})"
            )
        return self

    @field_validator("public_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @property
    def longest_generation_s(self) -> float:
        """The longest a generation's stored images can be without their rows."""
        return self.generation_timeout_s * self.max_batch

    @property
    def resolved_sweep_grace_s(self) -> float:
        if self.storage_sweep_grace_s is not None:
            return self.storage_sweep_grace_s
        return max(3600.0, self.longest_generation_s)

    @property
    def images_dir(self) -> Path:
        return self.data_dir / "images"

    @property
    def resolved_provenance_workers(self) -> int:
        """`provenance_workers`, or half this machine's CPUs, 2 to 8 (two keep one image from
        waiting behind another's stamp: bench/results/throughput.md)."""
        if self.provenance_workers is not None:
            return self.provenance_workers
        return max(2, min(8, (os.cpu_count() or 2) // 2))

    @property
    def resolved_key_dir(self) -> Path:
        return self.provenance_key_dir or self.data_dir / "keys"

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'limner.db').resolve()}"

    def daily_allowance(self, plan: str) -> int:
        return self.pro_daily_credits if plan == "pro" else self.free_daily_credits

    # async jobs, batches, webhooks, idempotency (docs/async.md)
    queue_workers: int = Field(1, ge=0, description="Worker threads working the job queue.")
    queue_poll_s: float = Field(0.5, gt=0, description="How often idle workers look for jobs.")
    job_max_attempts: int = Field(
        2, ge=1, description="Claims a job gets; a restart re-queues a running job until spent."
    )
    max_batch: int = Field(8, ge=1, le=8, description="Largest `n` (images per request).")
    webhook_allow_private: bool = Field(
        False, description="Allow webhooks to loopback, private, link-local and reserved hosts."
    )
    webhook_timeout_s: float = Field(10.0, gt=0, description="Timeout of one webhook attempt.")
    webhook_retry_schedule_s: list[float] = Field(
        [0, 5, 300, 1800, 7200, 18000, 36000, 36000],
        description="Delay before each attempt (Standard Webhooks schedule); JSON list.",
    )
    webhook_jitter: float = Field(0.1, ge=0, le=1, description="Random share added to delays.")
    webhook_secret_grace_s: float = Field(
        86400.0, ge=0, description="How long a rotated-out secret keeps signing."
    )
    idempotency_ttl_s: float = Field(86400.0, gt=0, description="How long a key is remembered.")

    # scale-out (docs/scaling.md)
    instance_heartbeat_s: float = Field(
        10.0, gt=0, description="How often a process proves it is alive (crash recovery)."
    )
    instance_stale_after_s: float = Field(
        60.0, gt=0, description="A process silent this long is gone; its credit holds are freed."
    )
    redis_key_prefix: str = Field("limner", description="Prefix of every rate-limit key in Redis.")
    storage_url: str | None = Field(
        None, description="s3://bucket/prefix for object storage; default: images_dir on disk."
    )
    s3_endpoint_url: str | None = Field(None, description="S3-compatible endpoint (MinIO, R2...).")
    s3_region: str | None = Field(None, description="S3 region; default: boto3's own lookup.")
    image_delivery: ImageDelivery = Field(
        ImageDelivery.proxy, description="proxy: serve bytes; presigned: redirect to the store."
    )
    presigned_url_ttl_s: int = Field(3600, ge=60, le=7 * 24 * 3600)
    workers: WorkerTier = Field(WorkerTier.local, description="local or ray (Ray Serve).")
    ray_address: str | None = Field(None, description="Ray cluster; unset starts a local Ray.")
    ray_app_name: str = Field("limner", description="Ray Serve application name.")
    ray_model: str = Field("default", description="Model id (registry entry) requests ask for.")
    ray_pipeline_loader: str = Field(
        "limner.serving.pipelines:tiny_pipeline",
        description="module:function(model_id) -> pipeline, run inside each Ray replica.",
    )
    ray_max_batch_size: int = Field(4, ge=1)
    ray_batch_wait_s: float = Field(0.05, ge=0.0)
    ray_max_models_per_replica: int = Field(2, ge=1)
    ray_num_replicas: int | None = Field(None, ge=1, description="Default: one per GPU, else 1.")

    # media in (docs/studio.md): uploads, media references, storage hygiene
    max_upload_bytes: int = Field(
        10 * 1024 * 1024, ge=1024, description="Largest upload or inline/fetched input image."
    )
    max_upload_pixels: int = Field(
        2048 * 2048,
        ge=64 * 64,
        description="Most pixels (width x height) of an input image: with the sides, what "
        "bounds one request's memory (docs/configuration.md, \"Memory budget\").",
    )
    max_upload_side: int = Field(
        4096, ge=64, description="Longest side of an input image (and of a picture verified)."
    )
    min_upload_side: int = Field(
        32,
        ge=32,
        description="Shortest side of an input image: an output at the input's size below it "
        "would not carry a readable watermark.",
    )
    max_upload_aspect: float = Field(
        128.0, ge=1.0, description="Most times an input image's long side may be its short one."
    )
    max_concurrent_decodes: int = Field(
        2,
        ge=1,
        description="Input and verified pictures decoded at once in this process; more wait "
        "(the memory budget, docs/configuration.md).",
    )
    upload_ttl_hours: float = Field(24.0, gt=0, description="How long an upload is kept.")
    media_fetch_timeout_s: float = Field(
        10.0, gt=0, description="Time limit of fetching an https:// media reference."
    )
    media_fetch_allow_private: bool = Field(
        False, description="Let https:// references reach private hosts (tests, intranets)."
    )
    media_fetch_ca_file: Path | None = Field(
        None, description="CA bundle (PEM) trusted for https:// references; default: system."
    )
    max_media_body_bytes: int = Field(
        16 * 1024 * 1024,
        ge=1024,
        description="Largest JSON body of a generate request that takes pictures (inline "
        "data: URLs); every other body keeps LIMNER_MAX_BODY_BYTES.",
    )
    storage_sweep_interval_s: float = Field(
        3600.0, ge=0, description="How often the server sweeps storage; 0 turns it off."
    )
    storage_sweep_grace_s: float | None = Field(
        None,
        ge=0,
        description="A stored object no row owns is removed once this old; default the larger "
        "of 1 h and generation_timeout_s x max_batch (files of running generations stay).",
    )

    # per-device scheduling (docs/configuration.md)
    generation_max_batch: int = Field(
        8,
        ge=1,
        description="Most images one batched backend call makes (1: no batching); a model's "
        "`max_batch` and the generation workers bound it too.",
    )
    generation_batch_window_ms: float = Field(
        5.0,
        ge=0,
        le=1000,
        description="How long the first of a batch waits for others to join (ms).",
    )
    generation_per_key_limit: int = Field(
        1, ge=1, description="Generations one key may run at once in this process; more wait."
    )
