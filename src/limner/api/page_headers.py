"""Security headers for the HTML pages this server serves (the playground, Swagger UI, ReDoc):
a Content-Security-Policy that lets a page load only what it ships, and no framing
(`frame-ancestors 'none'`, with `X-Frame-Options: DENY` for browsers that predate CSP 2), so
another site cannot overlay the playground and click through it with a visitor's key.

The playground has no inline script or style. The docs pages carry the inline script that starts
Swagger UI; it is allowed by its hash, computed from the page as served. ReDoc styles itself with
inline `<style>` elements, so the docs pages allow inline styles (never inline scripts).
"""

from __future__ import annotations

import base64
import hashlib
import re

#: images and videos may come from the configured storage (an S3 bucket's presigned URLs)
PLAYGROUND_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data: blob: https:; media-src 'self' blob: https:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_DOCS_CSP = (
    "default-src 'self'; script-src 'self'{hashes}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_INLINE_SCRIPT = re.compile(
    r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE
)


def playground_headers() -> dict[str, str]:
    return {"Content-Security-Policy": PLAYGROUND_CSP, "X-Frame-Options": "DENY"}


def docs_headers(page: str) -> dict[str, str]:
    """The headers for a docs page: its own inline scripts allowed by hash, nothing else."""
    hashes = "".join(f" '{_sha256(script)}'" for script in _INLINE_SCRIPT.findall(page))
    return {"Content-Security-Policy": _DOCS_CSP.format(hashes=hashes), "X-Frame-Options": "DENY"}


def _sha256(script: str) -> str:
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")
