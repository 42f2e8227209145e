from __future__ import annotations

import datetime as dt
import re

from django.utils.translation import gettext as _

from .errors import ParseError

_FORMATS = ("%Y-%m-%d", "%Y%m%d", "%d.%m.%Y", "%d/%m/%Y", "%Y/%m/%d")


def parse_date(value: str, *, file: str, row: int, column: str) -> dt.date | None:
    """ISO dates and date-times (the date part), and the common European forms."""
    value = (value or "").strip()
    if not value:
        return None
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})", value)
    if m:
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            pass
    else:
        head = value.split()[0]
        for fmt in _FORMATS:
            try:
                return dt.datetime.strptime(head, fmt).date()
            except ValueError:
                continue
    raise ParseError(
        file,
        _("row %(row)s, column %(column)s: %(value)s is not a date")
        % {"row": row, "column": column, "value": repr(value)},
    )
