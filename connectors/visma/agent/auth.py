"""Verify the request signature (wire contract in ``connectors/visma/signing.py``).

Every refusal is a 401 raised before any handler runs, so a refused request changes nothing.
Reasons are logged but not returned: the caller learns only that it was refused.
"""

from __future__ import annotations

import heapq
import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import Protocol

from connectors.visma import signing

log = logging.getLogger("connectors.visma.agent.auth")
# ASCII digits only: str.isdigit() also takes "²" or "¹²³", which int() then refuses (a 500).
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


class Unauthorized(Exception):
    pass


class SeenStore(Protocol):
    """Where accepted signatures are remembered until their timestamp leaves the window."""

    def first_time(self, signature: str, forget_after: int, now: float) -> bool: ...

    def count(self, now: float) -> int: ...


class MemorySeen:
    """In memory: for tests and tools. The agent itself uses ``state.SeenSignatures``, which
    survives a restart."""

    def __init__(self) -> None:
        # A heap of (forget-after, signature) so pruning costs O(log n) per request instead of a
        # sweep over everything seen in the last 10 minutes.
        self._seen: set[str] = set()
        self._expiry: list[tuple[int, str]] = []
        self._lock = threading.Lock()

    def first_time(self, signature: str, forget_after: int, now: float) -> bool:
        with self._lock:
            while self._expiry and self._expiry[0][0] < now:
                self._seen.discard(heapq.heappop(self._expiry)[1])
            if signature in self._seen:
                return False
            self._seen.add(signature)
            heapq.heappush(self._expiry, (forget_after, signature))
            return True

    def count(self, now: float) -> int:
        with self._lock:
            return len(self._seen)


class Authenticator:
    def __init__(
        self,
        keys: Mapping[str, str],
        *,
        seen: SeenStore | None = None,
        max_skew: int = signing.MAX_SKEW_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.keys = dict(keys)
        self.seen = seen if seen is not None else MemorySeen()
        self.max_skew = max_skew
        self.clock = clock

    def verify(self, method: str, path_with_query: str, headers: Mapping[str, str], body: bytes) -> str:
        """Return the key id, or raise Unauthorized."""
        key_id = headers.get(signing.KEY_HEADER, "")
        stamp = headers.get(signing.TIMESTAMP_HEADER, "")
        given = headers.get(signing.SIGNATURE_HEADER, "").strip()
        secret = self.keys.get(key_id)
        if not key_id or secret is None:
            raise self._refuse("unknown key id")
        if not _TIMESTAMP.fullmatch(stamp):
            raise self._refuse("missing or malformed timestamp")
        now = self.clock()
        if abs(now - int(stamp)) > self.max_skew:
            raise self._refuse(f"timestamp outside ±{self.max_skew} s")
        expected = signing.signature(secret, method, path_with_query, stamp, body)
        if not signing.signatures_match(expected, given):
            raise self._refuse("bad signature")
        # Remembered until its timestamp leaves the window: a replay after that fails on the clock.
        if not self.seen.first_time(expected, int(stamp) + self.max_skew + 1, now):
            raise self._refuse("replayed signature")
        return key_id

    @property
    def remembered(self) -> int:
        """How many signatures are held for replay detection (bounded by the window)."""
        return self.seen.count(self.clock())

    @staticmethod
    def _refuse(reason: str) -> Unauthorized:
        log.warning("refused request: %s", reason)
        return Unauthorized(reason)
