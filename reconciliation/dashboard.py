"""The merchant dashboard's payouts section: recent payouts and what is not matched, in plain words."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from flows.models import Integration

from .bank import orphan_bank_lines, overdue_payouts
from .close import summary
from .models import Payout, PayoutLine
from .reasons import held_text, line_text

RECENT = 20
OPEN_LINES = 50


@dataclass
class OpenLine:
    payout: Payout
    line: PayoutLine
    why: str


def payouts_section(integration: Integration) -> dict | None:
    if not integration.reconciliation_enabled:
        return None
    payouts = list(Payout.objects.filter(integration=integration).order_by("-payout_date", "-pk")[:RECENT])
    lines = (
        PayoutLine.objects.filter(
            payout__integration=integration,
            match__in=[PayoutLine.Match.WAITING, PayoutLine.Match.HELD],
        )
        .exclude(payout__status=Payout.Status.POSTED)
        .select_related("payout")
        .order_by("-payout__payout_date", "row")
    )
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    return {
        "close": summary(integration, yesterday),
        "overdue": overdue_payouts(integration),
        "orphans": orphan_bank_lines(integration),
        "payouts": [(p, held_text(p.held_reason) if p.held_reason else "") for p in payouts],
        "open_lines": [OpenLine(line.payout, line, line_text(line.reason)) for line in lines[:OPEN_LINES]],
        "open_count": lines.count(),
    }
