"""The denoiser and the VAE decoder replayed from CUDA graphs (`LIMNER_DIFFUSERS_CUDA_GRAPHS`).

Eager PyTorch launches each of a UNet's thousand-odd kernels from Python while holding the GIL.
In a server the HTTP, ledger and stamping threads of the same process want the GIL too, so the
GPU waits for Python: on an H100 the eager server made 10 images/s where the bare pipeline made 32
(bench/results/throughput.md). A CUDA graph replays every kernel of one forward pass in a single
call, so the generating thread barely needs the GIL.

A graph is fixed to its shapes: one is captured per (batch bucket, other shapes) on first use,
the batch padded up to the next power of two (the padding rows are copies, their outputs
dropped), so a server that batches 1 to 8 images holds at most four graphs per model. Graphs of
one model share one memory pool (they never run at once: the pipeline's lock). Anything the
graph cannot stand for (a CPU tensor, an argument it does not know, a batch over the largest
bucket) runs eagerly, as before.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import torch

log = logging.getLogger(__name__)

#: the largest batch a graph is captured for (classifier-free guidance doubles the batch)
MAX_BUCKET = 128

#: the keyword arguments of the pipelines' denoiser call that a graph can stand for
_DENOISER_KWARGS = {"timestep_cond", "cross_attention_kwargs", "added_cond_kwargs", "return_dict"}


class Graph(Protocol):
    """One captured call: `capture` runs `work` once (recording it), `replay` runs it again on
    whatever the static tensors hold now."""

    def capture(self, work: Callable[[], torch.Tensor]) -> torch.Tensor: ...

    def replay(self) -> None: ...


class CudaGraph:
    """`torch.cuda.CUDAGraph`, warmed on a side stream first (as capture requires)."""

    def __init__(self, pool: Any = None) -> None:
        self.graph = torch.cuda.CUDAGraph()
        self._pool = pool

    def capture(self, work: Callable[[], torch.Tensor]) -> torch.Tensor:
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(2):  # cuDNN/cuBLAS pick and allocate their workspaces here
                work()
        torch.cuda.current_stream().wait_stream(side)
        # thread_local: a stamping or screening thread elsewhere in the process does not abort it
        with torch.cuda.graph(self.graph, pool=self._pool, capture_error_mode="thread_local"):
            output = work()
        return output

    def replay(self) -> None:
        self.graph.replay()

    @property
    def pool(self) -> Any:
        return self.graph.pool()


def bucket(batch: int) -> int | None:
    """The power of two a batch is padded up to, or None over `MAX_BUCKET`."""
    size = 1
    while size < batch:
        size *= 2
    return size if size <= MAX_BUCKET else None


def _pad(tensor: torch.Tensor, rows: int) -> torch.Tensor:
    """`tensor` with its batch (first) dimension filled up to `rows` by repeating its last row."""
    missing = rows - tensor.shape[0]
    if missing == 0:
        return tensor
    return torch.cat([tensor, tensor[-1:].expand(missing, *tensor.shape[1:])])


class _Captured:
    def __init__(self, graph: Graph, inputs: list[torch.Tensor], output: torch.Tensor) -> None:
        self.graph = graph
        self.inputs = inputs
        self.output = output


class GraphedCall:
    """`work(tensors) -> tensor`, each tensor batched on its first dimension, replayed from a
    graph per shape. `make_graph` makes a new graph given the shared pool (CUDA's by default);
    graphs stand for tensors on `device_type` only."""

    def __init__(
        self,
        name: str,
        make_graph: Callable[[Any], Graph] | None = None,
        device_type: str = "cuda",
    ) -> None:
        self.name = name
        self.device_type = device_type
        self._make_graph = make_graph or CudaGraph
        self._captured: dict[tuple[Any, ...], _Captured] = {}
        self._pool: Any = None
        self._lock = threading.Lock()

    @property
    def graphs(self) -> int:
        return len(self._captured)

    def __call__(
        self,
        tensors: Sequence[torch.Tensor],
        work: Callable[[list[torch.Tensor]], torch.Tensor],
    ) -> torch.Tensor:
        batch = tensors[0].shape[0]
        rows = bucket(batch)
        if rows is None or any(t.shape[0] != batch for t in tensors):
            return work(list(tensors))
        key = (rows, *((tuple(t.shape[1:]), t.dtype, t.device) for t in tensors))
        with self._lock:
            captured = self._captured.get(key)
            if captured is None:
                captured = self._capture(key, [_pad(t, rows) for t in tensors], work)
            else:
                for static, given in zip(captured.inputs, tensors, strict=True):
                    static.copy_(_pad(given, rows))
                captured.graph.replay()
            # cloned: the next replay, of this graph or another in the pool, overwrites it
            return captured.output[:batch].clone()

    def _capture(
        self,
        key: tuple[Any, ...],
        padded: list[torch.Tensor],
        work: Callable[[list[torch.Tensor]], torch.Tensor],
    ) -> _Captured:
        started = time.perf_counter()
        inputs = [t.clone() for t in padded]  # static: outside the graph's pool
        graph = self._make_graph(self._pool)
        output = graph.capture(lambda: work(inputs))
        self._pool = getattr(graph, "pool", None)
        captured = _Captured(graph, inputs, output)
        self._captured[key] = captured
        log.info(
            "captured a CUDA graph of the %s for batch %d in %.2f s",
            self.name,
            key[0],
            time.perf_counter() - started,
        )
        return captured


def graph_denoiser(unet: torch.nn.Module, call: GraphedCall | None = None) -> GraphedCall:
    """Replace `unet.forward` (on this instance) with one that replays graphs for the call that
    Stable Diffusion pipelines make: sample, timestep, text states, optional SDXL added
    conditions, `return_dict=False`. Any other call runs the original forward."""
    original = unet.forward
    call = call or GraphedCall("denoiser")

    def forward(
        sample: torch.Tensor,
        timestep: torch.Tensor | float | int,
        encoder_hidden_states: torch.Tensor,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        added = kwargs.get("added_cond_kwargs") or {}
        plain = (
            not args
            and kwargs.get("return_dict", True) is False
            and sample.device.type == call.device_type
            and set(kwargs) <= _DENOISER_KWARGS
            and kwargs.get("timestep_cond") is None
            and not kwargs.get("cross_attention_kwargs")
            and all(isinstance(v, torch.Tensor) for v in added.values())
        )
        if not plain:
            return original(sample, timestep, encoder_hidden_states, *args, **kwargs)
        batch = sample.shape[0]
        steps = torch.as_tensor(timestep, device=sample.device).reshape(-1).expand(batch)
        names = sorted(added)
        tensors = [sample, steps, encoder_hidden_states, *(added[n] for n in names)]

        def work(given: list[torch.Tensor]) -> torch.Tensor:
            conditions = dict(zip(names, given[3:], strict=True)) or None
            result: torch.Tensor = original(
                given[0],
                given[1],
                encoder_hidden_states=given[2],
                added_cond_kwargs=conditions,
                return_dict=False,
            )[0]
            return result

        return (call(tensors, work),)

    unet.forward = forward
    return call


def graph_decoder(vae: torch.nn.Module, call: GraphedCall | None = None) -> GraphedCall:
    """Replace `vae.decode` (on this instance) with one that replays graphs for
    `decode(latents, return_dict=False)`, the pipelines' call."""
    original: Callable[..., Any] = getattr(vae, "decode")  # noqa: B009 - a Module attribute
    call = call or GraphedCall("VAE decoder")

    def decode(latents: torch.Tensor, *args: Any, **kwargs: Any) -> Any:
        plain = (
            not args  # a video decoder's timestep, say
            and set(kwargs) <= {"return_dict", "generator"}
            and kwargs.get("return_dict", True) is False
            and latents.device.type == call.device_type
        )
        if not plain:
            return original(latents, *args, **kwargs)

        def work(given: list[torch.Tensor]) -> torch.Tensor:
            result: torch.Tensor = original(given[0], return_dict=False)[0]
            return result

        return (call([latents], work),)

    setattr(vae, "decode", decode)  # noqa: B010 - an instance attribute over the method
    return call
