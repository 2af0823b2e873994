"""Every error Limner raises on purpose. No HTTP here: `limner.api.errors` maps them to responses.

LimnerError
├── AuthError
│   ├── MissingApiKey            (401 missing_api_key)
│   └── InvalidApiKey            (401 invalid_api_key)
├── InvalidRequest               (400 invalid_request)
│   └── PayloadTooLarge          (413 payload_too_large)
├── ValidationFailed             (400 validation_error, names a field)
│   └── UnsafeWebhookTarget      (400 validation_error, field webhook_url or a media reference
│                                 such as image: an SSRF target)
├── InsufficientCredits          (402 insufficient_credits)
├── ContentBlocked               (403 content_blocked, names a field)
├── NotFound                     (404 not_found)
├── RangeNotSatisfiable          (416 range_not_satisfiable: a Range past the end of a file)
├── Conflict                     (409 conflict)
│   ├── AlreadyFinished          (409 already_finished: cancel of a finished generation)
│   ├── IdempotencyKeyReused     (409 idempotency_key_reused: same key, another body)
│   ├── IdempotencyKeyInUse      (409 idempotency_key_in_use: the first is still running)
│   └── IdempotencyKeyErased     (409 idempotency_key_erased: its generation was deleted)
├── RateLimited                  (429 rate_limited)
├── GenerationFailed             (503 generation_failed)
│   ├── GenerationTimedOut
│   ├── BackendBusy
│   ├── NotAvailable             (this server cannot make that type/style/quality: refused before
│   │                             any credit is reserved)
│   └── ScreeningUnavailable     (a job needs image screening and its model cannot run)
└── ConfigurationError           (stops the start; never raised per request)

Elsewhere, beside the modules that raise them: `ledger.LedgerError`, `generation.states.
InvalidTransition`, `storage.s3.StorageUnavailable` (500 if they ever reach a request),
`backends.base.GenerationCanceled` (a GenerationFailed), `retention.GenerationNotFinished`
(a Conflict: deleting a queued or running generation), and the OpenAI surface's
`openai_api.errors.UnsupportedParameter` (a ValidationFailed).
"""

from __future__ import annotations


class LimnerError(Exception):
    """Base of every deliberate error. `code` is the wire error code."""

    code = "internal_error"
    default_message = "An unexpected error occurred."

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)

    def details(self) -> dict[str, object]:
        """Extra fields for the error body, beyond `error` and `message`."""
        return {}


class AuthError(LimnerError):
    pass


class MissingApiKey(AuthError):
    code = "missing_api_key"
    default_message = "Missing API key. Send 'Authorization: Bearer <API key>'."


class InvalidApiKey(AuthError):
    code = "invalid_api_key"
    default_message = "The API key is invalid or has been revoked."


class InvalidRequest(LimnerError):
    code = "invalid_request"
    default_message = "The request body must be a JSON object."


class PayloadTooLarge(InvalidRequest):
    code = "payload_too_large"

    def __init__(self, limit_bytes: int) -> None:
        self.limit_bytes = limit_bytes
        super().__init__(f"The request body is larger than {limit_bytes} bytes.")

    def details(self) -> dict[str, object]:
        return {"limit_bytes": self.limit_bytes}


class ValidationFailed(LimnerError):
    code = "validation_error"

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)

    def details(self) -> dict[str, object]:
        return {"field": self.field}


class UnsafeWebhookTarget(ValidationFailed):
    """An outbound URL (a webhook, or an https:// media reference) that points at this network
    (loopback, private, link-local, reserved)."""

    def __init__(self, message: str, *, field: str = "webhook_url") -> None:
        super().__init__(field, message)


class InsufficientCredits(LimnerError):
    code = "insufficient_credits"

    def __init__(self, required: int, available: int) -> None:
        self.required = required
        self.available = available
        super().__init__(
            f"Not enough credits: this generation needs {required}, you have {available}."
        )

    def details(self) -> dict[str, object]:
        return {"credits_required": self.required, "credits_available": self.available}


class ContentBlocked(LimnerError):
    code = "content_blocked"

    def __init__(self, field: str, rule: str, message: str | None = None) -> None:
        self.field = field
        # The rule name is recorded for operators; it never names the matched term.
        self.rule = rule
        super().__init__(
            message
            or f"The request was blocked by content moderation ({field}). "
            "Please revise it and try again."
        )

    def details(self) -> dict[str, object]:
        return {"field": self.field}


class NotFound(LimnerError):
    code = "not_found"
    default_message = "Not found."


class RangeNotSatisfiable(LimnerError):
    """A `Range` header none of whose bytes exist (a served video or image)."""

    code = "range_not_satisfiable"

    def __init__(self, size: int) -> None:
        self.size = size
        super().__init__(f"The requested range is not within the file's {size} bytes.")


class Conflict(LimnerError):
    code = "conflict"
    default_message = "The request conflicts with the resource's current state."


class AlreadyFinished(Conflict):
    code = "already_finished"

    def __init__(self, generation_id: str, status: str) -> None:
        self.status = status
        super().__init__(f"Generation {generation_id} is already {status}; it cannot be canceled.")

    def details(self) -> dict[str, object]:
        return {"status": self.status}


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    default_message = (
        "This Idempotency-Key was already used with a different request; use a new key."
    )


class IdempotencyKeyInUse(Conflict):
    code = "idempotency_key_in_use"
    default_message = (
        "A request with this Idempotency-Key is still being processed; retry in a moment."
    )


class IdempotencyKeyErased(Conflict):
    code = "idempotency_key_erased"
    default_message = (
        "The generation this Idempotency-Key made was deleted, and its answer with it; it is "
        "not made (nor charged) again under this key. Use a new key to generate again."
    )


class RateLimited(LimnerError):
    code = "rate_limited"

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(f"Too many requests. Retry after {retry_after} seconds.")

    def details(self) -> dict[str, object]:
        return {"retry_after": self.retry_after}


class GenerationFailed(LimnerError):
    code = "generation_failed"
    default_message = "Generation failed. Please try again."


class GenerationTimedOut(GenerationFailed):
    default_message = "Generation timed out. Please try again."


class BackendBusy(GenerationFailed):
    default_message = "The generation service is busy. Please try again shortly."


class NotAvailable(GenerationFailed):
    """No backend of this server can make the request (a type it lacks, a disabled preset)."""

    default_message = "That kind of generation is not available on this server."


class ConfigurationError(LimnerError):
    """A setting or model configuration that cannot work; raised at start-up, never per request."""

    code = "internal_error"


class ScreeningUnavailable(GenerationFailed):
    """A job needs image screening and its model cannot load or run: refused, never let through."""

    default_message = (
        "Image screening, which this request needs, is unavailable on this server. "
        "The request was refused and not charged."
    )
