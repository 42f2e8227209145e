"""What the engine's bookkeeping counts for the price model (``sharespine.metering``).

Called inside the bookkeeping's own transaction, so a count commits with the work or not at all;
the metering's unique keys make a retried order or a re-sent article count once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flows.models import ExternalRef, Integration, SyncItem
from flows.modes import Flow
from sharespine.metering import usage
from sharespine.metering.models import Kind

if TYPE_CHECKING:  # base and bookkeeping import this module (through flows.engine)
    from flows.engine.base import Change
    from flows.engine.bookkeeping import Outcome


def count_completed(done: Sequence[tuple[SyncItem, Outcome]]) -> None:
    """Order items completed with their Visma document: one order transferred each (not in a dry
    run, which completes without a reference)."""
    for customer_id, keys in _orders(done).items():
        usage.record(customer_id, Kind.ORDER, keys)


def count_completed_sql(
    done: Sequence[tuple[SyncItem, Outcome]], at: datetime
) -> list[tuple[str, list[Any]]]:
    """``count_completed`` as PostgreSQL statements with their parameters, for the bookkeeping's
    one-statement completion: one INSERT per merchant among the items."""
    return [
        usage.record_sql(customer_id, Kind.ORDER, keys, at) for customer_id, keys in _orders(done).items()
    ]


def _orders(done: Sequence[tuple[SyncItem, Outcome]]) -> dict[int, list[str]]:
    """{merchant: the keys of the orders among ``done``}."""
    orders: dict[int, list[str]] = {}
    for item, outcome in done:
        if item.flow == Flow.SHOP_ORDERS_TO_VISMA and outcome.ref_kind == ExternalRef.Kind.ORDER:
            key = f"{item.integration_id}:{item.source_id}"
            orders.setdefault(item.integration.customer_id, []).append(key)
    return orders


def count_sent(integration: Integration, changes: Sequence[Change]) -> None:
    """Catalogue records written to a shop or to Visma: each distinct article once a month."""
    usage.record(integration.customer_id, Kind.ARTICLE, [c.article for c in changes])
