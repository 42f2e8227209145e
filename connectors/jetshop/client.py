"""JetshopClient: one method per operation of the Jetshop Commerce integration web service.

SOAP 1.2 over ``connectors.http.HttpSession`` with envelopes built explicitly by lxml
(``envelopes.py``) and parsed by ``parse.py``. Facts: ``shared/reference/jetshop-commerce.md``
§1.1 (transport), §2 (operations), §5 (pitfalls). The product, price-list and stock operations
are verified from recorded traffic; the order operations and the product enumeration
(``Product_GetChangedSince``) are not, so their names are configuration (``operation_names``)
with the simulator's placeholders as defaults.

Errors: a ``soap:Sender`` fault (bad input, HTTP 500) and other 4xx are ``PermanentError``;
``soap:Receiver``, other 5xx, 429, timeouts and resets are ``TransientError``/``RateLimited``.
Per-row failures inside an HTTP 200 come back in the returned result records.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

from lxml import etree

from connectors import http
from connectors.errors import ConnectorError, PermanentError, TransientError
from connectors.jetshop import envelopes, parse
from connectors.jetshop.ratelimit import shared_bucket
from connectors.jetshop.records import (
    Channel,
    DeleteResult,
    DynamicFieldInput,
    DynamicFieldResult,
    Order,
    OrderStatus,
    OrderStatusResult,
    PriceListPrice,
    PriceListResult,
    Product,
    ProductInput,
    ProductResult,
    StockInput,
)
from connectors.jetshop.wire import SOAP_CONTENT_TYPE

SYSTEM = "jetshop"
DEFAULT_ENDPOINT = "https://integration.jetshop.se/Webservice20/v3.0/webservice.asmx"
# The working client sent price-list prices as integers and the server faulted on a non-integer
# in some int-typed field of ArticlePriceListIncVat (which one is unverified). Until the shop's
# WSDL says otherwise, refuse fractional values in these fields per row instead of letting one
# row fault the whole batch.
DEFAULT_INTEGER_PRICE_FIELDS = frozenset({"PriceIncVat", "DiscountedPriceIncVat"})
# The shop's Django row (flows.models.config.JetshopShop.order_operations) names the operations by
# its own field names; accept those too so the row's dict can be passed straight in.
_SHOP_FIELD_NAMES = {
    "op_order_list": "list_by_status",
    "op_order_get": "get",
    "op_order_set_status": "update_status",
    "op_order_status_list": "statuses",
    "op_channel_list": "channels",
    "op_product_changed": "products_changed",
    "op_products_changed": "products_changed",
}
# iter_products_changed re-reads a group of products with one ModifiedDate when a write in the
# shop moves it; this many re-reads of one group means the shop's order is not stable.
MAX_GROUP_REREADS = 50
Row = TypeVar("Row")


@dataclass(frozen=True)
class OrderOperations:
    """Names of the placeholder operations: the order operations and the product enumeration.

    The real ones come from the shop's WSDL (unverified); the defaults are the simulator's.
    """

    list_by_status: str = "Order_GetByStatus"
    get: str = "Order_Get"
    update_status: str = "Order_UpdateStatus"
    statuses: str = "OrderStatus_GetAll"
    channels: str = "Channel_GetAll"
    products_changed: str = "Product_GetChangedSince"

    @classmethod
    def with_overrides(cls, overrides: Mapping[str, str] | None) -> OrderOperations:
        """Accept overrides keyed by field name, default operation name or shop-row field name."""
        ops = cls()
        if not overrides:
            return ops
        by_default = {getattr(ops, f.name): f.name for f in fields(cls)}
        changes = {}
        for key, value in overrides.items():
            name = key if key in by_default.values() else by_default.get(key) or _SHOP_FIELD_NAMES.get(key)
            if name is None:
                raise ValueError(f"unknown order or product operation {key!r}")
            changes[name] = value
        return replace(ops, **changes)

    def names(self) -> list[str]:
        return [getattr(self, f.name) for f in fields(self)]


PRODUCT_OPERATIONS = ("Product_Get", "Product_AddUpdate", "Product_Delete", "PriceList_UpdateArticleIncVAT")
DYNAMIC_FIELD_SAVE = "ProductDynamicField_SaveProductDynamicFieldData"


def _one_per_row(operation: str, sent: Sequence[object], got: list[Row]) -> list[Row]:
    """Results are matched to inputs by position, so a short answer must not pass silently."""
    if len(got) != len(sent):
        raise TransientError(
            f"{operation}: sent {len(sent)} rows, got {len(got)} results", code="malformed", system=SYSTEM
        )
    return got


class JetshopClient:
    """Constructed from plain values; Django code builds it from a ``JetshopShop`` row."""

    def __init__(
        self,
        endpoint_url: str,
        username: str,
        password: str,
        shop_id: str,
        *,
        operation_names: Mapping[str, str] | None = None,
        connect_timeout: float = http.DEFAULT_CONNECT_TIMEOUT,
        read_timeout: float = http.DEFAULT_READ_TIMEOUT,
        calls_per_second: float | Decimal | None = 5.0,
        burst: float | Decimal | None = None,
        batch_size: int = 100,
        integer_price_fields: Iterable[str] = DEFAULT_INTEGER_PRICE_FIELDS,
    ) -> None:
        self.endpoint_url = endpoint_url
        self.shop_id = shop_id
        self.operations = OrderOperations.with_overrides(operation_names)
        self.batch_size = batch_size
        self.integer_price_fields = frozenset(integer_price_fields)
        # Shared by every client of this shop, in every worker process (see ratelimit).
        self.bucket = shared_bucket((endpoint_url, shop_id), calls_per_second, burst)
        self.session = http.HttpSession(
            connect_timeout=connect_timeout, read_timeout=read_timeout, auth=(username, password)
        )

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> JetshopClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transport --------------------------------------------------------------------------

    def _call(self, operation: str, op: etree._Element) -> etree._Element:
        """POST one envelope; return ``{operation}Result`` or raise the taxonomy's error."""
        self.bucket.acquire()
        try:
            response = self.session.request(
                "POST",
                self.endpoint_url,
                check=False,
                data=envelopes.envelope(op, self.shop_id),
                headers={"Content-Type": SOAP_CONTENT_TYPE},
            )
        except ConnectorError as exc:
            exc.system = exc.system or SYSTEM
            raise
        return self._result(operation, response)

    def _result(self, operation: str, response) -> etree._Element:
        body = response.content
        if body.lstrip()[:1] == b"<" and b"Envelope" in body[:400]:
            try:
                parsed = parse.parse_envelope(body)
            except parse.MalformedResponse as exc:
                http.classify_status(response)
                raise TransientError(f"{operation}: {exc}", code="malformed", system=SYSTEM) from exc
            if isinstance(parsed, parse.SoapFault):
                # Only a Receiver fault (the server's own trouble) is worth retrying.
                cls = TransientError if parsed.code.rpartition(":")[2] == "Receiver" else PermanentError
                first_line = parsed.reason.splitlines()[0] if parsed.reason else parsed.code
                raise cls(
                    f"{operation} fault: {first_line[:300]}",
                    code=parsed.code,
                    detail=parsed.reason,
                    system=SYSTEM,
                )
            if response.status_code < 400:
                try:
                    return parse.result_element(parsed, operation)
                except parse.MalformedResponse as exc:
                    raise TransientError(str(exc), code="malformed", system=SYSTEM) from exc
        try:
            http.classify_status(response)
        except ConnectorError as exc:
            exc.system = SYSTEM
            raise
        # A 2xx that is not SOAP: a proxy or maintenance page; worth another try later.
        raise TransientError(f"{operation}: response is not a SOAP envelope", code="malformed", system=SYSTEM)

    # -- products ---------------------------------------------------------------------------

    def get_product(self, article_number: str, culture: str) -> Product | None:
        """``Product_Get``; ``None`` for an unknown article (Jetshop answers 200 with an empty result)."""
        result = self._call("Product_Get", envelopes.product_get(article_number, culture))
        return parse.product(result)

    def add_update_products(self, products: Sequence[ProductInput]) -> list[ProductResult]:
        """``Product_AddUpdate`` in batches; one row per article and culture, one result per row.

        The first row of a new article answers ``SuccessNew``, later cultures ``SuccessUpdate``.
        """
        results: list[ProductResult] = []
        for start in range(0, len(products), self.batch_size):
            batch = products[start : start + self.batch_size]
            result = self._call("Product_AddUpdate", envelopes.product_add_update(batch))
            results.extend(_one_per_row("Product_AddUpdate", batch, parse.product_results(result)))
        return results

    def update_stock(
        self, stock: Sequence[StockInput], cultures: Sequence[str], *, template_id: int = 1
    ) -> list[ProductResult]:
        """Stock-only ``Product_AddUpdate`` rows, sent once per culture as the working client does."""
        rows = [
            ProductInput(article_number=s.article_number, culture=c, template_id=template_id, stock=s)
            for s in stock
            for c in cultures
        ]
        return self.add_update_products(rows)

    def delete_product(self, article_number: str) -> DeleteResult:
        """``Product_Delete``; ``result`` is ``Success`` or ``NotFound`` (both HTTP 200)."""
        result = self._call("Product_Delete", envelopes.product_delete(article_number))
        return parse.delete_result(result)

    def save_dynamic_fields(self, inputs: Sequence[DynamicFieldInput]) -> list[DynamicFieldResult]:
        """``ProductDynamicField_SaveProductDynamicFieldData`` (§2.5): one result per input row.

        A key not connected to the product is a per-row ``success=False`` ("No dynamic field,
        connected to product, found with key."), not a fault.
        """
        results: list[DynamicFieldResult] = []
        for start in range(0, len(inputs), self.batch_size):
            batch = inputs[start : start + self.batch_size]
            rows = parse.dynamic_field_results(
                self._call(DYNAMIC_FIELD_SAVE, envelopes.dynamic_field_save(batch))
            )
            results.extend(_one_per_row(DYNAMIC_FIELD_SAVE, batch, rows))
        return results

    def list_products_changed(
        self, since: datetime | None, culture: str, *, skip: int = 0, take: int | None = None
    ) -> list[Product]:
        """Products whose ``ModifiedDate`` is at or after ``since`` (all when ``None``), in ``culture``.

        A placeholder operation (name ``operations.products_changed``, default
        ``Product_GetChangedSince``) [unverified]: ordered by ModifiedDate then ArticleNumber,
        ``skip``/``take`` applied after ordering, each product a ``ProductData`` as ``Product_Get``
        answers it; variants come as products of their own with ``parent_article_number``.
        Quirks (jetshop-commerce.md §5): price-list writes do not move ModifiedDate (P8), so this
        is no price cursor; times are Stockholm wall clock without offset (P7), so ``since`` is
        compared as wall-clock time and the autumn repeated hour is ambiguous; deleted products
        are not listed at all.
        """
        name = self.operations.products_changed
        params = {"fromDate": since, "culture": culture, "skip": skip, "take": take}
        return parse.products(self._call(name, envelopes.simple(name, params)))

    def iter_products_changed(
        self, since: datetime | None, culture: str, page_size: int = 500
    ) -> Iterator[Product]:
        """Every product changed at or after ``since``, in pages of ``page_size``, until a short page.

        A plain offset would lose a product whenever one already read is written during the
        enumeration: the written one moves to the end and every later one a place forward, past
        the next ``skip``. So each page starts at the ModifiedDate of the last product read (the
        shop includes equal dates) and skips only what was already read at exactly that date,
        less one: that last product must come back first, or the group of equal dates changed
        under us and is read again from its start, leaving out what was already yielded. A
        product written during the enumeration may come twice, its newer version last.
        """
        if page_size < 1:  # checked here, not at the first next(): this is no generator itself
            raise ValueError("page_size must be at least 1")
        return self._changed_pages(since, culture, page_size)

    def _changed_pages(self, since: datetime | None, culture: str, page_size: int) -> Iterator[Product]:
        boundary = since  # fromDate of the next page
        read_at_boundary = 0  # products read so far whose ModifiedDate equals ``boundary``
        yielded_at_boundary: set[str] = set()
        last_article = ""
        rereads = 0  # of the current group; each one should stem from a write in the shop meanwhile
        while True:
            overlap = 1 if read_at_boundary else 0
            take = page_size + overlap
            page = self.list_products_changed(boundary, culture, skip=read_at_boundary - overlap, take=take)
            if overlap:
                first = page[0] if page else None
                if first is None or (first.article_number, first.modified) != (last_article, boundary):
                    # The group moved: read it again from its start. A shop whose order is not
                    # stable (the real ordering is unverified) would make this loop for ever.
                    rereads += 1
                    if rereads > MAX_GROUP_REREADS:
                        raise TransientError(
                            f"{self.operations.products_changed}: the order of products changed "
                            f"{rereads} times while reading them",
                            code="unstable_order",
                            system=SYSTEM,
                        )
                    read_at_boundary = 0
                    continue
            for product in page[overlap:]:
                if product.modified != boundary:
                    boundary, read_at_boundary, yielded_at_boundary = product.modified, 0, set()
                    rereads = 0
                read_at_boundary += 1
                last_article = product.article_number
                if last_article not in yielded_at_boundary:
                    yielded_at_boundary.add(last_article)
                    yield product
            if len(page) < take:
                return

    # -- price lists ------------------------------------------------------------------------

    def _integer_problem(self, price: PriceListPrice) -> str | None:
        checks = {"PriceIncVat": price.price_inc_vat, "DiscountedPriceIncVat": price.discounted_price_inc_vat}
        for name, value in checks.items():
            if name in self.integer_price_fields and value is not None and value != value.to_integral_value():
                return f"{name} {value} is not a whole number; this shop's price list takes integers"
        return None

    def update_price_list_prices(self, prices: Sequence[PriceListPrice]) -> list[PriceListResult]:
        """``PriceList_UpdateArticleIncVAT``: prices incl. VAT; one result per input row, in order.

        Does not move the product's ``ModifiedDate`` (so it cannot be a price delta cursor).
        """
        results: list[PriceListResult | None] = [None] * len(prices)
        sendable: list[tuple[int, PriceListPrice]] = []
        for index, price in enumerate(prices):
            problem = self._integer_problem(price)
            if problem:
                results[index] = PriceListResult(
                    price.article_number, price.price_list_id.lower(), False, problem
                )
            else:
                sendable.append((index, price))
        for start in range(0, len(sendable), self.batch_size):
            batch = sendable[start : start + self.batch_size]
            op = envelopes.price_list_update(p for _, p in batch)
            rows = parse.price_list_results(self._call("PriceList_UpdateArticleIncVAT", op))
            for (index, _), row in zip(
                batch, _one_per_row("PriceList_UpdateArticleIncVAT", batch, rows), strict=True
            ):
                results[index] = row
        return [r for r in results if r is not None]  # every slot is filled by now

    # -- orders (operation names are configuration) -----------------------------------------

    def list_orders_by_status(
        self,
        status_id: int,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        channel_id: int | None = None,
        max_count: int | None = None,
    ) -> list[Order]:
        """Orders currently in ``status_id``, optionally placed in [since, until] (Stockholm time)."""
        name = self.operations.list_by_status
        params = {
            "orderStatusId": status_id,
            "fromDate": since,
            "toDate": until,
            "channelId": channel_id,
            "maxCount": max_count,
        }
        return parse.orders(self._call(name, envelopes.simple(name, params)))

    def get_order(self, order_id: int) -> Order | None:
        """One order with its rows; ``None`` when the shop does not know it (placeholder op, §2.2)."""
        name = self.operations.get
        result = self._call(name, envelopes.simple(name, {"orderId": order_id}))
        found = parse.orders(result)
        return found[0] if found else None

    def set_order_status(
        self,
        order_id: int,
        status_id: int,
        *,
        send_mail: bool = False,
        tracking_number: str | None = None,
        comment: str | None = None,
    ) -> OrderStatusResult:
        """Set an order's status. May e-mail the customer and may capture the payment (shop config)."""
        name = self.operations.update_status
        params = {
            "orderId": order_id,
            "orderStatusId": status_id,
            "sendMail": send_mail,
            "trackingNumber": tracking_number,
            "comment": comment,
        }
        return parse.order_status_result(self._call(name, envelopes.simple(name, params)))

    def list_order_statuses(self) -> list[OrderStatus]:
        """The shop's order statuses (ids are per shop, §3), so flows can cache and validate ids."""
        name = self.operations.statuses
        return parse.order_statuses(self._call(name, envelopes.simple(name, {})))

    def list_channels(self) -> list[Channel]:
        """The shop's channels (storefronts) with currency, cultures and default price list (§2.9)."""
        name = self.operations.channels
        return parse.channels(self._call(name, envelopes.simple(name, {})))

    # -- discovery --------------------------------------------------------------------------

    def missing_operations(self) -> list[str]:
        """Operations this client needs that the shop's ``?WSDL`` does not offer (fail loudly on them)."""
        self.bucket.acquire()
        try:
            response = self.session.request("GET", self.endpoint_url + "?WSDL", check=True)
        except ConnectorError as exc:
            exc.system = SYSTEM
            raise
        try:
            root = etree.fromstring(response.content, parse._PARSER)
        except etree.XMLSyntaxError as exc:
            raise TransientError("WSDL is not XML", code="malformed", system=SYSTEM) from exc
        offered = {el.get("name") for el in root.iter("{http://schemas.xmlsoap.org/wsdl/}operation")}
        needed = [*PRODUCT_OPERATIONS, *self.operations.names()]
        return [name for name in needed if name not in offered]
