"""Stamping in worker processes, so the generating process's GIL stays with the model and HTTP.

`StampingPool.stamp` takes the same arguments as `ProvenanceStamper.stamp` and returns the same
bytes: each worker builds its own `ProvenanceStamper` from the same settings (the C2PA key is
made by the parent first, so the workers only load it). The caller's thread waits for its image
without holding the GIL, and the next generation runs meanwhile.

Workers are started with "spawn" (a server process has threads, and torch does not survive a
fork); a worker that dies breaks only the images it held: the pool is rebuilt for the next one.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from limner.errors import ConfigurationError
from limner.parentwatch import exit_with_parent
from limner.provenance._c2pa import Ingredient
from limner.provenance._stamper import DEFAULT_PNG_LEVEL, ProvenanceStamper

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StamperConfig:
    """What a worker needs to build the parent's `ProvenanceStamper` again (picklable)."""

    generator: str
    key_dir: Path | None
    c2pa: bool
    watermark_key: bytes
    jpeg_quality: int = 92
    png_compress_level: int = DEFAULT_PNG_LEVEL

    def build(self) -> ProvenanceStamper:
        return ProvenanceStamper(
            generator=self.generator,
            key_dir=self.key_dir,
            c2pa=self.c2pa,
            watermark_key=self.watermark_key,
            jpeg_quality=self.jpeg_quality,
            png_compress_level=self.png_compress_level,
        )


_worker_stamper: ProvenanceStamper | None = None


def _start_worker(config: StamperConfig) -> None:
    global _worker_stamper
    exit_with_parent()  # a killed server takes its workers with it (`limner.parentwatch`)
    _worker_stamper = config.build()


def _stamp_in_worker(image: Image.Image, options: dict[str, object]) -> bytes:
    assert _worker_stamper is not None, "the pool's initializer builds the stamper"
    return _worker_stamper.stamp(image, **options)  # type: ignore[arg-type]


def _ready() -> bool:
    return _worker_stamper is not None


class StampingPool:
    """`ProvenanceStamper.stamp` in `workers` processes; safe to call from many threads."""

    def __init__(self, config: StamperConfig, *, workers: int) -> None:
        if workers < 1:
            raise ConfigurationError(f"a stamping pool needs at least one worker, not {workers}")
        self.config = config
        self.workers = workers
        # the parent's stamper makes the C2PA key on first start and answers trust_anchors_pem
        self.local = config.build()
        self._lock = threading.Lock()
        self._pool = self._new_pool()

    @property
    def trust_anchors_pem(self) -> bytes | None:
        return self.local.trust_anchors_pem

    @property
    def c2pa_enabled(self) -> bool:
        return self.local.c2pa_enabled

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(self.config,),
        )

    def warm_up(self) -> None:
        """Start every worker now (a spawn takes a second or two), not on the first images."""
        with self._lock:
            pool = self._pool
        futures = [pool.submit(_ready) for _ in range(self.workers)]
        for future in futures:
            future.result()

    def stamp(
        self,
        image: Image.Image,
        *,
        generation_id: str,
        image_input: bool = False,
        fmt: str = "PNG",
        placeholder: bool = False,
        ingredients: tuple[Ingredient, ...] = (),
    ) -> bytes:
        """As `ProvenanceStamper.stamp`, in a worker; its errors are raised here unchanged."""
        options: dict[str, object] = {
            "generation_id": generation_id,
            "image_input": image_input,
            "fmt": fmt,
            "placeholder": placeholder,
            "ingredients": ingredients,  # plain dataclasses of bytes: they pickle
        }
        with self._lock:
            pool = self._pool
        try:
            return pool.submit(_stamp_in_worker, image, options).result()
        except BrokenProcessPool:
            log.error("a stamping worker died; starting the pool again")
            with self._lock:
                if self._pool is pool:
                    self._pool = self._new_pool()
            raise

    def close(self) -> None:
        with self._lock:
            self._pool.shutdown(wait=True, cancel_futures=True)
