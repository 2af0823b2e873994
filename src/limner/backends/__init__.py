"""Generation backends behind one interface (`limner.backends.base.Backend`)."""

from __future__ import annotations

from limner.backends.base import Backend, GenerationContext, GenerationSpec
from limner.config import BackendName, Settings
from limner.errors import ConfigurationError

__all__ = ["Backend", "GenerationContext", "GenerationSpec", "create_backend"]


def create_backend(settings: Settings, name: BackendName | None = None) -> Backend:
    """Build the configured backend (or the one `name`d, for `LIMNER_EXTRA_BACKENDS`). Heavy
    backends import their dependencies here, not before. `auto` is decided here on the local
    cache alone (`limner serve` decides it first, fetching, and passes the answer on)."""
    name = name or settings.backend
    if name is BackendName.auto:
        from limner.backends.auto import choose_backend

        name = choose_backend(settings, fetch=False).name
    if name is BackendName.placeholder:
        from limner.backends.placeholder import PlaceholderBackend

        return PlaceholderBackend(
            failure_rate=settings.placeholder_failure_rate, delay_s=settings.placeholder_delay_s
        )
    if name is BackendName.diffusers:
        try:
            from limner.backends.diffusers import DiffusersBackend
        except ImportError as exc:
            raise ConfigurationError(
                "The diffusers backend needs the 'diffusers' extra: "
                "pip install 'limner[diffusers]' (install torch first)."
            ) from exc
        return DiffusersBackend.from_settings(settings)
    raise ConfigurationError(f"Unknown backend {name!r}")
