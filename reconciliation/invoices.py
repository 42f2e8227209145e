"""Where a payout line's Visma invoice is found.

1. Our own orders flow made it: the shop order's sync item gives the reference written to Visma
   (with the shop's prefix), and its ExternalRef the document (``invoice:N`` when it was invoiced
   directly).
2. Stand-alone (the shop integration is someone else's): Visma's customer order number = the shop
   order number; an invoice number or an OCR number the PSP carries.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from connectors.visma.ledger import LedgerInvoice
from flows.models import ExternalRef, Integration, JetshopShop, SyncItem
from flows.modes import Flow


class InvoiceSource(Protocol):
    def invoices(
        self, references: Iterable[str] = (), numbers: Iterable[int] = ()
    ) -> list[LedgerInvoice]: ...


def ocr_invoice_number(value: str) -> int | None:
    """An OCR (Bankgirot: number + length digit + Luhn digit) → the invoice number inside it."""
    digits = value.strip()
    if not digits.isdigit() or not 4 <= len(digits) <= 25:
        return None
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    if total % 10 or int(digits[-2]) != len(digits) % 10:
        return None
    return int(digits[:-2])


def invoice_numbers_in(value: str) -> list[int]:
    value = value.strip()
    numbers = []
    if value.isdigit() and len(value) <= 9:
        numbers.append(int(value))
    ocr = ocr_invoice_number(value)
    if ocr is not None and ocr < 10**9:
        numbers.append(ocr)
    return numbers


@dataclass
class Keys:
    """For each shop order number: the Visma references and invoice numbers to look for."""

    references: dict[str, list[str]] = field(default_factory=dict)
    numbers: dict[str, list[int]] = field(default_factory=dict)


def own_keys(integration: Integration, order_refs: set[str]) -> Keys:
    keys = Keys()
    for ref in order_refs:
        keys.references[ref] = [ref]
    prefixes = {p for p in JetshopShop.objects.filter(integration=integration).values_list(
        "order_reference_prefix", flat=True) if p}  # fmt: skip
    if not order_refs:
        return keys
    wanted = {p + ref: ref for ref in order_refs for p in prefixes} | {ref: ref for ref in order_refs}
    items = dict(
        SyncItem.objects.filter(
            integration=integration, flow=Flow.SHOP_ORDERS_TO_VISMA, reference__in=list(wanted)
        ).values_list("source_id", "reference")
    )
    if not items:
        return keys
    for source_id, erp_id in ExternalRef.objects.filter(
        integration=integration, kind=ExternalRef.Kind.ORDER, shop_id__in=list(items)
    ).values_list("shop_id", "erp_id"):
        visma_ref = items[source_id]
        order_ref = wanted[visma_ref]
        if visma_ref not in keys.references[order_ref]:
            keys.references[order_ref].insert(0, visma_ref)
        kind, _, number = erp_id.partition(":")
        if kind == "invoice" and number.isdigit():
            keys.numbers.setdefault(order_ref, []).append(int(number))
    for visma_ref in items.values():  # an order not yet in ExternalRef still has its reference
        order_ref = wanted[visma_ref]
        if visma_ref not in keys.references[order_ref]:
            keys.references[order_ref].insert(0, visma_ref)
    return keys
