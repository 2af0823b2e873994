"""What the app holds for its lifetime: the `limner.wiring.Context`, built once by `create_app`."""

from __future__ import annotations

from fastapi import Request

from limner.wiring import Context

#: the name the routes use
AppContext = Context


def app_context(request: Request) -> AppContext:
    context: AppContext = request.app.state.limner
    return context
