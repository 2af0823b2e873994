"""What an operator command checks before it touches anything: that the data dir it is about to
open holds the server's database (a command run from another folder would otherwise create an
empty one there and answer from it), and that the model hub answers before a download starts."""

from __future__ import annotations

from pathlib import Path

from limner.config import Settings

__all__ = ["hub_unreachable", "missing_database"]


def missing_database(settings: Settings) -> str | None:
    """Why `settings` points at no database yet (SQLite in a data dir without `limner.db`), in
    words naming the directory; None when it has one, or when LIMNER_DATABASE_URL names one."""
    if settings.database_url is not None:
        return None
    database = settings.data_dir / "limner.db"
    if database.exists():
        return None
    where = Path(settings.data_dir).resolve()
    return (
        f"no Limner database in {where} (LIMNER_DATA_DIR, default ./limner-data of the current "
        "folder). Run this from the folder the server runs in, or set LIMNER_DATA_DIR to its "
        "data dir; `limner keys create` or `limner db upgrade` creates a new one."
    )


def hub_unreachable(timeout_s: float = 15.0) -> str | None:
    """Why the model hub cannot be used for downloads now (offline mode, or no answer from it);
    None when it answers. Proxies set in the environment are used, as the downloads use them."""
    import httpx
    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE:
        return "HF_HUB_OFFLINE is set"
    endpoint = constants.ENDPOINT
    try:
        httpx.head(endpoint, timeout=timeout_s, follow_redirects=False)
    except httpx.HTTPError as error:
        return f"the model hub ({endpoint}) cannot be reached: {error}"
    return None
