"""Waiting for a generation to finish without a clock: its event stream ends when it does."""

from __future__ import annotations

from typing import Any

import httpx
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


def follow_live(
    base_url: str, generation_id: str, headers: dict[str, str], until: set[str]
) -> dict[str, Any]:
    """Over real HTTP: follow `/events` until one of the events `until` (a status: "running",
    "completed", ...) or the stream's end; then the generation's body, whose status is checked.
    No read timeout: the stream says when (pytest-timeout is the net)."""
    url = f"{base_url}/api/v1/generations/{generation_id}"
    timeout = httpx.Timeout(30, read=None)
    with httpx.stream("GET", f"{url}/events", headers=headers, timeout=timeout) as events:
        events.raise_for_status()
        for line in events.iter_lines():
            if line.startswith("event: ") and line.removeprefix("event: ") in until:
                break
    body: dict[str, Any] = httpx.get(url, headers=headers, timeout=30).json()
    assert body["status"] in until, f"{generation_id} ended {body['status']}, not {until}: {body}"
    return body
