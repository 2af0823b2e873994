"""Standard Webhooks signatures (https://www.standardwebhooks.com).

A secret is `whsec_` + base64 of 24 random bytes; the HMAC key is the decoded bytes. The signed
content is `{webhook-id}.{webhook-timestamp}.{body}`; `webhook-signature` is one or more
space-separated `v1,<base64 HMAC-SHA256>` (several while a rotated-out secret is in its grace
period, so receivers holding either secret verify).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from limner.errors import ValidationFailed

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def new_message_id() -> str:
    return "msg_" + base64.b32encode(secrets.token_bytes(15)).decode().rstrip("=").lower()


def secret_key(secret: str) -> bytes:
    try:
        return base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except ValueError as exc:
        raise ValidationFailed("secret", "a webhook secret is whsec_ followed by base64") from exc


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    content = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(
    secrets_in_force: list[str], message_id: str, timestamp: int, body: bytes
) -> str:
    return " ".join(sign(secret, message_id, timestamp, body) for secret in secrets_in_force)
