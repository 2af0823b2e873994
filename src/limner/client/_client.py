"""A small synchronous client for the v1 endpoints; errors come back as `LimnerAPIError`."""

from __future__ import annotations

from typing import Any

import httpx


class LimnerAPIError(Exception):
    """An error answer from the server: `code` is the contract's error code."""

    def __init__(self, status_code: int, body: dict[str, Any]) -> None:
        self.status_code = status_code
        self.code = str(body.get("error", "unknown_error"))
        self.body = body
        super().__init__(f"{status_code} {self.code}: {body.get('message', '')}")


class Client:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 300.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=timeout,
            transport=transport,
        )

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def generate(self, prompt: str, **options: Any) -> dict[str, Any]:
        return self._json("POST", "/api/v1/generate", json={"prompt": prompt, **options})

    def account(self) -> dict[str, Any]:
        return self._json("GET", "/api/v1/account")

    def generation(self, generation_id: str) -> dict[str, Any]:
        return self._json("GET", f"/api/v1/generations/{generation_id}")

    def download(self, image_url: str) -> bytes:
        response = self._http.get(image_url)
        if response.status_code != 200:
            raise LimnerAPIError(response.status_code, _body(response))
        return response.content

    def _json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self._http.request(method, path, **kwargs)
        body = _body(response)
        if response.status_code >= 400:
            raise LimnerAPIError(response.status_code, body)
        return body


def _body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {"error": "unexpected_response", "message": response.text[:200]}
    return body if isinstance(body, dict) else {"error": "unexpected_response", "message": ""}
