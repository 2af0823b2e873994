"""The browser playground at `/playground` (`/` leads there), its assets shipped in the package.

Plain HTML, CSS and JavaScript modules under `limner/static/playground`; nothing is built and
nothing is loaded from another host, so it works on a machine without internet.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

PLAYGROUND_DIR = Path(str(files("limner") / "static" / "playground"))


def install_playground(app: FastAPI) -> None:
    """Serve the playground page, its assets, and the redirect from `/`."""
    app.mount("/playground/assets", StaticFiles(directory=PLAYGROUND_DIR), name="playground-assets")

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/playground", status_code=307)

    @app.get("/playground", include_in_schema=False)
    def playground() -> FileResponse:
        # no-cache: a new version of the server must not keep an old page in the browser
        return FileResponse(PLAYGROUND_DIR / "index.html", headers={"Cache-Control": "no-cache"})
