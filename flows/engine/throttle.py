"""A shop that answered 429 is left alone until its Retry-After has passed, by every worker process.

The client raises ``RateLimited`` with the shop's ``Retry-After``; this keeps the wait in the shared
cache so that the next poll, and the next order's status change, do not knock again too early.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.cache import cache

from connectors.errors import RateLimited

# Without a Retry-After, wait this long before the shop is called again.
DEFAULT_WAIT_SECONDS = 30.0


def _key(name: str) -> str:
    return f"throttle:{name}"


def remaining(name: str) -> float:
    until = cache.get(_key(name))
    return max(0.0, until - time.time()) if until else 0.0


@contextmanager
def respect(name: str) -> Iterator[None]:
    """Refuse to call while a wait is pending; remember the wait a 429 asks for."""
    wait = remaining(name)
    if wait:
        raise RateLimited(f"{name} asked us to wait; {wait:.0f} s left", retry_after=wait)
    try:
        yield
    except RateLimited as exc:
        seconds = exc.retry_after if exc.retry_after is not None else DEFAULT_WAIT_SECONDS
        cache.set(_key(name), time.time() + seconds, timeout=max(1, int(seconds) + 1))
        raise
