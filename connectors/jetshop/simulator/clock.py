"""The simulator's settable clock, in Europe/Stockholm (the shop's wall clock).

Tests freeze it (e.g. just before a DST switch) and step it forward; the demo leaves it running.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from connectors.jetshop.wire import STOCKHOLM


class Clock:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._frozen: datetime | None = None
        self._offset = timedelta(0)

    def now(self) -> datetime:
        with self._lock:
            base = self._frozen if self._frozen is not None else datetime.now(UTC) + self._offset
        return base.astimezone(STOCKHOLM)

    def set(self, when: datetime, *, frozen: bool = True) -> None:
        """Set "now"; a naive ``when`` is Stockholm wall-clock time."""
        if when.tzinfo is None:
            when = when.replace(tzinfo=STOCKHOLM)
        with self._lock:
            if frozen:
                self._frozen, self._offset = when, timedelta(0)
            else:
                self._frozen, self._offset = None, when - datetime.now(UTC)

    def advance(self, seconds: float) -> None:
        # Step in UTC so a step across a DST switch moves the wall clock by an hour more or less.
        with self._lock:
            if self._frozen is not None:
                self._frozen = self._frozen.astimezone(UTC) + timedelta(seconds=seconds)
            else:
                self._offset += timedelta(seconds=seconds)

    def reset(self) -> None:
        with self._lock:
            self._frozen, self._offset = None, timedelta(0)

    def describe(self) -> dict:
        now = self.now()
        return {
            "now": now.isoformat(),
            "utc_offset": str(now.utcoffset()),
            "frozen": self._frozen is not None,
        }
