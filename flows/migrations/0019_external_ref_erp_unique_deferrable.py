"""On PostgreSQL, one Visma id per shop reference is checked at the end of each statement instead
of row by row: a completion that moves one shop customer off a Visma customer and gives that
customer to another (flows.engine.bookkeeping._customers_sql) is one statement, in whatever order
PostgreSQL takes its rows. Still one Visma id per shop reference after every statement. Not an
``ON CONFLICT`` arbiter, which could not be deferrable. Elsewhere (SQLite) rows are written one by
one, and the constraint stays as it is."""

from django.db import migrations

TABLE, NAME, COLUMNS = "flows_externalref", "external_ref_erp_unique", "(integration_id, kind, erp_id)"


def deferrable(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} DROP CONSTRAINT {NAME}")
        schema_editor.execute(
            f"ALTER TABLE {TABLE} ADD CONSTRAINT {NAME} UNIQUE {COLUMNS} DEFERRABLE INITIALLY IMMEDIATE"
        )


def immediate(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} DROP CONSTRAINT {NAME}")
        schema_editor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {NAME} UNIQUE {COLUMNS}")


class Migration(migrations.Migration):
    dependencies = [
        ("flows", "0018_rule_and_plugin_position_label"),
    ]

    operations = [migrations.RunPython(deferrable, immediate)]
