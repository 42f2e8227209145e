"""The engine's bookkeeping: runs, items (inbox/outbox), the id mapping, cursors and order journeys.

Uniqueness lives in the database, not in Python: pulling the same version of a record twice
is a no-op (SyncItem), and one shop record maps to one Visma record both ways (ExternalRef).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import models
from django.db.models.fields.json import KT
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from flows.models.config import Integration, JetshopShop
from flows.modes import Flow


class JSONValuesField(models.JSONField):
    """A JSONField that bulk inserts through VALUES, as it did before Django 5.2.

    On PostgreSQL, Django now bulk inserts through ``UNNEST`` of one array per column, and the
    driver writes a JSON array as text escaping every quote with a regular expression: for the
    payloads and journey details of a batch of orders that cost more than the statement itself.
    A field with its own placeholder is left out of ``UNNEST``. The column is a JSONField's, so
    ``deconstruct`` says so and no migration follows.
    """

    def get_placeholder(self, value: Any, compiler: Any, connection: Any) -> str:
        return "%s"

    def deconstruct(self) -> tuple[str, str, Sequence[Any], dict[str, Any]]:
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.JSONField", args, kwargs


class SyncRun(models.Model):
    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("schedule")
        MANUAL = "manual", _("manual")
        RETRY = "retry", _("retry")

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        SUCCEEDED = "succeeded", _("succeeded")
        PARTIAL = "partial", _("some records need attention")
        FAILED = "failed", _("failed")

    integration = models.ForeignKey(
        Integration, on_delete=models.CASCADE, related_name="runs", verbose_name=_("integration")
    )
    flow = models.CharField(_("flow"), max_length=40, choices=Flow.choices)
    trigger = models.CharField(_("trigger"), max_length=10, choices=Trigger.choices, default=Trigger.SCHEDULE)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(_("started"), auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    cursor_before = models.TextField(_("cursor before"), blank=True)
    cursor_after = models.TextField(_("cursor after"), blank=True)
    pulled = models.PositiveIntegerField(_("pulled"), default=0)
    queued = models.PositiveIntegerField(_("new items"), default=0)
    error = models.TextField(_("error"), blank=True)
    log = models.TextField(_("log"), blank=True)
    # Scheduled polls that found nothing are one row per stretch: how many this row stands for.
    empty_polls = models.PositiveIntegerField(_("empty polls"), default=0)

    class Meta:
        verbose_name = _("sync run")
        verbose_name_plural = _("sync runs")
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["integration", "flow", "-started_at"])]

    def __str__(self) -> str:
        return f"{self.get_flow_display()} #{self.pk}"


# The item list's search (flows/console/items.py ``search_match``) ORs these together; one branch
# without an index and PostgreSQL reads the whole table. Each expression is the one Django writes
# for the lookup (``iexact`` is UPPER(…) = UPPER(…), ``icontains`` UPPER(…) LIKE …), so the planner
# matches it. PostgreSQL only (flows/migrations: the embedded demo's SQLite skips them).
SEARCH_INDEXES = [
    models.Index(fields=["source_id"], name="sync_item_source_id"),
    models.Index(Upper(KT("result__value")), name="sync_item_missing_value"),
    models.Index(Upper(KT("payload__email")), name="sync_item_email"),
    models.Index(Upper(KT("payload__bill_to__first_name")), name="sync_item_first_name"),
    models.Index(Upper(KT("payload__bill_to__last_name")), name="sync_item_last_name"),
    # The company, found by any part of its name (icontains), has a pg_trgm GIN index made in SQL
    # by flows/migrations/0017_sync_item_search_indexes.py: Django writes the operator class of
    # a JSON key's expression inside the expression's parentheses, which PostgreSQL refuses.
]


class SyncItem(models.Model):
    """One record's unit of work. Unique on (integration, flow, source id, source version)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        PROCESSING = "processing", _("processing")
        DONE = "done", _("done")
        SKIPPED = "skipped", _("skipped")
        PARKED = "parked", _("needs attention")
        FAILED = "failed", _("failed")

    ATTENTION = (Status.PARKED, Status.FAILED)

    integration = models.ForeignKey(
        Integration, on_delete=models.CASCADE, related_name="items", verbose_name=_("integration")
    )
    flow = models.CharField(_("flow"), max_length=40, choices=Flow.choices)
    shop = models.ForeignKey(
        JetshopShop,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("shop"),
    )
    run = models.ForeignKey(
        SyncRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="items", verbose_name=_("run")
    )
    source_id = models.CharField(_("source id"), max_length=100)
    source_version = models.CharField(_("source version"), max_length=100, blank=True)
    reference = models.CharField(_("reference"), max_length=100, blank=True, db_index=True)
    payload = JSONValuesField(_("payload"), default=dict)
    payload_hash = models.CharField(_("payload hash"), max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    reason = models.CharField(_("reason"), max_length=40, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    target_id = models.CharField(_("target id"), max_length=100, blank=True, db_index=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    not_before = models.DateTimeField(_("not before"), null=True, blank=True)

    class Meta:
        verbose_name = _("sync item")
        verbose_name_plural = _("sync items")
        ordering = ["-id"]
        permissions = [("retry_syncitem", _("Can retry and skip sync items"))]
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "flow", "source_id", "source_version"], name="sync_item_version_unique"
            )
        ]
        indexes = [
            models.Index(fields=["integration", "flow", "status"]),
            models.Index(fields=["status", "updated_at"]),
            # "orders today" on the merchant's dashboard
            models.Index(fields=["integration", "flow", "created_at"]),
            *SEARCH_INDEXES,
        ]

    def __str__(self) -> str:
        return f"{self.get_flow_display()} {self.reference or self.source_id}"


