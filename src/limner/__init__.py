"""Limner: a self-hosted image-generation API server."""

from importlib.metadata import PackageNotFoundError, version

from limner.privacy import disable_third_party_telemetry

# before any dependency that reports usage is imported (see limner/privacy.py)
disable_third_party_telemetry()

try:
    __version__ = version("limner")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0"

__all__ = ["__version__"]
