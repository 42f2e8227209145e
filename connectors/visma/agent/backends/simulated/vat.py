"""Row amounts, VAT per code, totals and öresavrundning, as Visma computes them for a document.

Everything is Decimal; the simulator stores the results as doubles rounded to two decimals like the
real ``ADK_OOI_HEAD_*`` fields. Assumptions marked [U] in the reference are parameters here:
freight and dispatch fee follow the document's incl./excl. VAT flag, and the total is rounded to
whole kronor (``rounding_unit``; Decimal("0.01") turns öresavrundning off).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
VAT_CODES = ("0", "1", "2", "3", "4")


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def row_amount(
    quantity: Decimal, price: Decimal, discount: Decimal = Decimal(0), amount_discount: bool = False
) -> Decimal:
    """Row sum: quantity × price less a percent discount (or an amount, with the amount flag)."""
    gross = quantity * price
    if amount_discount:
        return money(gross - discount)
    return money(gross * (Decimal(100) - discount) / Decimal(100))


@dataclass
class Totals:
    basis: dict[str, Decimal] = field(default_factory=dict)  # VAT code → amount excl. VAT
    vat: dict[str, Decimal] = field(default_factory=dict)  # VAT code → VAT amount
    excluding_vat: Decimal = Decimal(0)
    vat_amount: Decimal = Decimal(0)
    round_off: Decimal = Decimal(0)
    total: Decimal = Decimal(0)


def totals(
    amounts: list[tuple[Decimal, str]],
    rates: dict[str, Decimal],
    *,
    including_vat: bool,
    rounding_unit: Decimal = Decimal(1),
) -> Totals:
    """Totals of (amount, VAT code) pairs: rows, freight and dispatch fee alike.

    VAT is computed once per code on the summed amounts (not per row), which is how the document
    form shows it and avoids öre differences adding up over many rows.
    """
    sums: dict[str, Decimal] = {}
    for amount, code in amounts:
        sums[code] = sums.get(code, Decimal(0)) + amount
    result = Totals()
    for code, amount in sorted(sums.items()):
        rate = rates.get(code, Decimal(0)) if code != "0" else Decimal(0)
        if including_vat:
            vat = money(amount * rate / (Decimal(100) + rate))
            basis = amount - vat
        else:
            vat = money(amount * rate / Decimal(100))
            basis = amount
        result.basis[code] = basis
        result.vat[code] = vat
    result.excluding_vat = sum(result.basis.values(), Decimal(0))
    result.vat_amount = sum(result.vat.values(), Decimal(0))
    exact = result.excluding_vat + result.vat_amount
    rounded = (exact / rounding_unit).quantize(Decimal(1), rounding=ROUND_HALF_UP) * rounding_unit
    result.total = money(rounded)
    result.round_off = money(rounded - exact)
    return result
