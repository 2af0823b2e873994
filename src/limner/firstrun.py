"""What makes the first run copy-paste: the URL a data dir was last served on, the key file, and
the banner `limner serve` prints once it is listening.

`limner serve` records its URL in `<data_dir>/server.json`; `limner generate` reads it when
`LIMNER_URL` is not set, so the CLI finds the server whatever port it took.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

SERVER_FILE = "server.json"
DEFAULT_URL = "http://127.0.0.1:8000"


def local_url(host: str, port: int) -> str:
    """The URL a client on this machine uses: a wildcard bind is reached on loopback."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    if ":" in shown:  # an IPv6 literal
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def record_server_url(data_dir: Path, url: str) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / SERVER_FILE).write_text(json.dumps({"url": url}) + "\n")


def recorded_server_url(data_dir: Path) -> str | None:
    try:
        url = json.loads((data_dir / SERVER_FILE).read_text())["url"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return url if isinstance(url, str) and url else None


def write_secret_file(path: Path, secret: str) -> None:
    """Write `secret` readable by its owner only (0600), also when the file already existed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(descriptor, 0o600)
        os.write(descriptor, f"{secret}\n".encode())
    finally:
        os.close(descriptor)


def read_key_file(path: Path) -> str | None:
    try:
        return path.read_text().strip() or None
    except OSError:
        return None


def ready_banner(url: str, key: str | None, *, notice: str | None = None) -> str:
    """The lines printed last when the server is up: where it is, and what to copy; a
    placeholder server's `notice` first, so no one takes its images for a model's."""
    lines = [""]
    if notice:
        lines += [f"!! {notice}", ""]
    lines += [
        f"Limner is ready: {url}",
        f"  playground  {url}/playground",
        f"  API docs    {url}/docs",
        "",
    ]
    if key:
        lines += [
            'Copy these two lines into your shell, then try `limner generate "a lighthouse"`:',
            "",
            f"export LIMNER_URL={url}",
            f"export LIMNER_API_KEY={key}",
            "",
        ]
    return "\n".join(lines)
