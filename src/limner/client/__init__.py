"""The Python client for a Limner server (needs only httpx and pydantic).

from limner.client import Client
with Client("http://127.0.0.1:8000", api_key) as limner:
    job = limner.submit("a lighthouse at dusk", n=2)
    for event in limner.stream_events(job.id):
        print(event.event, event.data)
    done = limner.wait(job.id)
    clip = limner.generate("waves on a beach", type="t2v", duration_s=4, wait=True)
    open("clip.mp4", "wb").write(limner.download(clip.video_url))
"""

from limner.client._characters import AsyncCharacters, Characters
from limner.client._client import AsyncClient, Client
from limner.client._exceptions import (
    AlreadyFinishedError,
    AuthenticationError,
    ConflictError,
    ContentBlockedError,
    GenerationCanceledError,
    GenerationFailedError,
    IdempotencyKeyErasedError,
    IdempotencyKeyInUseError,
    IdempotencyKeyReusedError,
    InsufficientCreditsError,
    InternalServerError,
    InvalidRequestError,
    LimnerAPIError,
    NotFoundError,
    RateLimitedError,
    ValidationError,
    WebhookVerificationError,
)
from limner.client._models import (
    Account,
    Character,
    CharacterPage,
    CharacterReference,
    Event,
    Generation,
    GenerationPage,
    Image,
    Progress,
    Upload,
    Video,
    WebhookAttempt,
    WebhookDelivery,
    WebhookLog,
    WebhookSecret,
)
from limner.client._webhooks import verify_webhook

__all__ = [
    "Account",
    "AlreadyFinishedError",
    "AsyncCharacters",
    "AsyncClient",
    "AuthenticationError",
    "Character",
    "CharacterPage",
    "CharacterReference",
    "Characters",
    "Client",
    "ConflictError",
    "ContentBlockedError",
    "Event",
    "Generation",
    "GenerationCanceledError",
    "GenerationFailedError",
    "GenerationPage",
    "IdempotencyKeyErasedError",
    "IdempotencyKeyInUseError",
    "IdempotencyKeyReusedError",
    "Image",
    "InsufficientCreditsError",
    "InternalServerError",
    "InvalidRequestError",
    "LimnerAPIError",
    "NotFoundError",
    "Progress",
    "RateLimitedError",
    "Upload",
    "ValidationError",
    "Video",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookLog",
    "WebhookSecret",
    "WebhookVerificationError",
    "verify_webhook",
]
