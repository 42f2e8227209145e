"""The demo's shoppers and warehouse: orders placed in the shop, some delivered in Visma.

Run by ``python manage.py demo_traffic`` under ``make run``, against the simulators only (it uses
their side doors). A newcomer opening the admin sees orders arrive in Visma, statuses come back
with e-mail, tracking and capture, and now and then an order that needs a mapping.
"""

from __future__ import annotations

import logging
import random
import time
from decimal import Decimal

from connectors.errors import ConnectorError
from connectors.jetshop.simulator.sidedoor_client import SideDoorClient
from connectors.visma.client import VismaClient
from flows.models import Integration, JourneyStep, SyncItem
from flows.modes import Flow

log = logging.getLogger("flows.demo.setup.traffic")
# Extra demo articles: number prefix, name, account code (1 = 25 %, 2 = 12 %, 3 = 6 %), VAT fraction.
RANGES = [
    ("D1", "Ullsocka", "1", "0.25"),
    ("D2", "Kaffebönor", "2", "0.12"),
    ("D3", "Pocketbok", "3", "0.06"),
]
ARTICLES_PER_RANGE = 100
DELIVERED: set[str] = set()
PEOPLE = [
    ("Åsa", "Öberg", "Stockholm"),
    ("Lars", "Nilsson", "Malmö"),
    ("Märta", "Ek", "Umeå"),
    ("Björn", "Lund", "Göteborg"),
    ("Kari", "Nordmann", "Oslo"),
    ("Ola", "Hansen", "Bergen"),
]


def demo_catalogue() -> list[tuple[str, str, str, Decimal]]:
    """(article number, name, VAT fraction, price incl. VAT) for the few hundred demo articles."""
    rng = random.Random(42)
    return [
        (f"{prefix}{n:03d}", f"{name} {n}", vat, Decimal(rng.randrange(4900, 49900, 100)) / 100)
        for prefix, name, _account, vat in RANGES
        for n in range(1, ARTICLES_PER_RANGE + 1)
    ]


def ensure_catalogue(visma: VismaClient) -> None:
    """Add the demo articles with stock and three price lists' prices, unless they are there."""
    if visma.get_article(f"{RANGES[0][0]}001") is not None:
        return
    accounts = {prefix: account for prefix, _name, account, _vat in RANGES}
    items = [
        {
            "number": number,
            "name": name,
            "accounting_code": accounts[number[:2]],
            "in_stock": str(20 + i % 80),
        }
        for i, (number, name, _vat, _price) in enumerate(demo_catalogue())
    ]
    visma.sim("POST", "articles", {"items": items})
    for number, _name, _vat, price in demo_catalogue():
        for price_list, value in (("1", price), ("2", (price * Decimal("0.6")).quantize(Decimal("0.01"))),
                                  ("3", (price * Decimal("0.9")).quantize(Decimal("0.01")))):  # fmt: skip
            visma.sim(
                "PUT", "prices", {"price_list": price_list, "article_number": number, "price": str(value)}
            )
    log.info("added %d demo articles to the Visma company", len(items))


def random_order(rng: random.Random, n: int) -> dict:
    first, last, city = rng.choice(PEOPLE)
    norway = city in ("Oslo", "Bergen")
    catalogue = demo_catalogue()
    rows = []
    for number, name, vat, price in rng.sample(catalogue, rng.randint(1, 3)):
        rows.append({"article_number": number, "name": name, "quantity": rng.randint(1, 3),
                     "unit_price_inc_vat": str(price), "vat": vat})  # fmt: skip
    # One order in fifteen uses a payment method nobody has mapped yet: it waits in "needs attention".
    payment = "Swish" if n % 15 == 0 else rng.choice(["KlarnaCheckout", "Invoice", "Dibs"])
    return {
        "channel_id": 2 if norway else 1,
        "currency": "NOK" if norway else "SEK",
        "culture": "nb-NO" if norway else "sv-SE",
        "customer_id": 5000 + rng.randint(1, 30) if rng.random() < 0.7 else None,
        "email": f"{first.lower()}.{last.lower()}@example.{'no' if norway else 'se'}",
        "bill_to": {"first_name": first, "last_name": last, "address": f"Storgatan {n % 90 + 1}",
                    "zip_code": "111 22", "city": city, "country_code": "NO" if norway else "SE"},
        "payment_method": payment,
        "delivery_method": rng.choice(["PostNord MyPack", "Bring"]) if norway else "PostNord MyPack",
        "freight_inc_vat": rng.choice(["0", "49.00", "59.00"]),
        "rows": rows,
    }  # fmt: skip


def deliver_some(integration: Integration, visma: VismaClient, rng: random.Random, share: float = 0.5) -> int:
    """Deliver a share of the orders already in Visma and not yet delivered, with a tracking number."""
    delivered = JourneyStep.objects.filter(integration=integration, step=JourneyStep.Step.DELIVERED)
    waiting = (
        SyncItem.objects.filter(
            integration=integration, flow=Flow.SHOP_ORDERS_TO_VISMA, status=SyncItem.Status.DONE
        )
        .exclude(target_id="")
        .exclude(reference__in=delivered.values("order_ref"))
        .order_by("-id")[:50]
    )
    count = 0
    for item in waiting:
        if integration.document_type != "order" or item.target_id in DELIVERED or rng.random() > share:
            continue
        tracking = f"PN{rng.randint(10**9, 10**10)}SE"
        visma.sim("POST", f"orders/{item.target_id}/deliver", {"tracking_number": tracking})
        # The status flow reports the delivery a poll later; until then, remember it here.
        DELIVERED.add(item.target_id)
        count += 1
    return count


def run(
    integration: Integration, shop: SideDoorClient, visma: VismaClient, *, every: float, rounds: int
) -> None:
    rng = random.Random()
    placed, catalogue_ready = 0, False
    for round_number in range(rounds or 10**9):
        try:
            if not catalogue_ready:
                ensure_catalogue(visma)
                catalogue_ready = True
            orders = [random_order(rng, placed + i) for i in range(rng.randint(1, 2))]
            shop.place_orders(*orders)
            placed += len(orders)
            if round_number % 3 == 2:
                delivered = deliver_some(integration, visma, rng)
                log.info("placed %d orders so far; delivered %d in Visma", placed, delivered)
        except ConnectorError as exc:
            # The shop or agent is still starting (or was stopped to see what happens): try again.
            log.warning("demo traffic waits: %s", exc)
        time.sleep(every)
