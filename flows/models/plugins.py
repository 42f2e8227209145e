"""Rules and code plugins a consultant sets up per integration (package 800), applied in order.

A rule is configuration, not code: map a shop field to a Visma field, translate a value through a
table, skip or park orders by a condition, add a row, change a product field on its way. Each
kind uses a few of the columns below; ``clean`` says which, in words. A plugin setting names an
installed code plugin and holds its settings (checked against the plugin's schema by the admin
form and on import, ``flows.plugins.host``).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from flows import later
from flows.models.config import Integration
from sharespine.customers.models import Customer
from sharespine.customers.tiers import Feature

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class OrderField(models.TextChoices):
    """What a rule reads from a shop order."""

    ORDER_NUMBER = "order_number", _("order number")
    EMAIL = "email", _("e-mail address")
    PAYMENT_METHOD = "payment_method", _("payment method")
    DELIVERY_METHOD = "delivery_method", _("delivery method")
    CHANNEL = "channel", _("channel")
    CURRENCY = "currency", _("currency")
    CULTURE = "culture", _("culture")
    COUNTRY = "country", _("country (bill-to)")
    CUSTOMER_GROUP = "customer_group", _("customer group (company or private)")
    COMPANY = "company", _("company name (bill-to)")
    ORG_NUMBER = "org_number", _("organisation number")
    CUSTOMER_ID = "customer_id", _("shop customer id")
    TOTAL = "total", _("order total incl. VAT")
    # Any other element of the shop's OrderData, by its name (``Order.extra``).
    DYNAMIC = "dynamic", _("dynamic field (named below)")
    FIXED = "fixed", _("the fixed value below")


class DocumentField(models.TextChoices):
    """What a rule may write on the Visma order or invoice, or on the Visma customer the order
    creates (the ADK field in brackets)."""

    TEXT1 = "text1", _("head text 1 (ADK_OOI_HEAD_TEXT1)")
    TEXT2 = "text2", _("head text 2 (ADK_OOI_HEAD_TEXT2)")
    # The agent keeps tracking numbers in head text 3 unless it is configured otherwise.
    TEXT3 = "text3", _("head text 3 (ADK_OOI_HEAD_TEXT3; not where the agent keeps tracking numbers)")
    OUR_REFERENCE = "our_reference", _("our reference (ADK_OOI_HEAD_OUR_REFERENCE_NAME)")
    CUSTOMER_REFERENCE = "customer_reference", _("customer reference (ADK_OOI_HEAD_CUSTOMER_REFERENCE_NAME)")
    LOCAL_REMARK = "local_remark", _("local remark (ADK_OOI_HEAD_LOCAL_REMARK)")
    PRICE_LIST = "price_list", _("price list (ADK_OOI_HEAD_LIST_OF_PRICE_CODE)")
    TERMS_OF_PAYMENT = "terms_of_payment", _("terms of payment (ADK_OOI_HEAD_CODE_OF_TERMS_OF_PAYMENT)")
    WAY_OF_DELIVERY = "way_of_delivery", _("way of delivery (ADK_OOI_HEAD_CODE_OF_WAY_OF_DELIVERY)")
    TERMS_OF_DELIVERY = "terms_of_delivery", _("terms of delivery (ADK_OOI_HEAD_CODE_OF_TERMS_OF_DELIVERY)")
    PROJECT = "project", _("project (ADK_OOI_HEAD_PROJECT_CODE)")
    PROFIT_CENTRE = "profit_centre", _("profit centre (ADK_OOI_HEAD_PROFIT_CENTRE)")
    # Only on a customer the order creates: an existing Visma customer keeps its own (see the help).
    CUSTOMER_PRICE_LIST = "customer_price_list", _("new customer's price list (ADK_CUSTOMER_PRICE_LIST)")
    CUSTOMER_CATEGORY = "customer_category", _("new customer's category (ADK_CUSTOMER_CATEGORY)")


# The rule targets that belong to the customer, and the field of Visma's customer each one is.
CUSTOMER_FIELDS = {
    DocumentField.CUSTOMER_PRICE_LIST: "price_list",
    DocumentField.CUSTOMER_CATEGORY: "category",
}


def _label(value: str, choices: type[models.TextChoices]) -> later.Text | str:
    """A choice's label as a message (its English text is its msgid), or the code when unknown."""
    if not value:
        return ""
    try:
        label = choices(value).label
    except ValueError:
        return value
    with translation.override(None):  # no language: the label's own text, the msgid
        return later.gettext(str(label))


