"""`Client` and `AsyncClient`: every v1 endpoint, typed answers, typed errors.

Both share the request descriptions below; only the transport differs. `wait()` polls until a
generation is finished; `stream_events()` follows its Server-Sent Events.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx

from limner.client._characters import AsyncCharacters, Characters
from limner.client._exceptions import (
    GenerationCanceledError,
    GenerationFailedError,
    error_for,
)
from limner.client._models import (
    Account,
    Event,
    Generation,
    GenerationPage,
    Upload,
    WebhookLog,
    WebhookSecret,
    generation_from,
)
from limner.client._responses import _body, _expect_no_content, _key_header, _parse

DEFAULT_TIMEOUT = 300.0


def _headers(api_key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}", "User-Agent": "limner-python"}


def _generation(response: httpx.Response) -> Generation:
    """A generation body, typed by its `type`: a `Video` for t2v and i2v."""
    body = _body(response)
    if response.status_code >= 400:
        raise error_for(response.status_code, body)
    return generation_from(body)


def _generate_body(prompt: str, options: dict[str, Any]) -> dict[str, Any]:
    return {"prompt": prompt, **{k: v for k, v in options.items() if v is not None}}


#: an upload's source: a path to a picture file, or its bytes
UploadSource = str | os.PathLike[str] | bytes

_SIGNATURES = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"))


def _upload_files(source: UploadSource, content_type: str | None) -> dict[str, Any]:
    """The multipart `file` field for `POST /api/v1/uploads`."""
    if isinstance(source, bytes):
        name, data = "upload", source
    else:
        path = Path(source)
        name, data = path.name, path.read_bytes()
    if content_type is None:
        content_type = next(
            (media for magic, media in _SIGNATURES if data.startswith(magic)),
            "image/webp" if data[:4] == b"RIFF" and data[8:12] == b"WEBP" else None,
        )
    return {"file": (name, data, content_type or "application/octet-stream")}


#: the body fields that take a picture; the SDK uploads what is not already a reference
MEDIA_FIELDS = ("image", "mask")
#: the forms a reference string takes on the wire (anything else given as a str is a file path)
_REFERENCE_PREFIXES = ("upl_", "gen_", "data:", "https://")


def _as_reference(value: Any) -> str | None:
    """`value` as a media reference string when it already is one (or a `Generation`), else
    None: the caller uploads it (a path, bytes or a picture object)."""
    if isinstance(value, str) and value.startswith(_REFERENCE_PREFIXES):
        return value
    if isinstance(value, Generation):
        return value.id
    return None


def _upload_source(value: Any) -> UploadSource:
    """A path, bytes, or a picture object with `save(fp, format=...)` (a PIL image: encoded as
    PNG here, so the SDK itself needs no imaging library)."""
    if isinstance(value, (str, bytes, os.PathLike)):
        return value
    if callable(getattr(value, "save", None)):
        buffer = io.BytesIO()
        value.save(buffer, format="PNG")
        return buffer.getvalue()
    raise TypeError(
        f"expected a media reference, a path, bytes or a PIL image, not {type(value).__name__}"
    )


def _list_params(status: str | None, cursor: str | None, limit: int) -> dict[str, Any]:
    params: dict[str, Any] = {"limit": limit}
    if status:
        params["status"] = status
    if cursor:
        params["cursor"] = cursor
    return params


def _finished(generation: Generation) -> Generation:
    """A finished generation, or the error that says why it has no image."""
    if generation.status == "completed":
        return generation
    body = generation.model_dump(exclude_none=True)
    body.setdefault("error", "generation_failed")
    body.setdefault("message", f"Generation {generation.status}.")
    if generation.status == "canceled":
        raise GenerationCanceledError(200, {**body, "error": "canceled"})
    raise GenerationFailedError(200, body)


class _SSEParser:
    def __init__(self) -> None:
        self.event: str = "message"
        self.data: list[str] = []
        self.id: str | None = None

    def feed(self, line: str) -> Event | None:
        if not line:
            if not self.data:
                return None
            event = Event(event=self.event, data=json.loads("\n".join(self.data)), id=self.id)
            self.event, self.data = "message", []
            return event
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            self.event = value
        elif name == "data":
            self.data.append(value)
        elif name == "id":
            self.id = value
        return None


TERMINAL_EVENTS = {"completed", "failed", "canceled"}


class Client:
    """A synchronous client. `Client(base_url, api_key)`; use it as a context manager."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers=_headers(api_key),
            timeout=timeout,
            transport=transport,
        )
        #: the key's characters: create, list, get, delete
        self.characters = Characters(self._http)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- generating ----------------------------------------------------------------------------

    def generate(
        self,
        prompt: str,
        *,
        idempotency_key: str | None = None,
        wait: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        **options: Any,
    ) -> Generation:
        """`POST /api/v1/generate`: completed when it answers (or queued, with `webhook_url`).
        Options are the body's fields: type, quality, style, seed, n, output_format ("png",
        "jpeg", "webp"), appearance, snap_caption, strength, expand, duration_s, fps... `image`
        and `mask` take a reference (upl_..., gen_..., a data: or https:// URL, a `Generation`)
        or a file path, bytes or PIL image, which are uploaded first. A video (`type="t2v"` or
        `"i2v"`) is always queued and answers a `Video`; with `wait=True` this returns once it
        is finished (see `wait`)."""
        for name in MEDIA_FIELDS:
            if options.get(name) is not None and _as_reference(options[name]) is None:
                options[name] = self.upload(_upload_source(options[name])).id
            elif options.get(name) is not None:
                options[name] = _as_reference(options[name])
        response = self._http.post(
            "/api/v1/generate",
            json=_generate_body(prompt, options),
            headers=_key_header(idempotency_key),
        )
        generation = _generation(response)
        if wait and not generation.finished:
            return self.wait(generation.id, timeout=timeout)
        return generation

    def submit(
        self, prompt: str, *, idempotency_key: str | None = None, **options: Any
    ) -> Generation:
        """Queue a generation (`"async": true`); answers at once with its id."""
        return self.generate(prompt, idempotency_key=idempotency_key, **{"async": True, **options})

    def wait(
        self, generation_id: str, *, timeout: float = DEFAULT_TIMEOUT, poll_interval: float = 0.5
    ) -> Generation:
        """Poll until the generation is finished; raise `GenerationFailedError` (or
        `GenerationCanceledError`) if it has no image, `TimeoutError` after `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            generation = self.generation(generation_id)
            if generation.finished:
                return _finished(generation)
            if time.monotonic() > deadline:
                raise TimeoutError(f"{generation_id} is still {generation.status}")
            time.sleep(poll_interval)

    def stream_events(self, generation_id: str) -> Iterator[Event]:
        """The generation's Server-Sent Events, until it is finished."""
        parser = _SSEParser()
        with self._http.stream("GET", f"/api/v1/generations/{generation_id}/events") as response:
            if response.status_code >= 400:
                response.read()
                raise error_for(response.status_code, _body(response))
            for line in response.iter_lines():
                event = parser.feed(line)
                if event is not None:
                    yield event
                    if event.event in TERMINAL_EVENTS:
                        return

    # -- reading and managing ------------------------------------------------------------------

    def generation(self, generation_id: str) -> Generation:
        return _generation(self._http.get(f"/api/v1/generations/{generation_id}"))

    def generations(
        self, *, status: str | None = None, cursor: str | None = None, limit: int = 20
    ) -> GenerationPage:
        response = self._http.get("/api/v1/generations", params=_list_params(status, cursor, limit))
        return _parse(GenerationPage, response)

    def iter_generations(
        self, *, status: str | None = None, limit: int = 20
    ) -> Iterator[Generation]:
        """Every generation, newest first, following the cursors."""
        cursor = None
        while True:
            page = self.generations(status=status, cursor=cursor, limit=limit)
            yield from page.data
            if not page.next_cursor:
                return
            cursor = page.next_cursor

    def cancel(self, generation_id: str, *, idempotency_key: str | None = None) -> Generation:
        response = self._http.post(
            f"/api/v1/generations/{generation_id}/cancel", headers=_key_header(idempotency_key)
        )
        return _generation(response)

    def delete(self, generation_id: str) -> None:
        """Erase a finished generation: its images and prompt (the ledger keeps the charge)."""
        _expect_no_content(self._http.delete(f"/api/v1/generations/{generation_id}"))

    def account(self) -> Account:
        return _parse(Account, self._http.get("/api/v1/account"))

    def webhook_secret(self) -> WebhookSecret:
        return _parse(WebhookSecret, self._http.get("/api/v1/webhook-secret"))

    def rotate_webhook_secret(self) -> WebhookSecret:
        return _parse(WebhookSecret, self._http.post("/api/v1/webhook-secret"))

    def webhook_log(self, generation_id: str) -> WebhookLog:
        return _parse(WebhookLog, self._http.get(f"/api/v1/generations/{generation_id}/webhook"))

    def resend_webhook(self, generation_id: str) -> WebhookLog:
        response = self._http.post(f"/api/v1/generations/{generation_id}/webhook/resend")
        return _parse(WebhookLog, response)

    def upload(self, source: UploadSource, *, content_type: str | None = None) -> Upload:
        """Upload a picture (a file path or bytes; PNG, JPEG or WebP) for image-input requests;
        the server strips its metadata and keeps it for this key until `expires_at`."""
        response = self._http.post("/api/v1/uploads", files=_upload_files(source, content_type))
        return _parse(Upload, response)

    def get_upload(self, upload_id: str) -> Upload:
        return _parse(Upload, self._http.get(f"/api/v1/uploads/{upload_id}"))

    def delete_upload(self, upload_id: str) -> None:
        response = self._http.delete(f"/api/v1/uploads/{upload_id}")
        if response.status_code != 204:
            raise error_for(response.status_code, _body(response))

    def download(self, image_url: str) -> bytes:
        response = self._http.get(image_url)
        if response.status_code != 200:
            raise error_for(response.status_code, _body(response))
        return response.content


