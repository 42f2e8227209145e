"""The go-live check: the onboarding questions asked of the live shop and Visma, a line each.

Every line is green (``ok``), red (with what to do) or not checked (something it depends on
failed, and that line says what). A run is kept in ``GoLiveCheck`` with its time; texts are kept
as message ids with their values and translated when shown, so a check run in Swedish reads in
English too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from connectors.errors import ConnectorError, PermanentError
from connectors.jetshop.records import Order
from connectors.visma import protocol as P
from connectors.visma.agent import VERSION as AGENT_VERSION
from connectors.visma.signing import MAX_SKEW_SECONDS
from flows import livechoices, older_orders
from flows.engine.connections import Connections, visma_client
from flows.engine.payloads import load
from flows.livechoices import Kind, LiveList
from flows.models import GoLiveCheck, Integration, JetshopShop, MethodMapping, SyncItem, VismaAgent
from flows.modes import Flow

VARIANTS = {
    "ADKI_ADMIN2000": "Visma Administration 2000",
    "ADKI_ADMIN1000": "Visma Administration 1000",
    "ADKI_ADMIN500": "Visma Administration 500",
}
RECENT_ORDERS = 200  # orders already transferred whose methods and rates count as "used"
NAMED = 10  # order numbers named in a line


def text(msgid: str, **params: Any) -> dict[str, Any]:
    """A message kept untranslated with its values (``msgid`` marked by ``gettext_noop``)."""
    return {"msg": msgid, "params": {k: str(v) for k, v in params.items()}}


def show(message: dict[str, Any] | None) -> str:
    """A kept message in the current language."""
    if not message:
        return ""
    return gettext(message["msg"]) % message["params"] if message["params"] else gettext(message["msg"])


@dataclass
class Line:
    key: str
    title: dict[str, Any]
    ok: bool | None = None
    detail: dict[str, Any] | None = None
    fix: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "title": self.title, "ok": self.ok, "detail": self.detail, "fix": self.fix}


def failed(
    line: Line,
    detail: dict[str, Any] | None,
    fix: dict[str, Any] | None = None,
    *,
    unchecked: tuple[Line, ...] = (),
    because: dict[str, Any] | None = None,
) -> None:
    """``line`` red, saying why and how to fix it; the lines that depend on it not checked (``because``).

    A dependent line keeps ``ok`` None: it is neither passed nor failed, and its text says which
    line it waits for, so the person fixes the red one first.
    """
    line.ok, line.detail, line.fix = False, detail, fix
    for waiting in unchecked:
        waiting.detail = because


def _names(numbers: list[str]) -> str:
    """The first order numbers, in numeric order (18 before 108), without repeats."""
    numbers = sorted(set(numbers), key=lambda n: (not n.isdigit(), int(n) if n.isdigit() else 0, n))
    shown = ", ".join(numbers[:NAMED])
    return shown + (" …" if len(numbers) > NAMED else "")


def _rate(value: Decimal) -> Decimal:
    return value.normalize() if value else Decimal(0)


@dataclass
class Shop:
    """What the check learnt of one shop."""

    shop: JetshopShop
    answered: bool = False
    statuses: dict[int, str] = field(default_factory=dict)
    open_orders: list[Order] = field(default_factory=list)


class Check:
    def __init__(self, integration: Integration) -> None:
        self.integration = integration
        self.connections = Connections(integration)
        self.lines: list[Line] = []

    def run(self) -> list[Line]:
        shops = [self.check_shop(shop) for shop in self.integration.shops.order_by("pk")]
        if not shops:
            self.lines.append(
                Line(
                    "shops",
                    text(gettext_noop("A shop is configured")),
                    False,
                    fix=text(gettext_noop("Add the merchant's Jetshop shop to the integration.")),
                )
            )
        visma = self.check_agent()
        orders = [o for s in shops for o in s.open_orders] + list(self.recent_orders())
        self.check_methods(orders, visma)
        self.check_vat(orders, visma)
        self.check_price_lists(visma)
        return self.lines

    # --- the shop -----------------------------------------------------------------------------------

    def check_shop(self, shop: JetshopShop) -> Shop:
        seen = Shop(shop)
        client = self.connections.jetshop(shop)
        login = Line(
            f"shop-{shop.pk}-login", text(gettext_noop("Shop %(shop)s: credentials and ShopId"), shop=shop)
        )
        wsdl = Line(
            f"shop-{shop.pk}-wsdl",
            text(
                gettext_noop("Shop %(shop)s: every operation the configuration uses is in the shop's WSDL"),
                shop=shop,
            ),
        )
        statuses = Line(
            f"shop-{shop.pk}-statuses",
            text(
                gettext_noop("Shop %(shop)s: status rules and triggers point at existing statuses"), shop=shop
            ),
        )
        window = Line(
            f"shop-{shop.pk}-lookback",
            text(gettext_noop("Shop %(shop)s: the look-back window covers the open orders"), shop=shop),
        )
        self.lines += [login, wsdl, statuses, window]
        try:
            seen.statuses = {s.status_id: s.name for s in client.list_order_statuses()}
        except ConnectorError as exc:
            failed(
                login,
                text(gettext_noop("The shop refused or did not answer: %(error)s"), error=exc),
                text(
                    gettext_noop(
                        "Check the endpoint URL, the web-service user name and password, and the ShopId "
                        "header the merchant was given by Jetshop."
                    )
                ),
                unchecked=(wsdl, statuses, window),
                because=text(gettext_noop("Not checked: the shop did not answer.")),
            )
            return seen
        seen.answered, login.ok = True, True
        login.detail = text(gettext_noop("The shop answered as %(shop_id)s."), shop_id=shop.shop_id_header)
        try:
            missing = client.missing_operations()
        except ConnectorError as exc:
            failed(
                wsdl,
                text(gettext_noop("The shop's WSDL could not be read: %(error)s"), error=exc),
                text(
                    gettext_noop(
                        "Open the endpoint URL with ?WSDL in a browser and ask Jetshop why it fails."
                    )
                ),
            )
        else:
            wsdl.ok = not missing
            if missing:
                wsdl.detail = text(
                    gettext_noop("Not offered by the shop: %(names)s"), names=", ".join(missing)
                )
                wsdl.fix = text(
                    gettext_noop(
                        "Enter the names the shop's WSDL uses under the shop's order operations, or ask "
                        "Jetshop to give the web-service user these operations."
                    )
                )
        self.check_statuses(seen, statuses)
        self.check_window(seen, client, window)
        return seen

    def check_statuses(self, seen: Shop, line: Line) -> None:
        shop = seen.shop
        wanted = [(gettext_noop("trigger"), t.status_id) for t in shop.order_triggers.all()]
        if shop.transferred_status_id is not None:
            wanted.append((gettext_noop("status after transfer"), shop.transferred_status_id))
        wanted += [(r.get_event_display(), r.shop_status_id) for r in self.integration.status_rules.all()]
        wrong = [f"{what} → {status}" for what, status in wanted if status not in seen.statuses]
        line.ok = not wrong and bool(shop.order_triggers.all())
        if wrong:
            line.detail = text(gettext_noop("The shop has no status %(wrong)s."), wrong=", ".join(wrong))
            line.fix = text(
                gettext_noop("Choose one of the shop's statuses: %(statuses)s."),
                statuses=", ".join(f"{i} {n}" for i, n in seen.statuses.items()),
            )
        elif not line.ok:
            line.detail = text(gettext_noop("No trigger status: no order is ever pulled."))
            line.fix = text(
                gettext_noop("Add the status that makes an order ready (e.g. Mottagen) as a trigger.")
            )
        else:
            line.detail = text(gettext_noop("Statuses checked: %(count)s."), count=len(wanted))

    def check_window(self, seen: Shop, client, line: Line) -> None:
        shop = seen.shop
        start = older_orders.lookback_start(shop)
        try:
            for trigger in shop.order_triggers.all():
                seen.open_orders += client.list_orders_by_status(trigger.status_id)
        except ConnectorError as exc:
            failed(
                line, text(gettext_noop("The shop's open orders could not be listed: %(error)s"), error=exc)
            )
            return
        older = [o for o in seen.open_orders if o.order_date and o.order_date < start]
        older_orders.record(shop, older)
        line.ok = not older
        if older:
            oldest = min(o.order_date for o in older if o.order_date)
            line.detail = text(
                gettext_noop(
                    "Open orders placed before the %(days)s-day window, never fetched: %(count)s "
                    "(%(numbers)s)"
                ),
                count=len(older),
                days=shop.order_lookback_days,
                numbers=_names([o.order_number for o in older]),
            )
            line.fix = text(
                gettext_noop(
                    "Fetch them once with “Fetch older orders” since %(date)s, or raise the look-back to "
                    "%(days)s days."
                ),
                date=oldest.date().isoformat(),
                days=(timezone.now() - oldest).days + 1,
            )
        else:
            line.detail = text(
                gettext_noop("Open orders: %(count)s, all within the window."), count=len(seen.open_orders)
            )

    def recent_orders(self) -> Iterator[Order]:
        items = SyncItem.objects.filter(integration=self.integration, flow=Flow.SHOP_ORDERS_TO_VISMA)
        for payload in items.order_by("-id").values_list("payload", flat=True)[:RECENT_ORDERS]:
            try:
                yield load(Order, payload)
            except (TypeError, ValueError, KeyError):
                continue

    # --- the agent and Visma ------------------------------------------------------------------------

    def check_agent(self) -> dict[str, LiveList]:
        """The agent's lines; Visma's lists as read now (empty when the agent did not answer)."""
        reach = Line("agent-reachable", text(gettext_noop("Visma agent reachable")))
        signed = Line("agent-signature", text(gettext_noop("Visma agent accepts our signature")))
        clock = Line(
            "agent-clock",
            text(gettext_noop("Clocks agree (within ±%(seconds)s s)"), seconds=MAX_SKEW_SECONDS),
        )
        version = Line("agent-version", text(gettext_noop("Visma agent version")))
        variant = Line("visma-variant", text(gettext_noop("Visma program: Administration 500, 1000 or 2000")))
        module = Line("visma-api", text(gettext_noop("Visma's integration (API) module is licensed")))
        self.lines += [reach, signed, clock, version, variant, module]
        later = text(gettext_noop("Not checked: the agent did not answer."))
        agent = VismaAgent.objects.filter(integration=self.integration).first()
        if agent is None:
            failed(
                reach,
                None,
                text(gettext_noop("Add the Visma agent (key id and secret) to the integration.")),
                unchecked=(signed, clock, version, variant, module),
                because=later,
            )
            return {}
        client = visma_client(agent, read_timeout=20.0)
        try:
            try:
                client.health()
            except ConnectorError as exc:
                failed(
                    reach,
                    text(gettext_noop("No answer: %(error)s"), error=exc),
                    text(
                        gettext_noop(
                            "Start the Visma agent service on the merchant's Visma server and check that it "
                            "can reach us (outbound mode) or that its URL is open to us (direct mode)."
                        )
                    ),
                    unchecked=(signed, clock, version, variant, module),
                    because=later,
                )
                return {}
            reach.ok = True
            try:
                identity = client.identity()
            except PermanentError as exc:
                # The agent does not say why (a refusal tells a prober nothing): the key id, the
                # secret, or a clock more than the allowed skew apart.
                failed(
                    signed,
                    text(gettext_noop("Refused: %(error)s"), error=exc),
                    text(
                        gettext_noop(
                            "Give the agent the key id and secret entered here (its config file), or enter "
                            "its own; if they match, set the Visma server's clock right (Windows time "
                            "service)."
                        )
                    ),
                    unchecked=(clock,),
                    because=text(gettext_noop("Not checked: the signature was refused.")),
                )
                for line in (version, variant, module):
                    line.detail = text(gettext_noop("Not checked: the agent refused us."))
                return {}
            except ConnectorError as exc:
                failed(signed, text(gettext_noop("No answer: %(error)s"), error=exc))
                return {}
            signed.ok = clock.ok = True
            self.identity_lines(identity, version, variant, module)
        finally:
            client.close()
        problems = livechoices.refresh(self.integration)
        lists = livechoices.lists_for(self.integration)
        if problems:
            module.detail = text(
                gettext_noop("%(detail)s (code lists: %(problems)s)"),
                detail=show(module.detail),
                problems="; ".join(problems),
            )
        return {k: v for k, v in lists.items() if k in livechoices.VISMA_KINDS}

    @staticmethod
    def identity_lines(identity: P.Identity, version: Line, variant: Line, module: Line) -> None:
        ours = _version(AGENT_VERSION)
        version.ok = _version(identity.agent_version) >= ours
        version.detail = text(
            gettext_noop("Agent %(agent)s, backend %(backend)s; this server ships %(ours)s."),
            agent=identity.agent_version,
            backend=identity.backend,
            ours=AGENT_VERSION,
        )
        if not version.ok:
            version.fix = text(
                gettext_noop("Install the agent of this server's version on the Visma server.")
            )
        name = VARIANTS.get(identity.program_variant)
        variant.ok = name is not None
        variant.detail = text(
            gettext_noop("%(variant)s, company %(company)s"),
            variant=name or identity.program_variant or "?",
            company=identity.company_name,
        )
        if not variant.ok:
            variant.fix = text(
                gettext_noop(
                    "The integration needs Visma Administration 500, 1000 or 2000; this company is opened by "
                    "another program."
                )
            )
        module.ok = identity.api_licensed
        if not module.ok:
            module.fix = text(
                gettext_noop("Order the Visma Integration module for this company's licence from Visma.")
            )

    # --- what the orders use ------------------------------------------------------------------------

    def check_methods(self, orders: list[Order], visma: dict[str, LiveList]) -> None:
        line = Line(
            "methods", text(gettext_noop("Every payment and delivery method the shop uses is mapped"))
        )
        self.lines.append(line)
        mapped = {
            (m.kind, m.shop_value): m.visma_code
            for m in MethodMapping.objects.filter(integration=self.integration)
        }
        used: dict[tuple[str, str], list[str]] = defaultdict(list)
        for order in orders:
            for method_kind, value in (
                (MethodMapping.Kind.PAYMENT.value, order.payment_method),
                (MethodMapping.Kind.DELIVERY.value, order.delivery_method),
            ):
                if value:
                    used[(method_kind, value)].append(order.order_number)
        lists: dict[str, LiveList | None] = {
            MethodMapping.Kind.PAYMENT: visma.get(Kind.TERMS_OF_PAYMENT),
            MethodMapping.Kind.DELIVERY: visma.get(Kind.WAY_OF_DELIVERY),
        }
        wrong: list[str] = []
        unknown_codes: list[str] = []
        for (kind, value), numbers in sorted(used.items()):
            if (kind, value) not in mapped:
                wrong.append(f"{value} ({_names(numbers)})")
        for (kind, value), code in sorted(mapped.items()):
            live = lists.get(kind)
            if live is not None and code not in live.names:
                unknown_codes.append(f"{value} → {code}")
        line.ok = not wrong and not unknown_codes
        if wrong:
            line.detail = text(gettext_noop("Not mapped: %(methods)s"), methods="; ".join(wrong))
            line.fix = text(
                gettext_noop(
                    "Add a method mapping for each, to a Visma terms-of-payment or way-of-delivery code."
                )
            )
        if unknown_codes:
            line.detail = text(
                gettext_noop("%(before)s Mapped to codes Visma lacks: %(codes)s"),
                before=show(line.detail),
                codes=", ".join(unknown_codes),
            )
            line.fix = line.fix or text(gettext_noop("Choose codes Visma has (refresh the lists first)."))
        if line.ok and not used:
            # No order yet to learn the methods from: nothing was checked, so nothing is green.
            line.ok = None
            line.detail = text(
                gettext_noop("Not checked: no order in the shop or here yet shows its methods.")
            )
            line.fix = text(gettext_noop("Place a test order in the shop, then run the check again."))
        elif line.ok:
            line.detail = text(
                gettext_noop("Methods seen: %(count)s, in %(orders)s recent orders; all mapped."),
                count=len(used),
                orders=len(orders),
            )

    def check_price_lists(self, visma: dict[str, LiveList]) -> None:
        """Each price-list mapping names a Visma price list that exists (red otherwise: the flow
        would read prices nobody sees). The shop side is named, not judged: its web service lists
        only the channels' price lists (jetshop-commerce.md §2.9), so another GUID may be a
        customer-group list the shop has. Both sides as the check's refresh of the code lists just
        read them (``check_agent``), the lists the integration page marks "missing" from."""
        mappings = list(self.integration.price_list_mappings.order_by("visma_price_list"))
        if not mappings:
            return
        line = Line(
            "price-lists", text(gettext_noop("Price-list mappings point at price lists both sides have"))
        )
        self.lines.append(line)
        visma_lists = visma.get(Kind.PRICE_LIST)
        if visma_lists is None:
            line.detail = text(gettext_noop("Not checked: Visma's lists could not be read."))
            return
        lacking = [m.visma_price_list for m in mappings if m.visma_price_list not in visma_lists.names]
        in_shop = livechoices.lists_for(self.integration).get(Kind.SHOP_PRICE_LIST)
        unseen = [
            str(m.jetshop_price_list_guid)
            for m in mappings
            if in_shop is not None and str(m.jetshop_price_list_guid).lower() not in in_shop.names
        ]
        line.ok = not lacking
        if lacking:
            line.detail = text(gettext_noop("Visma has no price list %(codes)s."), codes=", ".join(lacking))
            line.fix = text(
                gettext_noop(
                    "Choose a price list Visma has (refresh the lists first), or delete the mapping."
                )
            )
        else:
            line.detail = text(gettext_noop("Mappings checked: %(count)s."), count=len(mappings))
        if unseen:
            line.detail = text(
                gettext_noop(
                    "%(before)s No channel of the shop uses %(guids)s: check in Jetshop's admin that it "
                    "is one of its price lists."
                ),
                before=show(line.detail),
                guids=", ".join(unseen),
            )

    def check_vat(self, orders: list[Order], visma: dict[str, LiveList]) -> None:
        vat = Line("vat", text(gettext_noop("Visma VAT codes cover the shop's VAT rates")))
        accounts = Line("accounts", text(gettext_noop("Article accounts cover the shop's VAT rates")))
        self.lines += [vat, accounts]
        rates: dict[Decimal, list[str]] = defaultdict(list)
        for order in orders:
            for row in order.rows:
                rates[_rate(row.vat * 100)].append(order.order_number)
            if order.freight_inc_vat:
                rates[_rate(order.freight_vat * 100)].append(order.order_number)
        codes = visma.get(Kind.VAT_CODE)
        if codes is None:
            vat.detail = accounts.detail = text(gettext_noop("Not checked: Visma's lists could not be read."))
            return
        visma_rates = {Decimal(r).normalize() for r in _rates(codes)}
        uncovered = {rate: numbers for rate, numbers in rates.items() if rate not in visma_rates}
        vat.ok = not uncovered
        shown = ", ".join(f"{r:f} %" for r in sorted(rates))
        if uncovered:
            vat.detail = text(
                gettext_noop("No Visma VAT code for %(rates)s (orders %(numbers)s)"),
                rates=", ".join(f"{r:f} %" for r in sorted(uncovered)),
                numbers=_names([n for ns in uncovered.values() for n in ns]),
            )
            vat.fix = text(
                gettext_noop(
                    "Add the rate to the company's VAT settings in Visma, or correct the "
                    "product's VAT in the shop."
                )
            )
        else:
            vat.detail = text(gettext_noop("Rates in use: %(rates)s"), rates=shown or "—")
        if Flow.SHOP_PRODUCTS_TO_VISMA not in self.integration.flows:
            accounts.ok = True
            accounts.detail = text(
                gettext_noop("Not used: articles are not created from the shop in this mode.")
            )
            return
        live = visma.get(Kind.ARTICLE_ACCOUNT)
        mapped = {_rate(m.vat_rate): m.account_code for m in self.integration.account_mappings.all()}
        lacking = [f"{r:f} %" for r in sorted(rates) if r not in mapped]
        unknown = [
            f"{r:f} % → {c}" for r, c in sorted(mapped.items()) if live is not None and c not in live.names
        ]
        accounts.ok = not lacking and not unknown
        if not accounts.ok:
            accounts.detail = text(
                gettext_noop("No account for %(rates)s; accounts Visma lacks: %(unknown)s"),
                rates=", ".join(lacking) or "—",
                unknown=", ".join(unknown) or "—",
            )
            accounts.fix = text(
                gettext_noop("Add an article account mapping for each rate, to an account Visma has.")
            )
        else:
            accounts.detail = text(gettext_noop("Rates in use: %(rates)s"), rates=shown or "—")


def _rates(codes: LiveList) -> list[str]:
    """The VAT list's rates: its names are "25 %" (see ``livechoices.read_visma``)."""
    return [name.split(" ")[0] for name in codes.names.values()]


def _version(value: str) -> tuple[int, ...]:
    parts = []
    for part in value.split("."):
        digits = "".join(ch for ch in part if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


@transaction.atomic
def _keep(integration: Integration, lines: list[Line], user) -> GoLiveCheck:
    return GoLiveCheck.objects.create(
        integration=integration,
        ran_by=user if getattr(user, "pk", None) else None,
        ok=all(line.ok for line in lines),
        lines=[line.as_dict() for line in lines],
    )


def run_check(integration: Integration, user=None) -> GoLiveCheck:
    """Ask every question now and keep the answers."""
    return _keep(integration, Check(integration).run(), user)
