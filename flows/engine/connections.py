"""The clients a flow needs, built from an integration's configuration.

Clients live as long as the worker process and are rebuilt when their configuration changes, so
that HTTP connections are reused and a shop's call-rate limit (its token bucket) holds across the
items of a batch instead of starting full again for every order.
"""

from __future__ import annotations

import hashlib
import threading
import time
from decimal import Decimal

from connectors.jetshop import JetshopClient
from connectors.jetshop.client import DEFAULT_INTEGER_PRICE_FIELDS
from connectors.visma.client import VismaClient
from flows.models import Integration, JetshopShop

_lock = threading.Lock()
_clients: dict[tuple[str, int], tuple[str, object]] = {}
_vat_codes: dict[int, tuple[float, str, dict[Decimal, str]]] = {}
# The company's VAT codes change about once a decade; re-read them every ten minutes anyway.
VAT_CODES_TTL_SECONDS = 600


def _fingerprint(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()


def _cached(kind: str, pk: int, fingerprint: str, build):  # type: ignore[no-untyped-def]
    with _lock:
        known = _clients.get((kind, pk))
        if known and known[0] == fingerprint:
            return known[1]
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
        secret = agent.secret.reveal()
        fingerprint = _fingerprint(agent.agent_url, agent.key_id, secret)
        return _cached(
            "visma",
            self.integration.pk,
            fingerprint,
            lambda: VismaClient(agent.agent_url, agent.key_id, secret),
        )

    def vat_rates(self) -> dict[str, Decimal]:
        """The company's VAT code → rate in percent (catalogue flows convert prices with it)."""
        return {vat.code: vat.rate for vat in self.visma.vat_codes()}

    def vat_codes(self) -> dict[Decimal, str]:
        """Rate in percent → the company's VAT code (the lowest code when two share a rate)."""
        fingerprint = _fingerprint(self.integration.agent.agent_url)
        cached = _vat_codes.get(self.integration.pk)
        if cached and cached[1] == fingerprint and time.monotonic() - cached[0] < VAT_CODES_TTL_SECONDS:
            return cached[2]
        codes: dict[Decimal, str] = {}
        for vat in sorted(self.visma.vat_codes(), key=lambda v: v.code):
            codes.setdefault(vat.rate.normalize(), vat.code)
        _vat_codes[self.integration.pk] = (time.monotonic(), fingerprint, codes)
        return codes
