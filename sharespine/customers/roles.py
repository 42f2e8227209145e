"""The three roles and everything each may do in the admin: the one list of it.

Consultants configure merchants and pause or run schedules; support staff read everything and may
retry or skip a failed sync item (operations, not configuration); merchant users have no admin at
all (they see their own merchant on the dashboard, scoped by Membership).

The groups' permissions are made from ``PERMISSIONS`` after every ``migrate`` (``sync_groups``,
connected to ``post_migrate``), so a permission granted anywhere else is taken away again.
``tests/foundation/test_roles.py`` walks every registered admin page and every admin action per
role and holds it against these lists: a new model or action in the admin fails that test until it
is listed here.
"""

from __future__ import annotations

import logging

from django.contrib.auth.management import create_permissions

log = logging.getLogger(__name__)

CONSULTANT = "Consultant"
SUPPORT = "Support"
MERCHANT = "Merchant"
ROLES = (CONSULTANT, SUPPORT, MERCHANT)

# Configuration consultants add, change and delete, and support reads.
CONFIGURATION = (
    "customers.customer",
    "customers.membership",
    "flows.integration",
    "flows.jetshopshop",
    "flows.channel",
    "flows.vismaagent",
    "flows.ordertrigger",
    "flows.statusrule",
    "flows.pricelistmapping",
    "flows.methodmapping",
    "flows.articleaccountmapping",
    # Rules and code plugins (package 800); preview and export need view, import change.
    "flows.rule",
    "flows.pluginsetting",
    # Reconciliation: the account plan (and watched folder), Klarna API credentials, the package.
    "reconciliation.accountplan",
    "reconciliation.klarnaaccount",
    "reconciliation.reconciliationpackage",
    # The price matrix: start fee and volume tiers per package (tiers are edited inline).
    "metering.packageprice",
    "metering.pricetier",
    # Alerts: thresholds, recipients, quiet hours and digest time per integration.
    "alerts.alertsettings",
)
# What both staff roles read and nobody edits in the admin.
READ_ONLY = (
    "customers.configchange",
    "auth.user",
    "django_celery_beat.periodictask",
    # A schedule's page links its interval or cron schedule: readable by whoever reads the schedule.
    "django_celery_beat.intervalschedule",
    "django_celery_beat.crontabschedule",
    "flows.syncrun",
    "flows.syncitem",
    "flows.externalref",
    "flows.journeystep",
    "flows.cursor",
    "flows.initialsync",
    "flows.customerchoice",
    # Logins (django-axes): failed attempts that count towards a lock-out, and successful logins.
    "axes.accessattempt",
    "axes.accesslog",
    # Payouts are what the PSP sent: nobody edits them (actions below post and match them).
    "reconciliation.payout",
    "reconciliation.bankline",
    # Usage: counted by the work itself, warned about by the check; read by both staff roles.
    "metering.merchantusage",
    "metering.usagewarning",
    # Alerts and every alert mail as it was sent: made by the check, read by both staff roles.
    "alerts.alert",
    "alerts.sentmail",
)


def _perms(models: tuple[str, ...], *actions: str) -> set[str]:
    """``app_label.action_model`` for each model and action."""
    return {f"{m.split('.')[0]}.{a}_{m.split('.')[1]}" for m in models for a in actions}


