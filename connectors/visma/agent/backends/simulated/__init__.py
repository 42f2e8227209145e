"""The simulated backend: a Visma Administration company on SQLite with an ADK-shaped API."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from connectors.visma.agent import fields as F
from connectors.visma.agent.backends.base import AdkRecord, CompanyBackend, CompanyInfo
from connectors.visma.agent.backends.simulated.documents import Documents, Options
from connectors.visma.agent.backends.simulated.faults import Faults
from connectors.visma.agent.backends.simulated.lifecycle import Lifecycle
from connectors.visma.agent.backends.simulated.masterdata import MasterData
from connectors.visma.agent.backends.simulated.schema import connect, create_company
from connectors.visma.agent.backends.simulated.store import Clock, Store
from connectors.visma.agent.errors import AdkError, CompanyUnavailable

__all__ = ["Faults", "Options", "SimulatedBackend", "create_company"]

# The ADK keeps one open company per process (AdkOpen returns no handle); so does the simulator:
# while one backend has its company open, any other open in the process is refused.
_open_lock = threading.Lock()
_open_company: list[SimulatedBackend] = []


class SimulatedBackend(CompanyBackend):
    name = "simulated"

    def __init__(self, path: Path, *, options: Options | None = None, faults: Faults | None = None) -> None:
        self.path = Path(path)
        self.options = options or Options()
        self.faults = faults or Faults()
        self.clock = Clock()
        self.conn: sqlite3.Connection | None = None

    # --- session ----------------------------------------------------------------------------------

    def open(self) -> CompanyInfo:
        self.faults.check("open")
        if not self.path.exists():
            raise CompanyUnavailable(f"no company at {self.path} (ADKE_INVALID_PATH_COMPANY 116)")
        with _open_lock:
            if _open_company and _open_company[0] is not self:
                other = _open_company[0].path
                raise CompanyUnavailable(f"a company is already open in this process: {other}")
            if not _open_company:
                _open_company.append(self)
        self.conn = connect(self.path)
        store = Store(self.conn, self.clock)
        self.documents = Documents(store, self.options)
        self.lifecycle = Lifecycle(self.documents)
        self.masterdata = MasterData(self.documents)
        prm = self.conn.execute("SELECT * FROM prm").fetchone()
        return CompanyInfo(
            name=prm["ADK_PRM_NAME"],
            org_number=prm["ADK_PRM_ORGANISATION_NUMBER"],
            program_variant=prm["ADK_PRM_PROGRAM"] or "ADKI_ADMIN2000",
            api_licensed=True,
            currency=prm["ADK_PRM_CODE_OF_CURRENCY"] or "SEK",
            price_4_decimals=bool(prm["ADK_PRM_PRICE_4_DECIMALS_ACTIVATED"]),
        )

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        with _open_lock:
            if _open_company and _open_company[0] is self:
                _open_company.clear()

    def _store(self, operation: str) -> Store:
        if self.conn is None:
            raise AdkError(80)
        self.faults.check(operation)
        return self.documents.store

    @staticmethod
    def _table(table: str) -> F.Table:
        try:
            return F.TABLES[table]
        except KeyError:
            raise AdkError(102, table=table) from None

    def _write(self, fn: Callable[..., AdkRecord], *args: Any) -> AdkRecord:
        # One transaction per ADK call: a refused write leaves nothing behind.
        store = self._store("write")
        store.conn.execute("BEGIN IMMEDIATE")
        try:
            result = fn(*args)
        except BaseException:
            store.conn.execute("ROLLBACK")
            raise
        store.conn.execute("COMMIT")
        return result

    # --- reads ------------------------------------------------------------------------------------

    def find(self, table: str, key: Mapping[str, Any]) -> AdkRecord | None:
        return self._store("read").find(self._table(table), key)

    def scan(
        self,
        table: str,
        *,
        order_by: Sequence[str],
        after: Sequence[Any] | None = None,
        where: Mapping[str, Any] | None = None,
        limit: int = 1000,
        fields: Sequence[str] | None = None,
    ) -> list[AdkRecord]:
        return self._store("read").select(
            self._table(table), where=where, order_by=order_by, after=after, limit=limit, columns=fields
        )

    def rows(self, head_table: str, number: int) -> list[AdkRecord]:
        self._store("read")
        return self.documents.rows(self._table(head_table).kind, number)

    def customer_price(self, customer: str, article: str, quantity: float) -> tuple[float, str, str]:
        self._store("read")
        return self.masterdata.customer_price(customer, article, quantity)

    # --- writes -----------------------------------------------------------------------------------

    def _marshal(self, values: Mapping[str, Any]) -> Mapping[str, Any]:
        """What AdkSetStr receives: with ``invalid_text="replace"``, "?" for what cp1252 lacks."""
        if self.options.invalid_text != "replace":
            return values  # the store refuses such text with ADKE_INVALID_STRING 34
        return {
            k: v.encode("cp1252", "replace").decode("cp1252") if isinstance(v, str) else v
            for k, v in values.items()
        }

    def add(self, table: str, values: Mapping[str, Any], rows: Sequence[Mapping[str, Any]] = ()) -> AdkRecord:
        t = self._table(table)
        values, rows = self._marshal(values), [self._marshal(row) for row in rows]
        if t in (F.ORDER_HEAD, F.INVOICE_HEAD):
            return self._write(self.documents.add, t, values, rows)
        handlers = {
            F.CUSTOMER.db: self.masterdata.add_customer,
            F.ARTICLE.db: self.masterdata.add_article,
            F.PRICE.db: self.masterdata.set_price,
            F.CUSTOMERPAYMENT.db: self.lifecycle.add_payment,
        }
        if t.db in handlers:
            return self._write(handlers[t.db], values)
        if t in (F.MANUAL_IN, F.MANUAL_OUT):
            return self._write(self.lifecycle.add_manual, t, values)
        if t is F.VERIFICATION_HEAD:
            from connectors.visma.agent.backends.simulated.vouchers import add_voucher

            return self._write(add_voucher, self.documents, values, rows)
        return self._write(self._add_plain, t, values)

    def _add_plain(self, table: F.Table, values: Mapping[str, Any]) -> AdkRecord:
        self.documents.store.insert(table, values)
        return self.documents.store.find(table, {k: values.get(k, "") for k in table.key}) or {}

    def update(
        self,
        table: str,
        key: Mapping[str, Any],
        values: Mapping[str, Any],
        rows: Sequence[Mapping[str, Any]] = (),
    ) -> AdkRecord:
        t = self._table(table)
        values, rows = self._marshal(values), [self._marshal(row) for row in rows]
        if t in (F.ORDER_HEAD, F.INVOICE_HEAD):
            number = int(key["ADK_OOI_HEAD_DOCUMENT_NUMBER"])
            return self._write(self.lifecycle.update_document, t, number, values, rows)
        if t is F.CUSTOMER:
            return self._write(self.masterdata.update_customer, key["ADK_CUSTOMER_NUMBER"], values)
        if t is F.ARTICLE:
            return self._write(self.masterdata.update_article, key["ADK_ARTICLE_NUMBER"], values)
        if t is F.PRICE:
            return self._write(self.masterdata.set_price, {**key, **values})
        return self._write(self._update_plain, t, key, values)

    def _update_plain(self, table: F.Table, key: Mapping[str, Any], values: Mapping[str, Any]) -> AdkRecord:
        self.documents.store.update(table, key, values)
        return self.documents.store.find(table, key) or {}
