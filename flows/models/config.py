"""What a consultant configures for a merchant: the integration, its shops, channels and agent, and rules.

Tier gating lives in ``clean()`` (and in the admin's formsets for counts across inlines), so the
admin refuses a configuration the merchant's package does not include, naming the package needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from flows.modes import Flow, FlowMode, flows_for
from sharespine.customers.models import Customer
from sharespine.customers.secrets import EncryptedTextField
from sharespine.customers.tiers import Feature, tier_allows

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Defaults for the order operations from reference/jetshop-commerce.md §6.1. Their real names
# come from the shop's WSDL (unverified), so they are configuration, per shop.
DEFAULT_ORDER_OPERATIONS = {
    "op_order_list": "Order_GetByStatus",
    "op_order_get": "Order_Get",
    "op_order_set_status": "Order_UpdateStatus",
    "op_order_status_list": "OrderStatus_GetAll",
    "op_channel_list": "Channel_GetAll",
    "op_product_changed": "Product_GetChangedSince",
}


# Flows that are a package feature of their own: below that package the mode's flow does not run.
FLOW_FEATURES: dict[str, Feature] = {
    Flow.VISMA_ORDER_STATUS_TO_SHOP: Feature.ORDER_STATUS,
    Flow.VISMA_PRICE_LISTS_TO_SHOP: Feature.PRICE_LISTS,
}


def _seconds(default: int, label: StrOrPromise) -> models.PositiveIntegerField:
    return models.PositiveIntegerField(
        label, default=default, validators=[MinValueValidator(10)], help_text=_("Seconds between polls.")
    )


class Integration(models.Model):
    class DocumentType(models.TextChoices):
        ORDER = "order", _("order")
        INVOICE = "invoice", _("invoice")

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="integrations", verbose_name=_("merchant")
    )
    name = models.CharField(_("name"), max_length=100)
    flow_mode = models.CharField(
        _("flow mode"), max_length=10, choices=FlowMode.choices, default=FlowMode.KOMBO
    )
    document_type = models.CharField(
        _("orders become"),
        max_length=10,
        choices=DocumentType.choices,
        default=DocumentType.ORDER,
        help_text=_("Create a Visma order or an invoice for each shop order."),
    )
    poll_orders = _seconds(60, _("orders poll interval"))
    poll_order_status = _seconds(120, _("order-status poll interval"))
    poll_products = _seconds(900, _("products poll interval"))
    poll_prices = _seconds(900, _("prices poll interval"))
    poll_price_lists = _seconds(3600, _("price-lists poll interval"))
    poll_stock = _seconds(300, _("stock poll interval"))
    live = models.BooleanField(
        _("live"),
        default=False,
        help_text=_("Off = dry run: every write is recorded as it would be made, none is made."),
    )
    stock_safety_buffer = models.PositiveIntegerField(
        _("stock safety buffer"),
        default=0,
        help_text=_("Units kept back: the shop shows Visma's disposable quantity less this, never below 0."),
    )
    base_price_list = models.CharField(
        _("Visma base price list"),
        max_length=6,
        default="1",
        help_text=_("The Visma price list whose prices become the shop's product prices."),
    )
    product_price_includes_vat = models.BooleanField(
        _("shop product price incl. VAT"),
        default=False,
        # Whether Jetshop's ProductData/Price is gross or net is unverified (jetshop-commerce.md §2.5).
        help_text=_("Whether the shop's product price field holds prices including VAT."),
    )
    reconciliation_enabled = models.BooleanField(_("reconciliation of PSP payouts"), default=False)
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        verbose_name = _("integration")
        verbose_name_plural = _("integrations")
        ordering = ["customer__name", "name"]
        constraints = [models.UniqueConstraint(fields=["customer", "name"], name="integration_name_unique")]

    def __str__(self) -> str:
        return f"{self.customer} / {self.name}"

    @property
    def audit_customer(self) -> Customer:
        return self.customer

    @property
    def flows(self) -> tuple[Flow, ...]:
        """The flows this integration runs: its mode's, less those the merchant's package lacks."""
        return tuple(flow for flow in flows_for(self.flow_mode) if self.package_allows(flow))

    def package_allows(self, flow: str) -> bool:
        feature = FLOW_FEATURES.get(flow)
        return feature is None or tier_allows(self.customer.tier, feature)

    def poll_interval(self, flow: str) -> int:
        field = {
            Flow.SHOP_ORDERS_TO_VISMA: "poll_orders",
            Flow.VISMA_ORDER_STATUS_TO_SHOP: "poll_order_status",
            Flow.SHOP_PRODUCTS_TO_VISMA: "poll_products",
            Flow.VISMA_PRODUCTS_TO_SHOP: "poll_products",
            Flow.VISMA_PRICES_TO_SHOP: "poll_prices",
            Flow.VISMA_PRICE_LISTS_TO_SHOP: "poll_price_lists",
            Flow.VISMA_STOCK_TO_SHOP: "poll_stock",
        }[Flow(flow)]
        return getattr(self, field)

    def clean(self) -> None:
        if not self.customer_id:
            return
        errors: dict[str, list[str]] = {}
        if self.reconciliation_enabled:
            _collect(errors, "reconciliation_enabled", self.customer, Feature.RECONCILIATION)
        if errors:
            raise ValidationError(errors)


def _collect(errors: dict[str, list[str]], field: str, customer: Customer, feature: Feature) -> None:
    try:
        customer.require(feature)
    except ValidationError as exc:
        errors.setdefault(field, []).extend(exc.messages)


class JetshopShop(models.Model):
    integration = models.ForeignKey(
        Integration, on_delete=models.CASCADE, related_name="shops", verbose_name=_("integration")
    )
    name = models.CharField(_("name"), max_length=100)
    endpoint_url = models.URLField(
        _("endpoint URL"),
        help_text=_("e.g. https://integration.jetshop.se/Webservice20/v3.0/webservice.asmx"),
    )
    username = models.CharField(_("username"), max_length=200)
    password = EncryptedTextField(_("password"), blank=True)
    shop_id_header = models.CharField(_("ShopId header"), max_length=100)
    cultures = models.CharField(
        _("cultures"), max_length=200, default="sv-SE", help_text=_("Comma-separated, e.g. sv-SE,nb-NO.")
    )
    op_order_list = models.CharField(_("operation: list orders"), max_length=100, default="Order_GetByStatus")
    op_order_get = models.CharField(_("operation: get order"), max_length=100, default="Order_Get")
    op_order_set_status = models.CharField(
        _("operation: set order status"), max_length=100, default="Order_UpdateStatus"
    )
    op_order_status_list = models.CharField(
        _("operation: list order statuses"), max_length=100, default="OrderStatus_GetAll"
    )
    op_channel_list = models.CharField(
        _("operation: list channels"), max_length=100, default="Channel_GetAll"
    )
    op_product_changed = models.CharField(
        _("operation: list products changed since"), max_length=100, default="Product_GetChangedSince"
    )
    channel_rule = models.CharField(
        _("channel of an order"),
        max_length=10,
        choices=[
            ("channel_id", _("from the order's channel id")),
            ("currency", _("from the order's currency")),
            ("culture", _("from the order's culture")),
        ],
        default="channel_id",
        # How Jetshop carries the channel on an order is unverified (jetshop-commerce.md §0.4).
        help_text=_("How an order's channel is found among this shop's channels."),
    )
    order_reference_prefix = models.CharField(
        _("order reference prefix"),
        max_length=6,
        blank=True,
        help_text=_(
            'Put before the shop order number in Visma\'s customer-order-number field, e.g. "NO-", '
            "so that orders from several shops in one Visma company stay apart."
        ),
    )
    transferred_status_id = models.IntegerField(
        _("status after transfer"),
        null=True,
        blank=True,
        help_text=_(
            "Shop status set once an order is in Visma, so the order is not pulled again. "
            "Empty: the shop status is left as it is."
        ),
    )
    order_lookback_days = models.PositiveIntegerField(
        _("order look-back (days)"),
        default=30,
        validators=[MinValueValidator(1)],
        help_text=_("Orders placed longer ago than this are not pulled, whatever their status."),
    )
    in_stock_status_id = models.IntegerField(
        _("stock status when in stock"), null=True, blank=True, help_text=_("Empty: leave it as it is.")
    )
    out_of_stock_status_id = models.IntegerField(
        _("stock status when out of stock"),
        null=True,
        blank=True,
        help_text=_('e.g. the shop\'s "Kommer datum" status. Empty: leave it as it is.'),
    )
    price_list_decimals = models.BooleanField(
        _("price lists take öre"),
        default=False,
        # The recorded shop sent whole numbers and faulted on a decimal in an int-typed price-list
        # field (jetshop-commerce.md §1.1, P3); the shop's WSDL decides. Off: whole kronor.
        help_text=_("Off: price-list prices are rounded to whole kronor, as shops whose price fields "
                    "are integers require."),
    )  # fmt: skip
    calls_per_second = models.DecimalField(
        _("call-rate limit"),
        max_digits=5,
        decimal_places=2,
        default=5,
        validators=[MinValueValidator(0.1)],
        help_text=_("Most calls per second to this shop."),
    )

    class Meta:
        verbose_name = _("Jetshop shop")
        verbose_name_plural = _("Jetshop shops")
        constraints = [models.UniqueConstraint(fields=["integration", "name"], name="shop_name_unique")]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_customer(self) -> Customer:
        return self.integration.customer

    @property
    def culture_list(self) -> list[str]:
        return [part.strip() for part in self.cultures.split(",") if part.strip()]

    @property
    def order_operations(self) -> dict[str, str]:
        return {field: getattr(self, field) for field in DEFAULT_ORDER_OPERATIONS}


class Channel(models.Model):
    class GuestRule(models.TextChoices):
        SHARED_CUSTOMER = "shared", _("one shared customer number for all guest orders")
        CREATE_PER_ORDER = "create", _("create a customer per guest order")
        MATCH_EMAIL = "email", _("match by e-mail, else create")

    shop = models.ForeignKey(
        JetshopShop, on_delete=models.CASCADE, related_name="channels", verbose_name=_("shop")
    )
    channel_id = models.CharField(_("channel id"), max_length=50)
    name = models.CharField(_("name"), max_length=100)
    currency = models.CharField(_("currency"), max_length=3, default="SEK")
    culture = models.CharField(_("culture"), max_length=10, default="sv-SE")
    price_list_guid = models.UUIDField(_("price-list GUID"), null=True, blank=True)
    guest_rule = models.CharField(
        _("guest orders"), max_length=10, choices=GuestRule.choices, default=GuestRule.MATCH_EMAIL
    )
    guest_customer_number = models.CharField(
        _("shared guest customer number"),
        max_length=16,
        blank=True,
        help_text=_("Visma customer number used when guest orders share one customer."),
    )
    order_text = models.CharField(_("order text"), max_length=60, blank=True)
    terms_of_payment_code = models.CharField(_("terms-of-payment code"), max_length=10, blank=True)
    way_of_delivery_code = models.CharField(_("way-of-delivery code"), max_length=10, blank=True)

    class Meta:
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        constraints = [models.UniqueConstraint(fields=["shop", "channel_id"], name="channel_id_unique")]

    def __str__(self) -> str:
        return f"{self.name} ({self.currency})"

    @property
    def audit_customer(self) -> Customer:
        return self.shop.integration.customer

    def clean(self) -> None:
        if self.guest_rule == self.GuestRule.SHARED_CUSTOMER and not self.guest_customer_number:
            raise ValidationError(
                {"guest_customer_number": _("Give the customer number that guest orders share.")}
            )
        if self.currency:
            self.currency = self.currency.upper()


class VismaAgent(models.Model):
    class Mode(models.TextChoices):
        # The normal mode: the agent dials out to the gateway, nothing listens at the merchant.
        OUTBOUND = "outbound", _("outbound (the agent connects to the gateway)")
        # For sites with a VPN: the server calls the agent's URL.
        DIRECT = "direct", _("direct (the server calls the agent's URL)")

    integration = models.OneToOneField(
        Integration, on_delete=models.CASCADE, related_name="agent", verbose_name=_("integration")
    )
    mode = models.CharField(_("connection"), max_length=10, choices=Mode.choices, default=Mode.OUTBOUND)
    agent_url = models.URLField(
        _("agent URL"), blank=True, help_text=_("direct mode only, e.g. https://visma.merchant.example:8020")
    )
    key_id = models.CharField(_("key id"), max_length=100)
    secret = EncryptedTextField(_("secret"), blank=True)
    company_name = models.CharField(_("Visma company"), max_length=200, blank=True)
    # Filled in by the heartbeat, never by hand.
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True, editable=False)
    agent_version = models.CharField(_("agent version"), max_length=50, blank=True, editable=False)
    backend = models.CharField(_("backend"), max_length=20, blank=True, editable=False)
    offline_since = models.DateTimeField(_("offline since"), null=True, blank=True, editable=False)
    last_error = models.CharField(_("last error"), max_length=500, blank=True, editable=False)
    # Outbound mode: kept by the agent gateway (flows/management/commands/agent_gateway.py).
    connected_since = models.DateTimeField(_("connected since"), null=True, blank=True, editable=False)
    round_trip_ms = models.FloatField(_("round trip (ms)"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("Visma agent")
        verbose_name_plural = _("Visma agents")
        constraints = [
            # The gateway finds an outbound agent by its key id alone (agent_gateway.py): two rows
            # with one key would let either secret open the other merchant's connection. Direct
            # agents are called at their own URL, and may share a key (one agent, several test or
            # benchmark merchants).
            models.UniqueConstraint(
                fields=["key_id"],
                condition=models.Q(mode="outbound"),
                name="visma_agent_outbound_key_unique",
                violation_error_message=_(
                    "Another Visma agent that connects out already uses this key id: give each agent its own."
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.integration} agent"

    def clean(self) -> None:
        if self.mode == self.Mode.DIRECT and not self.agent_url:
            raise ValidationError({"agent_url": _("Direct mode needs the agent's URL.")})

    @property
    def audit_customer(self) -> Customer:
        return self.integration.customer


class OrderTrigger(models.Model):
    """A shop order status that makes an order ready for transfer to Visma."""

    shop = models.ForeignKey(
        JetshopShop, on_delete=models.CASCADE, related_name="order_triggers", verbose_name=_("shop")
    )
    status_id = models.IntegerField(_("shop status id"))
    name = models.CharField(_("status name"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("order trigger")
        verbose_name_plural = _("order triggers")
        constraints = [models.UniqueConstraint(fields=["shop", "status_id"], name="order_trigger_unique")]

    def __str__(self) -> str:
        return f"{self.shop}: {self.name or self.status_id}"

    @property
    def audit_customer(self) -> Customer:
        return self.shop.integration.customer


class StatusRule(models.Model):
    """What a Visma document event does to the shop order."""

    class Event(models.TextChoices):
        DELIVERED = "delivered", _("delivered")
        INVOICED = "invoiced", _("invoiced")
        PAID = "paid", _("paid")
        CANCELLED = "cancelled", _("cancelled")

    integration = models.ForeignKey(
        Integration, on_delete=models.CASCADE, related_name="status_rules", verbose_name=_("integration")
    )
    event = models.CharField(_("Visma event"), max_length=10, choices=Event.choices)
    shop_status_id = models.IntegerField(_("set shop status id"))
    send_email = models.BooleanField(_("send e-mail"), default=True)
    include_tracking = models.BooleanField(_("include tracking number"), default=True)
    capture_payment = models.BooleanField(_("capture payment"), default=False)

    class Meta:
        verbose_name = _("status rule")
        verbose_name_plural = _("status rules")
        constraints = [models.UniqueConstraint(fields=["integration", "event"], name="status_rule_unique")]

    def __str__(self) -> str:
        return f"{self.get_event_display()} → {self.shop_status_id}"

    @property
    def audit_customer(self) -> Customer:
        return self.integration.customer

    def clean(self) -> None:
        if self.integration_id:
            self.integration.customer.require(Feature.ORDER_STATUS)


class PriceListMapping(models.Model):
    integration = models.ForeignKey(
        Integration,
        on_delete=models.CASCADE,
        related_name="price_list_mappings",
        verbose_name=_("integration"),
    )
    visma_price_list = models.CharField(_("Visma price-list code"), max_length=10)
    jetshop_price_list_guid = models.UUIDField(_("Jetshop price-list GUID"))
    includes_vat = models.BooleanField(_("prices incl. VAT"), default=True)

    class Meta:
        verbose_name = _("price-list mapping")
        verbose_name_plural = _("price-list mappings")
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "visma_price_list"], name="price_list_visma_unique"
            ),
            models.UniqueConstraint(
                fields=["integration", "jetshop_price_list_guid"], name="price_list_jetshop_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.visma_price_list} → {self.jetshop_price_list_guid}"

    @property
    def audit_customer(self) -> Customer:
        return self.integration.customer

    def clean(self) -> None:
        if self.integration_id:
            self.integration.customer.require(Feature.PRICE_LISTS)


class MethodMapping(models.Model):
    """A shop payment or delivery method → the Visma code the order gets (unknown ones park the order)."""

    class Kind(models.TextChoices):
        PAYMENT = "payment", _("payment method → terms-of-payment code")
        DELIVERY = "delivery", _("delivery method → way-of-delivery code")

    integration = models.ForeignKey(
        Integration, on_delete=models.CASCADE, related_name="method_mappings", verbose_name=_("integration")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    shop_value = models.CharField(_("shop method"), max_length=100)
    visma_code = models.CharField(_("Visma code"), max_length=10)

    class Meta:
        verbose_name = _("method mapping")
        verbose_name_plural = _("method mappings")
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "kind", "shop_value"], name="method_mapping_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.shop_value} → {self.visma_code}"

    @property
    def audit_customer(self) -> Customer:
        return self.integration.customer


class ArticleAccountMapping(models.Model):
    """A shop VAT rate → the Visma article account code that carries it (products shop → Visma)."""

    integration = models.ForeignKey(
        Integration, on_delete=models.CASCADE, related_name="account_mappings", verbose_name=_("integration")
    )
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2)
    account_code = models.CharField(_("Visma article account code"), max_length=6)

    class Meta:
        verbose_name = _("article account mapping")
        verbose_name_plural = _("article account mappings")
        constraints = [
            models.UniqueConstraint(fields=["integration", "vat_rate"], name="account_mapping_rate_unique")
        ]

    def __str__(self) -> str:
        return f"{self.vat_rate.normalize()} % → {self.account_code}"

    @property
    def audit_customer(self) -> Customer:
        return self.integration.customer
