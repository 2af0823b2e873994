"""Dynamic batching through the real runner: generations held behind a busy device run as one
call, each with its own spec, result, error and cancel; driven by events, never a clock."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Sequence

from PIL import Image

from limner.backends.base import GenerationCanceled, GenerationContext, GenerationSpec, Media
from limner.backends.batching import BatchResult, run_each
from limner.backends.placeholder import PlaceholderBackend
from limner.devices.batching import BatchRecord
from limner.domain.styles import Quality, Style
from limner.errors import GenerationFailed
from limner.runner import GenerationRunner

KEY = ("placeholder", "t2i", Style.realistic, Quality.fast)


def spec(name: str, seed: int = 1, style: Style = Style.realistic) -> GenerationSpec:
    return GenerationSpec(
        generation_id=name, prompt=f"a lighthouse at dusk {name}", style=style,
        quality=Quality.fast, seed=seed,
    )  # fmt: skip


class HeldBackend(PlaceholderBackend):
    """The placeholder on a device ("cpu"): generation "first" waits for `gate`; every batched
    call is recorded in `calls`; `fail` names generations that fail."""

    def __init__(self, fail: frozenset[str] = frozenset()) -> None:
        super().__init__()
        self.device = "cpu"
        self.gate = threading.Event()
        self.first_started = threading.Event()
        self.calls: list[list[str]] = []
        self.fail = fail

    def generate_batch(
        self, specs: Sequence[GenerationSpec], contexts: Sequence[GenerationContext]
    ) -> list[BatchResult]:
        self.calls.append([s.generation_id for s in specs])
        return run_each(self.generate, specs, contexts)

    def generate(self, spec: GenerationSpec, context: GenerationContext) -> Media:
        if spec.generation_id == "first":  # alone: the runner calls `generate`, not a batch
            self.first_started.set()
            assert self.gate.wait(60), "the test never opened the gate"
        if spec.generation_id in self.fail:
            raise GenerationFailed("this one image fails")
        return super().generate(spec, context)


def runner_for(backend: HeldBackend, *, max_batch: int | None = None) -> GenerationRunner:
    return GenerationRunner(
        backend, workers=8, queue_size=8, timeout_s=60, per_key_limit=8, max_batch=max_batch
    )


def recorded(runner: GenerationRunner) -> list[BatchRecord]:
    """Every call the runner's gate makes, from now on."""
    assert runner.batches is not None
    records: list[BatchRecord] = []
    runner.batches.observers.append(records.append)
    return records


def in_thread(target: Callable[[], object]) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def hold_device(runner: GenerationRunner, backend: HeldBackend) -> threading.Thread:
    """Start one generation that holds the device until `backend.gate` opens."""
    thread = in_thread(lambda: runner.run(spec("first"), GenerationContext(), owner="k0"))
    assert backend.first_started.wait(60)
    return thread


def queue_up(
    runner: GenerationRunner, names: list[str], contexts: dict[str, GenerationContext]
) -> tuple[dict[str, object], list[threading.Thread]]:
    outcomes: dict[str, object] = {}

    def one(name: str, seed: int) -> None:
        try:
            outcomes[name] = runner.run(spec(name, seed), contexts[name], owner=name)
        except Exception as exc:
            outcomes[name] = exc

    threads = [in_thread(lambda n=n, i=i: one(n, i + 10)) for i, n in enumerate(names)]
    assert runner.batches is not None
    assert runner.batches.wait_for_waiting(KEY, len(names), timeout=60)  # a safety net only
    return outcomes, threads


def test_generations_held_behind_the_device_run_as_one_batch_each_with_its_own_image() -> None:
    backend = HeldBackend()
    runner = runner_for(backend)
    records = recorded(runner)
    first = hold_device(runner, backend)
    contexts = {name: GenerationContext() for name in ("b", "c")}
    outcomes, threads = queue_up(runner, ["b", "c"], contexts)
    backend.gate.set()
    for thread in (first, *threads):
        thread.join()
    assert [sorted(call) for call in backend.calls] == [["b", "c"]]  # in arrival order
    assert [r.size for r in records] == [1, 2]  # "first" alone, then the two together
    # each image is the one its own spec makes alone: own prompt and seed
    for index, name in enumerate(("b", "c")):
        made = outcomes[name]
        assert isinstance(made, Media)
        alone = PlaceholderBackend().generate(spec(name, index + 10), GenerationContext())
        assert made.image.tobytes() == alone.image.tobytes()
    assert outcomes["b"].image.tobytes() != outcomes["c"].image.tobytes()  # type: ignore[union-attr]
    runner.shutdown()


def test_a_failing_image_fails_only_itself() -> None:
    backend = HeldBackend(fail=frozenset({"bad"}))
    runner = runner_for(backend)
    first = hold_device(runner, backend)
    contexts = {name: GenerationContext() for name in ("good", "bad", "fine")}
    outcomes, threads = queue_up(runner, ["good", "bad", "fine"], contexts)
    backend.gate.set()
    for thread in (first, *threads):
        thread.join()
    assert [sorted(call) for call in backend.calls] == [["bad", "fine", "good"]]
    assert isinstance(outcomes["good"], Media) and isinstance(outcomes["fine"], Media)
    assert isinstance(outcomes["bad"], GenerationFailed)
    assert "this one image fails" in str(outcomes["bad"])
    runner.shutdown()


