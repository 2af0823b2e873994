"""Waiting for a generation to finish without a clock: its event stream ends when it does."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


def wait_finished(
    client: TestClient, generation_id: str, headers: dict[str, str]
) -> dict[str, Any]:
    """Follow `/events` to its end (the server closes it at a terminal status); the final body."""
    with client.stream(
        "GET", f"/api/v1/generations/{generation_id}/events", headers=headers
    ) as events:
        for _line in events.iter_lines():
            pass
    body: dict[str, Any] = client.get(
        f"/api/v1/generations/{generation_id}", headers=headers
    ).json()
    return body
