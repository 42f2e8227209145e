"""A per-shop token bucket so a big catalogue sync cannot hammer one shop, however many workers run.

Jetshop publishes no limits; the recorded client peaked at ~200 calls a minute without trouble,
so the rate is configuration (per shop), not a constant.

The bucket is pyrate-limiter's GCRA (a token bucket kept as one "theoretical arrival time" per
shop); only where that number lives depends on the deployment, chosen once by ``configure``:

* ``redis://...`` (production, and whenever ``REDIS_URL`` is set): a small hash per shop, updated
  atomically by the library's Lua script, so every worker process on every machine draws from the
  one bucket of the shop.
* a directory (the embedded demo, no Redis): the same number in a file per shop under ``var/``,
  read and written under an exclusive ``flock``, so the demo's worker and web processes on this
  one machine share the bucket too.
* nothing (a library user, a benchmark, a unit test): process memory, one bucket per process.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import redis
from pyrate_limiter import GCRA, InMemoryStateStore, Rate, RedisStateStore, StateStore
from pyrate_limiter.abstracts.algorithm import State, StateAlgorithm

from connectors.errors import TransientError

# GCRA counts in whole units per interval; rates are configured as calls per second with
# decimals (0.5, 2.5). A rate of r is expressed as r * 1000 calls per 1000 s, which keeps three
# decimals of the rate and a whole number of calls.
_INTERVAL_MS = 1_000_000
_KEY_PREFIX = "sharespine:ratelimit:jetshop:"


class FileStateStore(StateStore):
    """The algorithm's state in a small file, changed under an exclusive ``flock``.

    Each check opens the file anew, so two threads of one process exclude each other as two
    processes do (``flock`` locks belong to the open file, not to the process).
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def _locked(self) -> Iterator[int]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield fd
        finally:
            os.close(fd)  # closing releases the lock

    def _load(self, fd: int, algorithm: StateAlgorithm, rates: list[Rate]) -> State:
        text = os.pread(fd, 256, 0).decode("ascii", "replace").strip()
        values = text.split(",") if text else []
        if len(values) != len(rates):
            return algorithm.initial(rates)
        try:
            return algorithm.decode(values)
        except ValueError:  # a torn or foreign file: start full rather than fail every call
            return algorithm.initial(rates)

    def check(self, algorithm, rates, now, weight):  # type: ignore[no-untyped-def]
        with self._locked() as fd:
            state, decision = algorithm.step(rates, self._load(fd, algorithm, rates), now, weight)
            if decision.allowed:
                data = ",".join(str(value) for value in state).encode("ascii")
                os.ftruncate(fd, 0)
                os.pwrite(fd, data, 0)
            return decision

    def read(self, algorithm, rates):  # type: ignore[no-untyped-def]
        with self._locked() as fd:
            return self._load(fd, algorithm, rates)

    def reset(self) -> None:
        self.path.unlink(missing_ok=True)


class _Storage:
    """Builds the store of one shop's bucket: memory, a file under a directory, or Redis."""

    def __init__(self, where: str | Path | None) -> None:
        self.where = str(where) if where else ""
        self._redis: redis.Redis | None = None
        if self.where.startswith(("redis://", "rediss://", "unix://")):
            self._redis = redis.Redis.from_url(self.where, socket_timeout=5, socket_connect_timeout=5)
        elif self.where:
            self._directory = Path(urlsplit(self.where).path if "://" in self.where else self.where)

    @property
    def kind(self) -> str:
        return "redis" if self._redis is not None else "file" if self.where else "memory"

    def store(self, key: Hashable) -> StateStore:
        if self.kind == "memory":
            return InMemoryStateStore()
        name = hashlib.sha256(repr(key).encode("utf-8")).hexdigest()[:24]
        if self._redis is not None:
            return RedisStateStore(self._redis, _KEY_PREFIX + name)
        return FileStateStore(self._directory / f"jetshop-{name}.state")


class TokenBucket:
    """``rate`` calls per second on average, bursts of up to ``capacity``. Thread- and process-safe
    as far as its store is shared (see the module's docstring).

    ``acquire`` blocks until a token is free; a rate of ``None`` or 0 disables the limit. Rates
    may arrive as ``Decimal`` (the shop's Django field). ``clock`` is wall-clock seconds: a bucket
    shared between machines compares their clocks, so monotonic time would mean nothing.
    """

    def __init__(
        self,
        rate: float | Decimal | None,
        capacity: float | Decimal | None = None,
        *,
        store: StateStore | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = float(rate or 0)
        self.capacity = float(capacity) if capacity is not None else max(1.0, self.rate)
        self.store = store or InMemoryStateStore()
        # Public so a test can put a shared bucket on a fake clock.
        self.clock = clock
        self.sleep = sleep
        self._algorithm = GCRA()
        self._rates = [
            Rate(
                max(1, round(self.rate * _INTERVAL_MS / 1000)),
                _INTERVAL_MS,
                burst=max(1, int(self.capacity)),
            )
        ]

    def acquire(self) -> float:
        """Take one token, sleeping if needed; returns the seconds waited."""
        if self.rate <= 0:
            return 0.0
        waited = 0.0
        while True:
            try:
                decision = self.store.check(self._algorithm, self._rates, int(self.clock() * 1000), 1)
            except redis.RedisError as exc:
                # Calling on without the shared limit could hammer the shop; calling nothing is safe,
                # and the item is tried again later like any other transient failure.
                raise TransientError(
                    f"the shop's call limit cannot be read: {exc}", code="ratelimit", system="jetshop"
                ) from exc
            if decision.allowed:
                return waited
            # The library answers in whole milliseconds; never spin on a 0.
            wait = max(1, decision.retry_after_ms or 1) / 1000
            self.sleep(wait)
            waited += wait


_storage = _Storage(None)
_shared: dict[Hashable, TokenBucket] = {}
_shared_lock = threading.Lock()


def configure(storage: str | Path | None) -> None:
    """Where every shop's bucket lives from now on: a Redis URL, a directory, or ``None`` (memory).

    Called once at start-up (the Django app does it from its settings); buckets handed out before
    are forgotten, so clients built afterwards use the new storage.
    """
    global _storage
    with _shared_lock:
        _storage = _Storage(storage)
        _shared.clear()


def storage_kind() -> str:
    """``redis``, ``file`` or ``memory``: what ``configure`` chose (for logs and tests)."""
    return _storage.kind


def shared_bucket(
    key: Hashable, rate: float | Decimal | None, capacity: float | Decimal | None = None
) -> TokenBucket:
    """The bucket of ``key`` (a shop), so every client of it draws from it.

    Tasks build a fresh client per run; a bucket per client would hand each of them a full burst
    and let N concurrent tasks call one shop N times as fast. Across worker processes the bucket is
    shared through the configured storage; a changed rate applies to the same stored state.
    """
    rate_f = float(rate or 0)
    capacity_f = float(capacity) if capacity is not None else max(1.0, rate_f)
    with _shared_lock:
        bucket = _shared.get(key)
        if bucket is None or (bucket.rate, bucket.capacity) != (rate_f, capacity_f):
            # A rate change keeps the store (and so the shop's spent tokens) of the old bucket.
            store = bucket.store if bucket is not None else _storage.store(key)
            _shared[key] = bucket = TokenBucket(rate, capacity, store=store)
        return bucket
