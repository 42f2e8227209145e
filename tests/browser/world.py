"""A merchant with one of everything the console and the dashboard show, with the long values that
make pages wide in real life (long names, URLs, errors), and a day of orders and runs for the charts."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from axes.models import AccessAttempt, AccessLog
from django.utils import timezone

from flows.engine.schedules import sync_schedules
from flows.models import (
    Cursor,
    CustomerChoice,
    ExternalRef,
    InitialSync,
    Integration,
    JourneyStep,
    SyncItem,
    SyncRun,
)
from flows.modes import Flow
from reconciliation.models import AccountPlan, BankLine, KlarnaAccount, Payout, ReconciliationPackage
from sharespine.customers.models import ConfigChange, Customer
from tests.factories import ChannelFactory, VismaAgentFactory

LONG_ERROR = "Visma answered 500: " + "the company database is locked by another user; " * 6


def _at(item: SyncItem | SyncRun, **fields) -> None:
    """Set auto_now(_add) timestamps, which ``save`` would overwrite."""
    type(item).objects.filter(pk=item.pk).update(**fields)


def build(customer: Customer, user) -> Integration:
    channel = ChannelFactory(
        shop__integration__customer=customer,
        shop__integration__name="Webbutiken med ett ganska långt namn",
        shop__integration__reconciliation_enabled=True,
        shop__name="Butiken Sverige och Norge",
        shop__endpoint_url="https://verylongshopname.webservice.jetshop.example/Webservice20/v3.0/webservice.asmx",
        name="Norge",
        currency="NOK",
    )
    shop, integration = channel.shop, channel.shop.integration
    VismaAgentFactory(integration=integration, company_name="Egen Butik AB (Visma Administration 2000)")
    integration.status_rules.create(event="delivered", shop_status_id=4)
    integration.price_list_mappings.create(
        visma_price_list="ÅF", jetshop_price_list_guid="0f8fad5b-d9cb-469f-a165-70867728950e"
    )
    integration.method_mappings.create(
        kind="payment", shop_value="Klarna Checkout (faktura)", visma_code="KL"
    )
    integration.account_mappings.create(vat_rate=Decimal("25.00"), account_code="3001")
    shop.order_triggers.create(status_id=1, name="Mottagen")
    sync_schedules(integration)

    now = timezone.now()
    for hours_ago, status, target in [
        (1, "done", "5001"),
        (2, "done", "5002"),
        (2, "queued", ""),
        (3, "parked", ""),
    ]:
        item = SyncItem.objects.create(
            integration=integration,
            flow=Flow.SHOP_ORDERS_TO_VISMA,
            shop=shop,
            source_id=f"10{hours_ago}{status}",
            reference=f"10{hours_ago}{status}",
            status=status,
            target_id=target,
            reason="needs_mapping" if status == "parked" else "",
            last_error=LONG_ERROR if status == "parked" else "",
        )
        _at(
            item,
            created_at=now - timedelta(hours=hours_ago),
            updated_at=now - timedelta(hours=hours_ago - 0.5),
        )
    for flow, status in [(Flow.SHOP_ORDERS_TO_VISMA, "succeeded"), (Flow.SHOP_ORDERS_TO_VISMA, "failed")]:
        run = SyncRun.objects.create(
            integration=integration,
            flow=flow,
            status=status,
            pulled=4,
            queued=2,
            finished_at=now,
            error=LONG_ERROR if status == "failed" else "",
            log="4 order(s) in status 1",
        )
        _at(run, started_at=now - timedelta(minutes=30))
    ExternalRef.objects.create(integration=integration, kind="order", shop_id="101done", erp_id="5001")
    JourneyStep.objects.create(integration=integration, order_ref="101done", step="received")
    Cursor.objects.create(
        integration=integration,
        flow=Flow.SHOP_ORDERS_TO_VISMA,
        scope=str(shop.pk),
        value="2026-12-01T10:00:00",
    )
    InitialSync.objects.create(
        integration=integration, shop=shop, direction=InitialSync.Direction.SHOP_TO_VISMA, created_by=user
    )
    CustomerChoice.objects.create(
        integration=integration, source_id="103parked", customer_number="1001", chosen_by=user.username
    )

    ReconciliationPackage.objects.create(customer=customer)
    AccountPlan.objects.create(integration=integration)
    KlarnaAccount.objects.create(integration=integration, username="klarna-user", last_error=LONG_ERROR[:400])
    payout = Payout.objects.create(
        integration=integration,
        provider="klarna",
        reference="KL-2026-12-01-0001",
        payout_date=timezone.localdate(),
        stated_total=Decimal("12345.67"),
        lines_total=Decimal("12345.67"),
        status=Payout.Status.OPEN,
    )
    BankLine.objects.create(
        integration=integration,
        booking_date=timezone.localdate(),
        text="KLARNA AB UTBETALNING " * 3,
        reference="KL-2026-12-01-0001",
        amount=Decimal("12345.67"),
        fingerprint="f1",
        payout=payout,
    )
    ConfigChange.objects.create(
        user=user,
        customer=customer,
        model="flows.integration",
        object_id=str(integration.pk),
        object_repr=str(integration),
        action="change",
        field="plugins",
        old_value="[]",
        new_value=LONG_ERROR,
    )
    AccessAttempt.objects.create(
        username="someone",
        ip_address="127.0.0.1",
        user_agent="Mozilla/5.0 " * 10,
        path_info="/accounts/login/",
        failures_since_start=2,
        get_data="",
        post_data="",
        http_accept="*/*",
    )
    AccessLog.objects.create(
        username="consultant",
        ip_address="127.0.0.1",
        user_agent="Mozilla/5.0 " * 10,
        path_info="/accounts/login/",
    )
    return integration
