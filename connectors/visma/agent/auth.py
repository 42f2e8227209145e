"""Verify the request signature (wire contract in ``connectors/visma/signing.py``).

Every refusal is a 401 raised before any handler runs, so a refused request changes nothing.
Reasons are logged but not returned: the caller learns only that it was refused.
"""

from __future__ import annotations

import heapq
import logging
import threading
import time
from collections.abc import Callable, Mapping

from connectors.visma import signing

log = logging.getLogger("connectors.visma.agent.auth")


class Unauthorized(Exception):
    pass


class Authenticator:
    def __init__(
        self,
        keys: Mapping[str, str],
        *,
        max_skew: int = signing.MAX_SKEW_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.keys = dict(keys)
        self.max_skew = max_skew
        self.clock = clock
        # Signatures accepted within the window, and a heap of (forget-after, signature) so pruning
        # costs O(log n) per request instead of a sweep over everything seen in the last 10 minutes.
        self._seen: set[str] = set()
        self._expiry: list[tuple[int, str]] = []
        self._lock = threading.Lock()

    def verify(self, method: str, path_with_query: str, headers: Mapping[str, str], body: bytes) -> str:
        """Return the key id, or raise Unauthorized."""
        key_id = headers.get(signing.KEY_HEADER, "")
        stamp = headers.get(signing.TIMESTAMP_HEADER, "")
        given = headers.get(signing.SIGNATURE_HEADER, "").strip()
        secret = self.keys.get(key_id)
        if not key_id or secret is None:
            raise self._refuse("unknown key id")
        if not stamp.isdigit() or len(stamp) > 12:
            raise self._refuse("missing or malformed timestamp")
        now = self.clock()
        if abs(now - int(stamp)) > self.max_skew:
            raise self._refuse(f"timestamp outside ±{self.max_skew} s")
        expected = signing.signature(secret, method, path_with_query, stamp, body)
        if not signing.signatures_match(expected, given):
            raise self._refuse("bad signature")
        with self._lock:
            # Forget signatures whose timestamps have left the window: a replay of one of those
            # is refused by the skew check anyway.
            while self._expiry and self._expiry[0][0] < now:
                self._seen.discard(heapq.heappop(self._expiry)[1])
            if expected in self._seen:
                raise self._refuse("replayed signature")
            self._seen.add(expected)
            heapq.heappush(self._expiry, (int(stamp) + self.max_skew + 1, expected))
        return key_id

    @property
    def remembered(self) -> int:
        """How many signatures are held for replay detection (bounded by the window)."""
        with self._lock:
            return len(self._seen)

    @staticmethod
    def _refuse(reason: str) -> Unauthorized:
        log.warning("refused request: %s", reason)
        return Unauthorized(reason)
