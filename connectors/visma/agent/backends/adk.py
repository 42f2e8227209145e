"""The real ADK through pythonnet and the ``visma-administration`` package's wrapper loading.

UNTESTED ON REAL VISMA. Windows only; nothing here is imported unless ``--backend adk`` is chosen.
It implements the same ADK-shaped interface as the simulator, with the same field map
(``fields.py``), so everything above it is covered by the simulator's tests; what is not covered is
this translation to wrapper calls. Known gaps, to settle on a real installation (reference §8):
sort-order choice beyond the ones mapped below, ``AdkSetFilter`` expression grammar for equality,
how ``AdkFind`` positions for "after" paging, the NET6 wrapper's renamed getters (``AdkGetNumeric``,
``AdkGetRowData``), and date marshalling (``System.DateTime``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from connectors.visma.agent import fields as F
from connectors.visma.agent.backends.base import AdkRecord, CompanyBackend, CompanyInfo
from connectors.visma.agent.config import AgentConfig
from connectors.visma.agent.errors import AdkError, CompanyUnavailable

log = logging.getLogger("connectors.visma.agent.adk")

# Sort orders (ADK_SORT_ORDER, reference §2.3/§2.8) for the scans the agent makes.
SORT_ORDERS = {
    ("ADK_DB_ARTICLE", ("ADK_ARTICLE_NUMBER",)): "eArticleNr",
    ("ADK_DB_CUSTOMER", ("ADK_CUSTOMER_NUMBER",)): "eCustomerNr",
    ("ADK_DB_ORDER_HEAD", ("ADK_OOI_HEAD_DOCUMENT_NUMBER",)): "eOrderNr",
    ("ADK_DB_INVOICE_HEAD", ("ADK_OOI_HEAD_DOCUMENT_NUMBER",)): "eInvoiceNr",
    ("ADK_DB_CODE_OF_PRICE_LIST", ("ADK_CODE_OF_PRICE_LIST_CODE",)): "eCodeOfPriceList",
    ("ADK_DB_PRICE", ("ADK_PRICE_ARTICLE_NUMBER", "ADK_PRICE_QUANTITY")): "ePriceArticleNr",
}
EOF_CODE = 79


class AdkBackend(CompanyBackend):
    name = "adk"

    def __init__(self, config: AgentConfig) -> None:
        self.config = config
        self.api: Any = None

    def open(self) -> CompanyInfo:
        try:
            # The package finds Adk.dll through the SpcsAdm.Exe registry key and loads the
            # AdkNet4Wrapper (32-bit) or AdkNet6Wrapper (64-bit) that ships with the program.
            from visma_administration import api as va  # type: ignore[import-not-found]
        except Exception as exc:
            raise CompanyUnavailable(f"cannot load the Visma ADK: {exc}") from exc
        self.api = va.Api
        error = self.api.AdkOpen2(
            self.config.common_files, self.config.company, self.config.adk_user, self.config.adk_password
        )
        self._check(error)
        name = self._call_out(self.api.AdkGetCompanyName, "")
        variant = self._call_out(self.api.AdkGetVariant, 0)
        return CompanyInfo(name=str(name), org_number="", program_variant=str(variant), api_licensed=True)

    def close(self) -> None:
        if self.api is not None:
            self.api.AdkClose()

    # --- plumbing ---------------------------------------------------------------------------------

    def _check(self, error: Any, table: str = "", field: str = "") -> None:
        rc = int(error.lRc)
        if rc != 0:
            raise AdkError(rc, table=table, field=field, detail=str(self.api.AdkGetErrorText(error, 0)))

    @staticmethod
    def _call_out(fn: Any, default: Any) -> Any:
        # The .NET wrapper returns (error, value) tuples for out-parameters.
        result = fn(default)
        return result[1] if isinstance(result, tuple) else result

    def _const(self, name: str) -> Any:
        return getattr(self.api, name)

    def _get(self, data: Any, table: F.Table, name: str) -> Any:
        spec = table.fields[name]
        fid = self._const(name)
        if spec.type == F.CHAR:
            return str(self.api.AdkGetStr(data, fid, "")[1]).strip()
        if spec.type == F.DOUBLE:
            return float(self.api.AdkGetDouble(data, fid, 0.0)[1])
        if spec.type == F.BOOL:
            return bool(self.api.AdkGetBool(data, fid, False)[1])
        value = self.api.AdkGetDate(data, fid, None)[1]
        if spec.type == F.STAMP:
            return value.ToString("yyyy-MM-ddTHH:mm:ss.ffffff") if value is not None else ""
        return int(value.ToString("yyyyMMdd")) if value is not None and value.Year > 1 else 0

    def _set(self, data: Any, table: F.Table, name: str, value: Any) -> None:
        spec = table.fields[name]
        fid = self._const(name)
        if spec.type == F.CHAR:
            error = self.api.AdkSetStr(data, fid, value)
            error = error[0] if isinstance(error, tuple) else error
        elif spec.type == F.DOUBLE:
            error = self.api.AdkSetDouble(data, fid, float(value))
        elif spec.type == F.BOOL:
            error = self.api.AdkSetBool(data, fid, bool(value))
        else:
            from System import DateTime  # type: ignore[import-not-found]

            error = self.api.AdkSetDate(data, fid, DateTime(value // 10000, value // 100 % 100, value % 100))
        self._check(error, table.db, name)

    def _read(self, data: Any, table: F.Table, names: Sequence[str] | None = None) -> AdkRecord:
        return {name: self._get(data, table, name) for name in (names or table.fields)}

    # --- interface --------------------------------------------------------------------------------

    def find(self, table: str, key: Mapping[str, Any]) -> AdkRecord | None:
        t = F.TABLES[table]
        data = self.api.AdkCreateData(self._const(t.db))
        try:
            for name, value in key.items():
                self._set(data, t, name, value)
            error = self.api.AdkFind(data)
            if int(error.lRc) == 115:
                return None
            self._check(error, t.db)
            return self._read(data, t)
        finally:
            self.api.AdkDeleteStruct(data)

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
        t = F.TABLES[table]
        data = self.api.AdkCreateData(self._const(t.db))
        out: list[AdkRecord] = []
        try:
            sort = SORT_ORDERS.get((table, tuple(order_by)), "eTimeStamp")
            self._check(self.api.AdkSetSortOrder(data, getattr(self.api.ADK_SORT_ORDER, sort)), t.db)
            for name, value in (where or {}).items():
                # Equality through AdkSetFilter (2018.6+); the expression grammar is [U].
                self._check(self.api.AdkSetFilter(data, self._const(name), str(value), 0), t.db, name)
            error = self.api.AdkFirstEx(data, False)  # False: do not load rows
            while int(error.lRc) == 0 and len(out) < limit:
                record = self._read(data, t, fields)
                key = (
                    tuple(record.get(name) for name in order_by)
                    if fields is None or set(order_by) <= set(fields)
                    else None
                )
                if after is None or key is None or key > tuple(after):
                    out.append(record)
                error = self.api.AdkNextEx(data, False)
            if int(error.lRc) not in (0, EOF_CODE):
                self._check(error, t.db)
            return out
        finally:
            self.api.AdkDeleteStruct(data)

    def add(self, table: str, values: Mapping[str, Any], rows: Sequence[Mapping[str, Any]] = ()) -> AdkRecord:
        t = F.TABLES[table]
        data = self.api.AdkCreateData(self._const(t.db))
        try:
            for name, value in values.items():
                self._set(data, t, name, value)
            if rows:
                self._attach_rows(data, t, rows)
            self._check(self.api.AdkAdd(data), t.db)
            return self._read(data, t)
        finally:
            self.api.AdkDeleteStruct(data)

    def _attach_rows(self, data: Any, head: F.Table, rows: Sequence[Mapping[str, Any]]) -> None:
        row_table = F.ROW_TABLES[head.db]
        block = self.api.AdkCreateDataRow(self._const(row_table.db), len(rows))
        for i, row in enumerate(rows):
            target = self.api.AdkGetDataRow(block, i)
            for name, value in row.items():
                self._set(target, row_table, name, value)
        self._check(self.api.AdkSetData(data, self._const("ADK_OOI_HEAD_ROWS"), block), head.db)
        self._check(self.api.AdkSetDouble(data, self._const("ADK_OOI_HEAD_NROWS"), float(len(rows))), head.db)

    def update(
        self,
        table: str,
        key: Mapping[str, Any],
        values: Mapping[str, Any],
        rows: Sequence[Mapping[str, Any]] = (),
    ) -> AdkRecord:
        t = F.TABLES[table]
        data = self.api.AdkCreateData(self._const(t.db))
        try:
            for name, value in key.items():
                self._set(data, t, name, value)
            self._check(self.api.AdkFind(data), t.db)
            for name, value in values.items():
                self._set(data, t, name, value)
            if rows:
                row_table = F.ROW_TABLES[t.db]
                for row in rows:
                    index = int(row["ADK_OOI_ROW_ROWNUMBER"]) - 1
                    target = self.api.AdkGetData(data, self._const("ADK_OOI_HEAD_ROWS"), index, None)[1]
                    for name, value in row.items():
                        if name != "ADK_OOI_ROW_ROWNUMBER":
                            self._set(target, row_table, name, value)
            self._check(self.api.AdkUpdate(data), t.db)
            return self._read(data, t)
        finally:
            self.api.AdkDeleteStruct(data)

    def rows(self, head_table: str, number: int) -> list[AdkRecord]:
        t = F.TABLES[head_table]
        row_table = F.ROW_TABLES[head_table]
        data = self.api.AdkCreateData(self._const(t.db))
        try:
            self._set(data, t, "ADK_OOI_HEAD_DOCUMENT_NUMBER", float(number))
            self._check(self.api.AdkFind(data), t.db)
            count = int(self._get(data, t, "ADK_OOI_HEAD_NROWS"))
            out = []
            for i in range(count):
                row = self.api.AdkGetData(data, self._const("ADK_OOI_HEAD_ROWS"), i, None)[1]
                out.append(self._read(row, row_table))
            return out
        finally:
            self.api.AdkDeleteStruct(data)

    def customer_price(self, customer: str, article: str, quantity: float) -> tuple[float, str, str]:
        # AdkGetCustomerPrice(cust, art, qty, bInvDisc, bRowDisc, bInclVAT, iSelCur, &price), §4.
        error, price = self.api.AdkGetCustomerPrice(customer, article, quantity, True, True, False, 0, 0.0)
        self._check(error)
        found = self.find("ADK_DB_CUSTOMER", {"ADK_CUSTOMER_NUMBER": customer}) or {}
        return (
            float(price),
            found.get("ADK_CUSTOMER_PRICE_LIST", ""),
            found.get("ADK_CUSTOMER_CODE_OF_CURRENCY", ""),
        )
