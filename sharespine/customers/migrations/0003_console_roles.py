"""Support and consultants read the sync logs and may retry or skip sync items; method mappings
are configuration like the rest."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

LOG_MODELS = ["syncrun", "syncitem", "externalref", "journeystep", "cursor"]


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = list(
        Permission.objects.filter(
            content_type__app_label="flows",
            codename__in=[f"view_{model}" for model in LOG_MODELS] + ["retry_syncitem"],
        )
    )
    for name in ("Consultant", "Support"):
        Group.objects.get(name=name).permissions.add(*perms)
    mapping = Permission.objects.filter(content_type__app_label="flows", content_type__model="methodmapping")
    Group.objects.get(name="Consultant").permissions.add(*mapping)
    Group.objects.get(name="Support").permissions.add(*mapping.filter(codename="view_methodmapping"))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = Permission.objects.filter(
        content_type__app_label="flows", codename__in=[f"view_{m}" for m in LOG_MODELS] + ["retry_syncitem"]
    )
    for group in Group.objects.filter(name__in=["Consultant", "Support"]):
        group.permissions.remove(*perms)


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_roles"), ("flows", "0002_engine")]

    operations = [migrations.RunPython(grant, revoke)]