class Rule(models.Model):
    class Kind(models.TextChoices):
        SET_FIELD = "set_field", _("set a Visma field from a shop field")
        TRANSLATE = "translate", _("translate a shop value through a table into a Visma field")
        SKIP = "skip", _("skip orders that match the condition")
        PARK = "park", _("park orders that match the condition")
        ADD_ROW = "add_row", _("add a row to the order")
        PRODUCT_FIELD = "product_field", _("change a product field on its way")

    class Operator(models.TextChoices):
        EQUALS = "equals", _("is")
        NOT_EQUALS = "not_equals", _("is not")
        ONE_OF = "one_of", _("is one of (comma-separated)")
        CONTAINS = "contains", _("contains")
        GREATER = "greater", _("is more than")
        LESS = "less", _("is less than")

    class RowPrice(models.TextChoices):
        FIXED = "fixed", _("the price below")
        ORDER_FEE = "order_fee", _("the order's fee (moved from the fee field to this row)")

    class Direction(models.TextChoices):
        TO_VISMA = "to_visma", _("products shop → Visma")
        TO_SHOP = "to_shop", _("products Visma → shop")

    class ProductField(models.TextChoices):
        NAME = "name", _("name")
        EAN = "ean", _("EAN code")
        UNIT = "unit", _("unit (to Visma)")
        GROUP = "group", _("article group (to Visma)")
        SUB_NAME = "sub_name", _("sub-name (to the shop)")

    class Operation(models.TextChoices):
        SET = "set", _("set to the value")
        PREFIX = "prefix", _("put the value before it")
        SUFFIX = "suffix", _("put the value after it")
        TRANSLATE = "translate", _("translate through the table")
        UPPER = "upper", _("upper case")

    integration = models.ForeignKey(
        Integration, on_delete=models.CASCADE, related_name="rules", verbose_name=_("integration")
    )
    # "position", not "order": on an order integration "order" reads as a shop order.
    position = models.PositiveIntegerField(_("position"), default=0, help_text=_("Rules run lowest first."))
    kind = models.CharField(_("rule"), max_length=20, choices=Kind.choices)
    enabled = models.BooleanField(_("enabled"), default=True)
    dry_run = models.BooleanField(
        _("dry run only"),
        default=False,
        help_text=_("Runs and shows on the order's page what it would change, but changes nothing."),
    )
    when_field = models.CharField(_("when"), max_length=20, choices=OrderField.choices, blank=True)
    when_operator = models.CharField(
        _("condition"), max_length=12, choices=Operator.choices, default=Operator.EQUALS
    )
    when_value = models.CharField(_("condition value"), max_length=200, blank=True)
    source = models.CharField(_("shop field"), max_length=20, choices=OrderField.choices, blank=True)
    target = models.CharField(
        _("Visma field"), max_length=20, choices=DocumentField.choices, blank=True,
        help_text=_(
            "The new customer's price list and category are set only when the order creates the Visma "
            "customer; an existing customer keeps its own, which the merchant may have chosen for it "
            "(a negotiated price list). To price one order by a group whatever its customer, set the "
            "order's price list."
        ),
    )  # fmt: skip
    value = models.CharField(
        _("value"), max_length=200, blank=True, help_text=_("A fixed value, or what is put before or after.")
    )
    dynamic_field = models.CharField(
        _("dynamic field"), max_length=100, blank=True,
        help_text=_(
            "The name of an element of the shop's order beyond the standard fields (as the shop's "
            "web service names it, e.g. OrderComment), for a shop field or condition set to "
            "\"dynamic field\". An order without it reads as empty."
        ),
    )  # fmt: skip
    table = models.TextField(
        _("translation table"),
        blank=True,
        help_text=_('One "shop value = Visma value" per line, e.g. "company = ÅF".'),
    )
    article_number = models.CharField(_("row article number"), max_length=16, blank=True)
    row_text = models.CharField(_("row text"), max_length=60, blank=True)
    row_price = models.CharField(
        _("row price"), max_length=10, choices=RowPrice.choices, default=RowPrice.FIXED
    )
    price = models.DecimalField(
        _("price"), max_digits=12, decimal_places=2, null=True, blank=True,
        help_text=_("In the document's own terms (incl. or excl. VAT as the document is)."),
    )  # fmt: skip
    direction = models.CharField(_("product flow"), max_length=10, choices=Direction.choices, blank=True)
    product_field = models.CharField(
        _("product field"), max_length=10, choices=ProductField.choices, blank=True
    )
    operation = models.CharField(_("change"), max_length=10, choices=Operation.choices, blank=True)

    class Meta:
        verbose_name = _("rule")
        verbose_name_plural = _("rules")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.position}. {self.describe()}"

    @property
    def audit_customer(self) -> Customer:
        return self.integration.customer

    def _field_label(self, field: str) -> later.Text | str:
        """A shop field by its name in the form; a dynamic field by its own name."""
        if field == OrderField.DYNAMIC:
            return later.gettext('dynamic field "%(name)s"', name=self.dynamic_field)
        return _label(field, OrderField)

    def describe(self) -> str:
        """The rule in one line, in the active language, for the journey, the preview and the change log."""
        return str(self.describe_later())

    def describe_later(self) -> later.Text:
        """``describe`` as a message, put into the language of whoever reads it (a parked order's
        reason and the journey keep it so). Fields by their names in the form, not their codes."""
        target, source = _label(self.target, DocumentField), self._field_label(self.source)
        value = self.value
        what: later.Text
        if self.kind == self.Kind.SET_FIELD and self.source in ("", OrderField.FIXED):
            what = later.gettext('set %(target)s to "%(value)s"', target=target, value=value)
        elif self.kind == self.Kind.SET_FIELD and value:
            what = later.gettext(
                'set %(target)s to "%(value)s" followed by the %(source)s',
                target=target,
                value=value,
                source=source,
            )
        elif self.kind == self.Kind.SET_FIELD:
            what = later.gettext("set %(target)s to the %(source)s", target=target, source=source)
        elif self.kind == self.Kind.TRANSLATE:
            what = later.gettext(
                "set %(target)s from the %(source)s through the table", target=target, source=source
            )
        elif self.kind == self.Kind.SKIP:
            what = later.gettext("skip orders")
        elif self.kind == self.Kind.PARK:
            what = later.gettext("park orders")
        elif self.kind == self.Kind.ADD_ROW:
            what = later.gettext('add a row "%(row)s"', row=self.article_number or self.row_text)
        else:
            what = later.gettext(
                '%(direction)s: %(field)s, %(operation)s "%(value)s"',
                direction=_label(self.direction, self.Direction),
                field=_label(self.product_field, self.ProductField),
                operation=_label(self.operation, self.Operation),
                value=value,
            )
        if self.when_field:
            what = later.gettext(
                '%(what)s when the %(field)s %(operator)s "%(value)s"',
                what=what,
                field=self._field_label(self.when_field),
                operator=_label(self.when_operator, self.Operator),
                value=self.when_value,
            )
        return what

    def table_rows(self) -> dict[str, str]:
        """The translation table as shop value → Visma value (validated by ``clean``)."""
        rows = {}
        for line in self.table.splitlines():
            if line.strip():
                key, _sep, value = line.partition("=")
                rows[key.strip()] = value.strip()
        return rows

    def clean(self) -> None:
        errors: dict[str, StrOrPromise] = {}

        def need(field: str, message: StrOrPromise) -> None:
            if not getattr(self, field) and field not in errors:
                errors[field] = message

        kind = self.kind
        if kind in (self.Kind.SKIP, self.Kind.PARK):
            need("when_field", _("Say which orders: choose the field the condition reads."))
        if OrderField.DYNAMIC in (self.source, self.when_field):
            need("dynamic_field", _("Name the dynamic field to read."))
        if self.when_field and self.when_field != OrderField.FIXED:
            if self.when_operator in (self.Operator.GREATER, self.Operator.LESS):
                try:
                    Decimal(self.when_value)
                except InvalidOperation:
                    errors["when_value"] = _("More and less compare numbers: give a number.")
        elif self.when_field == OrderField.FIXED:
            errors["when_field"] = _("A condition reads a field of the order.")
        if kind in (self.Kind.SET_FIELD, self.Kind.TRANSLATE):
            need("source", _("Choose the shop field to read."))
            need("target", _("Choose the Visma field to write."))
            if self.source == OrderField.FIXED:
                need("value", _("Give the fixed value."))
            if self.target in CUSTOMER_FIELDS and self.kind == self.Kind.SET_FIELD and self.value:
                if self.source != OrderField.FIXED:
                    errors["value"] = _(
                        "A customer's code takes no text before it: use a fixed value or a table."
                    )
        if kind == self.Kind.TRANSLATE or self.operation == self.Operation.TRANSLATE:
            need("table", _("Give the table: one line per value."))
            bad = [line for line in self.table.splitlines() if line.strip() and "=" not in line]
            if bad and "table" not in errors:
                errors["table"] = _('Each line is "shop value = Visma value"; this one is not: %(line)s') % {
                    "line": bad[0]
                }
        if kind == self.Kind.ADD_ROW:
            if not self.article_number and not self.row_text:
                errors["article_number"] = _("A row needs an article number or a text.")
            if self.row_price == self.RowPrice.FIXED and self.price is None:
                need("price", _("Give the row's price (0 for a row without one)."))
        if kind == self.Kind.PRODUCT_FIELD:
            need("direction", _("Choose the product flow."))
            need("product_field", _("Choose the product field."))
            need("operation", _("Choose the change."))
            if self.operation in (self.Operation.SET, self.Operation.PREFIX, self.Operation.SUFFIX):
                need("value", _("Give the value."))
            visma_only = (self.ProductField.UNIT, self.ProductField.GROUP)
            if self.direction == self.Direction.TO_SHOP and self.product_field in visma_only:
                errors["product_field"] = _("The shop has no such field: it is a Visma article field.")
            if self.direction == self.Direction.TO_VISMA and self.product_field == self.ProductField.SUB_NAME:
                errors["product_field"] = _("Visma has no such field: it is a shop product field.")
        if errors:
            raise ValidationError(errors)
        if self.integration_id:
            self.integration.customer.require(Feature.PLUGINS)


class PluginSetting(models.Model):
    """An installed code plugin switched on for an integration, with its settings."""

    integration = models.ForeignKey(
        Integration, on_delete=models.CASCADE, related_name="plugin_settings", verbose_name=_("integration")
    )
    position = models.PositiveIntegerField(_("position"), default=0, help_text=_("Plugins run lowest first."))
    plugin = models.CharField(_("plugin"), max_length=100)
    settings = models.JSONField(_("settings"), default=dict, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    dry_run = models.BooleanField(
        _("dry run only"),
        default=False,
        help_text=_("Runs and shows on the order's page what it would change, but changes nothing."),
    )

    class Meta:
        verbose_name = _("plugin")
        verbose_name_plural = _("plugins")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.position}. {self.plugin}"

    @property
    def audit_customer(self) -> Customer:
        return self.integration.customer

    def clean(self) -> None:
        if self.integration_id:
            self.integration.customer.require(Feature.PLUGINS)
