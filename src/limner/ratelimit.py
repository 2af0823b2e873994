"""Per-key and per-address rate limits with the `limits` library, and the header values.

Classes of limit: `generate` (per key, by plan; test keys have their own, `generate:test`),
`read` (per key, more generous) and `anonymous` (per client address, for requests without a
valid key). Counters live in memory by default and in Redis when `LIMNER_REDIS_URL` is set, so
limits hold across processes.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from limner.config import Settings


@dataclass(frozen=True)
class RateLimitStatus:
    """The outcome of one check, enough to write every rate-limit header."""

    policy: str
    limit: int
    window_s: int
    remaining: int
    reset_at: float  # unix time when a slot frees up
    allowed: bool

    @property
    def reset_in(self) -> int:
        return max(0, math.ceil(self.reset_at - time.time()))

    @property
    def retry_after(self) -> int:
        return max(1, self.reset_in)

    def headers(self) -> dict[str, str]:
        reset_in = self.reset_in
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(math.ceil(self.reset_at)),
            # IETF draft-ietf-httpapi-ratelimit-headers structured fields
            "RateLimit-Policy": f'"{self.policy}";q={self.limit};w={self.window_s}',
            "RateLimit": f'"{self.policy}";r={self.remaining};t={reset_in}',
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after)
        return headers


class RateLimiter:
    """Checks and counts requests against the configured limits."""

    def __init__(self, settings: Settings, storage: Storage | None = None) -> None:
        self._storage = storage or (
            storage_from_string(settings.redis_url, key_prefix=settings.redis_key_prefix)
            if settings.redis_url
            else MemoryStorage()
        )
        self._limiter = MovingWindowRateLimiter(self._storage)
        self._items: dict[str, RateLimitItem] = {
            "generate:free": parse(settings.rate_limit_free),
            "generate:pro": parse(settings.rate_limit_pro),
            "generate:test": parse(settings.rate_limit_test),
            "read": parse(settings.rate_limit_read),
            "anonymous": parse(settings.rate_limit_anonymous),
        }

    def hit(self, policy: str, identity: str, cost: int = 1) -> RateLimitStatus:
        """Count one request for `identity` under `policy`; `allowed` says whether it may go on."""
        item = self._items[policy]
        allowed = self._limiter.hit(item, policy, identity, cost=cost)
        return self._status(policy, item, identity, allowed)

    def peek(self, policy: str, identity: str) -> RateLimitStatus:
        """The current window for `identity`, without counting a request."""
        item = self._items[policy]
        return self._status(policy, item, identity, allowed=True)

    def check_storage(self) -> bool:
        return bool(self._storage.check())

    def reset(self) -> None:
        self._storage.reset()

    def _status(
        self, policy: str, item: RateLimitItem, identity: str, allowed: bool
    ) -> RateLimitStatus:
        stats = self._limiter.get_window_stats(item, policy, identity)
        return RateLimitStatus(
            policy=policy.split(":")[0],
            limit=item.amount,
            window_s=item.get_expiry(),
            remaining=max(0, stats.remaining),
            reset_at=stats.reset_time,
            allowed=allowed,
        )
