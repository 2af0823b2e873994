"""What the app holds for its lifetime, built once by `create_app` from settings."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from limner.backends.base import Backend
from limner.config import Settings
from limner.db.engine import Database
from limner.jobs.manager import JobManager
from limner.ratelimit import RateLimiter
from limner.recovery import Recovery
from limner.service import GenerationService
from limner.storage.base import ImageStore
from limner.webhooks.secretbox import SecretBox


@dataclass
class AppContext:
    settings: Settings
    database: Database
    backend: Backend
    limiter: RateLimiter
    store: ImageStore
    service: GenerationService
    jobs: JobManager
    recovery: Recovery
    #: seals and opens the webhook signing secrets stored in the database
    secret_box: SecretBox
    #: the C2PA certificate authority of this server, to mark its own manifests trusted
    trust_anchors_pem: bytes | None = None


def app_context(request: Request) -> AppContext:
    context: AppContext = request.app.state.limner
    return context
