"""The backends of this process, each behind its own runner, in the operator's order: the plan
gives a request to the first that supports its kind, style and quality (for example diffusers
first, the placeholder beside it for what diffusers has disabled or cannot make).

Test keys have a runner of their own, the placeholder backend, whatever `LIMNER_BACKEND` says:
a live request never falls through to it (unless the operator also listed the placeholder),
and a test request never reaches a real model."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from limner.backends.base import Backend, ExplainsUnavailable
from limner.domain.styles import Quality, Style
from limner.errors import NotAvailable
from limner.runner import GenerationRunner

__all__ = ["BackendSet"]


class BackendSet:
    def __init__(
        self, runners: Sequence[GenerationRunner], *, test: GenerationRunner | None = None
    ) -> None:
        if not runners:
            raise ValueError("a process needs at least one backend")
        names = [runner.backend.name for runner in runners]
        if len(set(names)) != len(names):
            raise ValueError(f"each backend may be listed once, not {names}")
        self.runners = list(runners)
        #: what test keys' requests run on (the placeholder); None: test keys cannot generate
        self.test = test

    def all(self) -> list[GenerationRunner]:
        """Every runner of the process once, the test keys' one included."""
        return self._all()

    def _all(self) -> list[GenerationRunner]:
        """Every runner of the process once, the test keys' one included."""
        extra = [self.test] if self.test is not None and self.test not in self.runners else []
        return [*self.runners, *extra]

    @property
    def primary(self) -> GenerationRunner:
        """The configured `LIMNER_BACKEND` (the first)."""
        return self.runners[0]

    @property
    def backends(self) -> list[Backend]:
        return [runner.backend for runner in self.runners]

    def pick(
        self, kind: str, style: Style, quality: Quality, *, livemode: bool = True
    ) -> GenerationRunner:
        """The first backend that can make it (a test key: the test runner only), or
        `NotAvailable` (before any credit is held), naming what to configure where a backend
        knows it (a preset whose model is missing)."""
        candidates = self.runners if livemode else [self.test] if self.test else []
        for runner in candidates:
            if runner.backend.supports(style, quality, kind):
                return runner
        for runner in candidates:
            if isinstance(runner.backend, ExplainsUnavailable):
                reason = runner.backend.unavailable_reason(style, quality, kind)
                if reason:
                    raise NotAvailable(reason)
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

    def test_kinds(self, names: Iterable[str]) -> frozenset[str]:
        """Which of these kinds the test runner can make (for test keys' queued jobs)."""
        if self.test is None:
            return frozenset()
        backend = self.test.backend
        return frozenset(
            kind
            for kind in names
            if any(backend.supports(style, quality, kind) for style in Style for quality in Quality)
        )

    def named(self, name: str, *, livemode: bool = True) -> GenerationRunner | None:
        """The runner a stored generation was planned on (a test key's: the test runner)."""
        if not livemode:
            return self.test
        return next((r for r in self.runners if r.backend.name == name), None)

    def check_ready(self) -> None:
        for runner in self._all():
            runner.backend.check_ready()

    def cancel_all(self) -> None:
        """Cancel every generation running or waiting on any backend (shutdown cut-off)."""
        for runner in self._all():
            runner.cancel_all()

    def shutdown(self) -> None:
        for runner in self._all():
            runner.shutdown()

    def close(self) -> None:
        for runner in self._all():
            runner.backend.close()
