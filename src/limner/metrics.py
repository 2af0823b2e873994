"""Prometheus metrics: what the HTTP layer counts, what the database knows, and the hook the
generation engine reports its stages through.

Each `Metrics` has its own registry (tests build many apps in one process). Three sources:
- the API middleware counts requests by route template and status (`observe_request`);
- `DatabaseCollector` reads, at scrape time, what the database already records: queue depth and
  wait, generation time, batch sizes, credits captured, refusals by rule. It is exact whichever
  process or worker did the work, and needs no code in the engine;
- `observe_stage(stage, seconds)`: per-stage latency of each output of a generation made in this
  process (backend, caption, screen, stamp, store), reported by the engine; the total per
  generation comes from the database (`limner_generation_seconds`).
GPU memory is read from torch only where torch is already loaded and CUDA is present.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    Metric,
    SummaryMetricFamily,
)
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from sqlalchemy import ColumnElement, func, select

from limner.clock import utcnow
from limner.db.engine import Database
from limner.db.tables import Generation, GenerationImage, Job, ModerationEvent

#: buckets for request and stage latencies, from a cache hit to a slow hires batch on CPU
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)


class Metrics:
    def __init__(self, database: Database | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "limner_http_requests",
            "HTTP requests by route template, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "limner_http_request_duration_seconds",
            "HTTP request latency by route template.",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.stage_seconds = Histogram(
            "limner_generation_stage_seconds",
            "Time spent in one stage of a generation (reported by the engine).",
            ["stage"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.batch_size = Histogram(
            "limner_generation_batch_size",
            "Images made by one backend call (dynamic batching; 1: alone).",
            ["backend"],
            buckets=(1, 2, 3, 4, 6, 8, 12, 16, 32, 64),
            registry=self.registry,
        )
        if database is not None:
            self.registry.register(DatabaseCollector(database))
        self.registry.register(GpuMemoryCollector())

    def observe_request(self, *, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route=route, method=method, status=str(status)).inc()
        self.request_seconds.labels(route=route).observe(seconds)

    def observe_stage(self, stage: str, seconds: float) -> None:
        """The engine's hook: one stage of one generation took `seconds`."""
        self.stage_seconds.labels(stage=stage).observe(seconds)

    def observe_batch(self, backend: str, size: int) -> None:
        """The runner's hook: one backend call made `size` images."""
        self.batch_size.labels(backend=backend).observe(size)

    def render(self) -> tuple[bytes, str]:
        """The exposition text and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class DatabaseCollector(Collector):
    """Reads the queue, generations, ledger totals and refusals when Prometheus scrapes."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def describe(self) -> list[Metric]:
        return []  # the families are built per scrape; no registration-time query

    def collect(self) -> Iterator[Metric]:
        with self.database.read() as session:
            queued = session.execute(
                select(func.count(), func.min(Job.queued_at))
                .join(Generation, Generation.id == Job.generation_id)
                .where(Generation.status == "queued")
            ).one()
            waits = session.execute(
                select(func.count(), func.sum(self._seconds(Job.queued_at, Job.claimed_at))).where(
                    Job.claimed_at.is_not(None)
                )
            ).one()
            durations = session.execute(
                select(
                    func.count(),
                    func.sum(self._seconds(Generation.created_at, Generation.completed_at)),
                ).where(Generation.status == "completed", Generation.completed_at.is_not(None))
            ).one()
            by_status = session.execute(
                select(Generation.status, func.count()).group_by(Generation.status)
            ).all()
            captured = session.execute(
                select(func.coalesce(func.sum(Generation.credits_used), 0))
            ).scalar_one()
            per_generation = (
                select(func.count().label("images"))
                .select_from(GenerationImage)
                .group_by(GenerationImage.generation_id)
                .subquery()
            )
            batches = session.execute(
                select(per_generation.c.images, func.count()).group_by(per_generation.c.images)
            ).all()
            refusals = session.execute(
                select(ModerationEvent.rule, func.count()).group_by(ModerationEvent.rule)
            ).all()

        depth = GaugeMetricFamily("limner_queue_depth", "Jobs waiting to be claimed.")
        depth.add_metric([], queued[0])
        yield depth
        oldest = GaugeMetricFamily(
            "limner_queue_oldest_wait_seconds", "How long the oldest queued job has waited."
        )
        oldest.add_metric([], _age_s(queued[1]))
        yield oldest
        yield _summary("limner_queue_wait_seconds", "Time from submit to a worker's claim.", waits)
        yield _summary(
            "limner_generation_seconds",
            "Total time of completed generations, from request to stored images.",
            durations,
        )
        generations = CounterMetricFamily(
            "limner_generations", "Generations by final or current status.", labels=["status"]
        )
        for status, count in by_status:
            generations.add_metric([status], count)
        yield generations
        credits = CounterMetricFamily("limner_credits_captured", "Credits charged, in total.")
        credits.add_metric([], int(captured))
        yield credits
        batch = CounterMetricFamily(
            "limner_generation_batch_images",
            "Generations by the number of images they stored (batch size).",
            labels=["images"],
        )
        for images, count in batches:
            batch.add_metric([str(images)], count)
        yield batch
        refused = CounterMetricFamily(
            "limner_refusals", "Requests refused by moderation, by rule.", labels=["rule"]
        )
        for rule, count in refusals:
            refused.add_metric([rule], count)
        yield refused

    def _seconds(self, start: Any, end: Any) -> ColumnElement[Any]:
        if self.database.is_sqlite:
            return (func.julianday(end) - func.julianday(start)) * 86400.0
        return func.extract("epoch", end - start)


class GpuMemoryCollector(Collector):
    """CUDA memory per device, only where torch is already imported (never imported here)."""

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        torch = sys.modules.get("torch")
        if torch is None or not torch.cuda.is_available():
            return
        family = GaugeMetricFamily(
            "limner_gpu_memory_bytes",
            "CUDA memory held by this process.",
            labels=["device", "kind"],
        )
        for index in range(torch.cuda.device_count()):
            device = f"cuda:{index}"
            family.add_metric([device, "allocated"], torch.cuda.memory_allocated(index))
            family.add_metric([device, "reserved"], torch.cuda.memory_reserved(index))
            family.add_metric(
                [device, "total"], torch.cuda.get_device_properties(index).total_memory
            )
        yield family


def _summary(name: str, documentation: str, row: Any) -> SummaryMetricFamily:
    summary = SummaryMetricFamily(name, documentation)
    summary.add_metric([], count_value=row[0], sum_value=float(row[1] or 0.0))
    return summary


def _age_s(moment: datetime | None) -> float:
    if moment is None:
        return 0.0
    if moment.tzinfo is None:  # SQLite hands back naive datetimes; they are UTC
        from datetime import UTC

        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (utcnow() - moment).total_seconds())
