"""A shop order as a Visma document: pure mapping, no I/O, no ORM (table-tested).

Rules (DESIGN.md, peers-and-lessons.md C5):

* A private person's order is written including VAT, with the prices the shop showed; a company's
  (a company name on the bill-to) excluding VAT, unit prices converted and rounded to the öre,
  because Visma keeps two decimals.
* One row per article (a variant is its own article number); the VAT code comes from the shop's VAT
  fraction through the company's VAT codes, so the document has the VAT the customer paid.
* Freight goes to the freight field, a fee to the dispatch-fee field, each with its VAT code. An
  order-level discount is split over the VAT rates in proportion to their amounts.
* Before anything is written the totals are compared per VAT rate. A difference that rounding
  explains becomes an explicit öre row (VAT-free, so it moves no VAT); anything else raises a
  ``MappingError`` with a breakdown a consultant can read.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal

from connectors.jetshop.records import Address, Order
from connectors.visma import bounds
from connectors.visma import protocol as P
from flows.engine import MappingError

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
# Each line (row, freight, fee) may move by half an öre per unit when a price is converted and
# rounded, and by one öre when the shop itself rounded its header: beyond this, it is not rounding.
ORE_PER_LINE = Decimal("0.01")
ORE_PER_UNIT = Decimal("0.005")
ROUNDING_ROW_TEXT = "Öresutjämning"


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def percent(fraction: Decimal) -> Decimal:
    """Jetshop's VAT fraction (0.25000000) as Visma's percent (25)."""
    return (fraction * HUNDRED).normalize()


@dataclass(frozen=True)
class Lookups:
    """What the mapping needs to know about the configuration and the Visma company."""

    vat_codes: dict[Decimal, str]  # rate in percent → Visma VAT code
    payment_codes: dict[str, str] = field(default_factory=dict)  # shop payment method → terms code
    delivery_codes: dict[str, str] = field(default_factory=dict)  # shop delivery method → way code


@dataclass(frozen=True)
class Routing:
    """The channel's part: defaults for the codes, and the printed order text."""

    channel: str = ""
    order_text: str = ""
    terms_of_payment: str = ""
    way_of_delivery: str = ""


@dataclass
class Line:
    """One amount of the order at one VAT rate, as the shop has it (incl. VAT) and as Visma will."""

    label: str
    rate: Decimal
    shop_inc_vat: Decimal
    units: Decimal = Decimal(1)


@dataclass
class Mapped:
    document: P.DocumentInput
    breakdown: list[dict[str, str]]
    rounding: Decimal
    warnings: list[str] = field(default_factory=list)
    # What rules and plugins changed, in their order (``flows.plugins.host``), for the journey.
    trail: list[dict] = field(default_factory=list)
    # The Visma customer to create, as the rules left it (None: the order's customer exists).
    new_customer: P.CustomerInput | None = None


def is_company(order: Order) -> bool:
    return bool(order.bill_to.company.strip())


def customer_name(address: Address) -> str:
    person = f"{address.first_name} {address.last_name}".strip()
    return address.company.strip() or person


def writable_name(*names: str) -> str:
    """The first of ``names`` Visma can hold: a name in a script Windows-1252 lacks (日本語テスト)
    would be refused, so the order's e-mail address, or its number, names the buyer instead."""
    for name in names:
        if name and not bounds.customer_problems(P.CustomerInput(name=name)):
            return name
    return names[-1]


def visma_name(address: Address, order: Order) -> str:
    return writable_name(customer_name(address), order.email, f"Jetshop {order.order_number}")


def vat_code(rate_fraction: Decimal, lookups: Lookups, what: str) -> str:
    rate = percent(rate_fraction)
    code = lookups.vat_codes.get(rate)
    if code is None:
        raise MappingError(
            f"{what}: VAT {rate} % has no VAT code in this Visma company "
            f"(it has {', '.join(f'{r} %' for r in sorted(lookups.vat_codes)) or 'none'})",
            reason="needs_mapping",
            detail={"kind": "vat", "value": str(rate)},
        )
    return code


def method_code(kind: str, value: str, table: dict[str, str], default: str) -> str | None:
    if value in table:
        return table[value]
    if default:
        return default
    if not value:
        return None
    raise MappingError(
        f"{kind} method {value!r} has no Visma code: add a method mapping (or a channel default)",
        reason="needs_mapping",
        detail={"kind": kind, "value": value},
    )


def split_discount(discount: Decimal, amounts: dict[Decimal, Decimal]) -> dict[Decimal, Decimal]:
    """An order-level discount over the VAT rates in proportion to their amounts, to the öre."""
    total = sum(amounts.values(), Decimal(0))
    if not discount or not total:
        return {}
    parts = {rate: money(discount * amount / total) for rate, amount in amounts.items() if amount}
    # The rounding remainder goes to the largest rate's part, so the parts add up exactly.
    largest = max(parts, key=lambda rate: amounts[rate])
    parts[largest] += discount - sum(parts.values(), Decimal(0))
    return parts


