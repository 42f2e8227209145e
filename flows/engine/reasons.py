"""Why a sync item waits or stopped, in words a merchant understands.

The engine records a short reason code on the item and, when something is not mapped yet, what
is missing (``result``: kind and value). The technical message stays in ``last_error`` for
support; these sentences are what the dashboard and the top of the console's order page say.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from flows import later
from flows.models import SyncItem
from flows.modes import Flow

ORDER_FLOWS = (Flow.SHOP_ORDERS_TO_VISMA, Flow.VISMA_ORDER_STATUS_TO_SHOP)

# The engine's reason codes, named for the console's lists and filter (the code stays in the URL).
REASON_LABELS = {
    "needs_mapping": gettext_lazy("missing mapping or article"),
    "totals_mismatch": gettext_lazy("amounts differ"),
    "invalid_quantity": gettext_lazy("invalid quantity"),
    "invalid_order": gettext_lazy("order without rows"),
    "article_number": gettext_lazy("article number too long"),
    "customer_choice": gettext_lazy("customer to choose"),
    "out_of_bounds": gettext_lazy("too large for Visma"),
    "rejected": gettext_lazy("refused"),
    "permanent_error": gettext_lazy("refused for good"),
    "gave_up": gettext_lazy("gave up after many attempts"),
    "internal_error": gettext_lazy("internal error"),
    "agent_offline": gettext_lazy("Visma agent offline"),
    "visma_locked": gettext_lazy("Visma company locked"),
    "visma_busy": gettext_lazy("Visma agent busy"),
    "rate_limited": gettext_lazy("shop asked us to slow down"),
    "transient": gettext_lazy("temporary error"),
    "no_rule": gettext_lazy("no status rule"),
    "not_a_shop_order": gettext_lazy("not a shop order"),
    "already_applied": gettext_lazy("already done"),
    "not_transferable": gettext_lazy("cannot be transferred"),
    "skipped_by_operator": gettext_lazy("skipped by support"),
    "resolved": gettext_lazy("went through later"),
    "plugin_failed": gettext_lazy("a plugin failed"),
    "parked_by_rule": gettext_lazy("held back by a rule"),
    "skipped_by_rule": gettext_lazy("skipped by a rule"),
}


def status_count(status: str, count: int) -> str:
    """ "9 skipped", with the plural the language needs ("9 överhoppade", not "9 överhoppad")."""
    return str(status_count_text(status, count))


def status_count_text(status: str, count: int) -> later.Text:
    """``status_count`` for a run's log, put into the language of whoever reads it."""
    forms: dict[str, later.Text] = {
        SyncItem.Status.QUEUED: later.ngettext("%(count)d queued", "%(count)d queued", count, count=count),
        SyncItem.Status.PROCESSING: later.ngettext(
            "%(count)d processing", "%(count)d processing", count, count=count
        ),
        SyncItem.Status.DONE: later.ngettext("%(count)d done", "%(count)d done", count, count=count),
        SyncItem.Status.SKIPPED: later.ngettext("%(count)d skipped", "%(count)d skipped", count, count=count),
        SyncItem.Status.PARKED: later.ngettext(
            "%(count)d needs attention", "%(count)d need attention", count, count=count
        ),
        SyncItem.Status.FAILED: later.ngettext("%(count)d failed", "%(count)d failed", count, count=count),
    }
    return forms.get(status, later.Text(f"%(count)d {status}", {"count": count}))


def reason_label(code: str) -> str:
    return str(REASON_LABELS.get(code, code.replace("_", " ")))


def _missing(kind: str, value: str, flow: str) -> str:
    """A needs-mapping item: what must be added, named."""
    if kind == "article":
        if flow == Flow.SHOP_PRODUCTS_TO_VISMA:
            return _(
                "Article %(value)s cannot be created in Visma: its VAT rate has no article account mapping."
            ) % {"value": value}
        if not value:
            return _("A row of the order has no article number.")
        return _("Article %(value)s is not in Visma.") % {"value": value}
    messages = {
        "payment": _("Payment method %(value)s has no mapping to a Visma terms-of-payment code."),
        "delivery": _("Delivery method %(value)s has no mapping to a Visma way-of-delivery code."),
        "channel": _("The order matches none of the shop's channels (%(value)s)."),
        "vat": _("VAT rate %(value)s %% has no VAT code in Visma."),
        "currency": _("Currency %(value)s is not set up in Visma."),
        "terms-of-payment code": _("Terms-of-payment code %(value)s is not set up in Visma."),
        "way-of-delivery code": _("Way-of-delivery code %(value)s is not set up in Visma."),
        "price list": _("Price list %(value)s is not set up in Visma."),
    }
    message = messages.get(kind, _("Something is not mapped yet: %(value)s."))
    return message % {"value": value or "?"}


