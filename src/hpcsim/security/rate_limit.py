"""Token buckets that limit how often one caller may do one thing."""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from dataclasses import dataclass

from hpcsim.errors import HpcsimError

MAX_CALLERS = 10_000


class RateLimited(HpcsimError):
    """Too many calls; `retry_after` says in how many seconds to try again."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Allows `per_minute` calls a minute per caller, in bursts of that many.

    Shortcoming: the buckets live in this process, so each replica of the service
    allows the full rate; a shared limit needs the database or a cache.
    """

    def __init__(self, what: str, per_minute: int) -> None:
        self._what = what
        self._capacity = float(per_minute)
        self._refill = per_minute / 60.0
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def take(self, caller: str) -> None:
        """Spend one call of a caller, or raise RateLimited."""
        if self._capacity <= 0:
            return
        now = time.monotonic()
        bucket = self._bucket(caller, now)
        bucket.tokens = min(
            self._capacity, bucket.tokens + (now - bucket.updated) * self._refill
        )
        bucket.updated = now
        if bucket.tokens < 1:
            wait = math.ceil((1 - bucket.tokens) / self._refill)
            raise RateLimited(f"too many {self._what}; try again in {wait} s", wait)
        bucket.tokens -= 1

    def _bucket(self, caller: str, now: float) -> _Bucket:
        bucket = self._buckets.get(caller)
        if bucket is None:
            bucket = _Bucket(self._capacity, now)
            self._buckets[caller] = bucket
            if len(self._buckets) > MAX_CALLERS:
                self._buckets.popitem(last=False)
        self._buckets.move_to_end(caller)
        return bucket