@dataclass
class Draft:
    """The document before its totals are checked: the point where rules and plugins change it."""

    document: P.DocumentInput
    lines: list[Line]  # the shop's amounts, per VAT rate, that the document must add up to
    warnings: list[str] = field(default_factory=list)


def map_order(
    order: Order,
    *,
    kind: str,
    reference: str,
    customer_number: str,
    lookups: Lookups,
    routing: Routing = Routing(),
) -> Mapped:
    draft = draft_order(order, kind=kind, reference=reference, customer_number=customer_number,
                        lookups=lookups, routing=routing)  # fmt: skip
    return finish_order(order, draft, draft.document, lookups)


def draft_order(
    order: Order,
    *,
    kind: str,
    reference: str,
    customer_number: str,
    lookups: Lookups,
    routing: Routing = Routing(),
) -> Draft:
    including_vat = not is_company(order)

    def price(amount_inc_vat: Decimal, rate: Decimal) -> Decimal:
        return money(amount_inc_vat if including_vat else amount_inc_vat / (1 + rate))

    rows: list[P.DocumentRowInput] = []
    lines: list[Line] = []
    if not order.rows:
        raise MappingError("the order has no rows", reason="invalid_order")
    for number, row in enumerate(order.rows, start=1):
        label = f"row {number} ({row.article_number or row.name})"
        if row.quantity <= 0:
            raise MappingError(
                f"{label}: quantity {row.quantity} — a Visma order row needs a positive quantity",
                reason="invalid_quantity",
                detail={"row": number, "quantity": str(row.quantity)},
            )
        if not row.article_number:
            raise MappingError(f"{label}: no article number", reason="needs_mapping",
                               detail={"kind": "article", "value": ""})  # fmt: skip
        code = vat_code(row.vat, lookups, label)
        unit = price(row.unit_price_inc_vat, row.vat)
        discount = price(row.discount_inc_vat, row.vat) if row.discount_inc_vat else None
        rows.append(
            P.DocumentRowInput(
                article_number=row.article_number,
                quantity=row.quantity,
                price=unit,
                discount_amount=discount,
                vat_code=code,
            )
        )
        gross = row.quantity * row.unit_price_inc_vat - row.discount_inc_vat
        lines.append(Line(label, row.vat, gross, units=row.quantity))

    order_discount = order.discount_inc_vat
    by_rate: dict[Decimal, Decimal] = defaultdict(Decimal)
    for line in lines:
        by_rate[line.rate] += line.shop_inc_vat
    for rate, part in sorted(split_discount(order_discount, by_rate).items()):
        code = vat_code(rate, lookups, "order discount")
        amount = price(part, rate)
        rows.append(
            P.DocumentRowInput(quantity=Decimal(1), text=f"Rabatt {percent(rate)} % moms", price=-amount,
                               vat_code=code)
        )  # fmt: skip
        lines.append(Line(f"discount {percent(rate)} %", rate, -part))

    freight = freight_code = None
    if order.freight_inc_vat:
        freight_code = vat_code(order.freight_vat, lookups, "freight")
        freight = price(order.freight_inc_vat, order.freight_vat)
        lines.append(Line("freight", order.freight_vat, order.freight_inc_vat))
    fee = fee_code = None
    if order.fee_inc_vat:
        fee_code = vat_code(order.fee_vat, lookups, "fee")
        fee = price(order.fee_inc_vat, order.fee_vat)
        lines.append(Line("fee", order.fee_vat, order.fee_inc_vat))

    bill, ship = order.bill_to, order.ship_to
    document = P.DocumentInput(
        kind=kind,
        customer_number=customer_number,
        rows=rows,
        reference=reference,
        including_vat=including_vat,
        currency=order.currency_code or None,
        customer_reference=visma_name(bill, order) if is_company(order) else None,
        texts=[routing.order_text] if routing.order_text else [],
        local_remark=f"Jetshop {order.order_number}: {order.payment_method}, {order.delivery_method}"[:120],
        customer_name=visma_name(bill, order),
        mailing_address1=bill.address or None,
        mailing_address2=(f"c/o {bill.co}" if bill.co else None),
        zipcode=bill.zip_code or None,
        city=bill.city or None,
        country_code=bill.country_code or None,
        delivery_name=visma_name(ship, order) if customer_name(ship) else None,
        delivery_address1=ship.address or None,
        delivery_address2=(f"c/o {ship.co}" if ship.co else None),
        delivery_zipcode=ship.zip_code or None,
        delivery_city=ship.city or None,
        delivery_country_code=ship.country_code or None,
        freight=freight,
        freight_vat_code=freight_code,
        dispatch_fee=fee,
        dispatch_fee_vat_code=fee_code,
        terms_of_payment=method_code(
            "payment", order.payment_method, lookups.payment_codes, routing.terms_of_payment
        ),
        way_of_delivery=method_code(
            "delivery", order.delivery_method, lookups.delivery_codes, routing.way_of_delivery
        ),
    )
    warnings = []
    if document.customer_name != customer_name(bill):
        warnings.append(
            f"the buyer's name {customer_name(bill)!r} cannot be written in Visma (Windows-1252): "
            f"named {document.customer_name!r} instead"
        )
    return Draft(document, lines, warnings)


