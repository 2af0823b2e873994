"""The backends of this process, each behind its own runner, in the operator's order: the plan
gives a request to the first that supports its kind, style and quality (for example diffusers
first, the placeholder beside it for what diffusers has disabled or cannot make)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from limner.backends.base import Backend
from limner.domain.styles import Quality, Style
from limner.errors import NotAvailable
from limner.runner import GenerationRunner

__all__ = ["BackendSet"]


class BackendSet:
    def __init__(self, runners: Sequence[GenerationRunner]) -> None:
        if not runners:
            raise ValueError("a process needs at least one backend")
        names = [runner.backend.name for runner in runners]
        if len(set(names)) != len(names):
            raise ValueError(f"each backend may be listed once, not {names}")
        self.runners = list(runners)

    @property
    def primary(self) -> GenerationRunner:
        """The configured `LIMNER_BACKEND` (the first)."""
        return self.runners[0]

    @property
    def backends(self) -> list[Backend]:
        return [runner.backend for runner in self.runners]

    def pick(self, kind: str, style: Style, quality: Quality) -> GenerationRunner:
        """The first backend that can make it, or `NotAvailable` (before any credit is held)."""
        for runner in self.runners:
            if runner.backend.supports(style, quality, kind):
                return runner
        raise NotAvailable(
            f"This server cannot make '{kind}' in the '{style.value}' style at "
            f"'{quality.value}' quality."
        )

    def kinds(self, names: Iterable[str]) -> frozenset[str]:
        """Which of these kinds some backend here can make, in some style and quality."""
        return frozenset(
            kind
            for kind in names
            if any(
                backend.supports(style, quality, kind)
                for backend in self.backends
                for style in Style
                for quality in Quality
            )
        )

    def named(self, name: str) -> GenerationRunner | None:
        return next((r for r in self.runners if r.backend.name == name), None)

    def check_ready(self) -> None:
        for backend in self.backends:
            backend.check_ready()

    def cancel_all(self) -> None:
        """Cancel every generation running or waiting on any backend (shutdown cut-off)."""
        for runner in self.runners:
            runner.cancel_all()

    def shutdown(self) -> None:
        for runner in self.runners:
            runner.shutdown()

    def close(self) -> None:
        for backend in self.backends:
            backend.close()
