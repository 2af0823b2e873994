"""The model registry: which pipeline, scheduler and settings serve each style and quality.

It is read from TOML (the packaged `default_models.toml`, or the operator's file named by
`LIMNER_MODELS_FILE`). This module is pure: it imports neither torch nor diffusers, so the file
can be validated anywhere. Every preset is checked at load time, and errors name the TOML key
(`anime.hires.steps: must be greater than or equal to 1`).

Layout::

    [defaults]                 # optional: keys every preset inherits unless it sets them
    negative_prompt = "lowres, blurry"

    [realistic.fast]           # one per style (realistic, anime, nude) and quality (fast, hires)
    pipeline = "stabilityai/sd-turbo"      # Hub id or folder (absolute, or ./ relative to the file)
    pipeline_class = "auto"                # or a class: "StableDiffusionXLPipeline"
    scheduler = "EulerAncestralDiscreteScheduler"   # optional diffusers scheduler class
    steps = 2
    guidance = 0.0
    width = 512
    height = 512

    tiny_vae = "madebyollin/taesd"         # optional tiny decoder (used on CPU by default)

    [nude.hires.lora]          # optional LoRA, fused into the weights at load time
    path = "./loras/style.safetensors"
    scale = 0.8

    [realistic.fast.ip_adapter] # optional: characters' references condition this preset
    path = "h94/IP-Adapter"
    subfolder = "models"
    weight_name = "ip-adapter_sd15.safetensors"
    scale = 0.6

    [nude.hires.trigger_words] # optional, per gender ("default" when no gender is given)
    female = "<adult-style-trigger>"

    [video.realistic.fast]     # optional: the video family (t2v, i2v), per style and quality
    pipeline = "Lightricks/LTX-Video"      # Hub id or folder, one for both kinds
    pipeline_class = "LTXPipeline"         # text to video
    i2v_pipeline_class = "LTXImageToVideoPipeline"   # built from it with `from_pipe`
    steps = 30
    guidance = 3.0
    width = 704
    height = 480
    fps = 24

A style and quality without a `[video...]` table makes no videos on this backend.
"""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from limner.domain.styles import Gender, Quality, Style
from limner.errors import ConfigurationError

__all__ = [
    "DEFAULT_MODELS_FILE",
    "IpAdapterSpec",
    "LoraSpec",
    "ModelPreset",
    "ModelRegistry",
    "VideoPreset",
    "load_registry",
    "parse_registry",
]

#: name of the packaged registry used when the operator names no file
DEFAULT_MODELS_FILE = "default_models.toml"

_CLASS_NAME = re.compile(r"^[A-Z][A-Za-z0-9]*$")
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")

ScalarOption = str | int | float | bool
TriggerKey = Literal["female", "male", "trans", "default"]


def is_local_source(source: str) -> bool:
    """A local path (absolute, `./`, `../`, `~`) rather than a Hub id like `org/name`."""
    return source.startswith(("/", "./", "../", "~", ".\\", "..\\")) or Path(source).is_absolute()


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class LoraSpec(_Strict):
    """A LoRA to fuse into a pipeline: a Hub id, a local file or a local folder."""

    path: Annotated[str, Field(min_length=1)]
    #: the file inside a Hub repo or folder (e.g. "pytorch_lora_weights.safetensors")
    weight_name: str | None = None
    scale: Annotated[float, Field(ge=-4.0, le=4.0)] = 1.0


class IpAdapterSpec(_Strict):
    """A reference-image adapter (IP-Adapter), loaded with diffusers' `load_ip_adapter`: how a
    character's references condition this preset. Without one, characters still apply their
    traits and a fixed seed (`"reference_conditioning": false`)."""

    #: Hub id ("h94/IP-Adapter") or local folder holding the adapter weights
    path: Annotated[str, Field(min_length=1)]
    #: the folder inside it ("models" for h94/IP-Adapter's SD 1.5 adapters); "" for the top
    subfolder: str = ""
    #: the weights file ("ip-adapter_sd15.safetensors")
    weight_name: Annotated[str, Field(min_length=1)]
    #: the image encoder's folder, inside `subfolder` (or a path from the top with a "/")
    image_encoder: Annotated[str, Field(min_length=1)] = "image_encoder"
    #: how strongly the references steer the image (diffusers' `set_ip_adapter_scale`)
    scale: Annotated[float, Field(ge=0.0, le=2.0)] = 0.6

    @property
    def model_key(self) -> str:
        """Names the encoder that computes a character's embeddings (their cache key)."""
        return f"ip-adapter:{self.path}|{self.subfolder}|{self.weight_name}|{self.image_encoder}"


