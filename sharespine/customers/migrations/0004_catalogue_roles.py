"""Article account mappings are configuration (consultants edit, support reads); initial product
syncs are started by consultants and read by support."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    flows = Permission.objects.filter(content_type__app_label="flows")
    consultant, support = Group.objects.get(name="Consultant"), Group.objects.get(name="Support")
    consultant.permissions.add(
        *flows.filter(content_type__model="articleaccountmapping"),
        *flows.filter(codename__in=["view_initialsync", "add_initialsync", "change_initialsync"]),
    )
    support.permissions.add(*flows.filter(codename__in=["view_articleaccountmapping", "view_initialsync"]))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = Permission.objects.filter(
        content_type__app_label="flows", content_type__model__in=["articleaccountmapping", "initialsync"]
    )
    for group in Group.objects.filter(name__in=["Consultant", "Support"]):
        group.permissions.remove(*perms)


class Migration(migrations.Migration):
    dependencies = [("customers", "0003_console_roles"), ("flows", "0004_catalogue_settings")]

    operations = [migrations.RunPython(grant, revoke)]
