"""Import payout files: parse, check, store whole payouts or nothing, once per file and reference."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from flows.models import Integration

from .checks import check_payout
from .models import Payout, PayoutLine, SettlementFile
from .parsing import ParseError, parse_file
from .parsing.records import Kind, ParsedPayout

ALREADY = "already_imported"


@dataclass
class FileResult:
    name: str
    payouts: list[Payout] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # payout references already known
    already_imported: bool = False
    error: str = ""


# Lines that match an invoice; everything else goes straight onto the voucher.
MATCHABLE = {Kind.SALE, Kind.REFUND, Kind.REVERSAL}
BOOKED_REASON = {Kind.FEE: "fee", Kind.HOLDBACK: "holdback", Kind.RELEASE: "holdback", Kind.DEBT: "holdback"}


def import_file(integration: Integration, name: str, data: bytes, *, source: str = "upload") -> FileResult:
    """One file: its payouts stored, or none of them. A ParseError is returned, not raised."""
    result = FileResult(name=name)
    digest = hashlib.sha256(data).hexdigest()
    if SettlementFile.objects.filter(integration=integration, sha256=digest).exists():
        result.already_imported = True
        return result
    try:
        parsed = parse_file(name, data)
    except ParseError as exc:
        result.error = str(exc)
        return result
    try:
        with transaction.atomic():
            file = SettlementFile.objects.create(
                integration=integration,
                name=name[:255],
                sha256=digest,
                size=len(data),
                source_format=parsed[0].source_format,
                source=source,
            )
            for payout in parsed:
                if Payout.objects.filter(
                    integration=integration, provider=payout.provider, reference=payout.reference
                ).exists():
                    result.skipped.append(payout.reference)
                    continue
                result.payouts.append(store_payout(integration, file, payout))
    except IntegrityError:
        # A concurrent import of the same file or payout won the race: nothing of ours was kept.
        result.payouts, result.already_imported = [], True
    return result


def store_payout(integration: Integration, file: SettlementFile | None, parsed: ParsedPayout) -> Payout:
    check = check_payout(parsed)
    kept = {id(line) for line in check.lines}
    payout = Payout.objects.create(
        integration=integration,
        file=file,
        provider=parsed.provider,
        reference=parsed.reference[:100],
        payout_date=parsed.payout_date,
        currency=parsed.currency[:3],
        stated_total=parsed.stated_total,
        naive_total=check.naive_total,
        lines_total=check.lines_total,
        duplicates=check.duplicates,
        dropped=check.dropped,
        status=Payout.Status.HELD if check.held_reason else Payout.Status.OPEN,
        held_reason=check.held_reason,
        difference=check.difference,
        line_count=len(check.lines),
        match_needed=sum(1 for line in check.lines if line.kind in MATCHABLE),
        totals={
            k: v if isinstance(v, str | int | float | bool) or v is None else str(v)
            for k, v in parsed.totals.items()
        },
    )
    rows = []
    for line in parsed.lines:
        dropped = id(line) not in kept
        if dropped:
            match, reason = PayoutLine.Match.DROPPED, "duplicate"
        elif line.kind in MATCHABLE:
            match, reason = PayoutLine.Match.PENDING, ""
        else:
            match, reason = PayoutLine.Match.BOOKED, BOOKED_REASON.get(line.kind, "other")
        rows.append(
            PayoutLine(
                payout=payout,
                row=line.row,
                kind=line.kind,
                psp_type=line.psp_type[:40],
                amount=line.amount,
                fee=line.fee,
                fee_vat=line.fee_vat,
                net=line.net,
                row_id=line.row_id[:100],
                order_ref=line.order_ref[:100],
                invoice_ref=line.invoice_ref[:100],
                psp_order_id=line.psp_order_id[:100],
                date=line.date,
                text=line.text[:200],
                raw={
                    k: (v if isinstance(v, str | int | float | bool) or v is None else str(v))
                    for k, v in line.raw.items()
                },
                match=match,
                reason=reason,
            )
        )
    PayoutLine.objects.bulk_create(rows, batch_size=2000)
    return payout
