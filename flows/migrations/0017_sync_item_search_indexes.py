"""Indexes for the sync item list's search (e-mail, name, company, missing value, source id).

PostgreSQL only: the company is found by any part of its name through pg_trgm, which SQLite lacks,
and the embedded demo on SQLite is small enough to read whole. There the btree indexes stay in the
model state (so makemigrations is quiet) but are never created; the trigram index is SQL of its
own (see flows/models/engine.py ``SEARCH_INDEXES`` for why).
"""

from django.contrib.postgres.operations import TrigramExtension
import django.db.models.fields.json
import django.db.models.functions.text
from django.db import migrations, models


class AddIndexOnPostgres(migrations.AddIndex):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def company_trigrams(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            'CREATE INDEX "sync_item_company_trgm" ON "flows_syncitem" '
            "USING gin ((UPPER(\"payload\" #>> '{bill_to,company}')) gin_trgm_ops)"
        )


def drop_company_trigrams(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('DROP INDEX IF EXISTS "sync_item_company_trgm"')


class Migration(migrations.Migration):

    dependencies = [
        ('flows', '0016_capture_requested_step'),
    ]

    operations = [
        TrigramExtension(),  # skipped by Django itself on other databases
        AddIndexOnPostgres(
            model_name='syncitem',
            index=models.Index(fields=['source_id'], name='sync_item_source_id'),
        ),
        AddIndexOnPostgres(
            model_name='syncitem',
            index=models.Index(django.db.models.functions.text.Upper(django.db.models.fields.json.KeyTextTransform('value', 'result')), name='sync_item_missing_value'),
        ),
        AddIndexOnPostgres(
            model_name='syncitem',
            index=models.Index(django.db.models.functions.text.Upper(django.db.models.fields.json.KeyTextTransform('email', 'payload')), name='sync_item_email'),
        ),
        AddIndexOnPostgres(
            model_name='syncitem',
            index=models.Index(django.db.models.functions.text.Upper(django.db.models.fields.json.KeyTextTransform('first_name', django.db.models.fields.json.KeyTextTransform('bill_to', 'payload'))), name='sync_item_first_name'),
        ),
        AddIndexOnPostgres(
            model_name='syncitem',
            index=models.Index(django.db.models.functions.text.Upper(django.db.models.fields.json.KeyTextTransform('last_name', django.db.models.fields.json.KeyTextTransform('bill_to', 'payload'))), name='sync_item_last_name'),
        ),
        # The expression is the one Django writes for ``payload__bill_to__company__icontains``.
        migrations.RunPython(company_trigrams, drop_company_trigrams),
    ]
