"""Log output that keeps credentials out, whatever code produced the line.

Redaction works on the formatted text, so messages, their arguments and tracebacks (an exception
message may quote a URL or a request body) are all covered.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from zoneinfo import ZoneInfo

# key=value / "key": "value" pairs whose value must never be written out.
_SECRET_PAIR = re.compile(
    r"""(?P<key>\b(?:password|passwd|secret|api[_-]?key|token|authorization|x-agent-signature)\b["']?\s*[:=]\s*["']?)"""
    r"""(?P<value>[^\s"',}&]+)""",
    re.IGNORECASE,
)
# Any user info before the host: user:password, :password (Redis) or a lone token.
_URL_USERINFO = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/@\s]+@", re.IGNORECASE)


def redact(text: str) -> str:
    text = _SECRET_PAIR.sub(lambda m: f"{m.group('key')}***", text)
    return _URL_USERINFO.sub(lambda m: f"{m.group('scheme')}***@", text)


class RedactingFormatter(logging.Formatter):
    """Also writes every time in one zone, named (``2026-12-02 18:04:33,988 CET``): a process that
    logs before Django set the TZ variable would otherwise write UTC among Stockholm times."""

    def __init__(self, *args, zone: str = "Europe/Stockholm", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.zone = ZoneInfo(zone)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        at = datetime.fromtimestamp(record.created, self.zone)
        return at.strftime(datefmt) if datefmt else f"{at:%Y-%m-%d %H:%M:%S},{int(record.msecs):03d} {at:%Z}"

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class NoTracebackForRefusals(logging.Filter):
    """A refused page (403) is an ordinary answer, not a fault: its warning stays, without the
    traceback Django attaches to it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True
