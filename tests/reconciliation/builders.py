"""Small payout files built in tests (Klarna SFTP layout: signed amounts, reference in the name)."""

from __future__ import annotations

import uuid
from decimal import Decimal

HEADER = (
    "type,capture_date,order_id,capture_id,merchant_reference1,amount,posting_currency,vat_amount,refund_id"
)


def klarna_file(reference: str, rows: list[tuple], total: Decimal | None = None) -> tuple[str, bytes]:
    """rows: (type, order, signed amount[, fee VAT]); with ``total``, a totals block first."""
    lines = []
    if total is not None:
        lines += ["payment_reference,payout_date,settlement_currency,total_settlement_amount",
                  f"{reference},2025-03-12T06:00:00Z,SEK,{total}", ""]  # fmt: skip
    lines.append(HEADER)
    for row in rows:
        kind, order, amount, *rest = row
        vat = rest[0] if rest else ""
        lines.append(
            f"{kind},2025-03-10T10:00:00Z,{uuid.uuid4()},{uuid.uuid4()},{order},{amount},SEK,{vat},"
            f"{uuid.uuid4() if kind == 'RETURN' else ''}"
        )
    return f"{reference}.20250312T000000+0000.csv", ("\n".join(lines) + "\n").encode()
