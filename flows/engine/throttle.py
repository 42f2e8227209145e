"""A shop that answered 429 is left alone until its Retry-After has passed, by every worker process.

The client raises ``RateLimited`` with the shop's ``Retry-After``; this keeps the wait in the shared
cache so that the next poll, and the next order's status change, do not knock again too early.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
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
def respect(name: str, *, read_clear: bool = False) -> Iterator[None]:
    """Refuse to call while a wait is pending; remember the wait a 429 asks for.

    ``read_clear``: the caller read the wait a moment ago and there was none (``Checked``)."""
    wait = 0.0 if read_clear else remaining(name)
    if wait:
        raise RateLimited(f"{name} asked us to wait; {wait:.0f} s left", retry_after=wait)
    try:
        yield
    except RateLimited as exc:
        seconds = exc.retry_after if exc.retry_after is not None else DEFAULT_WAIT_SECONDS
        cache.set(_key(name), time.time() + seconds, timeout=max(1, int(seconds) + 1))
        raise


class Checked:
    """The waits of several names read together (the shops of a run's chunk of items): one cache
    read for the chunk instead of one per call.

    A name found clear is called without reading again for the rest of the chunk (a few seconds
    at most). A 429 met meanwhile is remembered as ever, and the name is read again from then on;
    a wait another process stored meanwhile costs one call that the shop answers with 429 itself.
    Names not read here are read at each call, as ``respect`` does."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        names = set(names)
        until = cache.get_many([_key(name) for name in names]) if names else {}
        now = time.time()
        self.clear = {name for name in names if not (until.get(_key(name)) or 0) > now}

    @contextmanager
    def respect(self, name: str) -> Iterator[None]:
        try:
            with respect(name, read_clear=name in self.clear):
                yield
        except RateLimited:
            self.clear.discard(name)
            raise
