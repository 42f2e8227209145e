"""Order operations. Names, parameters and the ``OrderData`` layout are placeholders [unverified]:
jetshop-commerce.md §2.1–2.4 and §6.1. The operation names are configuration (``SimConfig``).

Effects of a status change, as a shop would have them: a history entry, the customer e-mail when
the status sends one and the caller asked for it, the tracking number, and a payment capture when
the status captures and the payment method is a capturing one. Setting the status an order already
has changes nothing (no second e-mail, no second capture).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connectors.jetshop.simulator import fields
from connectors.jetshop.simulator.clock import Clock
from connectors.jetshop.simulator.soap import Request, el, response, wrap
from connectors.jetshop.simulator.state import SimState
from connectors.jetshop.wire import format_datetime, format_money, format_vat, parse_datetime

ADDRESS_FIELDS = [
    "Company",
    "FirstName",
    "LastName",
    "Address",
    "Co",
    "ZipCode",
    "City",
    "CountryCode",
    "Phone",
]
_SNAKE = dict(zip(ADDRESS_FIELDS, ["company", "first_name", "last_name", "address", "co", "zip_code", "city",
                                   "country_code", "phone"], strict=True))  # fmt: skip
_READERS = ["Read301_Order(Boolean isNullable, Boolean checkType)"]
# Parameters of the placeholder order operations, by role (keys of SimConfig.order_operations;
# the product enumeration has its own row in products.PARAMETERS).
# The handlers read them through this table and the WSDL declares them from it, so the two
# cannot drift apart. Kinds as in fields.convert; "?" marks an optional (nullable) parameter.
PARAMETERS: dict[str, tuple[tuple[str, str], ...]] = {
    "list_by_status": (("orderStatusId", "int"), ("fromDate", "datetime?"), ("toDate", "datetime?"),
                       ("channelId", "int?"), ("maxCount", "int?")),
    "get": (("orderId", "int"),),
    "update_status": (("orderId", "int"), ("orderStatusId", "int"), ("sendMail", "bool"),
                      ("trackingNumber", "text?"), ("comment", "text?")),
    "statuses": (),
    "channels": (),
}  # fmt: skip


def _params(req: Request, role: str) -> dict[str, str | None]:
    """The call's parameters as normalised strings (``None`` when absent or nil)."""
    return fields.parameters(req, PARAMETERS[role], _READERS)


def render(order: dict[str, Any]) -> str:
    parts = [
        el("OrderId", str(order["id"])),
        el("OrderNumber", order["number"]),
        el("OrderDate", order["date"]),
        el("OrderStatusId", str(order["status_id"])),
        el("ChannelId", None if order["channel_id"] is None else str(order["channel_id"])),
        el("CurrencyCode", order["currency"]),
        el("Culture", order["culture"]),
        el("CustomerId", None if order["customer_id"] is None else str(order["customer_id"])),
        el("Email", order["email"]),
    ]
    for side in ("BillTo", "ShipTo"):
        address = order[side]
        parts.extend(el(side + name, address.get(name, "")) for name in ADDRESS_FIELDS)
    parts += [
        el("PaymentMethod", order["payment_method"]),
        el("DeliveryMethod", order["delivery_method"]),
        el("FreightPriceIncVat", order["freight_inc_vat"]),
        el("FreightVat", order["freight_vat"]),
        el("OrderDiscountIncVat", order.get("discount_inc_vat", "0.0000")),
        el("FeeIncVat", order.get("fee_inc_vat", "0.0000")),
        el("FeeVat", order.get("fee_vat", "0.25000000")),
        el("OrgNumber", order.get("org_number", "")),
        # Elements a real shop's OrderData may carry beyond the placeholders (a test's "extra").
        *(el(name, value) for name, value in order.get("extra", {}).items()),
        el("TotalIncVat", order["total_inc_vat"]),
        el("TotalVat", order["total_vat"]),
        el("ModifiedDate", order["modified"]),
    ]
    rows = "".join(
        wrap(
            "OrderRowData",
            el("ArticleNumber", r["article_number"])
            + el("ProductId", None if r.get("product_id") is None else str(r["product_id"]))
            + el("Name", r["name"])
            + el("Quantity", r["quantity"])
            + el("UnitPriceIncVat", r["unit_price_inc_vat"])
            + el("Vat", r["vat"])
            + el("Discount", r["discount"]),
        )
        for r in order["rows"]
    )
    parts.append(wrap("OrderRows", rows))
    return wrap("OrderData", "".join(parts))


