"""What an alert says, made in the reader's language when it is mailed (``translation.override``).

The alert row keeps data, not sentences: the same problem reads "12 orders: Payment method Swish
has no mapping …" to the consultant and "12 ordrar: …" to a merchant who reads Swedish. Orders
reuse the needs-attention queue's group (its reason, who acts, how to fix, the fix link); the link
always opens the page where the reader can act: the configuration for a consultant, the merchant's
own dashboard for a merchant (they have no admin).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from flows.engine.attention import Group
from flows.modes import Flow
from reconciliation.reasons import held_text
from sharespine.alerts.models import Alert


@dataclass(frozen=True)
class Text:
    headline: str  # with the count: "12 orders: …"
    title: str  # the cause without the count, for the "resolved" mail
    how: str  # what to do, or ""
    link: str  # absolute URL of the page that fixes it


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def when(moment) -> str:
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def _group(alert: Alert) -> Group:
    d = alert.data
    return Group(
        integration_id=alert.integration_id, integration=d.get("integration", ""), flow=d["flow"],
        reason=d["reason"], kind=d["kind"], value=d["value"], count=alert.count, since=alert.since,
        latest=alert.since, raw_value=d.get("raw_value", ""),
    )  # fmt: skip


def _dashboard(alert: Alert) -> str:
    return reverse("dashboard:integration", args=[alert.integration_id])


def _orders(alert: Alert, merchant: bool) -> Text:
    group = _group(alert)
    how = group.how_to_fix
    if not merchant and group.actor == Alert.Actor.MERCHANT:
        how = _("The merchant has to act: %(how)s") % {"how": how} if how else ""
    if merchant:
        link = _dashboard(alert)
    else:
        link = group.fix_url or group.items_url
    return Text(headline=group.headline, title=group.why, how=how, link=absolute(link))


def _agent(alert: Alert, merchant: bool) -> Text:
    # The time it stopped answering is in the mail's "waiting since" line, not in its subject.
    title = headline = _("The Visma agent does not answer.")
    how = _(
        "Check that the computer with Visma Administration is switched on, connected to the internet "
        "and that the Sharespine agent is running. Orders wait and go on by themselves once it answers."
    )
    link = (
        _dashboard(alert)
        if merchant
        else reverse("admin:flows_integration_change", args=[alert.integration_id])
    )
    return Text(headline=headline, title=title, how=how, link=absolute(link))


def _runs(alert: Alert, merchant: bool) -> Text:
    flow = Flow(alert.data["flow"]).label
    title = _("The flow %(flow)s fails.") % {"flow": flow}
    headline = _("The flow %(flow)s failed %(count)d runs in a row.") % {"flow": flow, "count": alert.count}
    error = alert.data.get("error", "")
    how = _("Last error: %(error)s") % {"error": error} if error else ""
    query = {"integration__id__exact": alert.integration_id, "flow__exact": alert.data["flow"]}
    link = reverse("admin:flows_syncrun_changelist") + "?" + urlencode(query)
    return Text(
        headline=headline, title=title, how=how, link=absolute(_dashboard(alert) if merchant else link)
    )


def _payout(alert: Alert, merchant: bool) -> Text:
    d = alert.data
    payout = f"{d['provider'].capitalize()} {d['reference']}"
    title = _("Payout %(payout)s does not balance.") % {"payout": payout}
    headline = _("Payout %(payout)s is held: %(reason)s.") % {
        "payout": payout,
        "reason": held_text(d["held_reason"]),
    }
    difference = Decimal(d.get("difference") or "0")
    how = ""
    if difference:
        how = _("Difference: %(amount)s %(currency)s.") % {
            "amount": formats.number_format(difference, 2, use_l10n=True),
            "currency": d.get("currency", "SEK"),
        }
    link = reverse("admin:reconciliation_payout_change", args=[d["payout_id"]])
    return Text(
        headline=headline, title=title, how=how, link=absolute(_dashboard(alert) if merchant else link)
    )


MAKERS = {
    Alert.Kind.ORDERS: _orders,
    Alert.Kind.AGENT: _agent,
    Alert.Kind.RUNS: _runs,
    Alert.Kind.PAYOUT: _payout,
}


def text(alert: Alert, merchant: bool) -> Text:
    return MAKERS[Alert.Kind(alert.kind)](alert, merchant)


def who(alert: Alert) -> str:
    return str(Alert.Actor(alert.actor).label)


def alert_mail(alert: Alert, merchant: bool) -> tuple[str, str]:
    """(subject, body) of the mail that a problem started."""
    t = text(alert, merchant)
    name = str(alert.integration)
    lines = [
        t.headline,
        "",
        _("Merchant and integration: %(name)s") % {"name": name},
        _("Waiting since: %(since)s") % {"since": when(alert.since)},
        _("Who has to act: %(who)s") % {"who": who(alert)},
    ]
    if t.how:
        lines += ["", t.how]
    lines += ["", _("Fix it here: %(link)s") % {"link": t.link}, "", _footer()]
    return _("Alert: %(name)s: %(headline)s") % {"name": name, "headline": t.headline}, "\n".join(lines)


def resolved_mail(alert: Alert, merchant: bool) -> tuple[str, str]:
    t = text(alert, merchant)
    name = str(alert.integration)
    lines = [
        _("Resolved: %(title)s") % {"title": t.title},
        "",
        _("Merchant and integration: %(name)s") % {"name": name},
        _("From %(since)s until %(until)s.")
        % {"since": when(alert.since), "until": when(alert.gone_at or timezone.now())},
        "",
        _("Nothing more to do."),
    ]
    return _("Resolved: %(name)s: %(title)s") % {"name": name, "title": t.title}, "\n".join(lines)


def digest_mail(
    integration, open_alerts: list[Alert], resolved: list[Alert], merchant: bool
) -> tuple[str, str]:
    name = str(integration)
    lines = [_("Alerts of %(name)s, the last 24 hours.") % {"name": name}, ""]
    if open_alerts:
        lines.append(_("Still open:"))
        for alert in open_alerts:
            t = text(alert, merchant)
            lines += [
                f"- {t.headline}",
                "  "
                + _("Since %(since)s; who has to act: %(who)s.")
                % {"since": when(alert.since), "who": who(alert)},
                "  " + t.link,
            ]
        lines.append("")
    if resolved:
        lines.append(_("Resolved:"))
        lines += [f"- {text(alert, merchant).title}" for alert in resolved]
        lines.append("")
    lines.append(_footer())
    subject = _("Daily summary: %(name)s: %(open)d open, %(resolved)d resolved") % {
        "name": name,
        "open": len(open_alerts),
        "resolved": len(resolved),
    }
    return subject, "\n".join(lines)


def _footer() -> str:
    return _(
        "One mail per problem, and one when it is resolved. The consultant sets thresholds, quiet "
        "hours and recipients."
    )
