"""Building the final positive and negative prompts from a request: style presets, appearance
traits, trigger words, and the sanitiser that keeps free-text traits from smuggling in prompt
syntax.

Pure: no I/O, no model code. The engine's plan calls `build_prompt` once per request, the same
for every backend; trigger words and a negative prompt override come from the backend's preset
(`PromptOptions`, from the operator's model registry).

Free-text traits are user input placed inside a sentence Limner writes, so they are reduced to plain
words: prompt-weighting syntax used by common front ends (`(word:1.5)`, `[word]`, `{word}`,
`BREAK`, `<lora:name:1>`, `embedding:name`, escapes like `\\(`) is removed, punctuation becomes
spaces, and the result is cut to `MAX_TRAIT_CHARS` at a word boundary.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from limner.domain.requests import MAX_TRAIT_CHARS, Appearance
from limner.domain.styles import Gender, Style

__all__ = [
    "ADULT_SAFETY_NEGATIVE",
    "STYLE_PRESETS",
    "BuiltPrompt",
    "PromptOptions",
    "StylePreset",
    "build_prompt",
    "describe_appearance",
    "sanitize_trait",
]


@dataclass(frozen=True)
class StylePreset:
    """Words a style adds to every prompt, and its built-in negative prompt."""

    positive: str
    negative: str


STYLE_PRESETS: dict[Style, StylePreset] = {
    Style.realistic: StylePreset(
        positive="photo, natural light, detailed, sharp focus",
        negative="cartoon, illustration, painting, lowres, blurry, watermark, text",
    ),
    Style.anime: StylePreset(
        positive="anime style, cel shading, clean lineart, vibrant colors",
        negative="photo, realistic, 3d render, lowres, blurry, watermark, text",
    ),
    Style.nude: StylePreset(
        positive="selfie, smartphone front camera photo, natural light, realistic, detailed",
        negative="cartoon, illustration, lowres, blurry, deformed, watermark, text",
    ),
}

#: always in the adult style's negative prompt, whatever the operator configures
ADULT_SAFETY_NEGATIVE = "child, teen, minor, underage, young-looking, childlike"

_GENDER_NOUN: dict[Gender | None, str] = {
    Gender.female: "woman",
    Gender.male: "man",
    Gender.trans: "transgender person",
    None: "person",
}

# Whole constructs first, so their inner names do not survive as words.
_CONSTRUCTS = re.compile(
    r"<[^<>]*>"  # <lora:name:0.8>, <hypernet:...>, <embedding>
    r"|\bembedding:\S*"  # embedding:name
    r"|:\s*[-+]?\d*\.?\d+"  # weights such as :1.5 inside (word:1.5)
    r"|\\.",  # escapes such as \( \[
    re.IGNORECASE,
)
# Everything that is not a letter, digit, space, hyphen or apostrophe becomes a space.
_NOT_PLAIN = re.compile(r"[^\w\s'-]|_")
_BREAK = "BREAK"
_SPACES = re.compile(r"\s+")


def sanitize_trait(value: str, *, max_chars: int = MAX_TRAIT_CHARS) -> str:
    """Reduce a free-text trait to plain words; may return "" (the trait is then left out)."""
    text = unicodedata.normalize("NFKC", value)
    text = _CONSTRUCTS.sub(" ", text)
    text = _NOT_PLAIN.sub(" ", text)
    # Removing one occurrence can join two halves into a new one ("BRE" + "BREAK" + "AK").
    while _BREAK in text:
        text = text.replace(_BREAK, " ")
    text = _SPACES.sub(" ", text).strip()
    if len(text) > max_chars:
        cut = text[: max_chars + 1]
        text = cut.rsplit(" ", 1)[0] if " " in cut else text[:max_chars]
        text = text[:max_chars].strip()
    return text


def describe_appearance(appearance: Appearance | None) -> str:
    """Traits as a phrase that always states an adult age: "32-year-old adult woman, ..."."""
    appearance = appearance or Appearance.model_validate({})
    age = f"{appearance.age}-year-old adult" if appearance.age is not None else "adult"
    clean = {name: sanitize_trait(value) for name, value in appearance.free_text_fields().items()}
    clean = {name: value for name, value in clean.items() if value}
    subject = " ".join(
        part for part in (age, clean.get("ethnicity"), _GENDER_NOUN[appearance.gender]) if part
    )
    parts = [subject]
    hair = " ".join(part for part in (clean.get("hair_style"), clean.get("hair_color")) if part)
    if hair:
        parts.append(f"{hair} hair")
    if "eye_color" in clean:
        parts.append(f"{clean['eye_color']} eyes")
    if "body_type" in clean:
        parts.append(f"{clean['body_type']} build")
    if "breast_size" in clean and appearance.gender is not Gender.male:
        parts.append(f"{clean['breast_size']} bust")
    return ", ".join(parts)


@dataclass(frozen=True)
class PromptOptions:
    """Words the operator configured for a backend preset, which the one builder adds."""

    #: LoRA trigger words, first in the positive prompt
    trigger_words: str | None = None
    #: replaces the style's built-in negative prompt
    style_negative: str | None = None


@dataclass(frozen=True)
class BuiltPrompt:
    positive: str
    negative: str


def build_prompt(
    *,
    prompt: str,
    style: Style,
    appearance: Appearance | None = None,
    negative_prompt: str | None = None,
    trigger_words: str | None = None,
    style_negative: str | None = None,
    character: str | None = None,
) -> BuiltPrompt:
    """The positive and negative prompt for one generation.

    positive: trigger words, the style's words, (adult style) the appearance phrase, a
    character's description (`character`, moderated like the prompt), the prompt.
    negative: (adult style) `ADULT_SAFETY_NEGATIVE`, then `style_negative` (the operator's
    override) or the style's built-in negative, then the request's own negative prompt.
    """
    style = Style(style)
    preset = STYLE_PRESETS[style]
    positive: list[str | None] = [trigger_words, preset.positive]
    negative: list[str | None] = []
    if style is Style.nude:
        positive.append(describe_appearance(appearance))
        negative.append(ADULT_SAFETY_NEGATIVE)
    positive.append(character)
    positive.append(prompt)
    negative.append(preset.negative if style_negative is None else style_negative)
    negative.append(negative_prompt)
    return BuiltPrompt(positive=_join(positive), negative=_join(negative))


def _join(parts: Sequence[str | None]) -> str:
    cleaned = (_SPACES.sub(" ", part).strip(" ,") for part in parts if part)
    return ", ".join(part for part in cleaned if part)