def test_a_canceled_generation_is_dropped_from_its_batch_the_others_deliver() -> None:
    backend = HeldBackend()
    runner = runner_for(backend)
    first = hold_device(runner, backend)
    contexts = {name: GenerationContext() for name in ("keep", "drop")}
    outcomes, threads = queue_up(runner, ["keep", "drop"], contexts)
    contexts["drop"].cancel()
    backend.gate.set()
    for thread in (first, *threads):
        thread.join()
    assert backend.calls == []  # "keep" ran alone: the canceled one never reached the backend
    assert isinstance(outcomes["keep"], Media)
    assert isinstance(outcomes["drop"], GenerationCanceled)
    runner.shutdown()


def test_the_cap_splits_a_queue_into_batches() -> None:
    backend = HeldBackend()
    runner = runner_for(backend, max_batch=2)
    records = recorded(runner)
    first = hold_device(runner, backend)
    names = ["q1", "q2", "q3"]
    contexts = {name: GenerationContext() for name in names}
    outcomes, threads = queue_up(runner, names, contexts)
    backend.gate.set()
    for thread in (first, *threads):
        thread.join()
    # the first two to arrive share a call, the third runs after them alone
    assert len(backend.calls) == 1 and len(backend.calls[0]) == 2
    assert [r.size for r in records] == [1, 2, 1]
    assert sorted(name for r in records[1:] for name in r.generation_ids) == names
    assert all(isinstance(outcomes[name], Media) for name in names)
    runner.shutdown()


def test_max_batch_1_turns_batching_off() -> None:
    runner = runner_for(HeldBackend(), max_batch=1)
    assert runner.batches is None
    runner.shutdown()


def test_specs_of_different_shapes_never_share_a_call() -> None:
    backend = HeldBackend()
    assert backend.batch_key(spec("a")) != backend.batch_key(spec("b", style=Style.anime))
    key: Hashable | None = backend.batch_key(
        GenerationSpec(
            generation_id="i", prompt="x", style=Style.realistic, quality=Quality.fast, seed=1,
            kind="i2i", inputs=(Image.new("RGB", (8, 8)),),
        )
    )  # fmt: skip
    assert key is None  # image inputs run alone


def run_group_in_thread(
    runner: GenerationRunner, names: list[str], outcome: dict[str, object]
) -> threading.Thread:
    """The images of one request (`run_many`), in a thread; `outcome["results"]` gets the
    list, or `outcome["error"]` what the group raised."""
    specs = [spec(name, seed=20 + i) for i, name in enumerate(names)]
    key = runner.group_key(specs)
    assert key == KEY

    def go() -> None:
        try:
            contexts = [GenerationContext() for _ in specs]
            outcome["results"] = runner.run_many(key, specs, contexts, owner="group")
        except Exception as exc:
            outcome["error"] = exc

    return in_thread(go)


def test_the_images_of_one_request_share_a_call_with_each_other_and_with_others() -> None:
    backend = HeldBackend(fail=frozenset({"g2"}))
    runner = runner_for(backend)
    records = recorded(runner)
    first = hold_device(runner, backend)
    outcome: dict[str, object] = {}
    group = run_group_in_thread(runner, ["g1", "g2", "g3"], outcome)
    assert runner.batches.wait_for_waiting(KEY, 3, timeout=60)  # a safety net only
    contexts = {"solo": GenerationContext()}
    outcomes, threads = queue_up(runner, ["solo"], contexts)
    backend.gate.set()
    for thread in (first, group, *threads):
        thread.join()
    # one call: the request's three images and the other request's one
    assert [sorted(call) for call in backend.calls] == [["g1", "g2", "g3", "solo"]]
    assert [r.size for r in records] == [1, 4]
    results = outcome["results"]
    assert isinstance(results, list) and len(results) == 3
    # each image is its own spec's, and the failing one fails alone
    assert isinstance(results[1], GenerationFailed)
    for index in (0, 2):
        made = results[index]
        assert isinstance(made, Media)
        alone = PlaceholderBackend().generate(
            spec(f"g{index + 1}", seed=20 + index), GenerationContext()
        )
        assert made.image.tobytes() == alone.image.tobytes()
    assert isinstance(outcomes["solo"], Media)
    runner.shutdown()


def test_a_request_of_more_images_than_the_cap_is_made_in_several_calls() -> None:
    backend = HeldBackend()
    runner = runner_for(backend, max_batch=2)
    records = recorded(runner)
    first = hold_device(runner, backend)
    outcome: dict[str, object] = {}
    group = run_group_in_thread(runner, ["a1", "a2", "a3"], outcome)
    assert runner.batches.wait_for_waiting(KEY, 3, timeout=60)
    backend.gate.set()
    first.join()
    group.join()
    # the group's one thread led both of its calls
    assert [r.size for r in records] == [1, 2, 1]
    results = outcome["results"]
    assert isinstance(results, list) and all(isinstance(made, Media) for made in results)
    assert runner.wait_idle(timeout=60)  # its one slot is given back (the limit: a safety net)
    runner.shutdown()
