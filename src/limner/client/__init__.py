"""The Python client for a Limner server (needs only httpx and pydantic)."""

from limner.client._client import Client, LimnerAPIError

__all__ = ["Client", "LimnerAPIError"]
