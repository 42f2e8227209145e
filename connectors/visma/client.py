"""``VismaClient``: the server's side of the Visma agent API (``/v1``), signed, typed, mapped.

The API is described by the agent's own OpenAPI document (``GET /v1/openapi.json``) and the wire
records in ``connectors/visma/protocol.py``. Errors map onto the shared taxonomy:

* agent unreachable, timeouts, 5xx → ``TransientError``; a full queue → ``RateLimited(retry_after)``;
  Visma busy (``ADKE_EXCLUSIVE_LOCK`` 486, ``ADKE_JOURNAL_IN_PROGRESS`` 560, company not open) →
  ``TransientError`` with the ADK number as ``code``;
* Visma refused the data (422), bad request (400), reused Idempotency-Key (409), refused signature
  (401) → ``PermanentError``, with the ADK number as ``code`` and its text in ``detail`` when Visma
  answered.

The transport is a seam: HTTP to the agent's URL (direct mode, ``HttpSession``), or the agent's own
outbound connection to the gateway (``connectors.visma.gateway.transport.GatewayTransport``). The
client signs, sends and reads answers the same way through either.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Protocol, TypeVar
from urllib.parse import quote, urlencode

import requests

from connectors.errors import ConnectorError, PermanentError, RateLimited, TransientError
from connectors.http import HttpSession, parse_retry_after
from connectors.visma import protocol as P
from connectors.visma.signing import IDEMPOTENCY_HEADER, NONCE_PARAM, signed_headers

SYSTEM = "visma"
R = TypeVar("R", bound=P.Record)


class Transport(Protocol):
    """What ``VismaClient`` sends through: ``HttpSession`` or the gateway's transport."""

    def request(self, method: str, url: str, *, check: bool = True, **kwargs: Any) -> requests.Response: ...

    def close(self) -> None: ...


class HmacAuth(requests.auth.AuthBase):
    """Signs the prepared request exactly as sent: its path with query and its body bytes."""

    def __init__(self, key_id: str, secret: str) -> None:
        self.key_id = key_id
        self.secret = secret

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        # Two identical requests in the same second would carry the same signature and the second
        # would be refused as a replay (a legitimate retry, a repeated poll); a nonce keeps each
        # request unique. The agent ignores the parameter.
        request.prepare_url(request.url, {NONCE_PARAM: uuid.uuid4().hex})
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        request.headers.update(
            signed_headers(self.key_id, self.secret, request.method or "GET", request.path_url, body)
        )
        return request


@dataclass
class AgentHeartbeat:
    """What the server stores on its ``VismaAgent`` row after each successful identity call."""

    last_seen: datetime
    agent_version: str
    backend: str
    program_variant: str
    api_licensed: bool
    company_name: str
    org_number: str
    queue_depth: int
    last_successful_write: str | None

    def agent_fields(self) -> dict[str, str]:
        """The values for the ``VismaAgent`` row's heartbeat fields
        (``flows.engine.agent_status.mark_online``).

        Only what that model stores; ``last_seen_at`` is set by ``mark_online`` itself.
        """
        return {
            "agent_version": self.agent_version,
            "backend": self.backend,
            "company_name": self.company_name,
        }


