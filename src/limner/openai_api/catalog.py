"""The `model` menu of the OpenAI surface: which Limner style (and preset) each model id selects.

OpenAI clients pick a model by id and many show `GET /v1/models` as a menu. Limner's ids:

- a style (`realistic`, `anime`, `nude`): that style, the preset chosen by `quality`;
- a registry id `style.quality` (`anime.hires`): that one preset of the model registry
  (`default_models.toml` names its tables the same way), so its style and its price are fixed;
- OpenAI's own names (`dall-e-2`, `dall-e-3`, `gpt-image-1`, ...), which clients send by default:
  aliases of the default style, accepted but not listed (this server runs none of them).

A model id only ever selects a style: the style's moderation and safety rules apply to it,
whichever id named it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from limner.domain.styles import Quality, Style

__all__ = ["DEFAULT_MODEL", "OPENAI_ALIASES", "ModelChoice", "list_models", "resolve_model"]

#: the model of a request that names none (the v1 contract's default style)
DEFAULT_MODEL = Style.realistic.value
#: OpenAI's image model names: sent by default by many clients, served as the default style
OPENAI_ALIASES = frozenset(
    {"dall-e-2", "dall-e-3", "gpt-image-1", "gpt-image-1-mini", "gpt-image-1.5"}
)

#: whether some backend of this server makes text-to-image in a style at a quality
Supports = Callable[[Style, Quality], bool]


@dataclass(frozen=True)
class ModelChoice:
    """What a model id selects: a style, and a quality when the id is a registry id."""

    id: str
    style: Style
    #: fixed by a registry id; None lets the request's `quality` choose
    quality: Quality | None = None


def resolve_model(model: str | None) -> ModelChoice | None:
    """The choice a model id makes, or None for an id this server does not know."""
    name = DEFAULT_MODEL if model is None else model
    if name in OPENAI_ALIASES:
        return ModelChoice(name, Style(DEFAULT_MODEL))
    style_name, dot, quality_name = name.partition(".")
    if style_name not in Style.__members__:
        return None
    if not dot:
        return ModelChoice(name, Style(style_name))
    if quality_name not in Quality.__members__:
        return None
    return ModelChoice(name, Style(style_name), Quality(quality_name))


def list_models(supports: Supports) -> list[ModelChoice]:
    """Every id a client may choose here, styles first: a style when some preset of it serves,
    each registry id whose preset serves (a disabled preset, such as the adult style without
    its operator-supplied model, is left out)."""
    styles = [
        ModelChoice(style.value, style)
        for style in Style
        if any(supports(style, quality) for quality in Quality)
    ]
    presets = [
        ModelChoice(f"{style.value}.{quality.value}", style, quality)
        for style in Style
        for quality in Quality
        if supports(style, quality)
    ]
    return [*styles, *presets]
