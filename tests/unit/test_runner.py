"""The runner: per-key limits and one job per device, driven by events the test controls."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from PIL import Image

from limner.backends.base import GenerationContext, GenerationSpec, Media
from limner.backends.placeholder import PlaceholderBackend
from limner.devices import DeviceTurns
from limner.domain.styles import Quality, Style
from limner.errors import BackendBusy
from limner.runner import GenerationRunner, device_of


def spec(name: str) -> GenerationSpec:
    return GenerationSpec(
        generation_id=name, prompt=name, style=Style.realistic, quality=Quality.fast, seed=1
    )


class ScriptedBackend(PlaceholderBackend):
    """Each generation runs `script[generation_id]` (it may wait on events) and records
    how many generations were inside `generate` at once."""

    def __init__(self, script: dict[str, Callable[[], None]], device: str | None = None) -> None:
        super().__init__()
        self.script = script
        if device is not None:
            self.device = device
        self.entered = {name: threading.Event() for name in script}
        self.active = 0
        self.most_active = 0
        self._lock = threading.Lock()

    def generate(self, spec: GenerationSpec, context: GenerationContext) -> Media:
        with self._lock:
            self.active += 1
            self.most_active = max(self.most_active, self.active)
        self.entered[spec.generation_id].set()
        try:
            self.script[spec.generation_id]()
            return Media.still(Image.new("RGB", (8, 8)))
        finally:
            with self._lock:
                self.active -= 1


def in_thread(target: Callable[[], object]) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def test_a_key_at_its_limit_waits_while_another_key_runs() -> None:
    release = threading.Event()
    backend = ScriptedBackend({"a1": lambda: release.wait(30), "b1": lambda: None})
    runner = GenerationRunner(backend, workers=2, queue_size=0, timeout_s=60, per_key_limit=1)
    first = in_thread(lambda: runner.run(spec("a1"), GenerationContext(), owner="a"))
    assert backend.entered["a1"].wait(30)
    with pytest.raises(BackendBusy):  # a slot is free, but not for key a, and nothing may wait
        runner.run(spec("a2"), GenerationContext(), owner="a")
    assert runner.run(spec("b1"), GenerationContext(), owner="b").image.size == (8, 8)
    release.set()
    first.join(30)
    assert runner.in_flight == 0
    runner.shutdown()


def test_one_job_per_device_even_with_free_slots() -> None:
    b_entered_early: list[bool] = []
    backend = ScriptedBackend({"a": lambda: None, "b": lambda: None}, device="cuda:0")

    def a_job() -> None:
        # if the device were shared, b would come in while a is still here
        b_entered_early.append(backend.entered["b"].wait(1.0))

    backend.script["a"] = a_job
    devices = DeviceTurns()
    runner = GenerationRunner(backend, workers=2, queue_size=0, timeout_s=60, devices=devices)
    assert device_of(backend) == "cuda:0"
    first = in_thread(lambda: runner.run(spec("a"), GenerationContext(), owner="x"))
    assert backend.entered["a"].wait(30)
    second = in_thread(lambda: runner.run(spec("b"), GenerationContext(), owner="y"))
    first.join(30)
    second.join(30)
    assert b_entered_early == [False] and backend.most_active == 1
    runner.shutdown()


def test_backends_without_a_device_run_side_by_side() -> None:
    both_inside = threading.Barrier(2, timeout=30)
    backend = ScriptedBackend({"a": both_inside.wait, "b": both_inside.wait})
    assert device_of(backend) is None
    runner = GenerationRunner(backend, workers=2, queue_size=0, timeout_s=60)
    threads = [
        in_thread(lambda name=name: runner.run(spec(name), GenerationContext(), owner=name))
        for name in ("a", "b")
    ]
    for thread in threads:
        thread.join(30)
    assert backend.most_active == 2 and not both_inside.broken
    runner.shutdown()
