"""The browser playground at `/playground` (`/` leads there), its assets shipped in the package.

Plain HTML, CSS and JavaScript modules under `limner/static/playground`; nothing is built and
nothing is loaded from another host, so it works on a machine without internet.
"""

from __future__ import annotations

import html
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from limner.api.page_headers import playground_headers

PLAYGROUND_DIR = Path(str(files("limner") / "static" / "playground"))
#: where the page carries the server's placeholder banner, when it has one
NOTICE_MARK = "<!-- backend-notice -->"


def install_playground(app: FastAPI, *, notice: str | None = None) -> None:
    """Serve the playground page, its assets, `/favicon.ico`, and the redirect from `/`. A
    placeholder server's `notice` is written into the page itself, so it shows before any script
    runs."""
    page = (PLAYGROUND_DIR / "index.html").read_text("utf-8")
    if notice:
        banner = (
            '<div id="backend-notice" class="backend-notice" role="alert">'
            f"{html.escape(notice)}</div>"
        )
        page = page.replace(NOTICE_MARK, banner)
    app.mount("/playground/assets", StaticFiles(directory=PLAYGROUND_DIR), name="playground-assets")

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/playground", status_code=307)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        # browsers ask for it on every page of this server; a 404 fills the logs
        return FileResponse(
            PLAYGROUND_DIR / "favicon.ico",
            media_type="image/x-icon",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    @app.get("/playground", include_in_schema=False)
    def playground() -> HTMLResponse:
        # no-cache: a new version of the server must not keep an old page in the browser
        return HTMLResponse(page, headers={"Cache-Control": "no-cache", **playground_headers()})
