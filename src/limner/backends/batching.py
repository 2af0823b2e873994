"""What a backend implements to have its generations batched (`limner.devices.batching`)."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Protocol, runtime_checkable

from limner.backends.base import GenerationContext, GenerationSpec, Media

__all__ = ["BatchResult", "BatchingBackend", "run_each"]

#: one image's outcome from a batched call: its media, or the error of that image alone
BatchResult = Media | BaseException


@runtime_checkable
class BatchingBackend(Protocol):
    """What a backend adds to the `Backend` protocol to have its generations batched."""

    def batch_key(self, spec: GenerationSpec) -> Hashable | None:
        """Specs with equal keys can run in one call; None: this one runs alone."""
        ...

    def batch_cap(self, spec: GenerationSpec) -> int:
        """The most images one call of this spec's pipeline makes."""
        ...

    def generate_batch(
        self, specs: Sequence[GenerationSpec], contexts: Sequence[GenerationContext]
    ) -> list[BatchResult]:
        """One result per spec, in order; an error in the list fails only that image."""
        ...


def run_each(
    generate: Callable[[GenerationSpec, GenerationContext], Media],
    specs: Sequence[GenerationSpec],
    contexts: Sequence[GenerationContext],
) -> list[BatchResult]:
    """`generate_batch` for a backend without a batched call, or a fallback after a failed one:
    each image alone, each error kept to its image."""
    results: list[BatchResult] = []
    for spec, context in zip(specs, contexts, strict=True):
        try:
            results.append(generate(spec, context))
        except Exception as exc:
            results.append(exc)
    return results
