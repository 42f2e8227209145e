"""The two shapes of a flow. Every flow module declares one of these; the runner dispatches on it.

**ItemFlow**: records that each become a ``SyncItem`` (orders, order status). ``pull`` fetches
source records page by page; the engine stores each page, with its cursor, in one short
transaction, so no remote call ever runs inside a transaction and nothing fetched is lost between
the source and the database. ``process`` handles one claimed item: look-ups (reads), a pure
``map``, then the push; the engine records the outcome.

**BatchFlow**: many records per cycle (products, prices, price lists, stock). ``read`` yields
source records (all, or only the named ones for a retry); ``map`` turns one record into the
change for one shop, a problem, or nothing, with no I/O; the engine compares each change with
what was last sent, hands the changed ones to ``send`` in batches, and records what went and what
did not.

``map`` is pure in both shapes: table-tested on its own, and the point where plugins hook in.
A flow never writes SyncRun, SyncItem, ExternalRef, Cursor or journey rows itself: it returns
them to the engine (``flows.engine`` and ``flows.engine.batch``), the one bookkeeper.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

from flows import later
from flows.engine import Outcome, Skipped, SourceRecord
from flows.engine.connections import Connections
from flows.models import Integration, JetshopShop, SyncItem, SyncRun

S = TypeVar("S")  # a source record
C = TypeVar("C")  # what a batch cycle looks up once (VAT rates, quantities in flight, …)


@dataclass
class Page:
    """What one pull step fetched: records to store as items, and where the source now stands.

    The engine stores the records and moves the cursor in one transaction; ``requeue`` names items
    (parked earlier) that can go again now; ``errors`` are parts that failed (one shop of several:
    the run ends as failed, the other parts' records are kept).
    """

    records: list[SourceRecord] = field(default_factory=list)
    cursor: str | None = None
    cursor_scope: str = ""
    requeue: list[int] = field(default_factory=list)
    log: list[str | later.Text] = field(default_factory=list)  # shown in the reader's language
    errors: list[str] = field(default_factory=list)
    # Records fetched again that are items already (left out of ``records``): counted as pulled.
    already_stored: int = 0


class FlowBase:
    flow: ClassVar[str]

    def __init__(self, integration: Integration, connections: Connections) -> None:
        self.integration = integration
        self.connections = connections
        self.dry_run = not integration.live


class ItemFlow(FlowBase, ABC):
    # Processed oldest first inside the run, under its lock (a "paid" must not overtake its
    # "delivered"); otherwise each item gets a task of its own.
    in_order: ClassVar[bool] = False
    # New items start a shop order's journey ("received").
    journey: ClassVar[bool] = False

    @abstractmethod
    def pull(self, run: SyncRun) -> Iterator[Page]:
        """Fetch new source records, a page at a time; never write to the database here."""

    @abstractmethod
    def process(self, item: SyncItem) -> Outcome | Skipped:
        """Look up, map (pure) and push one item; raise the connector or mapping error if it fails."""

    def prepare(self, items: list[SyncItem]) -> None:
        """Before the run processes these claimed items: read what they all need in one go (reads
        only; ``process`` must still work for an item that was not prepared). By default nothing."""


@dataclass
class Change(Generic[S]):
    """One record for one shop: its reference key, the console's name for it, what is hashed, and
    the client's typed input."""

    key: str
    source: str
    payload: dict[str, Any]
    record: S
    # The article it belongs to (for "linked to the shop"); the source's name when not given.
    article: str = ""
    # Only send when this key was sent before (a product hidden in Visma that the shop never had).
    only_if_sent_before: bool = False

    def __post_init__(self) -> None:
        self.article = self.article or self.source


@dataclass
class Problem:
    """A record that cannot go, or did not: its name in the console and why."""

    source: str
    message: str
    reason: str = "rejected"
    # failed: the target refused it; parked: a person must add or map something; skipped: it can
    # never go (reported once, e.g. a quantity break a shop price list cannot hold).
    status: str = SyncItem.Status.FAILED
    payload: dict[str, Any] = field(default_factory=dict)
    article: str = ""  # the article it is about, when the source's name is not just that


class BatchFlow(FlowBase, ABC, Generic[S, C]):
    # ExternalRef kind that holds, per shop and record, the hash of what was last sent.
    kind: ClassVar[str]
    # Write only records whose article is linked to the shop (by a products flow or the initial
    # sync), so stock and prices never create ghost products.
    linked_only: ClassVar[bool] = True

    def shops(self) -> list[JetshopShop]:
        return list(self.integration.shops.order_by("pk"))

    # A change is a row per culture of the shop (products, stock) rather than one row (prices).
    row_per_culture: ClassVar[bool] = True

    def batch_size(self, shop: JetshopShop) -> int:
        """Changes per ``send``. One batch must fit one call: a batch the client split over two
        calls, the second failing, would leave the first call's rows written in the shop but not
        recorded as sent (and so sent again)."""
        rows = len(shop.culture_list) if self.row_per_culture else 1
        return max(1, self.connections.jetshop(shop).batch_size // max(1, rows))

    def look_up(self, run: SyncRun, only: set[str] | None) -> C:
        """What the cycle reads once before mapping (reads only)."""
        # The default suits a flow that looks nothing up (``C`` is None); a type variable cannot
        # say "only when C is None", so this one return is left unchecked.
        return None  # type: ignore[return-value]

    @abstractmethod
    def read(self, run: SyncRun, context: C, only: set[str] | None) -> Iterator[S]:
        """Source records; with ``only``, just those (a retry reads the record, not the catalogue)."""

    @abstractmethod
    def map(self, record: S, shop: JetshopShop, context: C) -> Change | Problem | None:
        """Pure: the change ``record`` makes in ``shop``, why it cannot, or None when none."""

    @abstractmethod
    def send(self, shop: JetshopShop, batch: list[Change]) -> list[Problem]:
        """One call (or a few) for the batch; returns the records that did not go through."""

    def done(self, run: SyncRun, context: C, only: set[str] | None) -> None:
        """After a full cycle: move the cursor (through the engine), when the flow has one."""
