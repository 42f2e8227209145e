"""What the admin, the command line and the tasks call: import, match, post, export, one payout report."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

from django.utils import timezone

from connectors.visma.client import VismaClient
from connectors.visma.ledger_client import LedgerClient
from flows.models import Integration

from .currency import vouchers_in_sek
from .importing import FileResult, import_file
from .matching import MatchSummary, match_integration
from .models import Payout, PayoutLine
from .posting import sie_vouchers
from .reasons import held_text, line_text
from .sie import write_sie


def ledger_for(integration: Integration) -> LedgerClient | None:
    """The agent's ledger client, or None for an integration without a Visma agent configured.

    Built from the ``VismaAgent`` row itself, not through the flows' connection cache: the
    reconciliation app depends on the configuration models only.
    """
    from flows.models import VismaAgent

    try:
        agent = integration.agent
    except VismaAgent.DoesNotExist:
        return None
    return LedgerClient(VismaClient(agent.agent_url, agent.key_id, agent.secret.reveal()))


def match(integration: Integration, payouts: list[Payout] | None = None, ledger=None) -> MatchSummary:
    ledger = ledger or ledger_for(integration)
    if ledger is None:
        return MatchSummary(error="no Visma agent configured for this integration")
    return match_integration(integration, ledger, payouts)


def import_files(
    integration: Integration, files: list[tuple[str, bytes]], *, source: str = "upload", ledger=None
):
    """Import every file (a bad one does not stop the others), then match what came in."""
    results: list[FileResult] = [import_file(integration, name, data, source=source) for name, data in files]
    new = [p for r in results for p in r.payouts]
    if new:
        match(integration, new, ledger)
    return results


@dataclass
class PayoutReport:
    id: int
    provider: str
    reference: str
    currency: str
    total: str
    lines: int
    duplicates: int
    balanced: bool
    held_reason: str
    matched: int
    status: str
    date: str = ""
    unmatched: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def report(payout: Payout) -> PayoutReport:
    payout.refresh_from_db()
    total = payout.stated_total if payout.stated_total is not None else payout.lines_total
    open_lines = payout.lines.filter(
        match__in=[PayoutLine.Match.PENDING, PayoutLine.Match.WAITING, PayoutLine.Match.HELD]
    ).order_by("row")
    return PayoutReport(
        id=payout.pk,
        provider=payout.provider,
        reference=payout.reference,
        currency=payout.currency,
        total=f"{total:.2f}",
        lines=payout.line_count,
        duplicates=payout.duplicates,
        balanced=not payout.held_reason,
        held_reason=held_text(payout.held_reason) if payout.held_reason else "",
        matched=payout.matched_count,
        status=payout.status,
        date=payout.payout_date.isoformat() if payout.payout_date else "",
        unmatched=[
            {
                "line": line.row,
                "order": line.order_ref,
                "amount": f"{line.amount:.2f}",
                "code": line.reason or line.match,
                "reason": line_text(line.reason or line.match),
            }
            for line in open_lines
        ],
    )


def sie_for(payouts: list[Payout], *, generated: dt.date | None = None, **options) -> bytes:
    integration = payouts[0].integration
    vouchers = []
    for payout in payouts:
        # SIE amounts are kronor: a foreign payout is converted at the bank's rate (currency.py).
        vouchers += vouchers_in_sek(payout) if payout.currency != "SEK" else sie_vouchers([payout])
    customer = integration.customer
    return write_sie(
        vouchers,
        company=customer.name,
        org_number=customer.org_number,
        generated=generated or timezone.localdate(),
        **options,
    )