class ModelPreset(_Strict):
    """How one style and quality is generated."""

    #: Hub id ("stabilityai/sd-turbo") or local folder holding a diffusers `model_index.json`
    pipeline: Annotated[str, Field(min_length=1)]
    #: "auto" (AutoPipelineForText2Image) or a diffusers pipeline class name
    pipeline_class: str = "auto"
    #: weights variant on the Hub ("fp16"), or none for the default files
    variant: str | None = None
    #: a diffusers scheduler class name; none keeps the pipeline's own scheduler
    scheduler: str | None = None
    #: keyword arguments for the scheduler's `from_config` (e.g. use_karras_sigmas = true)
    scheduler_options: dict[str, ScalarOption] = Field(default_factory=dict)
    steps: Annotated[int, Field(ge=1, le=200)]
    guidance: Annotated[float, Field(ge=0.0, le=30.0)]
    width: Annotated[int, Field(ge=16, le=4096)]
    height: Annotated[int, Field(ge=16, le=4096)]
    #: the style's negative prompt; none keeps Limner's built-in one for the style
    negative_prompt: str | None = None
    lora: LoraSpec | None = None
    #: conditions on a character's reference pictures (`[x.y.ip_adapter]`); none: traits only
    ip_adapter: IpAdapterSpec | None = None
    trigger_words: dict[TriggerKey, str] = Field(default_factory=dict)
    #: VAE tiling: none decides by size (on above 1024 px), true/false forces it
    vae_tiling: bool | None = None
    attention_slicing: bool = False
    #: a tiny VAE decoder (diffusers `AutoencoderTiny`, the TAESD family): Hub id or local folder
    tiny_vae: str | None = None
    #: where the tiny decoder makes the final image: "cpu" (on CPU devices only, where the full
    #: decoder is three quarters of the time), "always", or "previews" (progress previews only)
    tiny_vae_use: Literal["cpu", "always", "previews"] = "cpu"
    #: most images one pipeline call makes when requests are batched (LIMNER_GENERATION_MAX_BATCH
    #: caps it too); 1 runs every image alone
    max_batch: Annotated[int, Field(ge=1, le=64)] = 4
    #: false takes the preset out of service: requests for it fail, check_ready skips it
    enabled: bool = True

    @field_validator("pipeline_class")
    @classmethod
    def _class_name(cls, value: str) -> str:
        if value != "auto" and not _CLASS_NAME.match(value):
            raise ValueError(f"must be 'auto' or a diffusers pipeline class name, got {value!r}")
        return value

    @field_validator("scheduler")
    @classmethod
    def _scheduler_name(cls, value: str | None) -> str | None:
        if value is not None and not _CLASS_NAME.match(value):
            raise ValueError(f"must be a diffusers scheduler class name, got {value!r}")
        return value

    @field_validator("width", "height")
    @classmethod
    def _multiple_of_8(cls, value: int) -> int:
        if value % 8:
            raise ValueError(f"has to be divisible by 8 but is {value}")
        return value

    @field_validator("pipeline", "tiny_vae")
    @classmethod
    def _source(cls, value: str | None) -> str | None:
        if value is not None and not is_local_source(value) and not _HUB_ID.match(value):
            raise ValueError(
                f"{value!r} is neither a Hub id like 'org/name' nor a path "
                "(start local folders with '/', './' or '../')"
            )
        return value

    @model_validator(mode="after")
    def _slicing_keeps_no_adapter(self) -> ModelPreset:
        # diffusers' attention slicing replaces every attention processor, the adapter's too
        if self.ip_adapter is not None and self.attention_slicing:
            raise ValueError("attention_slicing cannot be combined with an ip_adapter")
        return self

    @property
    def is_local(self) -> bool:
        return is_local_source(self.pipeline)

    def decodes_with_tiny_vae(self, device_type: str) -> bool:
        """True when the final image comes from the tiny decoder on this kind of device."""
        if self.tiny_vae is None:
            return False
        return self.tiny_vae_use == "always" or (
            self.tiny_vae_use == "cpu" and device_type == "cpu"
        )

    def trigger_for(self, gender: Gender | None) -> str | None:
        """The trigger words for `gender`, falling back to the `default` entry."""
        if gender is not None and gender.value in self.trigger_words:
            return self.trigger_words[gender.value]
        return self.trigger_words.get("default")

    def weights_key(self) -> tuple[str | float | None, ...]:
        """Presets with equal keys share one loaded pipeline (the scheduler, the decoder and the
        adapter's scale are chosen per call)."""
        lora = self.lora
        key: tuple[str | float | None, ...] = (
            self.pipeline,
            self.pipeline_class,
            self.variant,
            lora.path if lora else None,
            lora.weight_name if lora else None,
            lora.scale if lora else None,
        )
        if self.ip_adapter is not None:  # a pipeline with adapter layers is another pipeline
            key += (self.ip_adapter.model_key,)
        return key


