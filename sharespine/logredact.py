"""Log output that keeps credentials out, whatever code produced the line.

Redaction works on the formatted text, so messages, their arguments and tracebacks (an exception
message may quote a URL or a request body) are all covered.
"""

from __future__ import annotations

import logging
import re

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
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))