def get_by_status(state: SimState, clock: Clock, req: Request) -> bytes:
    params = _params(req, "list_by_status")
    status, since, until = params["orderStatusId"], params["fromDate"], params["toDate"]
    channel, max_count = params["channelId"], params["maxCount"]
    # "Duplicate delivery" fault: orders that already left this status come back once more.
    duplicates = state.duplicate_deliveries > 0
    if duplicates:
        state.duplicate_deliveries -= 1
    found = []
    since_at, until_at = parse_datetime(since), parse_datetime(until)
    for order in sorted(state.orders.values(), key=lambda o: o["id"]):
        in_status = str(order["status_id"]) == status
        left_status = duplicates and status in [str(h["from_status_id"]) for h in order["history"]]
        if not (in_status or left_status):
            continue
        date = parse_datetime(order["date"])
        if since_at and date and date < since_at:
            continue
        if until_at and date and date > until_at:
            continue
        if channel and str(order["channel_id"]) != channel:
            continue
        found.append(order if in_status else {**order, "status_id": int(status or 0)})
    if max_count:
        found = found[: int(max_count)]
    return response(req.operation, "".join(render(o) for o in found))


def get(state: SimState, clock: Clock, req: Request) -> bytes:
    order = state.orders.get(_params(req, "get")["orderId"] or "")
    return response(req.operation, render(order) if order else "")


def update_status(state: SimState, clock: Clock, req: Request) -> bytes:
    params = _params(req, "update_status")
    order_id, status_id = params["orderId"] or "", params["orderStatusId"]
    send_mail = params["sendMail"] == "true"
    tracking, comment = params["trackingNumber"], params["comment"]
    order = state.orders.get(order_id)
    status = state.order_status(int(status_id)) if status_id else None
    success, message = "true", ""
    if order is None:
        success, message = "false", "Order not found."
    elif status is None:
        success, message = "false", "Order status not found."
    else:
        apply_status(state, clock, order, status, send_mail=send_mail, tracking=tracking, comment=comment)
    inner = (
        el("OrderId", order_id)
        + el("OrderStatusId", status_id or "0")
        + el("Success", success)
        + el("Message", message)
    )
    return response(req.operation, inner)


def apply_status(
    state: SimState,
    clock: Clock,
    order: dict[str, Any],
    status: dict[str, Any],
    *,
    send_mail: bool,
    tracking: str | None,
    comment: str | None,
) -> None:
    now = format_datetime(clock.now().replace(tzinfo=None))
    if tracking and tracking not in order["tracking_numbers"]:
        order["tracking_numbers"].append(tracking)
        order["modified"] = now
    if order["status_id"] == status["id"]:
        return  # same status again: idempotent, no mail, no capture
    order["history"].append(
        {
            "from_status_id": order["status_id"],
            "to_status_id": status["id"],
            "at": now,
            "send_mail": send_mail,
            "tracking_number": tracking,
            "comment": comment,
        }
    )
    order["status_id"] = status["id"]
    order["modified"] = now
    if status["sends_mail"] and send_mail:
        order["emails"].append(
            {"to": order["email"], "status_id": status["id"], "subject": status["name"], "at": now}
        )
    capturing = order["payment_method"] in state.config.capturing_payment_methods
    if status["captures"] and capturing and not order["captures"]:
        order["captures"].append(
            {"amount": order["total_inc_vat"], "currency": order["currency"], "at": now,
             "payment_method": order["payment_method"]}
        )  # fmt: skip


