"""Bank statements: read like the sample (any delimiter/encoding), tick off payouts by reference."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from flows.models import Integration

from .checks import Hold
from .models import AccountPlan, BankLine, Payout, PayoutLine
from .parsing.dates import parse_date
from .parsing.errors import ParseError
from .parsing.table import Table
from .parsing.text import decode, parse_amount, read_rows, sniff_delimiter

ALIASES = {
    "booking_date": ("bokforingsdag", "bokföringsdag", "date", "datum", "transaktionsdag"),
    "text": ("beskrivning", "description", "meddelande"),
    "reference": ("referens", "ref"),
    "amount": ("belopp", "insättning", "amount_sek"),
}


@dataclass
class BankResult:
    lines: int = 0
    new: int = 0
    ticked: list[str] = field(default_factory=list)


def _norm(value: str) -> str:
    return "".join(ch for ch in value.upper() if ch.isalnum())


def import_bank(integration: Integration, name: str, data: bytes) -> BankResult:
    text = decode(data).strip("\r\n ")
    if not text:
        raise ParseError(name, _("the bank file is empty"))
    rows = read_rows(text, sniff_delimiter(text.splitlines()[0]), file=name)
    table = Table.build(
        name, rows[0], list(enumerate(rows[1:], start=2)), ALIASES, ("booking_date", "amount")
    )
    parsed = []
    for number, cells in table.rows:
        if not any(c.strip() for c in cells):
            continue
        booked = parse_date(table.get(cells, "booking_date"), file=name, row=number, column="date")
        if booked is None:  # the line would not save; said, rather than the line silently left out
            raise ParseError(name, _("row %(row)s: the booking date is empty") % {"row": number})
        parsed.append(
            BankLine(
                integration=integration,
                booking_date=booked,
                text=table.get(cells, "text")[:200],
                reference=table.get(cells, "reference")[:100],
                amount=parse_amount(table.get(cells, "amount"), file=name, row=number, column="amount"),
                fingerprint=hashlib.sha256("\x1f".join(cells).encode()).hexdigest(),
            )
        )
    result = BankResult(lines=len(parsed))
    with transaction.atomic():
        for line in parsed:
            try:
                with transaction.atomic():
                    line.save()
                    result.new += 1
            except IntegrityError:
                continue
    result.ticked = tick_off(integration)
    return result


def tick_off(integration: Integration) -> list[str]:
    """Link each unlinked bank line to the payout whose reference it carries; check the amount."""
    payouts = {
        _norm(p.reference): p for p in Payout.objects.filter(integration=integration, bank_line__isnull=True)
    }
    ticked = []
    for line in BankLine.objects.filter(integration=integration, payout__isnull=True):
        key = _norm(line.reference) or None
        payout = payouts.get(key) if key else None
        if payout is None:
            payout = next(
                (p for k, p in payouts.items() if k and k in _norm(line.text + line.reference)), None
            )
        if payout is None:
            continue
        line.payout = payout
        line.save(update_fields=["payout"])
        payout.bank_amount, payout.bank_date = line.amount, line.booking_date
        fields = ["bank_amount", "bank_date"]
        if payout.held_reason == Hold.DUPLICATES_UNDECIDED and payout.currency == "SEK":
            _resolve_duplicates(payout, line.amount)
        # A SEK payout must arrive to the öre; a foreign one arrives converted at the bank's rate.
        if payout.currency == "SEK" and payout.status != Payout.Status.POSTED:
            expected = payout.stated_total if payout.stated_total is not None else payout.lines_total
            if line.amount != expected and not payout.held_reason:
                payout.held_reason, payout.difference = Hold.BANK_MISMATCH, expected - line.amount
                payout.status = Payout.Status.HELD
                fields += ["held_reason", "difference", "status"]
        payout.save(update_fields=fields)
        payouts.pop(_norm(payout.reference), None)
        ticked.append(payout.reference)
    return ticked


def _resolve_duplicates(payout: Payout, amount: Decimal) -> None:
    """No stated total in the file (Svea CSV): the bank amount decides whether duplicates are real."""
    seen: set[str] = set()
    repeats, total = [], Decimal("0.00")
    for line in payout.lines.exclude(match=PayoutLine.Match.DROPPED).order_by("row"):
        key = json.dumps(line.raw, sort_keys=True)
        if key in seen:
            repeats.append(line.pk)
        else:
            seen.add(key)
            total += line.net
    if repeats and total == amount:
        PayoutLine.objects.filter(pk__in=repeats).update(match=PayoutLine.Match.DROPPED, reason="duplicate")
        payout.lines_total, payout.dropped, payout.held_reason = total, len(repeats), ""
        payout.status = Payout.Status.OPEN
        payout.line_count -= len(repeats)
        payout.save(update_fields=["lines_total", "dropped", "held_reason", "status", "line_count"])


def overdue_payouts(integration: Integration, today: dt.date | None = None) -> list[Payout]:
    """Paid out more than the plan's ``bank_days`` ago and not seen in the bank (negative ones never come)."""
    today = today or timezone.localdate()
    days = AccountPlan.for_integration(integration).bank_days
    return list(
        Payout.objects.filter(
            integration=integration, bank_line__isnull=True, payout_date__lt=today - dt.timedelta(days=days),
            lines_total__gt=0,
        ).order_by("payout_date")
    )  # fmt: skip


PSP_NAMES = ("KLARNA", "NETS", "NEXI", "DIBS", "SVEA")


def orphan_bank_lines(integration: Integration) -> list[BankLine]:
    """Bank lines from a PSP that no payout explains."""
    lines = BankLine.objects.filter(integration=integration, payout__isnull=True).order_by("booking_date")
    return [line for line in lines if any(name in line.text.upper() for name in PSP_NAMES)]
