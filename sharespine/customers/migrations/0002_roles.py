"""The three roles as groups with their permissions.

Consultants edit every merchant's configuration; support staff read everything; merchant users
have no admin permissions at all (they see their own merchant on the dashboard, scoped by
Membership). Later apps extend these groups in their own migrations.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CONFIG_MODELS = [
    ("customers", "customer"),
    ("customers", "membership"),
    ("flows", "integration"),
    ("flows", "jetshopshop"),
    ("flows", "channel"),
    ("flows", "vismaagent"),
    ("flows", "ordertrigger"),
    ("flows", "statusrule"),
    ("flows", "pricelistmapping"),
]
READ_ONLY_MODELS = [("customers", "configchange"), ("auth", "user"), ("django_celery_beat", "periodictask")]

CONSULTANT = "Consultant"
SUPPORT = "Support"
MERCHANT = "Merchant"


def _permission(apps, app_label, model, action):
    Permission = apps.get_model("auth", "Permission")
    return Permission.objects.get(content_type__app_label=app_label, content_type__model=model,
                                  codename=f"{action}_{model}")


def create_roles(apps, schema_editor):
    # Permissions are normally made after all migrations (post_migrate); make them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    consultant, _ = Group.objects.get_or_create(name=CONSULTANT)
    support, _ = Group.objects.get_or_create(name=SUPPORT)
    Group.objects.get_or_create(name=MERCHANT)

    for app_label, model in CONFIG_MODELS:
        for action in ("add", "change", "delete", "view"):
            consultant.permissions.add(_permission(apps, app_label, model, action))
        support.permissions.add(_permission(apps, app_label, model, "view"))
    for app_label, model in READ_ONLY_MODELS:
        consultant.permissions.add(_permission(apps, app_label, model, "view"))
        support.permissions.add(_permission(apps, app_label, model, "view"))
    # Consultants may pause a schedule; the schedules themselves are defined in code.
    consultant.permissions.add(_permission(apps, "django_celery_beat", "periodictask", "change"))


def drop_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=[CONSULTANT, SUPPORT, MERCHANT]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0001_initial"),
        ("flows", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_roles, drop_roles)]