def finish_order(order: Order, draft: Draft, document: P.DocumentInput, lookups: Lookups) -> Mapped:
    """``document`` (the draft's, or what rules and plugins made of it) checked against the shop's
    amounts per VAT rate, with the öre row that rounding needs. Whatever changed the document,
    this check runs on what will be written."""
    rates = {code: rate for rate, code in lookups.vat_codes.items()}
    amounts = document_amounts(document)
    breakdown, rounding = check_totals(
        order, draft.lines, amounts, rates, including_vat=document.including_vat
    )
    if rounding:
        row = P.DocumentRowInput(quantity=Decimal(1), text=ROUNDING_ROW_TEXT, price=rounding, vat_code="0")
        document = replace(document, rows=[*document.rows, row])
    return Mapped(document=document, breakdown=breakdown, rounding=rounding, warnings=draft.warnings)


def document_amounts(document: P.DocumentInput) -> dict[str, Decimal]:
    """VAT code → the document's amount as Visma sums it (rows, freight, fee)."""
    amounts: dict[str, Decimal] = defaultdict(Decimal)
    for number, row in enumerate(document.rows, start=1):
        if row.price is None:
            raise MappingError(
                f"row {number} has no price, so the order's totals cannot be checked",
                reason="totals_mismatch",
                detail={"breakdown": []},
            )
        amount = row.quantity * row.price
        if row.discount_amount:
            amount -= row.discount_amount
        elif row.discount_percent:
            amount -= money(amount * row.discount_percent / HUNDRED)
        amounts[row.vat_code or ""] += money(amount)
    if document.freight:
        amounts[document.freight_vat_code or ""] += document.freight
    if document.dispatch_fee:
        amounts[document.dispatch_fee_vat_code or ""] += document.dispatch_fee
    return amounts


def check_totals(
    order: Order,
    lines: list[Line],
    visma_amounts: dict[str, Decimal],
    rates: dict[str, Decimal],
    *,
    including_vat: bool,
) -> tuple[list[dict[str, str]], Decimal]:
    """Compare the shop's amounts with what Visma will compute, per VAT rate, incl. VAT.

    Returns the breakdown and the öre row needed to reach the shop's total exactly; raises a
    ``MappingError`` (reason ``totals_mismatch``) when the difference is more than rounding.
    """
    shop: dict[Decimal, Decimal] = defaultdict(Decimal)
    tolerance: dict[Decimal, Decimal] = defaultdict(Decimal)
    for line in lines:
        rate = percent(line.rate)
        shop[rate] += line.shop_inc_vat
        tolerance[rate] += ORE_PER_LINE + (Decimal(0) if including_vat else ORE_PER_UNIT * line.units)
    visma: dict[Decimal, Decimal] = defaultdict(Decimal)
    for code, amount in visma_amounts.items():
        rate = rates.get(code, Decimal(0))
        # Visma computes VAT once per code on the summed amounts (excl. VAT documents add it on).
        visma[rate] += amount if including_vat else amount + money(amount * rate / HUNDRED)
    breakdown, beyond = [], []
    for rate in sorted(set(shop) | set(visma)):
        diff = shop[rate] - visma[rate]
        breakdown.append(
            {"vat": f"{rate} %", "shop": str(money(shop[rate])), "visma": str(visma[rate]), "diff": str(diff)}
        )
        if abs(diff) > tolerance[rate]:
            beyond.append(f"{rate} %: shop {money(shop[rate])}, Visma {visma[rate]} (difference {diff})")
    rows_total = sum(shop.values(), Decimal(0))
    header_diff = order.total_inc_vat - rows_total
    breakdown.append(
        {"vat": "order total", "shop": str(order.total_inc_vat), "visma": str(money(rows_total)),
         "diff": str(header_diff)}
    )  # fmt: skip
    if abs(header_diff) > ORE_PER_LINE * len(lines):
        beyond.append(
            f"the shop's order total {order.total_inc_vat} differs from its rows, freight and fees "
            f"({money(rows_total)}) by {header_diff}"
        )
    if beyond:
        raise MappingError(
            "Totals differ by more than rounding: " + "; ".join(beyond),
            reason="totals_mismatch",
            detail={"breakdown": breakdown},
        )
    return breakdown, money(order.total_inc_vat - sum(visma.values(), Decimal(0)))
