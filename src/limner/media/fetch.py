"""Fetching an `https://` media reference without becoming a tool against our own network.

Each hop (the URL, then each redirect) is resolved and checked by the outbound guard
(`limner.webhooks.ssrf`), and the connection goes to the address that was checked, with the host
name kept for TLS (SNI and certificate) and the `Host` header: a DNS answer that changes between
the check and the connection cannot move the request inside. Redirects are followed by hand, at
most `max_redirects`, each checked the same way. The body is read against a byte limit and the
whole fetch against one deadline.
"""

from __future__ import annotations

import ssl
import time
from urllib.parse import urljoin, urlsplit

import httpx

from limner.errors import ValidationFailed
from limner.webhooks.ssrf import AddressPolicy, guarded_addresses, is_public

REDIRECTS = {301, 302, 303, 307, 308}


class MediaFetcher:
    def __init__(
        self,
        *,
        timeout_s: float,
        max_bytes: int,
        allowed: AddressPolicy = is_public,
        max_redirects: int = 3,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.allowed = allowed
        self.max_redirects = max_redirects
        self.verify = verify

    def fetch(self, url: str, *, field: str) -> bytes:
        """The body of `url` (status 200), or `ValidationFailed`/`UnsafeWebhookTarget` on
        `field`. Never raises anything from httpx."""
        deadline = time.monotonic() + self.timeout_s
        with httpx.Client(verify=self.verify, follow_redirects=False, trust_env=False) as client:
            for _hop in range(self.max_redirects + 1):
                location = self._hop(client, url, field=field, deadline=deadline)
                if isinstance(location, bytes):
                    return location
                url = urljoin(url, location)
        raise ValidationFailed(field, f"{field}: more than {self.max_redirects} redirects")

    def _hop(self, client: httpx.Client, url: str, *, field: str, deadline: float) -> bytes | str:
        """One request: the body, or the next URL to try."""
        host, port = _https_target(url, field)
        address = guarded_addresses(host, port, allowed=self.allowed, field=field)[0]
        pinned = httpx.URL(url).copy_with(host=str(address))
        remaining = _remaining(deadline, field)
        try:
            with client.stream(
                "GET",
                pinned,
                headers={"Host": host if port == 443 else f"{host}:{port}", "Accept": "image/*"},
                extensions={"sni_hostname": host},
                timeout=httpx.Timeout(remaining),
            ) as response:
                if response.status_code in REDIRECTS:
                    location = response.headers.get("location")
                    if not location:
                        raise ValidationFailed(field, f"{field}: a redirect without a location")
                    return location
                if response.status_code != 200:
                    raise ValidationFailed(
                        field, f"{field}: fetching the URL answered HTTP {response.status_code}"
                    )
                return self._read(response, field=field, deadline=deadline)
        except httpx.HTTPError as exc:
            raise ValidationFailed(
                field, f"{field}: the URL could not be fetched ({type(exc).__name__})"
            ) from exc

    def _read(self, response: httpx.Response, *, field: str, deadline: float) -> bytes:
        too_large = ValidationFailed(
            field, f"{field}: the picture at the URL is larger than {self.max_bytes} bytes"
        )
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise too_large
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self.max_bytes:
                raise too_large
            chunks.append(chunk)
            _remaining(deadline, field)  # a slow drip is cut at the deadline
        return b"".join(chunks)


def _https_target(url: str, field: str) -> tuple[str, int]:
    try:
        parts = urlsplit(url)
        port = parts.port or 443
    except ValueError as exc:
        raise ValidationFailed(field, f"{field}: not a valid URL") from exc
    if parts.scheme != "https" or not parts.hostname:
        raise ValidationFailed(field, f"{field}: only https:// URLs are fetched")
    if parts.username or parts.password:
        raise ValidationFailed(field, f"{field}: a URL with credentials is not fetched")
    return parts.hostname, port


def _remaining(deadline: float, field: str) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise ValidationFailed(field, f"{field}: fetching the URL took too long")
    return remaining
