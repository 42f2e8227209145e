"""Texts translated when they are read, not when they are written: the run log.

A run is written by a worker (in the site's language) and read by a consultant in English or a
support person in Swedish, so a log line is kept as its English message and arguments and put
into the reader's language when a page shows it. Call sites write ``later.gettext(msgid, **args)``
or ``later.ngettext(singular, plural, count, **args)``: the names are the ones makemessages looks
for, so the messages land in the catalogue like any other.

The stored form is one JSON object per line (``{"at": "12:00:00", "m": msgid, "a": {...}}``).
Lines written before (plain text in the language of the day) stay as they are and are shown as
they were written.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils import translation
from django.utils.translation import gettext_noop

Argument = Any  # str, int, Decimal, a Text, or a list of these (shown joined with ", ")


@dataclass(frozen=True)
class Text:
    """A message and its arguments, in no language yet; ``str()`` gives the active language."""

    msgid: str
    args: Mapping[str, Argument] = field(default_factory=dict)
    plural: str = ""
    count: int | None = None

    def __str__(self) -> str:
        if self.plural:
            template = translation.ngettext(self.msgid, self.plural, self.count or 0)
        else:
            template = translation.gettext(self.msgid)
        if not self.args:
            return template
        return template % {name: _shown(value) for name, value in self.args.items()}

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"m": self.msgid}
        if self.plural:
            data["p"], data["n"] = self.plural, self.count
        if self.args:
            data["a"] = {name: _stored(value) for name, value in self.args.items()}
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Text:
        args = {name: _loaded(value) for name, value in (data.get("a") or {}).items()}
        return cls(str(data["m"]), args, str(data.get("p", "")), data.get("n"))


def gettext(msgid: str, /, **args: Argument) -> Text:
    return Text(msgid, args)


def ngettext(singular: str, plural: str, number: int, /, **args: Argument) -> Text:
    """``number`` picks the plural form; ``args`` fill the message (often ``count=number``)."""
    return Text(singular, args, plural, number)


def _shown(value: Argument) -> Any:
    if isinstance(value, Text):
        return str(value)
    if isinstance(value, list | tuple):
        return ", ".join(str(_shown(v)) for v in value)
    return value


def _stored(value: Argument) -> Any:
    if isinstance(value, Text):
        return value.to_json()
    if isinstance(value, list | tuple):
        return [_stored(v) for v in value]
    if isinstance(value, int | float | bool) or value is None:
        return value
    return str(value)  # Decimal, exceptions, model instances: as their text


def _loaded(value: Any) -> Any:
    if isinstance(value, dict) and "m" in value:
        return Text.from_json(value)
    if isinstance(value, list):
        return [_loaded(v) for v in value]
    return value


def stored(text: Text) -> str:
    """``text`` as one string to keep in a text or JSON field (a parked item's reason value)."""
    return json.dumps(text.to_json(), ensure_ascii=False, sort_keys=True)


def shown(value: str) -> str:
    """A value ``stored`` earlier, in the active language; any other string as it is."""
    if value.startswith("{"):
        try:
            return str(Text.from_json(json.loads(value)))
        except (ValueError, KeyError, TypeError):
            pass
    return value


# --- the run log ----------------------------------------------------------------------------------


def log_line(stamp: str, message: str | Text) -> str:
    """One stored line: plain text stays plain (with its time first), a ``Text`` becomes JSON."""
    if isinstance(message, Text):
        return json.dumps({"at": stamp, **message.to_json()}, ensure_ascii=False)
    return f"{stamp} {message}"


def read_log(log: str) -> list[str]:
    """A run's log, line by line, in the active language."""
    return [_read_line(line) for line in log.splitlines() if line.strip()]


def _read_line(line: str) -> str:
    if line.startswith("{"):
        try:
            data = json.loads(line)
            return f"{data.get('at', '')} {Text.from_json(data)}".strip()
        except (ValueError, KeyError, TypeError):
            pass  # a plain line that happens to start with a brace
    return line


def errors(log: str) -> list[str]:
    """What went wrong in a run (its "error: …" lines), in the active language; empty for a run
    logged before messages were kept, whose ``SyncRun.error`` says it in the language of the day."""
    found = []
    for line in log.splitlines():
        if not line.startswith("{"):
            continue
        try:
            text = Text.from_json(json.loads(line))
        except (ValueError, KeyError, TypeError):
            continue
        if text.msgid == ERROR:
            found.append(str(_shown(text.args.get("message", ""))))
    return found


ERROR = gettext_noop("error: %(message)s")  # run_error's line (bookkeeping), as errors() finds it
