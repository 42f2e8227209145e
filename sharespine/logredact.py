"""A logging filter that keeps credentials out of log lines, whatever code produced them."""

from __future__ import annotations

import logging
import re

# key=value / "key": "value" pairs whose value must never be written out.
_SECRET_PAIR = re.compile(
    r"""(?P<key>\b(?:password|passwd|secret|api[_-]?key|token|authorization|x-agent-signature)\b["']?\s*[:=]\s*["']?)"""
    r"""(?P<value>[^\s"',}&]+)""",
    re.IGNORECASE,
)
_URL_USERINFO = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/@\s:]+:[^/@\s]+@", re.IGNORECASE)


def redact(text: str) -> str:
    text = _SECRET_PAIR.sub(lambda m: f"{m.group('key')}***", text)
    return _URL_USERINFO.sub(lambda m: f"{m.group('scheme')}***@", text)


class RedactSecretsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