class VideoPreset(_Strict):
    """How one style and quality makes videos: one pipeline folder for text to video, and the
    image-to-video pipeline built from it (`from_pipe`, sharing every component)."""

    pipeline: Annotated[str, Field(min_length=1)]
    pipeline_class: str = "LTXPipeline"
    i2v_pipeline_class: str = "LTXImageToVideoPipeline"
    variant: str | None = None
    steps: Annotated[int, Field(ge=1, le=200)]
    guidance: Annotated[float, Field(ge=0.0, le=30.0)]
    width: Annotated[int, Field(ge=32, le=4096)]
    height: Annotated[int, Field(ge=32, le=4096)]
    #: the model's frame rate: a request without `fps` gets it
    fps: Annotated[int, Field(ge=1, le=120)] = 24
    #: text-encoder tokens (LTX: 128)
    max_sequence_length: Annotated[int, Field(ge=8, le=1024)] = 128
    negative_prompt: str | None = None
    #: more keyword arguments for the pipeline call (LTX 0.9.1+: decode_timestep = 0.05, ...)
    call_options: dict[str, ScalarOption] = Field(default_factory=dict)
    enabled: bool = True

    @field_validator("pipeline_class", "i2v_pipeline_class")
    @classmethod
    def _class_name(cls, value: str) -> str:
        if not _CLASS_NAME.match(value):
            raise ValueError(f"must be a diffusers pipeline class name, got {value!r}")
        return value

    @field_validator("width", "height")
    @classmethod
    def _multiple_of_32(cls, value: int) -> int:
        if value % 32:
            raise ValueError(f"has to be divisible by 32 but is {value}")
        return value

    @field_validator("pipeline")
    @classmethod
    def _source(cls, value: str) -> str:
        if not is_local_source(value) and not _HUB_ID.match(value):
            raise ValueError(
                f"{value!r} is neither a Hub id like 'org/name' nor a path "
                "(start local folders with '/', './' or '../')"
            )
        return value

    @property
    def is_local(self) -> bool:
        return is_local_source(self.pipeline)

    @property
    def tiny_vae(self) -> None:
        """Video presets decode with the model's own VAE (kept for the shared source checks)."""
        return None

    def weights_key(self) -> tuple[str, str, str | None]:
        return ("video", self.pipeline, self.variant)


class ModelRegistry(_Strict):
    """Every style x quality preset. All six must be present (`enabled = false` disables one);
    video presets are optional (`video`)."""

    presets: dict[Style, dict[Quality, ModelPreset]]
    video: dict[Style, dict[Quality, VideoPreset]] = Field(default_factory=dict)
    source: str = "<memory>"

    @model_validator(mode="after")
    def _complete(self) -> ModelRegistry:
        for style in Style:
            for quality in Quality:
                if quality not in self.presets.get(style, {}):
                    raise ValueError(f"missing table [{style.value}.{quality.value}]")
        return self

    def preset(self, style: Style, quality: Quality) -> ModelPreset:
        return self.presets[style][quality]

    def items(self) -> list[tuple[Style, Quality, ModelPreset]]:
        return [(s, q, self.presets[s][q]) for s in Style for q in Quality]

    def enabled_items(self) -> list[tuple[Style, Quality, ModelPreset]]:
        return [(s, q, p) for s, q, p in self.items() if p.enabled]

    def video_preset(self, style: Style, quality: Quality) -> VideoPreset | None:
        return self.video.get(style, {}).get(quality)

    def video_items(self) -> list[tuple[Style, Quality, VideoPreset]]:
        """The enabled video presets."""
        return [
            (style, quality, preset)
            for style in Style
            for quality in Quality
            if (preset := self.video_preset(style, quality)) is not None and preset.enabled
        ]


