"""Errors the client raises. Server errors are mapped from the body's `error` code:

LimnerAPIError                      (any error answer; .status_code, .code, .message, .body)
├── AuthenticationError             401 missing_api_key, invalid_api_key
├── InvalidRequestError             400 invalid_request, 413 payload_too_large
├── ValidationError                 400 validation_error (.field)
├── InsufficientCreditsError        402 insufficient_credits (.credits_required, .available)
├── ContentBlockedError             403 content_blocked (.field)
├── NotFoundError                   404 not_found
├── ConflictError                   409
│   ├── AlreadyFinishedError        already_finished
│   ├── IdempotencyKeyReusedError   idempotency_key_reused
│   ├── IdempotencyKeyInUseError    idempotency_key_in_use
│   └── IdempotencyKeyErasedError   idempotency_key_erased (its generation was deleted)
├── RateLimitedError                429 rate_limited (.retry_after)
├── GenerationFailedError           503 generation_failed (also: a waited-on job that failed)
│   └── GenerationCanceledError     a waited-on job that was canceled
└── InternalServerError             500 internal_error and unknown answers
WebhookVerificationError            a webhook whose signature or timestamp does not verify
"""

from __future__ import annotations

from typing import Any


class LimnerAPIError(Exception):
    """An error answer from the server: `code` is the contract's error code."""

    def __init__(self, status_code: int, body: dict[str, Any]) -> None:
        self.status_code = status_code
        self.code = str(body.get("error", "unknown_error"))
        self.message = str(body.get("message", ""))
        self.body = body
        super().__init__(f"{status_code} {self.code}: {self.message}")


class AuthenticationError(LimnerAPIError):
    pass


class InvalidRequestError(LimnerAPIError):
    pass


class ValidationError(LimnerAPIError):
    @property
    def field(self) -> str | None:
        return self.body.get("field")


class InsufficientCreditsError(LimnerAPIError):
    @property
    def credits_required(self) -> int | None:
        return self.body.get("credits_required")

    @property
    def credits_available(self) -> int | None:
        return self.body.get("credits_available")


class ContentBlockedError(LimnerAPIError):
    @property
    def field(self) -> str | None:
        return self.body.get("field")


class NotFoundError(LimnerAPIError):
    pass


class ConflictError(LimnerAPIError):
    pass


class AlreadyFinishedError(ConflictError):
    pass


class IdempotencyKeyReusedError(ConflictError):
    pass


class IdempotencyKeyInUseError(ConflictError):
    pass


class IdempotencyKeyErasedError(ConflictError):
    """The generation this key made was deleted; the key will not run again (use a new one)."""


class RateLimitedError(LimnerAPIError):
    @property
    def retry_after(self) -> int:
        return int(self.body.get("retry_after") or 1)


class GenerationFailedError(LimnerAPIError):
    pass


class GenerationCanceledError(GenerationFailedError):
    pass


class InternalServerError(LimnerAPIError):
    pass


class WebhookVerificationError(Exception):
    """The webhook's signature, id or timestamp does not verify: do not trust the body."""


BY_CODE: dict[str, type[LimnerAPIError]] = {
    "missing_api_key": AuthenticationError,
    "invalid_api_key": AuthenticationError,
    "invalid_request": InvalidRequestError,
    "payload_too_large": InvalidRequestError,
    "validation_error": ValidationError,
    "insufficient_credits": InsufficientCreditsError,
    "content_blocked": ContentBlockedError,
    "not_found": NotFoundError,
    "already_finished": AlreadyFinishedError,
    "idempotency_key_reused": IdempotencyKeyReusedError,
    "idempotency_key_in_use": IdempotencyKeyInUseError,
    "idempotency_key_erased": IdempotencyKeyErasedError,
    "conflict": ConflictError,
    "rate_limited": RateLimitedError,
    "generation_failed": GenerationFailedError,
    "canceled": GenerationCanceledError,
    "internal_error": InternalServerError,
}
BY_STATUS: dict[int, type[LimnerAPIError]] = {
    400: InvalidRequestError,
    401: AuthenticationError,
    402: InsufficientCreditsError,
    403: ContentBlockedError,
    404: NotFoundError,
    409: ConflictError,
    413: InvalidRequestError,
    429: RateLimitedError,
    503: GenerationFailedError,
}


def error_for(status_code: int, body: dict[str, Any]) -> LimnerAPIError:
    cls = BY_CODE.get(str(body.get("error"))) or BY_STATUS.get(status_code, InternalServerError)
    return cls(status_code, body)
