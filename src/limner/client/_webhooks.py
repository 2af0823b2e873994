"""Verify a Limner webhook (Standard Webhooks signatures) before trusting its body."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

from limner.client._exceptions import WebhookVerificationError

DEFAULT_TOLERANCE_S = 300


def verify_webhook(
    headers: Mapping[str, str],
    body: bytes | str,
    secret: str,
    *,
    tolerance_s: int = DEFAULT_TOLERANCE_S,
    now: float | None = None,
) -> dict[str, Any]:
    """Check `webhook-signature` against `secret` (`whsec_...`) and the timestamp against the
    clock (replays older than `tolerance_s` are refused); return the decoded payload.
    Raises `WebhookVerificationError`. Pass the raw body bytes, exactly as received."""
    lowered = {name.lower(): value for name, value in headers.items()}
    try:
        message_id = lowered["webhook-id"]
        timestamp = lowered["webhook-timestamp"]
        signatures = lowered["webhook-signature"]
    except KeyError as exc:
        raise WebhookVerificationError(f"missing header {exc.args[0]}") from None
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise WebhookVerificationError("webhook-timestamp is not a number") from None
    current = time.time() if now is None else now
    if abs(current - sent_at) > tolerance_s:
        raise WebhookVerificationError("webhook-timestamp is too far from now")
    raw = body.encode() if isinstance(body, str) else body
    try:
        key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except (binascii.Error, ValueError):
        raise WebhookVerificationError("the secret is not whsec_ + base64") from None
    content = f"{message_id}.{timestamp}.".encode() + raw
    expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
    for part in signatures.split():
        version, _, signature = part.partition(",")
        if version == "v1" and hmac.compare_digest(signature, expected):
            payload = json.loads(raw)
            if not isinstance(payload, dict):
                raise WebhookVerificationError("the body is not a JSON object")
            return payload
    raise WebhookVerificationError("no signature matches")
