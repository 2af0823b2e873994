"""Request dependencies: the caller (authentication + rate limit) and the JSON body.

Order matters and is the order of the endpoint's parameters: the caller is resolved first, so a
request without a valid key is answered 401 before its body is even read.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncGenerator
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from limner import keys
from limner.api.context import AppContext, app_context
from limner.config import Settings
from limner.errors import InvalidApiKey, InvalidRequest, MissingApiKey, PayloadTooLarge, RateLimited
from limner.generation.accounts import AccountRef, account_ref
from limner.generation.kinds import KINDS
from limner.ratelimit import RateLimitStatus

bearer_scheme = HTTPBearer(auto_error=False, description="Authorization: Bearer <API key>")
ContextDep = Annotated[AppContext, Depends(app_context)]


def client_address(request: Request, settings: Settings) -> str:
    if settings.trust_proxy_headers:
        forwarded = request.headers.get("x-forwarded-for")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.client.host if request.client else "unknown"


def remember_rate_limit(request: Request, status: RateLimitStatus) -> None:
    """Keep the status for the headers middleware (it reads the same scope state)."""
    request.state.ratelimit = status


def _authenticate(
    request: Request, context: AppContext, credentials: HTTPAuthorizationCredentials | None
) -> AccountRef:
    key = credentials.credentials.strip() if credentials is not None else ""
    if not key:
        _count_anonymous(request, context)
        header = request.headers.get("authorization", "").strip()
        # "Authorization: Bearer" with nothing after it is a missing key, not a wrong one
        raise MissingApiKey() if header.lower() in ("", "bearer") else InvalidApiKey()
    try:
        with context.database.read() as session:
            return account_ref(keys.authenticate(session=session, key=key))
    except InvalidApiKey:
        _count_anonymous(request, context)  # so guessing keys is rate limited per address
        raise


def _count_anonymous(request: Request, context: AppContext) -> None:
    status = context.limiter.hit("anonymous", client_address(request, context.settings))
    remember_rate_limit(request, status)
    if not status.allowed:
        raise RateLimited(status.retry_after)


def _limited(policy: str, request: Request, context: AppContext, caller: AccountRef) -> None:
    status = context.limiter.hit(policy, caller.key_prefix)
    remember_rate_limit(request, status)
    if not status.allowed:
        raise RateLimited(status.retry_after)


def generating_caller(
    request: Request,
    context: ContextDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> AccountRef:
    """An authenticated caller of a generation endpoint, counted against its plan's limit (a
    test key: the test keys' limit)."""
    caller = _authenticate(request, context, credentials)
    # a test key has its own limit (LIMNER_RATE_LIMIT_TEST), whatever its plan
    policy = f"generate:{caller.plan}" if caller.livemode else "generate:test"
    _limited(policy, request, context, caller)
    return caller


