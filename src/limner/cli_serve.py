"""`limner serve` for one process: uvicorn, plus the ready banner printed once it listens.

The banner comes after uvicorn's own start-up lines, so the key and the `export` lines are the
last thing on the screen, not lost mid-log.
"""

from __future__ import annotations

import socket
import sys
from typing import Any

import uvicorn


class _AnnouncingServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, banner: str) -> None:
        super().__init__(config)
        self.banner = banner

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started and self.banner:
            print(self.banner, file=sys.stdout, flush=True)


def serve_with_banner(app: Any, *, banner: str, **uvicorn_options: Any) -> None:
    """`uvicorn.run(app, **uvicorn_options)`, printing `banner` when the socket is listening."""
    _AnnouncingServer(uvicorn.Config(app, **uvicorn_options), banner).run()