class ExternalRef(models.Model):
    """Shop id ↔ Visma id per kind; answers "did order 1234 reach Visma, as which number?"."""

    class Kind(models.TextChoices):
        ORDER = "order", _("order")
        CUSTOMER = "customer", _("customer")
        ARTICLE = "article", _("article")
        STOCK = "stock", _("stock")
        PRICE = "price", _("price")
        PRICE_LIST = "price_list", _("price-list price")
        STATUS_EVENT = "status_event", _("status event")

    integration = models.ForeignKey(
        Integration, on_delete=models.CASCADE, related_name="refs", verbose_name=_("integration")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    shop_id = models.CharField(_("shop id"), max_length=120)
    erp_id = models.CharField(_("Visma id"), max_length=120)
    last_hash = models.CharField(_("hash of last payload sent"), max_length=64, blank=True)
    last_synced_at = models.DateTimeField(_("last synced"), auto_now=True)

    class Meta:
        verbose_name = _("external reference")
        verbose_name_plural = _("external references")
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "kind", "shop_id"], name="external_ref_shop_unique"
            ),
            models.UniqueConstraint(fields=["integration", "kind", "erp_id"], name="external_ref_erp_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.shop_id} ↔ {self.erp_id}"


class Cursor(models.Model):
    """A watermark per (integration, flow, scope); scope is the shop for per-shop pulls."""

    integration = models.ForeignKey(
        Integration, on_delete=models.CASCADE, related_name="cursors", verbose_name=_("integration")
    )
    flow = models.CharField(_("flow"), max_length=40, choices=Flow.choices)
    scope = models.CharField(_("scope"), max_length=40, blank=True)
    value = models.TextField(_("value"), blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("cursor")
        verbose_name_plural = _("cursors")
        constraints = [models.UniqueConstraint(fields=["integration", "flow", "scope"], name="cursor_unique")]

    def __str__(self) -> str:
        return f"{self.flow} {self.scope} @ {self.value}"


class JourneyStep(models.Model):
    """One step of a shop order's path: received → mapped → in Visma → delivered → e-mail → capture."""

    class Step(models.TextChoices):
        RECEIVED = "received", _("received from the shop")
        PARKED = "parked", _("needs attention")
        MAPPED = "mapped", _("mapped")
        WOULD_WRITE = "would_write", _("dry run: would write")
        IN_VISMA = "in_visma", _("in Visma")
        SHOP_STATUS = "shop_status", _("shop status set")
        DELIVERED = "delivered", _("delivered")
        INVOICED = "invoiced", _("invoiced")
        PAID = "paid", _("paid")
        CANCELLED = "cancelled", _("cancelled")
        EMAIL = "email", _("e-mail sent")
        # What the status flow knows: it set a status the shop captures on. The shop's status call
        # says nothing of the payment, so no money is known to be drawn (reconciliation ignores it).
        CAPTURE_REQUESTED = "capture_requested", _("capture requested")
        # Money drawn, as the shop confirmed it: the only capture reconciliation/close.py counts.
        # Nothing writes it yet: the Jetshop API we use confirms no capture.
        CAPTURED = "captured", _("payment captured")

    integration = models.ForeignKey(
        Integration, on_delete=models.CASCADE, related_name="journey_steps", verbose_name=_("integration")
    )
    order_ref = models.CharField(_("shop order"), max_length=120, db_index=True)
    step = models.CharField(_("step"), max_length=20, choices=Step.choices)
    at = models.DateTimeField(_("when"), auto_now_add=True)
    detail = JSONValuesField(_("detail"), default=dict, blank=True)
    item = models.ForeignKey(
        SyncItem,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="steps",
        verbose_name=_("sync item"),
    )

    class Meta:
        verbose_name = _("order step")
        verbose_name_plural = _("order steps")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.order_ref}: {self.get_step_display()}"


class CustomerChoice(models.Model):
    """A person's answer to "which Visma customer is this order for?" where the flow would not guess:
    two customers with the order's organisation number, or a number that fails its check digit.
    Blank ``customer_number``: create a new customer for the order."""

    integration = models.ForeignKey(
        Integration, on_delete=models.CASCADE, related_name="customer_choices", verbose_name=_("integration")
    )
    source_id = models.CharField(_("source id"), max_length=100)
    customer_number = models.CharField(_("Visma customer number"), max_length=20, blank=True)
    chosen_by = models.CharField(_("chosen by"), max_length=150)
    chosen_at = models.DateTimeField(_("chosen"), auto_now=True)

    class Meta:
        verbose_name = _("customer choice")
        verbose_name_plural = _("customer choices")
        constraints = [
            models.UniqueConstraint(fields=["integration", "source_id"], name="customer_choice_unique")
        ]

    def __str__(self) -> str:
        return f"{self.source_id} → {self.customer_number or 'new'}"
