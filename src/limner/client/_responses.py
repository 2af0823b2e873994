"""Reading the server's answers: typed bodies, or the typed error for an error status. Shared by
the clients and their resource namespaces (`client.characters`)."""

from __future__ import annotations

from typing import Any, TypeVar

import httpx
from pydantic import BaseModel

from limner.client._exceptions import error_for

M = TypeVar("M", bound=BaseModel)


def _body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {"error": "unexpected_response", "message": response.text[:200]}
    return body if isinstance(body, dict) else {"error": "unexpected_response", "message": ""}


def _parse(model: type[M], response: httpx.Response) -> M:
    body = _body(response)
    if response.status_code >= 400:
        raise error_for(response.status_code, body)
    return model.model_validate(body)


def _expect_no_content(response: httpx.Response) -> None:
    if response.status_code != 204:
        raise error_for(response.status_code, _body(response))


def _key_header(idempotency_key: str | None) -> dict[str, str]:
    return {"Idempotency-Key": idempotency_key} if idempotency_key else {}
