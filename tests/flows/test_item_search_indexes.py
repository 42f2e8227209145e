"""The item list's search reads indexes, not the whole SyncItem table (PostgreSQL).

A tiny test table is read whole whatever the indexes, so sequential scans are priced out: what
is left shows whether every branch of the search's OR has an index whose expression matches the
SQL Django writes for the lookup (a Django upgrade that changes it would show here).
"""

from __future__ import annotations

import pytest
from django.db import connection

from flows.console.items import search_match
from flows.models import SyncItem

pytestmark = pytest.mark.django_db

SEARCH_INDEXES = {
    "sync_item_source_id",
    "sync_item_missing_value",
    "sync_item_email",
    "sync_item_first_name",
    "sync_item_last_name",
    "sync_item_company_trgm",
}


def plan(term: str) -> str:
    sql, params = SyncItem.objects.filter(search_match(term)).order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize("term", ["Anna Berg", "Berg", "anna@example.se"])
def test_every_branch_of_the_search_reads_an_index(term):
    found = plan(term)
    assert "Seq Scan" not in found and "Bitmap Heap Scan" in found, found
    used = {name for name in SEARCH_INDEXES if name in found}
    # One word is a first or a last name; two are both, and one of the two indexes suffices.
    names = {"sync_item_first_name", "sync_item_last_name"}
    assert SEARCH_INDEXES - names <= used and used & names, found
