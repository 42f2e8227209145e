"""The ``/v1`` endpoints, each declared on its handler (``declare.route``): the handler gets its
parameters read and bounded, hands the work to the company thread, and answers with a record."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable
from typing import Any, TypeVar

from connectors.visma import bounds
from connectors.visma import protocol as P
from connectors.visma.agent.declare import creates_once, cursor, decimal, flag, limit, path, route, text
from connectors.visma.agent.server import HttpError, Request, Response
from connectors.visma.agent.service import AgentService
from connectors.visma.agent.worker import CompanyWorker
from connectors.visma.signing import IDEMPOTENCY_HEADER

T = TypeVar("T")
log = logging.getLogger("connectors.visma.agent.api")


class Api:
    def __init__(self, service: AgentService, worker: CompanyWorker, *, timeout: float = 60.0) -> None:
        self.service = service
        self.worker = worker
        self.timeout = timeout

    def run(self, fn: Callable[[], T], *, write: bool = False) -> T:
        return self.worker.call(fn, write=write, timeout=self.timeout)

    def read(self, via_odbc: Callable[[Any], T], via_backend: Callable[[], T]) -> T:
        """A bulk read over the ODBC path when it is on, else (or if it fails) on the company thread.

        ODBC reads bypass the company thread, so they never wait behind writes.
        """
        odbc = self.service.odbc
        if odbc is not None:
            try:
                return via_odbc(odbc)
            except Exception as exc:  # the DSN went away after start-up: the ADK can still answer
                log.warning(
                    "ODBC read failed, answered by the backend instead (%s: %s)", type(exc).__name__, exc
                )
        return self.run(via_backend)

    # --- identity ---------------------------------------------------------------------------------

    @route("GET", "/v1/health", "Liveness (unauthenticated)", answer=P.Health, public=True)
    def health(self, request: Request) -> P.Health:
        # Liveness only: unauthenticated, so it must not reveal anything about the company.
        return P.Health()

    @route("GET", "/v1/identity", "Agent and company identity, queue depth, last write", answer=P.Identity)
    def identity(self, request: Request) -> P.Identity:
        worker = self.worker
        return self.run(lambda: self.service.identity(worker.depth, worker.last_successful_write))

    # --- articles, stock, prices -------------------------------------------------------------------

    @route(
        "GET",
        "/v1/articles",
        "Articles changed since a cursor (timestamp order)",
        answer=P.ArticlePage,
        params=(text("cursor", "next_cursor of the previous page"), limit(500)),
    )
    def list_articles(self, request: Request) -> P.ArticlePage:
        cursor, page_size = request.args["cursor"], request.args["limit"]
        return self.run(lambda: self.service.catalog.articles_changed(cursor, page_size))

    @route("GET", "/v1/articles/{number}", "One article", answer=P.Article, params=(path("number"),))
    def get_article(self, request: Request) -> P.Article:
        number = request.args["number"]
        article = self.run(lambda: self.service.catalog.get_article(number))
        if article is None:
            raise HttpError(404, "not_found", "no such article")
        return article

    @route(
        "PUT",
        "/v1/articles/{number}",
        "Create or update an article",
        answer=P.Article,
        params=(path("number", {"type": "string", **bounds.ARTICLE_NUMBER.schema()}),),
        body=P.ArticleInput,
    )
    def put_article(self, request: Request) -> P.Article:
        number, data = request.args["number"], request.record
        bounds.check_article(number, data)
        return self.run(lambda: self.service.catalog.put_article(number, data), write=True)

    @route(
        "GET",
        "/v1/stock",
        "Stock figures by article number, paged",
        answer=P.StockPage,
        params=(
            text("after", "next_after of the previous page"),
            limit(1000),
            flag("webshop_only", "only web-shop articles"),
        ),
    )
    def stock(self, request: Request) -> P.StockPage:
        after, page_size, webshop_only = (request.args[k] for k in ("after", "limit", "webshop_only"))
        return self.read(
            lambda odbc: odbc.stock(after, page_size, webshop_only),
            lambda: self.service.catalog.stock(after, page_size, webshop_only),
        )

    @route("GET", "/v1/price-lists", "Price lists", answer=P.PriceList, many=True)
    def price_lists(self, request: Request) -> dict[str, Any]:
        return {"items": self.run(self.service.catalog.price_lists)}

    @route(
        "GET",
        "/v1/price-lists/{code}/prices",
        "Prices of a list, quantity breaks included",
        answer=P.PricePage,
        params=(path("code"), text("after", "next_after"), limit(1000)),
    )
    def prices(self, request: Request) -> P.PricePage:
        code, after, page_size = (request.args[k] for k in ("code", "after", "limit"))
        return self.run(lambda: self.service.catalog.prices(code, after, page_size))

    @route(
        "GET",
        "/v1/customer-price",
        "Effective price for a customer (AdkGetCustomerPrice)",
        answer=P.CustomerPrice,
        params=(
            text("customer", "customer number", required=True),
            text("article", "article number", required=True),
            decimal("quantity", "quantity", bounds.QUANTITY, default="1"),
        ),
    )
    def customer_price(self, request: Request) -> P.CustomerPrice:
        customer, article, quantity = (request.args[k] for k in ("customer", "article", "quantity"))
        return self.run(lambda: self.service.catalog.customer_price(customer, article, quantity))

    @route("GET", "/v1/vat-codes", "VAT codes and their rates in percent", answer=P.VatCode, many=True)
    def vat_codes(self, request: Request) -> dict[str, Any]:
        rates = self.run(self.service.backend.vat_rates)
        items = [
            P.VatCode(code=code, rate=P.parse_decimal(str(rate), "rate")) for code, rate in rates.items()
        ]
        return {"items": sorted(items, key=lambda i: i.code)}

    # --- customers --------------------------------------------------------------------------------

    @route(
        "GET",
        "/v1/customers",
        "Find customers by number, e-mail or organisation number",
        answer=P.Customer,
        many=True,
        params=(
            text("number", "customer number"),
            text("email", "e-mail"),
            text("org_number", "organisation number"),
        ),
    )
    def find_customers(self, request: Request) -> dict[str, Any]:
        number, email, org = (request.args[k] or "" for k in ("number", "email", "org_number"))
        if not (number or email or org):
            raise P.ProtocolError("give number, email or org_number")
        found = self.run(
            lambda: self.service.catalog.find_customers(number=number, email=email, org_number=org)
        )
        return {"items": found}

    @creates_once(
        "/v1/customers",
        "Create a customer once per Idempotency-Key (200 with the first customer on a repeat)",
        P.CustomerInput,
        P.Customer,
    )
    def create_customer(self, request: Request) -> Response:
        key, data = request.args[IDEMPOTENCY_HEADER], request.record
        bounds.check_customer(data)
        customer, created = self.run(lambda: self.service.catalog.create_customer(data, key), write=True)
        return Response(201 if created else 200, customer)

    # --- documents --------------------------------------------------------------------------------

    @creates_once(
        "/v1/documents",
        "Create an order or invoice exactly once per Idempotency-Key (200 on a repeat)",
        P.DocumentInput,
        P.Document,
    )
    def create_document(self, request: Request) -> Response:
        key, data = request.args[IDEMPOTENCY_HEADER], request.record
        bounds.check_document(data)
        document, created = self.run(
            lambda: self.service.documents.create(data, key, request_hash(data)), write=True
        )
        return Response(201 if created else 200, document)

    @route(
        "GET",
        "/v1/documents",
        "Documents by the shop's order reference",
        answer=P.Document,
        many=True,
        params=(text("reference", "ADK_OOI_HEAD_CUSTOMER_ORDER_NUMBER", required=True),),
    )
    def find_documents(self, request: Request) -> dict[str, Any]:
        reference = request.args["reference"]
        return {"items": self.run(lambda: self.service.documents.by_reference(reference))}

    @route(
        "GET",
        "/v1/document-status",
        "Head-only status of the documents with the shop's reference (ODBC when enabled)",
        answer=P.DocumentStatusList,
        params=(text("reference", "ADK_OOI_HEAD_CUSTOMER_ORDER_NUMBER", required=True),),
    )
    def document_status(self, request: Request) -> P.DocumentStatusList:
        reference = request.args["reference"]
        return self.read(
            lambda odbc: odbc.document_status(reference), lambda: self.service.documents.status(reference)
        )

    @route(
        "GET",
        "/v1/documents/{kind}/{number}",
        "One document",
        answer=P.Document,
        params=(path("kind"), path("number")),
    )
    def get_document(self, request: Request) -> P.Document:
        kind, number = request.args["kind"], request.args["number"]
        if kind not in P.DOCUMENT_KINDS or not re.fullmatch(r"[0-9]{1,9}", number):
            raise HttpError(404, "not_found", "no such document")
        document = self.run(lambda: self.service.documents.get(kind, int(number)))
        if document is None:
            raise HttpError(404, "not_found", "no such document")
        return document

    @route(
        "GET",
        "/v1/document-events",
        "Delivered/invoiced/paid/cancelled events after a cursor",
        answer=P.EventPage,
        params=(cursor("last event id seen"), limit(500)),
    )
    def document_events(self, request: Request) -> P.EventPage:
        after, page_size = request.args["after"], request.args["limit"]
        return self.run(lambda: self.service.events.page(after, page_size), write=False)

    @route(
        "GET",
        "/v1/open-invoices",
        "Unpaid invoices and their balances",
        answer=P.OpenInvoicePage,
        params=(text("customer", "customer number"), cursor("next_after"), limit(500)),
    )
    def open_invoices(self, request: Request) -> P.OpenInvoicePage:
        customer = request.args["customer"] or None
        after, page_size = request.args["after"], request.args["limit"]
        return self.run(lambda: self.service.documents.open_invoices(customer, after, page_size))


def request_hash(record: P.Record) -> str:
    """What an Idempotency-Key is bound to: a repeat with another body is refused (409)."""
    return hashlib.sha256(json.dumps(record.to_dict(), sort_keys=True).encode()).hexdigest()


def body_dict(request: Request) -> dict[str, Any]:
    data = request.json()
    if not isinstance(data, dict):
        raise P.ProtocolError("expected a JSON object")
    return data
