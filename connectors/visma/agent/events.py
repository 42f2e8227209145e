"""The document event feed: delivered, invoiced, paid, cancelled — derived, since Visma has no events.

Each poll scans order and invoice heads changed since the last scan (the eTimeStamp sort order,
with an overlap because the real timestamp resolution is unverified), derives each document's
status flags, compares them with the snapshot kept in the agent's state, and appends one event per
flag that turned on. Events get increasing ids; the id is the feed's cursor.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from connectors.visma import protocol as P
from connectors.visma.agent.backends.base import AdkRecord, CompanyBackend
from connectors.visma.agent.config import AgentConfig
from connectors.visma.agent.mapping import clean, dec
from connectors.visma.agent.state import AgentState

H = "ADK_OOI_HEAD_"
MARK = "documents"
RANK = {"delivered": 0, "invoiced": 1, "paid": 2, "cancelled": 3}
TABLES = (("order", "ADK_DB_ORDER_HEAD"), ("invoice", "ADK_DB_INVOICE_HEAD"))
PAGE = 500


class EventFeed:
    def __init__(self, backend: CompanyBackend, state: AgentState, config: AgentConfig) -> None:
        self.backend = backend
        self.state = state
        self.config = config

    def flags(self, kind: str, head: AdkRecord) -> dict[str, Any]:
        if kind == "order":
            return {
                "delivered": bool(head[f"{H}ORDER_DELIVERED"]),
                "invoiced": int(head[f"{H}DOCUMENT_CONNECTION_NUMBER{self.config.order_invoice_slot}"] or 0),
                "cancelled": bool(head[f"{H}DOCUMENT_CANCELLED"]),
            }
        from_order = int(head[f"{H}DOCUMENT_CONNECTION_NUMBER{self.config.invoice_order_slot}"] or 0)
        paid = (
            head[f"{H}TOTAL_AMOUNT"] > 0 and head[f"{H}BALANCE"] <= 0.005 and bool(head[f"{H}LAST_PAYMENT"])
        )
        return {
            # An invoice written directly is itself the "invoiced" news; one made from an order
            # is announced on the order.
            "invoiced": 0 if from_order else int(head[f"{H}DOCUMENT_NUMBER"]),
            "paid": bool(paid) and not head[f"{H}DOCUMENT_CANCELLED"],
            "cancelled": bool(head[f"{H}DOCUMENT_CANCELLED"]),
        }

    def _changed_heads(self, since: str) -> Iterator[tuple[str, AdkRecord]]:
        for kind, table in TABLES:
            after: tuple[Any, ...] = (since, -1)
            while True:
                heads = self.backend.scan(
                    table, order_by=(f"{H}TIMESTAMP", f"{H}DOCUMENT_NUMBER"), after=after, limit=PAGE
                )
                for head in heads:
                    yield kind, head
                if len(heads) < PAGE:
                    break
                after = (heads[-1][f"{H}TIMESTAMP"], heads[-1][f"{H}DOCUMENT_NUMBER"])

    def refresh(self, *, emit: bool = True) -> None:
        mark = self.state.mark(MARK)
        since = ""
        if mark:
            since = (
                datetime.fromisoformat(mark) - timedelta(seconds=self.config.event_overlap_seconds)
            ).isoformat(timespec="microseconds")
        candidates: list[tuple[str, int, dict[str, Any]]] = []
        newest = mark or ""
        for kind, head in self._changed_heads(since):
            number = int(head[f"{H}DOCUMENT_NUMBER"])
            stamp = clean(head[f"{H}TIMESTAMP"])
            newest = max(newest, stamp)
            now = self.flags(kind, head)
            before = self.state.snapshot(kind, number) or {}
            if now == before:
                continue
            self.state.save_snapshot(kind, number, now)
            if not emit:
                continue
            for name, value in now.items():
                if value and not before.get(name):
                    candidates.append((stamp, RANK[name], self._event(name, kind, head, value)))
        candidates.sort(key=lambda c: (c[0], c[1]))
        if candidates:
            self.state.append([c[2] for c in candidates])
        if newest:
            self.state.set_mark(MARK, newest)

    def _event(self, name: str, kind: str, head: AdkRecord, value: Any) -> dict[str, Any]:
        return {
            "event": name,
            "kind": kind,
            "number": int(head[f"{H}DOCUMENT_NUMBER"]),
            "reference": clean(head[f"{H}CUSTOMER_ORDER_NUMBER"]),
            "occurred_at": clean(head[f"{H}TIMESTAMP"]),
            "tracking_number": clean(head.get(self.config.tracking_field, "")) if name == "delivered" else "",
            "invoice_number": int(value) if name == "invoiced" else None,
            "amount": str(dec(head[f"{H}TOTAL_AMOUNT"])) if name == "paid" else None,
        }

    def page(self, after: int, limit: int) -> P.EventPage:
        self.refresh()
        rows = self.state.events(after, limit)
        items = [
            P.DocumentEvent(
                id=str(r["id"]),
                event=r["event"],
                kind=r["kind"],
                number=int(r["number"]),
                reference=r["reference"],
                occurred_at=r["occurred_at"],
                tracking_number=r["tracking_number"],
                invoice_number=r["invoice_number"],
                amount=P.parse_decimal(r["amount"]) if r["amount"] is not None else None,
            )
            for r in rows
        ]
        return P.EventPage(items=items, next_cursor=items[-1].id if items else str(after))
