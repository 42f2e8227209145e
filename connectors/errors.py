"""The error taxonomy every connector maps its failures onto.

Retries belong to the task layer: a ``TransientError`` may succeed if tried again later
(network trouble, 5xx, 429, an exclusive lock in Visma), a ``PermanentError`` will not
(validation, 4xx, a SOAP ``Sender`` fault) and must park or fail the record with its reason.
"""

from __future__ import annotations


class ConnectorError(Exception):
    """Base class. ``code`` is the remote system's own error code when it has one."""

    transient: bool = False

    def __init__(
        self, message: str, *, code: str | int | None = None, detail: str = "", system: str = ""
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.detail = detail
        # Which outside system failed ("jetshop", "visma"), so the engine can tell an offline
        # agent from a slow shop.
        self.system = system

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}" if self.code not in (None, "") else self.message


class TransientError(ConnectorError):
    """Worth retrying later: the same call may succeed."""

    transient = True


class RateLimited(TransientError):
    """The remote asked us to slow down; ``retry_after`` is in seconds (None when not given)."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class PermanentError(ConnectorError):
    """Will fail again unchanged: needs a human, a mapping or corrected data."""
