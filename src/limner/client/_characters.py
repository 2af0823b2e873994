"""`client.characters`: create, list, get and delete the key's characters (docs/characters.md).

A character is made once from 1-4 references (`upl_...`, `gen_...`, `data:` or `https://`) and
then named in any generation: `client.generate(prompt, character_id=character.id)`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from limner.client._models import Character, CharacterPage
from limner.client._responses import _expect_no_content, _key_header, _parse

__all__ = ["AsyncCharacters", "Characters"]

PATH = "/api/v1/characters"


def _create_body(
    name: str,
    references: Sequence[str],
    style: str | None,
    description: str | None,
    appearance: dict[str, Any] | None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name, "references": list(references)}
    for field, value in (
        ("style", style),
        ("description", description),
        ("appearance", appearance),
    ):
        if value is not None:
            body[field] = value
    return body


def _list_params(cursor: str | None, limit: int) -> dict[str, Any]:
    return {"limit": limit, **({"cursor": cursor} if cursor else {})}


class Characters:
    def __init__(self, http: httpx.Client) -> None:
        self._http = http

    def create(
        self,
        name: str,
        references: Sequence[str],
        *,
        style: str | None = None,
        description: str | None = None,
        appearance: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Character:
        """`POST /api/v1/characters`: the references are copied into storage it owns."""

        response = self._http.post(
            PATH,
            json=_create_body(name, references, style, description, appearance),
            headers=_key_header(idempotency_key),
        )
        return _parse(Character, response)

    def list(self, *, cursor: str | None = None, limit: int = 20) -> CharacterPage:
        """Newest first; pass `next_cursor` as `cursor` for the next page."""

        return _parse(CharacterPage, self._http.get(PATH, params=_list_params(cursor, limit)))

    def get(self, character_id: str) -> Character:

        return _parse(Character, self._http.get(f"{PATH}/{character_id}"))

    def delete(self, character_id: str) -> None:
        """Deletes its stored copies and embeddings, never the generations they came from."""

        _expect_no_content(self._http.delete(f"{PATH}/{character_id}"))


class AsyncCharacters:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http

    async def create(
        self,
        name: str,
        references: Sequence[str],
        *,
        style: str | None = None,
        description: str | None = None,
        appearance: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Character:

        response = await self._http.post(
            PATH,
            json=_create_body(name, references, style, description, appearance),
            headers=_key_header(idempotency_key),
        )
        return _parse(Character, response)

    async def list(self, *, cursor: str | None = None, limit: int = 20) -> CharacterPage:

        response = await self._http.get(PATH, params=_list_params(cursor, limit))
        return _parse(CharacterPage, response)

    async def get(self, character_id: str) -> Character:

        return _parse(Character, await self._http.get(f"{PATH}/{character_id}"))

    async def delete(self, character_id: str) -> None:

        _expect_no_content(await self._http.delete(f"{PATH}/{character_id}"))
