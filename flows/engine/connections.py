"""The clients a flow needs, built from an integration's configuration.

Clients live as long as the worker process and are rebuilt when their configuration changes, so
that HTTP connections are reused and a shop's call-rate limit (its token bucket) holds across the
items of a batch instead of starting full again for every order.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Protocol, TypeVar, cast

from django.conf import settings

from connectors.jetshop import JetshopClient
from connectors.jetshop.client import DEFAULT_INTEGER_PRICE_FIELDS
from connectors.visma.client import VismaClient
from connectors.visma.gateway.broker import Broker, broker_for
from connectors.visma.gateway.transport import OUTBOUND_BASE_URL, GatewayTransport
from flows.models import Integration, JetshopShop, VismaAgent

_lock = threading.Lock()


class _Closable(Protocol):
    def close(self) -> None: ...


C = TypeVar("C", bound=_Closable)
_clients: dict[tuple[str, int], tuple[str, _Closable]] = {}
_vat_codes: dict[int, tuple[float, str, dict[Decimal, str]]] = {}
# The company's VAT codes change about once a decade; re-read them every ten minutes anyway.
VAT_CODES_TTL_SECONDS = 600


_broker: Broker | None = None
_broker_lock = threading.Lock()  # not _lock: clients are built while _lock is held


def gateway_broker() -> Broker:
    """Where requests for outbound agents go: Redis when there is one, else (the embedded ``make
    run`` default, which has no Redis) a SQLite file under ``VAR_DIR`` shared with the gateway."""
    global _broker
    with _broker_lock:
        if _broker is None:
            _broker = broker_for(settings.REDIS_URL, settings.VAR_DIR / "agent-gateway.sqlite3")
        return _broker


def visma_client(
    agent: VismaAgent, *, connect_timeout: float | None = None, read_timeout: float = 60.0
) -> VismaClient:
    """A client for this agent over its transport: the gateway (outbound) or its URL (direct).
    The connect timeout is 5 s to a direct agent's port, 10 s for the gateway to hand over."""
    secret = agent.secret.reveal()
    if agent.mode == VismaAgent.Mode.DIRECT:
        return VismaClient(
            agent.agent_url,
            agent.key_id,
            secret,
            connect_timeout=connect_timeout or 5.0,
            read_timeout=read_timeout,
        )
    connect_timeout = connect_timeout or 10.0
    transport = GatewayTransport(
        gateway_broker(), agent.key_id, connect_timeout=connect_timeout, read_timeout=read_timeout
    )
    return VismaClient(
        OUTBOUND_BASE_URL, agent.key_id, secret, transport=transport, connect_timeout=connect_timeout,
        read_timeout=read_timeout,
    )  # fmt: skip


def _fingerprint(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()


def _cached(kind: str, pk: int, fingerprint: str, build: Callable[[], C]) -> C:
    with _lock:
        known = _clients.get((kind, pk))
        if known and known[0] == fingerprint:
            return cast(C, known[1])  # one kind of client per ``kind``
        client = build()
        _clients[(kind, pk)] = (fingerprint, client)
    if known:
        known[1].close()
    return client


class Connections:
    def __init__(self, integration: Integration) -> None:
        self.integration = integration

    def jetshop(self, shop: JetshopShop) -> JetshopClient:
        password = shop.password.reveal()
        fingerprint = _fingerprint(
            shop.endpoint_url, shop.username, password, shop.shop_id_header, shop.order_operations,
            shop.calls_per_second, shop.price_list_decimals,
        )  # fmt: skip
        return _cached(
            "jetshop",
            shop.pk,
            fingerprint,
            lambda: JetshopClient(
                shop.endpoint_url,
                shop.username,
                password,
                shop.shop_id_header,
                operation_names=shop.order_operations,
                calls_per_second=float(shop.calls_per_second),
                integer_price_fields=() if shop.price_list_decimals else DEFAULT_INTEGER_PRICE_FIELDS,
            ),
        )

    @property
    def visma(self) -> VismaClient:
        agent = self.integration.agent
        fingerprint = _fingerprint(agent.mode, agent.agent_url, agent.key_id, agent.secret.reveal())
        return _cached("visma", self.integration.pk, fingerprint, lambda: visma_client(agent))

    def vat_rates(self) -> dict[str, Decimal]:
        """The company's VAT code → rate in percent (catalogue flows convert prices with it)."""
        return {vat.code: vat.rate for vat in self.visma.vat_codes()}

    def vat_codes(self) -> dict[Decimal, str]:
        """Rate in percent → the company's VAT code (the lowest code when two share a rate)."""
        agent = self.integration.agent
        fingerprint = _fingerprint(agent.mode, agent.agent_url, agent.key_id)
        cached = _vat_codes.get(self.integration.pk)
        if cached and cached[1] == fingerprint and time.monotonic() - cached[0] < VAT_CODES_TTL_SECONDS:
            return cached[2]
        codes: dict[Decimal, str] = {}
        for vat in sorted(self.visma.vat_codes(), key=lambda v: v.code):
            codes.setdefault(vat.rate.normalize(), vat.code)
        _vat_codes[self.integration.pk] = (time.monotonic(), fingerprint, codes)
        return codes
