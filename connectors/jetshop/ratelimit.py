"""A per-shop token bucket so a big catalogue sync cannot hammer one shop.

Jetshop publishes no limits; the recorded client peaked at ~200 calls a minute without trouble,
so the rate is configuration (per shop), not a constant.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from decimal import Decimal


class TokenBucket:
    """``rate`` calls per second on average, bursts of up to ``capacity``. Thread-safe.

    ``acquire`` blocks until a token is free; a rate of ``None`` or 0 disables the limit. Rates
    may arrive as ``Decimal`` (the shop's Django field); they are held as floats because they
    are multiplied with ``time.monotonic()`` readings.
    """

    def __init__(
        self,
        rate: float | Decimal | None,
        capacity: float | Decimal | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = float(rate or 0)
        self.capacity = float(capacity) if capacity is not None else max(1.0, self.rate)
        self._tokens = self.capacity
        self._clock = clock
        self._sleep = sleep
        self._stamp = clock()
        self._lock = threading.Lock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def acquire(self) -> float:
        """Take one token, sleeping if needed; returns the seconds waited."""
        if self.rate <= 0:
            return 0.0
        waited = 0.0
        while True:
            with self._lock:
                self._refill()
                if self._tokens >= 1:
                    self._tokens -= 1
                    return waited
                wait = (1 - self._tokens) / self.rate
            self._sleep(wait)
            waited += wait


_shared: dict[Hashable, TokenBucket] = {}
_shared_lock = threading.Lock()


def shared_bucket(
    key: Hashable, rate: float | Decimal | None, capacity: float | Decimal | None = None
) -> TokenBucket:
    """The one bucket of this process for ``key`` (a shop), so every client of it draws from it.

    Tasks build a fresh client per run; a bucket per client would hand each of them a full burst
    and let N concurrent tasks call one shop N times as fast. A changed rate replaces the bucket.
    Across worker processes each process keeps its own bucket.
    """
    wanted = TokenBucket(rate, capacity)
    with _shared_lock:
        bucket = _shared.get(key)
        if bucket is None or (bucket.rate, bucket.capacity) != (wanted.rate, wanted.capacity):
            _shared[key] = bucket = wanted
        return bucket
