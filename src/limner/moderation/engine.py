"""The text moderation rules: `RuleModerator`, which turns indicators into one verdict.

This module owns the rules, not the word lists (`lexicon`), the age reading (`ages`) or the
normalisation (`normalize`). All fields of a request are read together, because an attack can
split across them (a minor in `appearance.body_type`, nudity in the prompt); the verdict names
the field that carried the refused indicator and never the matched text.

Rules, checked in this order (the first refusal wins, most serious first):

====================  ===================================================================
rule                  refused when
====================  ===================================================================
minor_age             an age under 18 is stated (digits or words, in any language with
                      rules) in any field or in all fields read together, and the style
                      is the adult one or any field carries sexual/nudity wording;
minor_term            a minor-coded word or phrase in the same conditions, including the
                      indirect indicators of `indicators` (age-coded objects and settings,
                      body development, relationship terms, fictional minor characters);
                      nudity euphemisms ("birthday suit") count as nudity wording
real_person_sexual    a real person is named and some field carries sexual/nudity wording
real_person_adult     a real person is named in the adult style (which only makes sexual
                      imagery), even without sexual wording. A real person is named by a
                      listed name or alias (`people`), a title or role ("the president of
                      France", "the lead singer of ...", `roles`), or a full name that is on
                      no list, unless the text shows it is invented (`names`)
minor_semantic        the semantic model (`semantic`) reads a minor in a field's meaning
                      ("hasn't hit puberty", "in the grade before high school"), in the
                      same conditions as the minor rules, unless the field states an
                      adult age (which the age rules read)
person_semantic       the semantic model reads a real person described by role or title
                      ("the lead singer of ...", "the crown princess of ..."), in the same
                      conditions as the real-person rules; only where a word refers
                      to a person, and a generic band role ("the lead singer of a
                      band") read as the bare role, as `roles` judges it
unsupported_language  the adult style, and a free-text field (not a trait value) is written
                      in a language Limner does not moderate, on positive evidence: its
                      script or words only unsupported languages have (`languages`)
operator_term         a term from the operator's extra blocked list appears, in any style
====================  ===================================================================

Every field goes through the same analysis (`analyze_field`): its text and its canonical form
(`canonical`: confusables, symbols, emoji, other scripts, split and joined words), whose views are
merged into the field's `Analyzed.ascii`, so every rule reads both. Every language's rules
(`languages.RULE_LANGUAGES`: the supported ones and the covered ones) read every field, whatever
language it is identified as: mixed-language text cannot slip between rule sets. The
identification decides two things only: the adult style's language policy (refused only on
positive evidence, `languages`), and the few words that are minor words in one language and
ordinary in another (German "Kind"), which count where that language is likely. Trait values
(`appearance.*`) are too short to identify; they are read with every language's rules, the
ambiguous words included (so are other texts too short to identify,
`languages.MIN_IDENTIFIED_WORDS`).

The semantic rules run after the word rules, so a listed word is reported as the rule that
matched it; where the model is not installed (`semantic.load()` is None) the word rules are the
floor.

A child flying a kite in the realistic style is allowed: a minor indicator alone is refused only
in the adult style.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Literal

from limner.domain.styles import is_adult_style
from limner.moderation.ages import mentions_minor_age, minor_ages, states_adult_age, tag_ages
from limner.moderation.base import ModerationRequest, TextField, Verdict
from limner.moderation.canonical import canonical_forms
from limner.moderation.indicators import load_indicators
from limner.moderation.languages import (
    COVERED,
    RULE_LANGUAGES,
    Identification,
    identify,
    supported_list,
)
from limner.moderation.languages import preload as preload_language_model
from limner.moderation.lexicon import (
    MINOR_PATTERNS,
    MINOR_TERMS,
    SEXUAL_PATTERNS,
    SEXUAL_TERMS,
    TermSet,
    mask_allowed,
    mask_negated,
    shipped_real_people,
)
from limner.moderation.names import full_names
from limner.moderation.normalize import TextViews, analyze, normalize
from limner.moderation.people import RealPeople
from limner.moderation.roles import find_role, mentions_person, without_generic_roles
from limner.moderation.rulesets import Analyzed, LanguageRules, load_rules, mask_near_misses
from limner.moderation.scripts import native_views
from limner.moderation.semantic import SemanticModel
from limner.moderation.semantic import load as load_semantic_model

__all__ = [
    "AnalyzedField",
    "Review",
    "RuleModerator",
    "analyze_field",
    "default_moderator",
    "is_trait",
]

#: the refusal message of `unsupported_language`; it names no matched text
UNSUPPORTED_MESSAGE = (
    "The adult style accepts text only in the languages Limner moderates: {languages}. "
    "Please write the request in one of them."
)


@dataclass(frozen=True)
class AnalyzedField:
    """One free-text field, analysed once for every rule (the single entry point for fields)."""

    path: str
    text: Analyzed
    #: None for trait values, which are not identified
    identification: Identification | None
    #: the canonical forms of the text (`canonical`), for the operator's console
    canonical: tuple[str, ...] = ()


@dataclass(frozen=True)
class Review:
    """A verdict with what an operator needs to review it (`limner moderation check`).

    `match` and `language` name what matched; they are for the operator's console and never go
    into an HTTP response or the refusal log.
    """

    verdict: Verdict
    #: field path -> the languages identified in it (best first; empty for trait values)
    languages: dict[str, tuple[str, ...]]
    match: str | None = None
    language: str | None = None
    #: field path -> its canonical form (`canonical.canonical`), what the rules read besides it
    canonical: dict[str, str] = dataclass_field(default_factory=dict)


def is_trait(path: str) -> bool:
    """Trait values (`appearance.*`) are short descriptors: read, never identified."""
    return path.startswith("appearance.")


def analyze_field(field: TextField) -> AnalyzedField:
    """Every field of every kind, now and later (names, descriptions), is analysed here."""
    text, forms = _analyzed(field.text)
    identification = None if is_trait(field.path) else identify(field.text)
    return AnalyzedField(path=field.path, text=text, identification=identification, canonical=forms)


def _analyzed(text: str) -> tuple[Analyzed, tuple[str, ...]]:
    """The text's views with its canonical forms', near misses masked; and the forms."""
    forms = canonical_forms(text)
    views = mask_near_misses(_with_forms(analyze(text), forms))
    return Analyzed(ascii=views, native=native_views(text)), forms


def _with_forms(views: TextViews, forms: tuple[str, ...]) -> TextViews:
    """The text's views with each canonical form's views added (words and glued words; a
    form's age view reads as one more word view)."""
    words = list(views.words)
    glued = list(views.glued)
    for form in forms:
        if form in words:
            continue
        more = analyze(form)
        words.extend((*more.words, more.ages))
        glued.extend(more.glued)
    return replace(
        views, words=tuple(dict.fromkeys(words)), glued=tuple(dict.fromkeys(glued))
    )


class RuleModerator:
    """Rule-based text moderation (implements `limner.moderation.base.TextModerator`).

    `extra_real_people` and `extra_blocked_terms` let an operator add names and terms (see
    `lexicon.read_term_file` for reading them from a file), and `extra_dir` holds the operator's
    words per language (`<code>/minor.txt`, `<code>/sexual.txt`); nothing here can remove a shipped
    rule. `real_people` replaces the shipped name list and exists for tests. `semantic` is the
    meaning model: the shipped one by default, None for the word rules alone (the floor).
    """

    def __init__(
        self,
        *,
        extra_real_people: Iterable[str] = (),
        extra_blocked_terms: Iterable[str] = (),
        real_people: Iterable[str] | None = None,
        extra_dir: Path | None = None,
        semantic: SemanticModel | Literal["shipped"] | None = "shipped",
    ) -> None:
        self._semantic = load_semantic_model() if semantic == "shipped" else semantic
        names = shipped_real_people() if real_people is None else tuple(real_people)
        self._minor_terms = TermSet(MINOR_TERMS, patterns=MINOR_PATTERNS)
        self._sexual_terms = TermSet(SEXUAL_TERMS, patterns=SEXUAL_PATTERNS)
        self._languages: tuple[LanguageRules, ...] = load_rules(
            RULE_LANGUAGES, extra_dir=extra_dir, merged=COVERED
        )
        self._real_people = RealPeople((*names, *extra_real_people))
        self._operator_terms = TermSet(extra_blocked_terms)
        self._indicators = load_indicators()
        self._full_names = full_names()

    def check(self, request: ModerationRequest) -> Verdict:
        """Return the first refusal found, or `Verdict.allow()`."""
        return self.review(request).verdict

    def review(self, request: ModerationRequest) -> Review:
        """The verdict with the languages identified and what matched (for operators)."""
        fields = [analyze_field(field) for field in request.fields]
        review = self._decide(request, fields)
        canonical = {field.path: " / ".join(field.canonical) for field in fields}
        return replace(review, canonical=canonical)

    def _decide(self, request: ModerationRequest, fields: list[AnalyzedField]) -> Review:
        languages = {
            field.path: field.identification.languages if field.identification else ()
            for field in fields
        }
        adult = is_adult_style(request.style)
        sexual = next(
            (found for field in fields if (found := self._sexual(field)) is not None), None
        )

        if adult or sexual:
            together = _together(request)
            originals = [field.text for field in request.fields]
            originals += [" ".join(originals)] * len(together)
            for field, original in zip((*fields, *together), originals, strict=True):
                minor = self._minor(field, original)
                if minor is not None:
                    rule, match, language = minor
                    return Review(Verdict.block(field.path, rule), languages, match, language)
            for field, source in zip(fields, request.fields, strict=True):
                name = self._person(field, source.text)
                if name is not None:
                    rule = "real_person_sexual" if sexual else "real_person_adult"
                    return Review(Verdict.block(field.path, rule), languages, name)
            meaning = self._meaning(request.fields, fields)
            if meaning is not None:
                path, rule, match = meaning
                return Review(Verdict.block(path, rule), languages, match, "en")

        if adult:
            for field in fields:
                if field.identification is not None and not field.identification.supported:
                    verdict = Verdict.block(
                        field.path,
                        "unsupported_language",
                        message=UNSUPPORTED_MESSAGE.format(languages=supported_list()),
                    )
                    first = field.identification.languages[:1]
                    return Review(verdict, languages, None, first[0] if first else None)

        for field in fields:
            term = self._operator_terms.find(field.text.ascii)
            if term is not None:
                return Review(Verdict.block(field.path, "operator_term"), languages, term)
        return Review(Verdict.allow(sexual=sexual is not None), languages)

    def _minor(self, field: AnalyzedField, original: str) -> tuple[str, str, str] | None:
        views = mask_allowed(field.text.ascii)
        if states_adult_age(views, original):
            # "woman, 29, not a child": a denial counts only beside an adult's stated age
            views = mask_negated(views)
        if views is not field.text.ascii:
            field = replace(field, text=replace(field.text, ascii=views))
        if mentions_minor_age(views):
            ages = [age for view in (views.ages, *views.words) for age in minor_ages(view)]
            return "minor_age", f"an age of {ages[0]}" if ages else "an age", "en"
        tagged = tag_ages(original)
        if tagged:
            return "minor_age", f"an age of {tagged[0]}", "any"
        term = self._minor_terms.find(views)
        if term is not None:
            return "minor_term", term, "en"
        for rules in self._languages:
            found = rules.find_minor(field.text, identified=_likely(field, rules.code))
            if found is not None:
                return found[0], found[1], rules.code
        indirect = self._indicators.find_minor(field.text)
        if indirect is not None:
            return indirect[0], indirect[1], "any"
        return None

    def _meaning(
        self, originals: Sequence[TextField], fields: list[AnalyzedField]
    ) -> tuple[str, str, str] | None:
        # Each field as written and in the canonical form the rules read, a generic band role
        # ("the lead singer of a band") read as the bare role, as the role rules judge it.
        if self._semantic is None:
            return None
        model = self._semantic
        flagged = []
        for original, field in zip(originals, fields, strict=True):
            text = without_generic_roles(original.text)
            canonical = field.text.ascii.words[0] if text == original.text else normalize(text)
            found = model.scores(text, canonical)
            if not mentions_person(canonical):
                # a description of a real person names a person or a role ("a love song on
                # the radio" read as a singer)
                found = replace(found, person=0.0)
            if states_adult_age(field.text.ascii, original.text):
                # a stated adult age is the age rules' to read ("age 0x1E" is 30)
                found = replace(found, minor=0.0)
            if found.minor < model.minor_threshold and found.person < model.person_threshold:
                continue
            # English only: the network reads other languages' words as noise (Portuguese,
            # German and Italian texts scored as minors), and their word rules read them.
            # Asked only of a flagged field, so trait values are identified only then.
            if _english(field, original.text):
                flagged.append((field.path, found))
        for path, found in flagged:
            if found.minor >= model.minor_threshold:
                return path, "minor_semantic", f"a minor by meaning ({found.minor:.2f})"
        for path, found in flagged:
            if found.person >= model.person_threshold:
                return path, "person_semantic", f"a real person by role ({found.person:.2f})"
        return None

    def _person(self, field: AnalyzedField, original: str) -> str | None:
        """A real person: a listed name, a title or role, or a full name (`names`)."""
        return (
            self._real_people.find(field.text)
            or find_role(original, field.text.ascii)
            or self._full_names.find(original)
        )

    def _sexual(self, field: AnalyzedField) -> str | None:
        term = self._sexual_terms.find(field.text.ascii)
        if term is not None:
            return term
        for rules in self._languages:
            term = rules.find_sexual(field.text, identified=_likely(field, rules.code))
            if term is not None:
                return term
        return self._indicators.find_sexual(field.text)


def _together(request: ModerationRequest) -> tuple[AnalyzedField, ...]:
    """All fields' text as one, for a minor split across fields ("sch" in the prompt, "oolgirl"
    in the caption). It is refused as the first field; ambiguous words do not count in it (each
    field was read with them already)."""
    if len(request.fields) < 2:
        return ()
    text, forms = _analyzed(" ".join(field.text for field in request.fields))
    unidentified = Identification(languages=(), supported=True, confidence=0.0)
    return (AnalyzedField(request.fields[0].path, text, unidentified, forms),)


def _likely(field: AnalyzedField, code: str) -> bool:
    # Trait values are not identified: every language's ambiguous words count for them.
    return field.identification is None or code in field.identification.likely


def _english(field: AnalyzedField, text: str) -> bool:
    # English among the three likeliest languages, or too short to tell: short role
    # descriptions rank Dutch or Pidgin first ("the queen of denmark": nl, en, pcm).
    found = field.identification or identify(text)
    return not found.languages or "en" in found.languages[:3]


def default_moderator(
    *,
    extra_real_people: Iterable[str] = (),
    extra_blocked_terms: Iterable[str] = (),
    extra_dir: Path | None = None,
) -> RuleModerator:
    """The moderator the service uses: shipped lists plus the operator's additions.

    The language model is loaded here, at start-up, not on the first adult-style request.
    """
    preload_language_model()
    return RuleModerator(
        extra_real_people=extra_real_people,
        extra_blocked_terms=extra_blocked_terms,
        extra_dir=extra_dir,
    )
