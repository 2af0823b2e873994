"""One owner of what is loaded on a device: a memory budget, least recently used out."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable

from limner.devices import Resident, ResidentSet


def loader(name: str, size: int, calls: list[str]) -> Callable[[], Resident[str]]:
    def load() -> Resident[str]:
        calls.append(name)
        return Resident(f"model {name}", size)

    return load


def test_least_recently_used_models_make_room_across_kinds() -> None:
    evicted: list[Hashable] = []
    resident: ResidentSet[str] = ResidentSet(budget_bytes=100, on_evict=evicted.extend)
    calls: list[str] = []
    # an image pipeline, an inpainting pipeline and a video model share one budget
    assert resident.get(("t2i", "sd"), loader("sd", 40, calls)) == "model sd"
    resident.get(("inpaint", "sd"), loader("sd-inpaint", 40, calls))
    resident.get(("t2i", "sd"), loader("sd", 40, calls))  # used again: now the most recent
    assert resident.used_bytes == 80 and calls == ["sd", "sd-inpaint"]
    resident.get(("t2v", "tiny"), loader("video", 50, calls))
    assert evicted == [("inpaint", "sd")]
    assert resident.loaded_keys() == [("t2i", "sd"), ("t2v", "tiny")]
    assert resident.usage() == {("t2i", "sd"): 40, ("t2v", "tiny"): 50}


def test_a_known_size_makes_room_before_loading_again() -> None:
    events: list[str] = []
    resident: ResidentSet[str] = ResidentSet(
        budget_bytes=100, on_evict=lambda keys: events.append(f"evict {keys}")
    )

    def load(name: str, size: int) -> Callable[[], Resident[str]]:
        def run() -> Resident[str]:
            events.append(f"load {name}")
            return Resident(name, size)

        return run

    resident.get("a", load("a", 60))
    resident.get("b", load("b", 30))
    resident.discard("a")
    events.clear()
    resident.get("c", load("c", 30))
    resident.get("a", load("a", 60))  # a's size is known: room is made before it loads
    assert events == ["load c", "evict ['b']", "load a"]


def test_a_model_larger_than_the_budget_is_kept_alone() -> None:
    resident: ResidentSet[str] = ResidentSet(budget_bytes=10)
    resident.get("small", lambda: Resident("small", 5))
    resident.get("huge", lambda: Resident("huge", 50))
    assert resident.loaded_keys() == ["huge"]


def test_concurrent_callers_load_a_model_once() -> None:
    resident: ResidentSet[str] = ResidentSet(budget_bytes=None)
    started = threading.Event()
    finish = threading.Event()
    loads: list[int] = []

    def slow_load() -> Resident[str]:
        loads.append(1)
        started.set()
        finish.wait(30)
        return Resident("model", 1)

    results: list[str] = []
    first = threading.Thread(target=lambda: results.append(resident.get("m", slow_load)))
    first.start()
    assert started.wait(30)
    second = threading.Thread(target=lambda: results.append(resident.get("m", slow_load)))
    second.start()
    finish.set()
    first.join(30)
    second.join(30)
    assert results == ["model", "model"] and loads == [1]


def test_clear_unloads_everything() -> None:
    cleared: list[list[Hashable]] = []
    resident: ResidentSet[str] = ResidentSet(budget_bytes=None, on_evict=cleared.append)
    resident.get("a", lambda: Resident("a", 1))
    resident.clear()
    assert resident.loaded_keys() == [] and cleared == [["a"]]