def explain(item: SyncItem, count: int = 1) -> str:
    """One sentence: why ``item`` is where it is (empty for items that simply went through).

    ``count`` > 1: the sentence for a group of such items ("5 orders: Visma refused them.")."""
    result = item.result if isinstance(item.result, dict) else {}
    value = str(result.get("value", "") or "")
    reason = item.reason
    if reason == "needs_mapping":
        return _missing(str(result.get("kind", "")), value, item.flow)
    if reason == "customer_choice":
        if result.get("problem") == "duplicate_org_number":
            return _(
                "Visma has more than one customer with organisation number %(value)s; "
                "a consultant must choose which one the order is for."
            ) % {"value": value}
        return _(
            "The order's organisation number %(value)s is not valid (its check digit is wrong); "
            "a consultant must choose the customer."
        ) % {"value": value}
    if reason == "out_of_bounds":
        return ngettext(
            "Visma cannot hold the order as it is (%(value)s is out of range); support can see why.",
            "Visma cannot hold the orders as they are (%(value)s is out of range); support can see why.",
            count,
        ) % {"value": value}
    if reason == "totals_mismatch":
        return ngettext(
            "The order's amounts differ from what Visma would calculate by more than rounding.",
            "The orders' amounts differ from what Visma would calculate by more than rounding.",
            count,
        )
    if reason == "invalid_quantity":
        return _("Row %(row)s has quantity %(quantity)s; Visma needs a positive quantity.") % {
            "row": result.get("row", "?"),
            "quantity": result.get("quantity", "?"),
        }
    if reason == "invalid_order":
        return ngettext("The order has no rows.", "The orders have no rows.", count)
    if reason == "article_number":
        return _("Article number %(value)s is longer than Visma allows.") % {"value": value or item.reference}
    if reason in ("rejected", "permanent_error"):
        return _refused(item.flow, count)
    if reason == "gave_up":
        return _("Still failing after many attempts; support can see why.")
    if reason == "internal_error":
        return ngettext(
            "An internal error stopped it; support has the details.",
            "An internal error stopped them; support has the details.",
            count,
        )
    if reason == "agent_offline":
        return _("Waiting for the Visma agent to come back online.")
    if reason == "visma_locked":
        return _("Waiting: the Visma company is locked by another user or a job (for example a backup).")
    if reason == "visma_busy":
        return _("Waiting: the Visma agent has too much to do right now.")
    if reason == "rate_limited":
        return _("Waiting: the shop asked us to slow down.")
    if reason == "transient":
        return _("Waiting to try again after a temporary error.")
    if reason == "no_rule":
        return _("No status rule applies to this event.")
    if reason == "not_a_shop_order":
        return _("The Visma document did not come from the shop.")
    if reason == "already_applied":
        return _("Already done earlier.")
    if reason == "not_transferable":
        return _("A quantity break the shop's price list cannot hold.")
    if reason == "plugin_failed":
        return ngettext(
            "Plugin %(value)s failed on it; the plugin must be fixed or switched off, then retry.",
            "Plugin %(value)s failed on them; the plugin must be fixed or switched off, then retry.",
            count,
        ) % {"value": value or "?"}
    if reason == "parked_by_rule":
        # The rule is kept as a message (``later.stored``): in the reader's language. Older items
        # hold its name as it was written.
        return _("Held back by a rule of this integration: %(rule)s.") % {"rule": later.shown(value) or "?"}
    if reason == "skipped_by_rule":
        return _("Not transferred: a rule of this integration skips it.")
    if reason == "skipped_by_operator":
        return _("Skipped by support.")
    if reason == "resolved":
        return _("Went through later.")
    if item.status in SyncItem.ATTENTION:
        return _refused(item.flow, count)
    return ""


def _refused(flow: str, count: int) -> str:
    if flow.endswith("_to_visma"):
        return ngettext("Visma refused it.", "Visma refused them.", count)
    return ngettext("The shop refused it.", "The shop refused them.", count)


def subject(item: SyncItem) -> str:
    """What the item is about: an order, an order's status, or an article."""
    if item.flow == Flow.SHOP_ORDERS_TO_VISMA:
        return _("Order %(ref)s") % {"ref": item.reference}
    if item.flow == Flow.VISMA_ORDER_STATUS_TO_SHOP:
        return _("Status of order %(ref)s") % {"ref": item.reference}
    return _("Article %(ref)s") % {"ref": item.reference or item.source_id}
