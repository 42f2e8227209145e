"""The daily three-way close: captures ↔ Visma invoices ↔ PSP SALE lines, differences listed, CSV."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from flows.models import JourneyStep, SyncItem
from flows.modes import Flow
from reconciliation import service
from reconciliation.close import Difference, daily_close, to_csv
from tests.factories import CustomerFactory, IntegrationFactory, JetshopShopFactory, user_in_group
from tests.reconciliation.builders import klarna_file
from tests.reconciliation.conftest import make_invoice

pytestmark = pytest.mark.django_db
DAY = dt.date(2025, 3, 10)
NOON = dt.datetime(2025, 3, 10, 12, 0, tzinfo=dt.UTC)


def capture(integration, reference, amount):
    step = JourneyStep.objects.create(
        integration=integration, order_ref=reference, step=JourneyStep.Step.CAPTURED,
        detail={"payment_method": "Klarna", "amount": amount},
    )  # fmt: skip
    JourneyStep.objects.filter(pk=step.pk).update(at=NOON)


def test_three_way_close_lists_each_kind_of_difference(client, visma, ledger, unique):
    integration = IntegrationFactory(reconciliation_enabled=True)
    shop = JetshopShopFactory(integration=integration, order_reference_prefix="SE-")
    paid, lost, waiting, uncaptured = (f"{n}{unique}" for n in ("A", "B", "C", "D"))
    make_invoice(visma, paid, "100.00")
    capture(integration, f"SE-{paid}", "100.00")  # captured, paid out, invoiced: no difference
    capture(integration, f"SE-{lost}", "50.00")  # captured, never paid out
    item = SyncItem.objects.create(
        integration=integration, flow=Flow.SHOP_ORDERS_TO_VISMA, shop=shop, source_id=f"x:{uncaptured}",
        reference=f"SE-{uncaptured}", status=SyncItem.Status.DONE, target_id="777",
    )  # fmt: skip
    SyncItem.objects.filter(pk=item.pk).update(created_at=NOON)
    name, data = klarna_file(f"1{unique}", [("SALE", paid, "100.00"), ("SALE", waiting, "75.00")])
    service.import_files(integration, [(name, data)], ledger=ledger)
    rows = daily_close(integration, DAY, today=DAY + dt.timedelta(days=10))
    found = {(r.order, r.difference) for r in rows}
    assert found == {
        (lost, Difference.NOT_PAID_OUT),
        (waiting, Difference.NOT_INVOICED),
        (uncaptured, Difference.NOT_CAPTURED),
    }
    # Too early to call a capture "not paid out": the payout may still come.
    assert (lost, Difference.NOT_PAID_OUT) not in {
        (r.order, r.difference) for r in daily_close(integration, DAY, DAY)
    }
    assert to_csv(rows).startswith("day;channel;order;captured;invoice;paid_out;payout;difference\r\n")

    owner = user_in_group("Merchant", staff=False, username="owner", customer=integration.customer)
    client.force_login(owner)
    response = client.get(reverse("reconciliation:close_csv", args=[integration.pk, "2025-03-10"]))
    assert response.status_code == 200 and waiting in response.content.decode()
    stranger = user_in_group("Merchant", staff=False, username="stranger", customer=CustomerFactory())
    client.force_login(stranger)
    assert (
        client.get(reverse("reconciliation:close_csv", args=[integration.pk, "2025-03-10"])).status_code
        == 404
    )
