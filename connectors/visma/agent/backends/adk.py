"""The real ADK through pythonnet and the ``visma-administration`` package's wrapper loading.

UNTESTED ON REAL VISMA. Windows only; nothing here is imported unless ``--backend adk`` is chosen.
It implements the same ADK-shaped interface as the simulator, with the same field map
(``fields.py``), so everything above it is covered by the simulator's tests. This translation to
wrapper calls is exercised on Linux against an ADK-shaped stand-in (tests/connectors/visma/fake_adk),
which checks our side of the calling convention, not Visma's. Known gaps, to settle on a real
installation (reference §8): ``AdkSetFilter``'s expression grammar (equality is assumed), the sort
order's collation (see ``scan``), ``AdkGetVariant``'s marshalled shape, and date marshalling.

Calling convention (reference §1.8, [V VIK]): functions return the ``ADK_ERROR`` struct; parameters
the C API passes by pointer come back from pythonnet as a tuple ``(error, value, ...)``; the 64-bit
AdkNet6Wrapper renames a few functions, so names are resolved with a fallback.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from connectors.visma.agent import fields as F
from connectors.visma.agent.backends.base import AdkRecord, CompanyBackend, CompanyInfo
from connectors.visma.agent.config import AgentConfig
from connectors.visma.agent.errors import EOF_CODE, NOT_FOUND, AdkError, CompanyUnavailable
from connectors.visma.agent.mapping import date_parts

log = logging.getLogger("connectors.visma.agent.adk")

# Sort orders (ADK_SORT_ORDER, reference §2.3/§2.8) for the scans the agent makes; anything else
# (the "changed since" scans) uses the generic timestamp order.
SORT_ORDERS = {
    ("ADK_DB_ARTICLE", ("ADK_ARTICLE_NUMBER",)): "eArticleNr",
    ("ADK_DB_CUSTOMER", ("ADK_CUSTOMER_NUMBER",)): "eCustomerNr",
    ("ADK_DB_ORDER_HEAD", ("ADK_OOI_HEAD_DOCUMENT_NUMBER",)): "eOrderNr",
    ("ADK_DB_INVOICE_HEAD", ("ADK_OOI_HEAD_DOCUMENT_NUMBER",)): "eInvoiceNr",
    ("ADK_DB_CODE_OF_PRICE_LIST", ("ADK_CODE_OF_PRICE_LIST_CODE",)): "eCodeOfPriceList",
    ("ADK_DB_PRICE", ("ADK_PRICE_ARTICLE_NUMBER", "ADK_PRICE_QUANTITY")): "ePriceArticleNr",
}
# AdkNet6Wrapper's names for functions whose C names it does not use (reference §1.8).
NET6_NAMES = {"AdkGetDouble": "AdkGetNumeric", "AdkGetData": "AdkGetRowData"}
# AdkGetVariant's ADKI_* values (reference §1.1).
VARIANTS = {
    1: "ADKI_ADMIN2000",
    2: "ADKI_ADMIN1000",
    3: "ADKI_ADMIN500",
    4: "ADKI_FORENING",
    5: "ADKI_ADMIN200",
}
OPEN_SCANS = 4  # cursors kept between pages (stock, prices, articles, events)


@dataclass
class _OpenScan:
    """An ADK cursor left standing on the last record of a page, for the next page to continue."""

    data: Any
    last_key: tuple[Any, ...]


class AdkBackend(CompanyBackend):
    name = "adk"

    def __init__(self, config: AgentConfig) -> None:
        self.config = config
        self.api: Any = None
        self.dotnet: Any = None  # the System namespace: typed placeholders for out-parameters
        self._scans: OrderedDict[tuple[Any, ...], _OpenScan] = OrderedDict()

    def open(self) -> CompanyInfo:
        try:
            # The package finds Adk.dll through the SpcsAdm.Exe registry key and loads the
            # AdkNet4Wrapper (32-bit) or AdkNet6Wrapper (64-bit) that ships with the program.
            import System  # type: ignore[import-not-found]  # pythonnet's .NET namespace
            from visma_administration import api as va  # type: ignore[import-not-found]
        except Exception as exc:
            raise CompanyUnavailable(f"cannot load the Visma ADK: {exc}") from exc
        self.api, self.dotnet = va.Api, System
        c = self.config
        # AdkOpen2 takes a Visma user for companies with program login activated (§1.7).
        if c.adk_user:
            self._check(self.api.AdkOpen2(c.common_files, c.company, c.adk_user, c.adk_password))
        else:
            self._check(self.api.AdkOpen(c.common_files, c.company))
        prm = self._first("ADK_DB_PRM")
        variant, licensed = self._variant()
        return CompanyInfo(
            name=prm.get("ADK_PRM_NAME", ""),
            org_number=prm.get("ADK_PRM_ORGANISATION_NUMBER", ""),
            program_variant=variant,
            api_licensed=licensed,
            currency=prm.get("ADK_PRM_CODE_OF_CURRENCY") or "SEK",
            price_4_decimals=bool(prm.get("ADK_PRM_PRICE_4_DECIMALS_ACTIVATED")),
        )

    def close(self) -> None:
        if self.api is not None:
            for scan in self._scans.values():
                self._free(scan.data)
            self._scans.clear()
            self.api.AdkClose()

    # --- plumbing ---------------------------------------------------------------------------------

    def _fn(self, name: str) -> Any:
        found = getattr(self.api, name, None) or getattr(self.api, NET6_NAMES.get(name, name), None)
        if found is None:
            raise AdkError(102, detail=f"the wrapper has no {name}")
        return found

    def _check(self, error: Any, table: str = "", field: str = "") -> None:
        rc = int(error.lRc)
        if rc != 0:
            text = self.api.AdkGetErrorText(error, self.api.ADK_ERROR_TEXT_TYPE.elRc)
            raise AdkError(rc, table=table, field=field, detail=str(text))

    def _const(self, name: str) -> Any:
        return getattr(self.api, name)

    def _new(self, table: F.Table) -> Any:
        return self.api.AdkCreateData(self._const(table.db))

    def _free(self, data: Any) -> None:
        # §6.14: every buffer is freed, also on early returns; some wrappers lack the call [V VIK].
        delete = getattr(self.api, "AdkDeleteStruct", None)
        if delete is not None:
            delete(data)

    def _get(self, data: Any, table: F.Table, name: str) -> Any:
        spec, fid, net = table.fields[name], self._const(name), self.dotnet
        if spec.type == F.CHAR:
            return str(self.api.AdkGetStr(data, fid, net.String(""))[1]).strip()  # §6.15: trim
        if spec.type == F.DOUBLE:
            return float(self._fn("AdkGetDouble")(data, fid, net.Double(0.0))[1])
        if spec.type == F.BOOL:
            return bool(self.api.AdkGetBool(data, fid, net.Boolean(False))[1])
        value = self.api.AdkGetDate(data, fid, net.DateTime())[1]
        if value is None or value.Year <= 1:  # DateTime.MinValue: no date
            return "" if spec.type == F.STAMP else 0
        if spec.type == F.STAMP:
            return str(value.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff"))
        return int(value.ToString("yyyyMMdd"))

    def _set(self, data: Any, table: F.Table, name: str, value: Any) -> None:
        spec, fid, net = table.fields[name], self._const(name), self.dotnet
        if spec.type == F.CHAR:
            error = self.api.AdkSetStr(data, fid, net.String(value))
            error = error[0] if isinstance(error, tuple) else error
        elif spec.type == F.DOUBLE:
            error = self.api.AdkSetDouble(data, fid, net.Double(float(value)))
        elif spec.type == F.BOOL:
            error = self.api.AdkSetBool(data, fid, net.Boolean(bool(value)))
        elif spec.type == F.DATE:
            error = self.api.AdkSetDate(data, fid, net.DateTime(*date_parts(value)))
        else:
            raise AdkError(109, field=name, table=table.db)  # *_TIMESTAMP is Visma's to set
        self._check(error, table.db, name)

    def _read(self, data: Any, table: F.Table, names: Sequence[str] | None = None) -> AdkRecord:
        return {name: self._get(data, table, name) for name in (names or table.fields)}

    def _first(self, table_name: str) -> AdkRecord:
        """The single record of a settings table (PRM), or {} if it cannot be read."""
        table = F.TABLES[table_name]
        data = self._new(table)
        try:
            error = self.api.AdkFirst(data)
            return self._read(data, table) if int(error.lRc) == 0 else {}
        finally:
            self._free(data)

    def _variant(self) -> tuple[str, bool]:
        """``AdkGetVariant(&variant, &hasApi, buf, len, sysPath)``; its marshalled shape is [U]."""
        try:
            result = self.api.AdkGetVariant(0, False, self.dotnet.String(""), 0, self.config.common_files)
            variant, licensed = int(result[1]), bool(result[2])
        except Exception as exc:  # unknown shape: the company opened, so the API is licensed
            log.info("AdkGetVariant not readable (%s); reporting the variant as unknown", exc)
            return "", True
        return VARIANTS.get(variant, str(variant)), licensed

    # --- interface --------------------------------------------------------------------------------

    def find(self, table: str, key: Mapping[str, Any]) -> AdkRecord | None:
        t = F.TABLES[table]
        data = self._new(t)
        try:
            for name, value in key.items():
                self._set(data, t, name, value)
            error = self.api.AdkFind(data)
            if int(error.lRc) == NOT_FOUND:
                return None
            self._check(error, t.db)
            return self._read(data, t)
        finally:
            self._free(data)

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
        """Page through a sort order without loading rows (``AdkFirstEx/AdkNextEx(p, FALSE)``).

        The next page continues the cursor the previous page left standing, so reading a table
        page by page is one pass however many pages. Only a page that does not follow one (after
        a restart, or when more than ``OPEN_SCANS`` scans interleave) walks from the start and
        skips to ``after`` by Python's ordering, which may differ from the sort order's collation.
        """
        t = F.TABLES[table]
        names = [*fields, *(n for n in order_by if n not in fields)] if fields else None
        signature = (table, tuple(order_by), tuple(sorted((where or {}).items())), tuple(names or ()))
        open_scan = self._scans.pop(signature, None)
        resume = open_scan is not None and after is not None and open_scan.last_key == tuple(after)
        if open_scan is not None and not resume:
            self._free(open_scan.data)
        if resume:
            assert open_scan is not None
            data = open_scan.data
            error = self.api.AdkNextEx(data, False)
        else:
            data = self._start(t, order_by, where)
            error = self.api.AdkFirstEx(data, False)  # False: do not load rows
        out: list[AdkRecord] = []
        try:
            while int(error.lRc) == 0:
                record = self._read(data, t, names)
                key = tuple(record[name] for name in order_by)
                if resume or after is None or key > tuple(after):
                    out.append(record)
                    if len(out) == limit:
                        self._keep(signature, _OpenScan(data, key))
                        return out
                error = self.api.AdkNextEx(data, False)
            if int(error.lRc) != EOF_CODE:
                self._check(error, t.db)
        except BaseException:
            self._free(data)
            raise
        self._free(data)
        return out

    def _start(self, table: F.Table, order_by: Sequence[str], where: Mapping[str, Any] | None) -> Any:
        data = self._new(table)
        try:
            sort = SORT_ORDERS.get((table.db, tuple(order_by)), "eTimeStamp")
            self._check(self.api.AdkSetSortOrder(data, getattr(self.api.ADK_SORT_ORDER, sort)), table.db)
            for name, value in (where or {}).items():
                # Equality through AdkSetFilter (2018.6+); the expression grammar is [U].
                expression = self.dotnet.String(_filter_text(value))
                self._check(self.api.AdkSetFilter(data, self._const(name), expression, 0), table.db, name)
        except BaseException:
            self._free(data)
            raise
        return data

    def _keep(self, signature: tuple[Any, ...], scan: _OpenScan) -> None:
        self._scans[signature] = scan
        while len(self._scans) > OPEN_SCANS:
            self._free(self._scans.popitem(last=False)[1].data)

    def add(self, table: str, values: Mapping[str, Any], rows: Sequence[Mapping[str, Any]] = ()) -> AdkRecord:
        t = F.TABLES[table]
        data = self._new(t)
        try:
            for name, value in values.items():
                self._set(data, t, name, value)
            if rows:
                self._attach_rows(data, t, rows)
            self._check(self.api.AdkAdd(data), t.db)
            return self._read(data, t)  # generated numbers and computed totals (§1.3 step 5)
        finally:
            self._free(data)

    def _attach_rows(self, data: Any, head: F.Table, rows: Sequence[Mapping[str, Any]]) -> None:
        """§1.5: a row block of n rows, each filled, attached with its count to the head."""
        row_table = F.ROW_TABLES.get(head.db) or F.VOUCHER_ROW_TABLES[head.db]
        rows_field, count_field = F.ROWS_FIELDS.get(head.db, ("ADK_OOI_HEAD_ROWS", "ADK_OOI_HEAD_NROWS"))
        block = self.api.AdkCreateDataRow(self._const(row_table.db), len(rows))
        for i, row in enumerate(rows):
            target = self.api.AdkGetDataRow(block, i)
            for name, value in row.items():
                self._set(target, row_table, name, value)
        self._check(self.api.AdkSetData(data, self._const(rows_field), block), head.db)
        self._set(data, head, count_field, float(len(rows)))

    def _row(self, data: Any, index: int) -> Any:
        result = self._fn("AdkGetData")(data, self._const("ADK_OOI_HEAD_ROWS"), index, None)
        return result[1] if isinstance(result, tuple) else result

    def update(
        self,
        table: str,
        key: Mapping[str, Any],
        values: Mapping[str, Any],
        rows: Sequence[Mapping[str, Any]] = (),
    ) -> AdkRecord:
        t = F.TABLES[table]
        data = self._new(t)
        try:
            for name, value in key.items():
                self._set(data, t, name, value)
            self._check(self.api.AdkFind(data), t.db)  # §1.3 step 5: read first, then change
            for name, value in values.items():
                self._set(data, t, name, value)
            row_table = F.ROW_TABLES.get(t.db)
            for row in rows:
                assert row_table is not None
                target = self._row(data, int(row["ADK_OOI_ROW_ROWNUMBER"]) - 1)
                for name, value in row.items():
                    if name != "ADK_OOI_ROW_ROWNUMBER":
                        self._set(target, row_table, name, value)
            self._check(self.api.AdkUpdate(data), t.db)
            return self._read(data, t)
        finally:
            self._free(data)

    def rows(self, head_table: str, number: int) -> list[AdkRecord]:
        t = F.TABLES[head_table]
        row_table = F.ROW_TABLES[head_table]
        data = self._new(t)
        try:
            self._set(data, t, "ADK_OOI_HEAD_DOCUMENT_NUMBER", float(number))
            self._check(self.api.AdkFind(data), t.db)
            count = int(self._get(data, t, "ADK_OOI_HEAD_NROWS"))
            return [self._read(self._row(data, i), row_table) for i in range(count)]
        finally:
            self._free(data)

    def customer_price(self, customer: str, article: str, quantity: float) -> tuple[float, str, str]:
        # AdkGetCustomerPrice(cust, art, qty, bInvDisc, bRowDisc, bInclVAT, iSelCur, &price), §4:
        # with the customer's discounts, excl. VAT, in the customer's currency (iSelCur 0).
        net = self.dotnet
        who, what, how_many = net.String(customer), net.String(article), net.Double(quantity)
        result = self.api.AdkGetCustomerPrice(who, what, how_many, True, True, False, 0, net.Double(0.0))
        self._check(result[0])
        found = self.find("ADK_DB_CUSTOMER", {"ADK_CUSTOMER_NUMBER": customer}) or {}
        return (
            float(result[1]),
            found.get("ADK_CUSTOMER_PRICE_LIST", ""),
            found.get("ADK_CUSTOMER_CODE_OF_CURRENCY", ""),
        )


def _filter_text(value: Any) -> str:
    """A filter value as text: booleans as 1/0, whole doubles without decimals."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