def reading_caller(
    request: Request,
    context: ContextDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> AccountRef:
    """An authenticated caller of a read endpoint (account, status), on the generous limit."""
    caller = _authenticate(request, context, credentials)
    _limited("read", request, context, caller)
    return caller


async def limited_stream(
    request: Request, limit: int, *, reported: int | None = None
) -> AsyncGenerator[bytes, None]:
    """The body as it streams in, refused with `payload_too_large` once past `limit` bytes (a
    declared length past it is refused unread). `reported` is the limit the error names, when
    the caller allows some framing around it (multipart)."""
    declared = request.headers.get("content-length")
    if (
        declared is not None
        and declared.isascii()
        and declared.isdigit()
        and (len(declared.lstrip("0")) > len(str(limit)) or int(declared) > limit)
    ):
        raise PayloadTooLarge(reported or limit)
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(reported or limit)
        yield chunk


async def read_limited_body(request: Request, limit: int) -> bytes:
    """The raw body, refused with `payload_too_large` past `limit` bytes (streamed, not trusted)."""
    return b"".join([chunk async for chunk in limited_stream(request, limit)])


#: deeper than any valid body (the contract nests two levels); refused before anything walks it
MAX_JSON_DEPTH = 32
#: longer integers than any field accepts; parsed as a stand-in out of every range, so the field
#: is named (`validation_error`) without Python's slow, limited string-to-int conversion
MAX_INT_DIGITS = 40


async def json_object_body(request: Request, context: ContextDep) -> dict[str, Any]:
    """The body as a JSON object, within the size limit, or `invalid_request`."""
    raw = await read_limited_body(request, context.settings.max_body_bytes)
    if not raw.strip():
        raise InvalidRequest("The request body is empty; send a JSON object.")
    return await parse_off_loop(raw)


async def generate_body(request: Request, context: ContextDep) -> dict[str, Any]:
    """`POST /api/v1/generate`'s body: `LIMNER_MAX_BODY_BYTES`, or the larger
    `LIMNER_MAX_MEDIA_BODY_BYTES` for a type that takes pictures (inline data: URLs), so a
    text-only request cannot send megabytes. The body is parsed once, off the event loop."""
    settings = context.settings
    limit = max(settings.max_body_bytes, settings.max_media_body_bytes)
    raw = await read_limited_body(request, limit)
    if not raw.strip():
        raise InvalidRequest("The request body is empty; send a JSON object.")
    body = await parse_off_loop(raw)  # a body that is not JSON is refused as such
    if len(raw) > settings.max_body_bytes and not _takes_media(body):
        raise PayloadTooLarge(settings.max_body_bytes)
    return body


def _takes_media(body: dict[str, Any]) -> bool:
    name = body.get("type")
    kind = KINDS.get(name) if isinstance(name, str) else None
    return kind is not None and kind.takes_user_image


#: bodies up to this size are parsed on the event loop (a thread hop costs more than they do)
PARSE_INLINE_BYTES = 64 * 1024
#: a larger body is pictures in strings: more brackets, commas and colons than this (counted in
#: strings too) is not a request any endpoint takes, and would cost seconds to parse
MAX_LARGE_BODY_TOKENS = 4096


async def parse_off_loop(raw: bytes) -> dict[str, Any]:
    """`parse_json_object`, in a worker thread for a large body, so that other requests are
    served while megabytes are decoded and checked. A large body must be a few values holding
    long strings (inline pictures); its structure is counted first, in a few passes of C."""
    if len(raw) <= PARSE_INLINE_BYTES:
        return parse_json_object(raw)
    if sum(raw.count(token) for token in (b"[", b"{", b",", b":")) > MAX_LARGE_BODY_TOKENS:
        raise InvalidRequest(
            f"The request body is larger than {PARSE_INLINE_BYTES} bytes and has more than "
            f"{MAX_LARGE_BODY_TOKENS} brackets, commas and colons; a large body is for inline "
            "pictures, a few long strings."
        )
    return await run_in_threadpool(parse_json_object, raw)


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """UTF-8 JSON (a UTF-8 byte-order mark is tolerated) holding an object of bounded depth."""
    try:
        # decoded here, not by json.loads, which would also guess UTF-16 and UTF-32
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidRequest("The request body is not UTF-8; send UTF-8 JSON.") from exc
    deep = InvalidRequest(f"The request body is nested deeper than {MAX_JSON_DEPTH} levels.")
    if not nesting_within(text, MAX_JSON_DEPTH):
        try:  # deeper than allowed, or not JSON at all (unbalanced): which one is the answer
            json.loads(text, parse_int=_bounded_int)
        except RecursionError as exc:
            raise deep from exc
        except ValueError as exc:
            raise InvalidRequest("The request body is not valid JSON.") from exc
        raise deep
    try:
        data = json.loads(text, parse_int=_bounded_int)
    except (RecursionError, ValueError) as exc:  # JSONDecodeError is a ValueError
        raise InvalidRequest("The request body is not valid JSON.") from exc
    if not isinstance(data, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    return data


def _bounded_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        return -(10**MAX_INT_DIGITS) if digits.startswith("-") else 10**MAX_INT_DIGITS
    return int(digits)


#: a JSON string (escapes included), its contents removed before brackets are counted
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_INNERMOST_PAIR = re.compile(r"\[\]|\{\}")


def nesting_within(text: str, limit: int) -> bool:
    """Whether every bracket outside strings is closed within `limit` levels, checked at C speed
    with regular expressions (a character loop in Python took seconds on a 16 MiB body, holding
    the event loop): strings out, everything but brackets out, then innermost pairs removed
    `limit` times. Anything left is nested deeper, or unbalanced (not JSON)."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    for _ in range(limit):
        if not brackets:
            return True
        brackets, removed = _INNERMOST_PAIR.subn("", brackets)
        if not removed:
            return False
    return not brackets


GeneratingCaller = Annotated[AccountRef, Depends(generating_caller)]
ReadingCaller = Annotated[AccountRef, Depends(reading_caller)]
JsonObject = Annotated[dict[str, Any], Depends(json_object_body)]
#: the generate body: the larger media limit for types that take pictures
GenerateBody = Annotated[dict[str, Any], Depends(generate_body)]
