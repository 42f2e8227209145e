"""Typed records of the Klarna Settlements API (``/settlements/v1``). Amounts are integers in öre."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class KlarnaPayout:
    payment_reference: str
    payout_date: str  # ISO 8601 date-time, UTC: when Klarna initiated the payout
    currency_code: str
    merchant_settlement_type: str
    totals: dict[str, int]  # sale_amount, fee_amount, …, settlement_amount (minor units)
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> KlarnaPayout:
        totals = data.get("totals") or {}
        return cls(
            payment_reference=str(data["payment_reference"]),
            payout_date=str(data.get("payout_date") or ""),
            currency_code=str(data.get("currency_code") or "SEK"),
            merchant_settlement_type=str(data.get("merchant_settlement_type") or ""),
            totals={k: int(v) for k, v in totals.items() if isinstance(v, int) and not isinstance(v, bool)},
            raw=data,
        )


@dataclass(frozen=True)
class KlarnaTransaction:
    """One transaction row; ``raw`` keeps every field the API sent (names as in the API)."""

    type: str
    amount: int
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> KlarnaTransaction:
        amount = data.get("amount")
        if not isinstance(amount, int) or isinstance(amount, bool):
            raise ValueError(f"transaction amount {amount!r} is not a whole number of öre")
        return cls(type=str(data.get("type") or ""), amount=amount, raw=data)