class AsyncClient:
    """The same endpoints as `Client`, for asyncio."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers=_headers(api_key),
            timeout=timeout,
            transport=transport,
        )
        #: the key's characters: create, list, get, delete
        self.characters = AsyncCharacters(self._http)

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._http.aclose()

    async def generate(
        self,
        prompt: str,
        *,
        idempotency_key: str | None = None,
        wait: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        **options: Any,
    ) -> Generation:
        for name in MEDIA_FIELDS:
            if options.get(name) is not None and _as_reference(options[name]) is None:
                options[name] = (await self.upload(_upload_source(options[name]))).id
            elif options.get(name) is not None:
                options[name] = _as_reference(options[name])
        response = await self._http.post(
            "/api/v1/generate",
            json=_generate_body(prompt, options),
            headers=_key_header(idempotency_key),
        )
        generation = _generation(response)
        if wait and not generation.finished:
            return await self.wait(generation.id, timeout=timeout)
        return generation

    async def submit(
        self, prompt: str, *, idempotency_key: str | None = None, **options: Any
    ) -> Generation:
        return await self.generate(
            prompt, idempotency_key=idempotency_key, **{"async": True, **options}
        )

    async def wait(
        self, generation_id: str, *, timeout: float = DEFAULT_TIMEOUT, poll_interval: float = 0.5
    ) -> Generation:
        deadline = time.monotonic() + timeout
        while True:
            generation = await self.generation(generation_id)
            if generation.finished:
                return _finished(generation)
            if time.monotonic() > deadline:
                raise TimeoutError(f"{generation_id} is still {generation.status}")
            await asyncio.sleep(poll_interval)

    async def stream_events(self, generation_id: str) -> AsyncIterator[Event]:
        parser = _SSEParser()
        async with self._http.stream(
            "GET", f"/api/v1/generations/{generation_id}/events"
        ) as response:
            if response.status_code >= 400:
                await response.aread()
                raise error_for(response.status_code, _body(response))
            async for line in response.aiter_lines():
                event = parser.feed(line)
                if event is not None:
                    yield event
                    if event.event in TERMINAL_EVENTS:
                        return

    async def generation(self, generation_id: str) -> Generation:
        return _generation(await self._http.get(f"/api/v1/generations/{generation_id}"))

    async def generations(
        self, *, status: str | None = None, cursor: str | None = None, limit: int = 20
    ) -> GenerationPage:
        response = await self._http.get(
            "/api/v1/generations", params=_list_params(status, cursor, limit)
        )
        return _parse(GenerationPage, response)

    async def cancel(self, generation_id: str, *, idempotency_key: str | None = None) -> Generation:
        response = await self._http.post(
            f"/api/v1/generations/{generation_id}/cancel", headers=_key_header(idempotency_key)
        )
        return _generation(response)

    async def delete(self, generation_id: str) -> None:
        """Erase a finished generation: its images and prompt (the ledger keeps the charge)."""
        _expect_no_content(await self._http.delete(f"/api/v1/generations/{generation_id}"))

    async def account(self) -> Account:
        return _parse(Account, await self._http.get("/api/v1/account"))

    async def webhook_secret(self) -> WebhookSecret:
        return _parse(WebhookSecret, await self._http.get("/api/v1/webhook-secret"))

    async def rotate_webhook_secret(self) -> WebhookSecret:
        return _parse(WebhookSecret, await self._http.post("/api/v1/webhook-secret"))

    async def webhook_log(self, generation_id: str) -> WebhookLog:
        response = await self._http.get(f"/api/v1/generations/{generation_id}/webhook")
        return _parse(WebhookLog, response)

    async def resend_webhook(self, generation_id: str) -> WebhookLog:
        response = await self._http.post(f"/api/v1/generations/{generation_id}/webhook/resend")
        return _parse(WebhookLog, response)

    async def upload(self, source: UploadSource, *, content_type: str | None = None) -> Upload:
        """Upload a picture (a file path or bytes; PNG, JPEG or WebP) for image-input requests."""
        files = _upload_files(source, content_type)
        return _parse(Upload, await self._http.post("/api/v1/uploads", files=files))

    async def get_upload(self, upload_id: str) -> Upload:
        return _parse(Upload, await self._http.get(f"/api/v1/uploads/{upload_id}"))

    async def delete_upload(self, upload_id: str) -> None:
        response = await self._http.delete(f"/api/v1/uploads/{upload_id}")
        if response.status_code != 204:
            raise error_for(response.status_code, _body(response))

    async def download(self, image_url: str) -> bytes:
        response = await self._http.get(image_url)
        if response.status_code != 200:
            raise error_for(response.status_code, _body(response))
        return response.content