def parse_registry(
    data: dict[str, Any], *, source: str = "<memory>", base_dir: Path | None = None
) -> ModelRegistry:
    """Validate decoded TOML. Relative local paths are resolved against `base_dir`."""
    known = {"defaults", "video", *(s.value for s in Style)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigurationError(
            f"{source}: unknown table [{unknown[0]}]; expected [defaults], [video] or one of "
            f"{', '.join(s.value for s in Style)}"
        )
    video = _video_tables(data.get("video", {}), source=source, base_dir=base_dir)
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict):
        raise ConfigurationError(f"{source}: 'defaults' must be a table")
    presets: dict[str, dict[str, Any]] = {}
    for style in Style:
        tables = data.get(style.value)
        if tables is None:
            continue
        if not isinstance(tables, dict):
            raise ConfigurationError(f"{source}: '{style.value}' must be a table")
        extra = sorted(set(tables) - {q.value for q in Quality})
        if extra:
            raise ConfigurationError(
                f"{source}: unknown table [{style.value}.{extra[0]}]; expected fast or hires"
            )
        presets[style.value] = {}
        for quality, table in tables.items():
            if not isinstance(table, dict):
                raise ConfigurationError(f"{source}: '{style.value}.{quality}' must be a table")
            merged = {**defaults, **table}
            if base_dir is not None:
                merged = _resolve_paths(merged, base_dir)
            presets[style.value][quality] = merged
    try:
        return ModelRegistry.model_validate({"presets": presets, "video": video, "source": source})
    except ValidationError as exc:
        raise ConfigurationError(f"{source}: {_describe(exc)}") from exc


def _video_tables(tables: Any, *, source: str, base_dir: Path | None) -> dict[str, dict[str, Any]]:
    """`[video.<style>.<quality>]` tables ([defaults] does not apply: other keys, other models)."""
    if not isinstance(tables, dict):
        raise ConfigurationError(f"{source}: 'video' must be a table")
    out: dict[str, dict[str, Any]] = {}
    styles = {s.value for s in Style}
    for style, by_quality in tables.items():
        if style not in styles:
            raise ConfigurationError(f"{source}: unknown table [video.{style}]")
        if not isinstance(by_quality, dict):
            raise ConfigurationError(f"{source}: 'video.{style}' must be a table")
        for quality, table in by_quality.items():
            if quality not in {q.value for q in Quality} or not isinstance(table, dict):
                raise ConfigurationError(f"{source}: unknown table [video.{style}.{quality}]")
            entry = dict(table)
            if base_dir is not None and isinstance(entry.get("pipeline"), str):
                entry["pipeline"] = _resolve_paths(entry, base_dir)["pipeline"]
            out.setdefault(style, {})[quality] = entry
    return out


def load_registry(path: Path | None = None) -> ModelRegistry:
    """Read the operator's models file, or the packaged default when `path` is None."""
    if path is None:
        text = resources.files(__package__).joinpath(DEFAULT_MODELS_FILE).read_text("utf-8")
        return _parse_text(text, source=f"packaged {DEFAULT_MODELS_FILE}", base_dir=None)
    path = Path(path).expanduser()
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError as exc:
        raise ConfigurationError(f"models file {path} does not exist (LIMNER_MODELS_FILE)") from exc
    except OSError as exc:
        raise ConfigurationError(f"models file {path} cannot be read: {exc}") from exc
    return _parse_text(text, source=str(path), base_dir=path.resolve().parent)


def _parse_text(text: str, *, source: str, base_dir: Path | None) -> ModelRegistry:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{source}: not valid TOML: {exc}") from exc
    return parse_registry(data, source=source, base_dir=base_dir)


def _resolve_paths(table: dict[str, Any], base_dir: Path) -> dict[str, Any]:
    def resolve(value: Any) -> Any:
        if isinstance(value, str) and value.startswith(("./", "../", ".\\", "..\\")):
            return str((base_dir / value).resolve())
        if isinstance(value, str) and value.startswith("~"):
            return str(Path(value).expanduser())
        return value

    out = dict(table)
    out["pipeline"] = resolve(out.get("pipeline"))
    if "tiny_vae" in out:
        out["tiny_vae"] = resolve(out["tiny_vae"])
    for name in ("lora", "ip_adapter"):
        if isinstance(out.get(name), dict):
            out[name] = {**out[name], "path": resolve(out[name].get("path"))}
    return out


def _describe(exc: ValidationError) -> str:
    error = exc.errors(include_url=False)[0]
    loc = [str(part) for part in error["loc"]]
    if loc[:1] == ["presets"]:
        loc = loc[1:]
    key = ".".join(loc)
    kind = error["type"]
    if kind == "missing":
        message = "is required"
    elif kind == "extra_forbidden":
        message = "is not a known key"
    else:
        message = str(error["msg"]).removeprefix("Value error, ")
        message = message[:1].lower() + message[1:]
    if not key:
        return message
    return f"{key}: {message}"
