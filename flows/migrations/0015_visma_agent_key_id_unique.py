"""A key id names one outbound Visma agent: the agent gateway looks the secret up by the key alone.

Rows that share a key are not renamed here: the agent behind a renamed row would be cut off (its
config file still holds the old key) and which of the merchants keeps the key is a person's
choice. The migration stops instead, naming the rows, before anything is changed. Direct agents
are called at their own URL and may share a key; they are left alone.
"""

from django.db import migrations, models
from django.db.models import Count


def refuse_shared_keys(apps, schema_editor):
    outbound = apps.get_model("flows", "VismaAgent").objects.filter(mode="outbound")
    shared = outbound.values("key_id").annotate(n=Count("id")).filter(n__gt=1).values_list("key_id", flat=True)
    if not shared:
        return
    lines = []
    for key in sorted(shared):
        rows = outbound.filter(key_id=key).select_related("integration__customer").order_by("pk")
        named = ", ".join(f"agent {a.pk} ({a.integration.customer.name} / {a.integration.name})" for a in rows)
        lines.append(f"  key id {key!r}: {named}")
    raise RuntimeError(
        "Outbound Visma agents share a key id, which the agent gateway can no longer tell apart:\n"
        + "\n".join(lines)
        + "\nGive each of these agents but one a new key id (in the admin and in the agent's config file), "
        "then run migrate again."
    )


class Migration(migrations.Migration):
    dependencies = [
        ("flows", "0014_rule_dynamic_field"),
    ]

    operations = [
        migrations.RunPython(refuse_shared_keys, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="vismaagent",
            constraint=models.UniqueConstraint(
                condition=models.Q(("mode", "outbound")),
                fields=("key_id",),
                name="visma_agent_outbound_key_unique",
                violation_error_message=(
                    "Another Visma agent that connects out already uses this key id: give each agent its own."
                ),
            ),
        ),
    ]