def place(state: SimState, clock: Clock, spec: dict[str, Any]) -> dict[str, Any]:
    """Create an order "in the shop" from the side door's JSON (snake_case, money as strings)."""
    order_id = int(spec.get("order_id") or state.new_order_id())
    now = clock.now().replace(tzinfo=None)
    rows, total, vat_total = [], Decimal(0), Decimal(0)
    for r in spec.get("rows", []):
        quantity = Decimal(str(r.get("quantity", 1)))
        unit = Decimal(str(r["unit_price_inc_vat"]))
        vat = Decimal(str(r.get("vat", "0.25")))
        discount = Decimal(str(r.get("discount_inc_vat", "0")))
        amount = quantity * unit - discount
        total += amount
        vat_total += amount * vat / (1 + vat)
        product = state.products.get(r["article_number"])
        rows.append(
            {
                "article_number": r["article_number"],
                "product_id": r.get("product_id", product["product_id"] if product else None),
                "name": r.get("name", ""),
                "quantity": format_money(quantity),
                "unit_price_inc_vat": format_money(unit),
                "vat": format_vat(vat),
                "discount": format_money(discount),
            }
        )
    freight = Decimal(str(spec.get("freight_inc_vat", "0")))
    freight_vat = Decimal(str(spec.get("freight_vat", "0.25")))
    total += freight
    vat_total += freight * freight_vat / (1 + freight_vat)
    fee = Decimal(str(spec.get("fee_inc_vat", "0")))
    fee_vat = Decimal(str(spec.get("fee_vat", "0.25")))
    total += fee
    vat_total += fee * fee_vat / (1 + fee_vat)
    # An order-level discount lowers the total; its VAT share follows the rows' mix of rates.
    discount = Decimal(str(spec.get("discount_inc_vat", "0")))
    if discount and total - freight - fee:
        vat_total -= discount * (vat_total / total)
    total -= discount
    placed = parse_datetime(spec.get("order_date"))
    order = {
        "id": order_id,
        "number": str(spec.get("order_number", order_id)),
        "date": format_datetime(placed.replace(tzinfo=None)) if placed else format_datetime(now),
        "modified": format_datetime(now),
        "status_id": int(spec.get("status_id", 1)),
        "channel_id": spec.get("channel_id"),
        "currency": spec.get("currency", "SEK"),
        "culture": spec.get("culture", "sv-SE"),
        "customer_id": spec.get("customer_id"),
        "email": spec.get("email", ""),
        "BillTo": _address(spec.get("bill_to", {})),
        "ShipTo": _address(spec.get("ship_to") or spec.get("bill_to", {})),
        "payment_method": spec.get("payment_method", ""),
        "delivery_method": spec.get("delivery_method", ""),
        "freight_inc_vat": format_money(freight),
        "freight_vat": format_vat(freight_vat),
        "fee_inc_vat": format_money(fee),
        "fee_vat": format_vat(fee_vat),
        "discount_inc_vat": format_money(discount),
        "org_number": str(spec.get("org_number", "")),
        "extra": {str(name): str(value) for name, value in (spec.get("extra") or {}).items()},
        # A given total (a shop that rounded its header differently) overrides the computed one.
        "total_inc_vat": format_money(Decimal(str(spec.get("total_inc_vat", total)))),
        "total_vat": format_money(vat_total.quantize(Decimal("0.01"))),
        "rows": rows,
        "history": [],
        "emails": [],
        "tracking_numbers": [],
        "captures": [],
    }
    state.orders[str(order_id)] = order
    return order


def _address(spec: dict[str, Any]) -> dict[str, str]:
    return {name: str(spec.get(_SNAKE[name], "")) for name in ADDRESS_FIELDS}


def order_statuses(state: SimState, clock: Clock, req: Request) -> bytes:
    inner = "".join(
        wrap("OrderStatusData", el("OrderStatusId", str(s["id"])) + el("Name", s["name"]))
        for s in state.data["order_statuses"]
    )
    return response(req.operation, inner)


def channels(state: SimState, clock: Clock, req: Request) -> bytes:
    inner = "".join(
        wrap(
            "ChannelData",
            el("ChannelId", str(c["id"]))
            + el("Name", c["name"])
            + el("Domain", c["domain"])
            + el("CurrencyCode", c["currency"])
            + wrap("Cultures", "".join(el("string", x) for x in c["cultures"]))
            + el("PriceListId", c.get("price_list_id")),
        )
        for c in state.data["channels"]
    )
    return response(req.operation, inner)
