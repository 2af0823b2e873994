"""What is loaded on a device: models within a memory budget, least recently used out.

One `ResidentSet` per device is the one owner of "what is loaded". Every kind of model that lives
on the device (text-to-image and inpainting pipelines, reference encoders, video models) is loaded
through it under its own key, so they share one budget and one eviction order. It knows nothing
about torch: a loader returns the model and its size in bytes; eviction only drops the set's
reference (a job already running keeps its model until it finishes) and then calls `on_evict`
(the diffusers backend frees CUDA's cache there).

A model bigger than the whole budget is still kept, alone: serving slowly beats failing.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class Resident(Generic[T]):
    """A loaded model and the memory it holds."""

    value: T
    size_bytes: int


class ResidentSet(Generic[T]):
    def __init__(
        self,
        *,
        budget_bytes: int | None = None,
        on_evict: Callable[[list[Hashable]], None] | None = None,
    ) -> None:
        self.budget_bytes = budget_bytes
        self._on_evict = on_evict
        self._entries: OrderedDict[Hashable, Resident[T]] = OrderedDict()
        #: sizes of models seen before, to make room before loading them again
        self._known_sizes: dict[Hashable, int] = {}
        self._lock = threading.Lock()
        self._load_locks: dict[Hashable, threading.Lock] = {}

    def get(self, key: Hashable, load: Callable[[], Resident[T]]) -> T:
        """The model under `key`, loaded by `load()` if it is not resident (one load per key,
        however many callers ask at once), after making room for it within the budget."""
        with self._lock:
            entry = self._hit(key)
            if entry is not None:
                return entry.value
            load_lock = self._load_locks.setdefault(key, threading.Lock())
        with load_lock:
            with self._lock:
                entry = self._hit(key)
                if entry is not None:
                    return entry.value
                evicted = self._evict(incoming=self._known_sizes.get(key, 0), keep=None)
            self._evicted(evicted)
            entry = load()
            with self._lock:
                self._known_sizes[key] = entry.size_bytes
                self._entries[key] = entry
                evicted = self._evict(incoming=0, keep=key)
            self._evicted(evicted)
            return entry.value

    def loaded_keys(self) -> list[Hashable]:
        """Keys from least to most recently used."""
        with self._lock:
            return list(self._entries)

    def usage(self) -> dict[Hashable, int]:
        """Bytes held by each resident model, least recently used first."""
        with self._lock:
            return {key: entry.size_bytes for key, entry in self._entries.items()}

    @property
    def used_bytes(self) -> int:
        with self._lock:
            return sum(entry.size_bytes for entry in self._entries.values())

    def discard(self, key: Hashable) -> None:
        with self._lock:
            gone = self._entries.pop(key, None)
        if gone is not None:
            self._evicted([key])

    def clear(self) -> None:
        with self._lock:
            keys = list(self._entries)
            self._entries.clear()
        self._evicted(keys, always=True)

    def _hit(self, key: Hashable) -> Resident[T] | None:
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    def _evict(self, *, incoming: int, keep: Hashable | None) -> list[Hashable]:
        if self.budget_bytes is None:
            return []
        evicted = []
        used = sum(entry.size_bytes for entry in self._entries.values())
        for key in list(self._entries):
            if used + incoming <= self.budget_bytes:
                break
            if key == keep:
                continue
            used -= self._entries.pop(key).size_bytes
            evicted.append(key)
            log.info("unloaded %s to stay within %d bytes", key, self.budget_bytes)
        return evicted

    def _evicted(self, keys: list[Hashable], *, always: bool = False) -> None:
        if (keys or always) and self._on_evict is not None:
            self._on_evict(keys)
