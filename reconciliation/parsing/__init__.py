"""Payout files → canonical payouts. The format is detected from the content, never the name.

``parse_file(name, data)`` returns the payouts in the file or raises ParseError naming the file and
the problem; it never returns half a file.
"""

from __future__ import annotations

import json

from django.utils.translation import gettext as _

from . import klarna, nets, svea
from .errors import ParseError
from .records import Kind, ParsedLine, ParsedPayout
from .text import decode, norm_header, read_rows, sniff_delimiter

KNOWN_FORMATS = (
    "Klarna settlement CSV (with or without totals block, incl. SFTP files)",
    "Nets Easy payout JSON (Reporting API)",
    "Nets portal CSV (PayoutDetails)",
    "Svea reconciliation report JSON",
    "Svea report CSV",
)
MAX_BYTES = 200 * 1024 * 1024  # a payout of 50,000 lines is ~15 MB; anything far beyond is not a payout


def _unknown(name: str, what: str) -> ParseError:
    return ParseError(
        name,
        _("%(problem)s; known formats: %(formats)s") % {"problem": what, "formats": "; ".join(KNOWN_FORMATS)},
    )


def parse_file(name: str, data: bytes) -> list[ParsedPayout]:
    if len(data) > MAX_BYTES:
        raise ParseError(name, _("file is larger than %(mb)s MB") % {"mb": MAX_BYTES // (1024 * 1024)})
    text = decode(data)
    # Only line ends are trimmed: trailing tabs are the empty last cells of a tab-separated row.
    stripped = text.strip("\r\n ")
    if not stripped.strip():
        raise _unknown(name, _("the file is empty"))
    if stripped[0] in "{[":
        try:
            doc = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise _unknown(
                name,
                _("not valid JSON (%(error)s at line %(line)s); the file may be truncated")
                % {"error": exc.msg, "line": exc.lineno},
            ) from None
        if isinstance(doc, dict) and "clientReports" in doc:
            payouts = svea.parse_json(doc, file=name)
        elif isinstance(doc, dict) and ("paymentActions" in doc or "payouts" in doc):
            payouts = nets.parse_json(doc, file=name)
        else:
            raise _unknown(name, _("JSON of an unknown shape"))
    else:
        first_line = stripped.splitlines()[0]
        delimiter = sniff_delimiter(first_line)
        rows = read_rows(stripped, delimiter, file=name)
        headers = [{norm_header(c) for c in cells} for cells in rows[:1]]
        # Klarna's transaction header may follow its totals block: look at every section header.
        after_blank = [
            set(map(norm_header, rows[i + 1]))
            for i, r in enumerate(rows[:-1])
            if not any(c.strip() for c in r)
        ]
        candidates = headers + after_blank
        if any(klarna.looks_like(h) for h in candidates):
            payouts = klarna.parse_csv(rows, file=name)
        elif nets.looks_like(headers[0]):
            payouts = nets.parse_csv(rows, file=name)
        elif svea.looks_like(headers[0]):
            payouts = svea.parse_csv(rows, file=name)
        else:
            raise _unknown(name, _("not a payout file this service knows"))
    for payout in payouts:
        if not payout.lines:
            raise _unknown(
                name, _("payout %(ref)s has no lines; the file may be truncated") % {"ref": payout.reference}
            )
    return payouts


__all__ = ["KNOWN_FORMATS", "Kind", "ParseError", "ParsedLine", "ParsedPayout", "parse_file"]
