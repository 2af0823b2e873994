"""The layer that reads meaning: a small model that flags a minor implied without a listed word
("hasn't hit puberty", "in the grade before high school") and a real person described by role or
title ("the lead singer of ...", "the crown princess of ...").

The model is static: a vector per WordPiece token, distilled from the all-MiniLM-L6-v2 sentence
encoder (model2vec's recipe), and a small two-layer network over the mean and the maximum of a
text's token vectors, trained on the project's own generated phrases. Both ship in the package
(`data/semantic/`), so it runs offline and costs tens of microseconds: a tokenizer call and a few
small matrix products, no encoder at run time. `scripts/semantic/` rebuilds it reproducibly
(distil, generate, train, with the thresholds recorded in the model file).

A field is read as written and in its canonical form (`normalize`: homoglyphs, leetspeak and
split words resolved), in windows of 64 tokens, and the highest score counts. Whole, not clause by
clause: an adult's age in one clause ("a short girl with glasses, 24") is context the network
needs, and read alone the clause "a short girl with glasses" scored like a child.

The engine (`engine.RuleModerator`) applies it after the word rules, in the same conditions as
the minor rules; where the model files or `tokenizers` are missing, `load()` returns None and the
word rules are the floor.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray
    from tokenizers import Encoding, Tokenizer

__all__ = ["Scores", "SemanticModel", "load"]

#: a reading is skipped when more of its words than this are unknown or split into pieces: the
#: network was trained on English, and other languages split into pieces it reads as noise
#: (a Hindi or Vietnamese prompt scored as a real person); the word rules read those
_MAX_FOREIGN = 0.5
#: a reading longer than this many tokens is read in overlapping windows of this length
_WINDOW = 64


@dataclass(frozen=True)
class Scores:
    """The highest probability over a field's readings, per question."""

    minor: float
    person: float


class SemanticModel:
    """Token vectors, the network's weights and the two thresholds (from `data/semantic`)."""

    def __init__(self, tokenizer: Tokenizer, arrays: dict[str, NDArray[np.float32]]) -> None:
        # The encoder's file pads and truncates to 128 tokens; the windows here do that instead.
        tokenizer.no_padding()
        tokenizer.no_truncation()
        self._tokenizer = tokenizer
        self._vectors = arrays["vectors"].astype(np.float32) * arrays["scale"][:, None]
        self._mean = arrays["feature_mean"]
        self._std = arrays["feature_std"]
        self._w1, self._b1 = arrays["w1"], arrays["b1"]
        self._w2, self._b2 = arrays["w2"], arrays["b2"]
        self.minor_threshold = float(arrays["thresholds"][0])
        self.person_threshold = float(arrays["thresholds"][1])

    def features(self, texts: list[str]) -> NDArray[np.float32]:
        """A row per window of `_WINDOW` tokens of each text (one for a short text): the mean and
        the maximum of the window's token vectors (zeros for a text with no tokens)."""
        return self._rows([self._encode(text) for text in texts])

    def _encode(self, text: str) -> Encoding:
        # One text at a time: `encode_batch` hands two short texts to a thread pool, whose
        # wake-ups cost more than the work on a loaded two-core machine.
        return self._tokenizer.encode(text, add_special_tokens=False)

    def _rows(self, encodings: list[Encoding]) -> NDArray[np.float32]:
        windows = [
            encoding.ids[start : start + _WINDOW]
            for encoding in encodings
            for start in range(0, max(len(encoding.ids) - _WINDOW // 2, 1), _WINDOW // 2)
        ]
        dims = self._vectors.shape[1]
        rows = np.zeros((len(windows), 2 * dims), dtype=np.float32)
        for row, ids in zip(rows, windows, strict=True):
            if ids:
                vectors = self._vectors[ids]
                row[:dims] = vectors.mean(axis=0)
                row[dims:] = vectors.max(axis=0)
        return rows

    def probabilities(self, features: NDArray[np.float32]) -> NDArray[np.float32]:
        """(minor, person) probabilities per row of `features`."""
        hidden = np.maximum((features - self._mean) / self._std @ self._w1 + self._b1, 0.0)
        logits = np.clip(hidden @ self._w2 + self._b2, -30.0, 30.0)
        return 1.0 / (1.0 + np.exp(-logits))

    def scores(self, text: str, canonical: str) -> Scores:
        """The highest scores over the text as written and its canonical form."""
        readings = (text,) if canonical == text else (text, canonical)
        encodings = [self._encode(reading) for reading in readings]
        english = [encoding for encoding in encodings if _english(encoding)]
        if not english:
            return Scores(minor=0.0, person=0.0)
        features = self._rows(english)
        best = self.probabilities(features).max(axis=0)
        return Scores(minor=float(best[0]), person=float(best[1]))

    def flags(self, text: str, canonical: str) -> tuple[bool, bool]:
        """(a minor is implied, a real person is described) for one field."""
        found = self.scores(text, canonical)
        return found.minor >= self.minor_threshold, found.person >= self.person_threshold


def _english(encoding: Encoding) -> bool:
    pieces: dict[int, int] = {}
    for word, token in zip(encoding.word_ids, encoding.tokens, strict=True):
        if word is not None:
            pieces[word] = pieces.get(word, 0) + (2 if token == "[UNK]" else 1)
    foreign = sum(count > 1 for count in pieces.values())
    return foreign <= _MAX_FOREIGN * len(pieces)


@cache
def load() -> SemanticModel | None:
    """The shipped model, loaded once; None where it or `tokenizers` is not installed."""
    try:
        from tokenizers import Tokenizer
    except ImportError:
        return None
    folder = resources.files("limner.moderation") / "data" / "semantic"
    try:
        tokenizer = Tokenizer.from_str((folder / "tokenizer.json").read_text(encoding="utf-8"))
        with (folder / "model.npz").open("rb") as handle, np.load(handle) as saved:
            arrays = {name: saved[name] for name in saved.files}
    except FileNotFoundError:
        return None
    return SemanticModel(tokenizer, arrays)
