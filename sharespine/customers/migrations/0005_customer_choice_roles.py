"""Choosing the customer of a parked order is the consultant's call; support sees the choices."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    choices = Permission.objects.filter(content_type__app_label="flows", content_type__model="customerchoice")
    Group.objects.get(name="Consultant").permissions.add(*choices)
    Group.objects.get(name="Support").permissions.add(*choices.filter(codename="view_customerchoice"))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    choices = Permission.objects.filter(content_type__app_label="flows", content_type__model="customerchoice")
    for group in Group.objects.filter(name__in=["Consultant", "Support"]):
        group.permissions.remove(*choices)


class Migration(migrations.Migration):
    dependencies = [("customers", "0004_catalogue_roles"), ("flows", "0006_customer_choice")]

    operations = [migrations.RunPython(grant, revoke)]
