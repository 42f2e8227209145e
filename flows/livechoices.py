"""The live systems' code lists as the admin's choices: read through the connectors, kept in
``LiveChoices`` with the time they were read, refreshed when the consultant asks.

Visma's: terms of payment, ways and terms of delivery, article accounts (``/v1/codes``), price lists
and VAT codes. Each shop's: order statuses, channels, and the channels' price lists (the shop's web
service lists no price lists of its own, jetshop-commerce.md §2.9).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from connectors.errors import ConnectorError
from connectors.visma import protocol as P
from flows.engine.connections import Connections, visma_client
from flows.models import Integration, JetshopShop, LiveChoices, VismaAgent

Kind = LiveChoices.Kind
VISMA_KINDS = (
    Kind.TERMS_OF_PAYMENT,
    Kind.WAY_OF_DELIVERY,
    Kind.TERMS_OF_DELIVERY,
    Kind.ARTICLE_ACCOUNT,
    Kind.PRICE_LIST,
    Kind.VAT_CODE,
)
SHOP_KINDS = (Kind.ORDER_STATUS, Kind.CHANNEL, Kind.SHOP_PRICE_LIST)
LONG_CODE = 12  # Visma's codes are short; a shop price list's id is a 36-character GUID


@dataclass(frozen=True)
class LiveList:
    """A code list as the forms use it: code → name, where it came from and when it was read."""

    kind: str
    names: dict[str, str]
    source: str
    fetched_at: datetime
    vat_codes: dict[str, str]  # article accounts: account code → its VAT code

    def label(self, code: str) -> str:
        """ "K – Kort"; a long code (a price list's GUID) after its name, which is what people read."""
        name = self.names.get(code)
        if not name:
            return code
        return f"{name} ({code})" if len(code) > LONG_CODE else f"{code} – {name}"


def read_visma(agent: VismaAgent) -> dict[str, list[dict[str, str]]]:
    """Visma's code lists, each row ``{"code", "name"}`` (article accounts with ``vat_code``)."""
    client = visma_client(agent, read_timeout=30.0)
    try:
        lists: dict[str, list[dict[str, str]]] = {
            kind: [{"code": c.code, "name": c.text, "vat_code": c.vat_code} for c in client.codes(kind)]
            for kind in P.CODE_KINDS
        }
        lists[Kind.PRICE_LIST] = [{"code": p.code, "name": p.text} for p in client.price_lists()]
        lists[Kind.VAT_CODE] = [
            {"code": v.code, "name": f"{v.rate.normalize():f} %", "rate": f"{v.rate.normalize():f}"}
            for v in client.vat_codes()
        ]
        return lists
    finally:
        client.close()


def read_shop(connections: Connections, shop: JetshopShop) -> dict[str, list[dict[str, str]]]:
    client = connections.jetshop(shop)
    statuses, channels = client.list_order_statuses(), client.list_channels()
    return {
        Kind.ORDER_STATUS: [{"code": str(s.status_id), "name": s.name} for s in statuses],
        Kind.CHANNEL: [
            {"code": str(c.channel_id), "name": f"{c.name} ({c.currency_code})"} for c in channels
        ],
        Kind.SHOP_PRICE_LIST: [
            {"code": c.price_list_id.lower(), "name": f"{c.name} ({c.currency_code})"}
            for c in channels
            if c.price_list_id
        ],
    }


def refresh(integration: Integration) -> list[str]:
    """Read every list again from Visma and each shop; what could not be read, in words."""
    problems: list[str] = []
    agent = VismaAgent.objects.filter(integration=integration).first()
    if agent is None:
        problems.append(_("Visma: no agent configured"))
    else:
        try:
            _store(integration, None, read_visma(agent))
        except ConnectorError as exc:
            problems.append(_("Visma: %(error)s") % {"error": exc})
    connections = Connections(integration)
    for shop in integration.shops.order_by("pk"):
        try:
            _store(integration, shop, read_shop(connections, shop))
        except ConnectorError as exc:
            problems.append(f"{shop}: {exc}")
    return problems


@transaction.atomic
def _store(
    integration: Integration, shop: JetshopShop | None, lists: dict[str, list[dict[str, str]]]
) -> None:
    now = timezone.now()
    for kind, rows in lists.items():
        LiveChoices.objects.update_or_create(
            integration=integration, shop=shop, kind=kind, defaults={"rows": rows, "fetched_at": now}
        )


def lists_for(integration: Integration, shop: JetshopShop | None = None) -> dict[str, LiveList]:
    """The stored lists a form of this integration (or of one of its shops) chooses from.

    Without ``shop`` a shop list holds the codes every shop of the integration has (an
    integration's status rule applies to the orders of all its shops).
    """
    stored = list(LiveChoices.objects.filter(integration=integration).select_related("shop"))
    out: dict[str, LiveList] = {}
    for row in stored:
        if row.shop_id is None:
            out[row.kind] = _live(row.kind, [row.rows], _("Visma"), row.fetched_at)
    shop_ids = {shop.pk} if shop else set(integration.shops.values_list("pk", flat=True))
    for kind in SHOP_KINDS:
        rows = [r for r in stored if r.kind == kind and r.shop_id in shop_ids]
        if rows and {r.shop_id for r in rows} == shop_ids:
            source = ", ".join(sorted(str(r.shop) for r in rows))
            out[kind] = _live(kind, [r.rows for r in rows], source, min(r.fetched_at for r in rows))
    return out


def _live(kind: str, lists: list[list[dict[str, str]]], source: str, fetched_at: datetime) -> LiveList:
    common = set.intersection(*({row["code"] for row in rows} for rows in lists))
    names: dict[str, str] = {}
    vat: dict[str, str] = {}
    for rows in lists:
        for row in rows:
            if row["code"] in common:
                names.setdefault(row["code"], row.get("name", ""))
                vat.setdefault(row["code"], row.get("vat_code", ""))
    return LiveList(kind, names, source, fetched_at, vat)