# role -> its permissions, "app_label.codename".
PERMISSIONS: dict[str, frozenset[str]] = {
    CONSULTANT: frozenset(
        _perms(CONFIGURATION, "add", "change", "delete", "view")
        | _perms(READ_ONLY, "view")
        | {
            # Pause, resume or run a schedule (the schedules themselves are made in code).
            "django_celery_beat.change_periodictask",
            # Start an initial product sync and apply it.
            "flows.add_initialsync",
            "flows.change_initialsync",
            "flows.retry_syncitem",
            # Run the integration's go-live check (its result is kept); fetch once the orders in a
            # trigger status placed before the shop's look-back window.
            "flows.run_golivecheck",
            "flows.fetch_olderorders",
            # Choose the Visma customer of an order the flow would not guess (duplicate or invalid
            # organisation number).
            "flows.add_customerchoice",
            "flows.change_customerchoice",
            # Give a merchant a new dashboard login: a non-staff user in the Merchant group only,
            # with a membership of that merchant (sharespine/customers/logins.py); users in
            # general stay read-only, so no consultant makes or edits staff or superusers.
            "customers.add_merchant_login",
            # Lift a login lock-out (delete its attempts row).
            "axes.delete_accessattempt",
            # Reconciliation: upload payout files and bank statements, post to Visma, export SIE,
            # match again.
            "reconciliation.add_settlementfile",
            "reconciliation.post_payout",
            "reconciliation.rematch_payout",
            # The monthly usage of every merchant as CSV, for invoicing.
            "metering.export_usage",
        }
    ),
    SUPPORT: frozenset(
        _perms(CONFIGURATION, "view")
        | _perms(READ_ONLY, "view")
        # Retrying or skipping a failed item is first-line support's daily work; it changes no
        # configuration and every item keeps its own history.
        | {"flows.retry_syncitem"}
        # The go-live check only reads the shop and Visma: support runs it when a merchant calls.
        | {"flows.run_golivecheck"}
        # Matching a payout again changes nothing in Visma: support may do it.
        | {"reconciliation.rematch_payout"}
    ),
    MERCHANT: frozenset(),
}

# role -> model label -> the admin actions (changelist "Action" menu) the role is offered.
# Every action of every registered admin must appear here for the roles that may use it.
ACTIONS: dict[str, dict[str, frozenset[str]]] = {
    CONSULTANT: {
        "django_celery_beat.periodictask": frozenset(
            {"enable_tasks", "disable_tasks", "toggle_tasks", "run_tasks"}
        ),
        "flows.syncitem": frozenset({"retry_selected", "mark_skipped"}),
        # Django's "delete selected" wherever the role may delete (the change log keeps each row).
        "customers.customer": frozenset({"delete_selected"}),
        "flows.integration": frozenset({"delete_selected"}),
        "flows.jetshopshop": frozenset({"delete_selected"}),
        "flows.vismaagent": frozenset({"delete_selected"}),
        "flows.methodmapping": frozenset({"delete_selected"}),
        "flows.articleaccountmapping": frozenset({"delete_selected"}),
        "axes.accessattempt": frozenset({"delete_selected", "cleanup_expired_attempts"}),
        "reconciliation.payout": frozenset({"rematch_selected", "post_selected", "export_selected"}),
        "reconciliation.accountplan": frozenset({"delete_selected"}),
        "reconciliation.klarnaaccount": frozenset({"delete_selected"}),
        "reconciliation.reconciliationpackage": frozenset({"delete_selected"}),
        "metering.packageprice": frozenset({"delete_selected"}),
        "alerts.alertsettings": frozenset({"delete_selected"}),
    },
    SUPPORT: {
        "flows.syncitem": frozenset({"retry_selected", "mark_skipped"}),
        "reconciliation.payout": frozenset({"rematch_selected"}),
    },
    MERCHANT: {},
}

# Console pages that belong to no model (URL name -> the permission that opens them).
PAGES: dict[str, str] = {
    # Every merchant's orders, backlog, flow health and payouts in pictures.
    "admin:overview": "flows.view_syncitem",
}


def sync_groups(sender=None, using: str = "default", apps=None, **kwargs) -> None:
    """Make each role's group hold exactly ``PERMISSIONS`` (a ``post_migrate`` receiver)."""
    from django.apps import apps as global_apps
    from django.contrib.auth.models import Group, Permission

    # Permissions of every app first: post_migrate reaches the apps one by one.
    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    for role in ROLES:
        group, _ = Group.objects.using(using).get_or_create(name=role)
        wanted = PERMISSIONS[role]
        found = [
            p
            for p in Permission.objects.using(using).select_related("content_type")
            if f"{p.content_type.app_label}.{p.codename}" in wanted
        ]
        missing = wanted - {f"{p.content_type.app_label}.{p.codename}" for p in found}
        if missing:
            # A model renamed or removed: the test of this list says so; migrate must still finish.
            log.warning("roles: permissions not found for %s: %s", role, ", ".join(sorted(missing)))
        group.permissions.set(found)
