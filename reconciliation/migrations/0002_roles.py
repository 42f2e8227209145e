"""Consultants run reconciliation (upload, post, export, account plans, packages); support reads
everything and may match again."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MODELS = ["payout", "payoutline", "settlementfile", "bankline", "posting", "accountplan", "reconciliationpackage"]


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ours = Permission.objects.filter(content_type__app_label="reconciliation")
    consultant, _ = Group.objects.get_or_create(name="Consultant")
    support, _ = Group.objects.get_or_create(name="Support")
    consultant.permissions.add(
        *ours.filter(codename__in=[f"view_{m}" for m in MODELS] + ["post_payout", "rematch_payout",
                     "add_settlementfile", "add_bankline", "change_accountplan", "add_accountplan",
                     "add_reconciliationpackage", "delete_reconciliationpackage"])  # fmt: skip
    )
    support.permissions.add(*ours.filter(codename__in=[f"view_{m}" for m in MODELS] + ["rematch_payout"]))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ours = Permission.objects.filter(content_type__app_label="reconciliation")
    for group in Group.objects.filter(name__in=["Consultant", "Support"]):
        group.permissions.remove(*ours)


class Migration(migrations.Migration):
    dependencies = [("reconciliation", "0001_initial"), ("customers", "0002_roles")]

    operations = [migrations.RunPython(grant, revoke)]