class VismaClient:
    def __init__(
        self,
        base_url: str,
        key_id: str,
        secret: str,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 60.0,
        pool_size: int = 4,
        transport: Transport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.auth = HmacAuth(key_id, secret)
        self.http: Transport = transport or HttpSession(
            connect_timeout=connect_timeout, read_timeout=read_timeout, pool_size=pool_size
        )

    def close(self) -> None:
        self.http.close()

    # --- plumbing ---------------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
        signed: bool = True,
        missing_ok: bool = False,
    ) -> Any:
        query = {k: str(v) for k, v in (params or {}).items() if v not in (None, "")}
        url = self.base_url + path + (f"?{urlencode(query)}" if query else "")
        data = None if body is None else json.dumps(body).encode("utf-8")
        send_headers = dict(headers or {})
        if data is not None:
            send_headers["Content-Type"] = "application/json"
        try:
            response = self.http.request(
                method, url, check=False, data=data, headers=send_headers, auth=self.auth if signed else None
            )
        except ConnectorError as exc:
            exc.system = SYSTEM  # the agent is unreachable: transient, the engine shows "agent offline"
            raise
        if response.status_code == 404 and missing_ok:
            return None
        if response.status_code >= 400:
            raise self._error(response)
        return response.json()

    def _error(self, response: requests.Response) -> ConnectorError:
        try:
            info = P.ErrorInfo.from_dict(response.json().get("error"))
        except (ValueError, AttributeError, P.ProtocolError):
            info = P.ErrorInfo(category="internal", message=response.text[:300])
        status = response.status_code
        code: int | str = info.code if info.code is not None else status
        detail = f"{info.name}: {info.message}" if info.name else info.message
        message = f"Visma agent: {info.message}"
        if status == 503 and info.code is None:
            retry = parse_retry_after(response.headers.get("Retry-After"))
            return RateLimited(message, retry_after=retry, code=code, detail=detail, system=SYSTEM)
        if status >= 500 or info.transient:
            return TransientError(message, code=code, detail=detail, system=SYSTEM)
        return PermanentError(message, code=code, detail=detail, system=SYSTEM)

    def _one(self, cls: type[R], data: Any) -> R:
        return cls.from_dict(data)

    # --- identity ---------------------------------------------------------------------------------

    def health(self) -> P.Health:
        """Liveness (unauthenticated): ``GET /v1/health``."""
        return P.Health.from_dict(self._call("GET", "/v1/health", signed=False))

    def identity(self) -> P.Identity:
        """``GET /v1/identity``: agent version, backend, company, queue depth, last write."""
        return P.Identity.from_dict(self._call("GET", "/v1/identity"))

    def heartbeat(self) -> AgentHeartbeat:
        """Identity plus the moment we saw the agent: the fields kept on ``VismaAgent``."""
        ident = self.identity()
        return AgentHeartbeat(
            last_seen=datetime.now(UTC),
            agent_version=ident.agent_version,
            backend=ident.backend,
            program_variant=ident.program_variant,
            api_licensed=ident.api_licensed,
            company_name=ident.company_name,
            org_number=ident.org_number,
            queue_depth=ident.queue_depth,
            last_successful_write=ident.last_successful_write,
        )

    def openapi(self) -> dict[str, Any]:
        return self._call("GET", "/v1/openapi.json")

    # --- articles, stock, prices -------------------------------------------------------------------

    def articles_changed(self, cursor: str | None = None, limit: int = 500) -> P.ArticlePage:
        """``GET /v1/articles``: articles in timestamp order after ``cursor``."""
        return P.ArticlePage.from_dict(
            self._call("GET", "/v1/articles", params={"cursor": cursor, "limit": limit})
        )

    def get_article(self, number: str) -> P.Article | None:
        data = self._call("GET", f"/v1/articles/{quote(number, safe='')}", missing_ok=True)
        return None if data is None else P.Article.from_dict(data)

    def put_article(self, number: str, article: P.ArticleInput) -> P.Article:
        """``PUT /v1/articles/{number}``: create or update (shop-master modes)."""
        data = self._call("PUT", f"/v1/articles/{quote(number, safe='')}", body=article.to_dict())
        return P.Article.from_dict(data)

    def stock_page(
        self, after: str | None = None, limit: int = 5000, webshop_only: bool = False
    ) -> P.StockPage:
        params = {"after": after, "limit": limit, "webshop_only": "true" if webshop_only else None}
        return P.StockPage.from_dict(self._call("GET", "/v1/stock", params=params))

    def iter_stock(self, page_size: int = 5000, webshop_only: bool = False) -> Iterator[P.StockLine]:
        """All stock figures, page by page (bounded memory on both ends)."""
        return _pages(lambda after: self.stock_page(after, page_size, webshop_only))

    def price_lists(self) -> list[P.PriceList]:
        return [P.PriceList.from_dict(p) for p in self._call("GET", "/v1/price-lists")["items"]]

    def prices(self, price_list: str, after: str | None = None, limit: int = 5000) -> P.PricePage:
        path = f"/v1/price-lists/{quote(price_list, safe='')}/prices"
        return P.PricePage.from_dict(self._call("GET", path, params={"after": after, "limit": limit}))

    def iter_prices(self, price_list: str, page_size: int = 5000) -> Iterator[P.Price]:
        """Every price of one list, quantity breaks included, page by page."""
        return _pages(lambda after: self.prices(price_list, after, page_size))

    def prices_of(self, price_list: str, article: str) -> list[P.Price]:
        """One article's prices in one list, quantity breaks included: the page that starts at it
        (the cursor is the agent's keyset ``article|quantity``; no quantity is below zero)."""
        page = self.prices(price_list, after=f"{article}|-1", limit=50)
        return [p for p in page.items if p.article_number == article]

    def customer_price(self, customer: str, article: str, quantity: Decimal = Decimal(1)) -> P.CustomerPrice:
        params = {"customer": customer, "article": article, "quantity": quantity}
        return P.CustomerPrice.from_dict(self._call("GET", "/v1/customer-price", params=params))

    def vat_codes(self) -> list[P.VatCode]:
        """``GET /v1/vat-codes``: the company's VAT codes with their rates in percent."""
        return [P.VatCode.from_dict(v) for v in self._call("GET", "/v1/vat-codes")["items"]]

    def codes(self, kind: str) -> list[P.Code]:
        """``GET /v1/codes/{kind}``: a code list, ``kind`` one of ``protocol.CODE_KINDS``."""
        if kind not in P.CODE_KINDS:
            raise ValueError(f"unknown code list {kind!r}")
        return P.CodeList.from_dict(self._call("GET", f"/v1/codes/{kind}")).items

    # --- customers --------------------------------------------------------------------------------

    def find_customers(self, *, number: str = "", email: str = "", org_number: str = "") -> list[P.Customer]:
        params = {"number": number, "email": email, "org_number": org_number}
        return [P.Customer.from_dict(c) for c in self._call("GET", "/v1/customers", params=params)["items"]]

    def create_customer(self, customer: P.CustomerInput, idempotency_key: str) -> P.Customer:
        """``POST /v1/customers``: a repeat with the same key returns the customer the key made."""
        headers = {IDEMPOTENCY_HEADER: idempotency_key}
        return P.Customer.from_dict(
            self._call("POST", "/v1/customers", body=customer.to_dict(), headers=headers)
        )

    # --- documents --------------------------------------------------------------------------------

    def create_document(self, document: P.DocumentInput, idempotency_key: str) -> P.Document:
        """``POST /v1/documents``: a repeat with the same key returns the same document."""
        headers = {IDEMPOTENCY_HEADER: idempotency_key}
        return P.Document.from_dict(
            self._call("POST", "/v1/documents", body=document.to_dict(), headers=headers)
        )

    def find_documents(self, reference: str) -> list[P.Document]:
        data = self._call("GET", "/v1/documents", params={"reference": reference})
        return [P.Document.from_dict(d) for d in data["items"]]

    def document_status(self, reference: str) -> P.DocumentStatusList:
        """``GET /v1/document-status``: head-only status by the shop's reference (no rows).

        Cheaper than ``find_documents``; served over the agent's ODBC read path when enabled.
        """
        return P.DocumentStatusList.from_dict(
            self._call("GET", "/v1/document-status", params={"reference": reference})
        )

    def get_document(self, kind: str, number: int) -> P.Document | None:
        data = self._call("GET", f"/v1/documents/{kind}/{int(number)}", missing_ok=True)
        return None if data is None else P.Document.from_dict(data)

    def document_events(self, after: str | int = 0, limit: int = 500) -> P.EventPage:
        return P.EventPage.from_dict(
            self._call("GET", "/v1/document-events", params={"after": after, "limit": limit})
        )

    def open_invoices(
        self, customer: str | None = None, after: int = 0, limit: int = 500
    ) -> P.OpenInvoicePage:
        params = {"customer": customer, "after": after or None, "limit": limit}
        return P.OpenInvoicePage.from_dict(self._call("GET", "/v1/open-invoices", params=params))

    # --- simulator side door (tests and demo only) --------------------------------------------------

    def sim(self, method: str, path: str, body: Any = None) -> Any:
        """Call the simulated backend's side door, ``/_sim/...`` (signed like ``/v1``)."""
        return self._call(method, f"/_sim/{path.lstrip('/')}", body=body if body is not None else {})


def _pages(fetch: Callable[[str | None], Any]) -> Iterator[Any]:
    """Follow ``next_after`` from page to page, yielding the items of each."""
    after: str | None = None
    while True:
        page = fetch(after)
        yield from page.items
        if not page.next_after:
            return
        after = page.next_after
