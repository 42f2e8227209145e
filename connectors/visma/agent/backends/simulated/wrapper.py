"""The simulated company behind the call surface of Visma's AdkNet wrapper (reference §7).

``Api`` answers the ADK's C-shaped calls — buffers, typed getters and setters, sort orders,
filters, First/Next, Find, Add, Update, row blocks — with the convention the real wrapper has under
pythonnet (§1.8): every call returns the ``ADK_ERROR`` struct, and parameters passed by reference
come back as a tuple ``(error, value)``. Strings come back padded with spaces like .NET callers see
them (§6.15); wrong types, unknown fields and reads past the end answer with the ADK's numbers
(103, 488, 79). It lets the agent's ``adk`` backend run on Linux, so a slip in that translation
shows in a test rather than on the merchant's machine. It proves our side of the contract only:
where the real wrapper differs from §1, this stand-in is wrong too.

Tests put ``tests/connectors/visma/fake_adk`` on PYTHONPATH: a ``visma_administration.api`` and a
``System`` package that re-export this module. ``FAKE_ADK_WRAPPER=net6`` renames functions the way
the 64-bit AdkNet6Wrapper does.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from connectors.visma.agent import fields as F
from connectors.visma.agent.backends.simulated import SimulatedBackend
from connectors.visma.agent.errors import ADKE, EOF_CODE, NOT_FOUND, AdkError
from connectors.visma.agent.mapping import date_parts

ROWS = "ADK_OOI_HEAD_ROWS"  # the head's row block (eData): no column of its own
VOUCHER_ROWS = "ADK_VERIFICATION_HEAD_ROWS"  # a voucher's row block (reconciliation)
ROW_BLOCKS = {ROWS: (F.ORDER_HEAD, F.INVOICE_HEAD), VOUCHER_ROWS: (F.VERIFICATION_HEAD,)}
_NAMES = sorted({name for table in F.TABLES.values() for name in table.fields} | set(ROW_BLOCKS))
FIELD_IDS = {name: i for i, name in enumerate(_NAMES)}
TABLE_IDS = {db: i for i, db in enumerate(sorted(F.TABLES))}
_SORTS = ["eArticleNr", "eCustomerNr", "eOrderNr", "eInvoiceNr", "eCodeOfPriceList", "ePriceArticleNr"]
SORT_IDS = {name: i for i, name in enumerate([*_SORTS, "eTimeStamp"])}
_DOC = "ADK_OOI_HEAD_DOCUMENT_NUMBER"
SORT_COLUMNS = {
    "eArticleNr": ("ADK_ARTICLE_NUMBER",),
    "eCustomerNr": ("ADK_CUSTOMER_NUMBER",),
    "eOrderNr": (_DOC,),
    "eInvoiceNr": (_DOC,),
    "eCodeOfPriceList": ("ADK_CODE_OF_PRICE_LIST_CODE",),
    "ePriceArticleNr": ("ADK_PRICE_ARTICLE_NUMBER", "ADK_PRICE_QUANTITY"),
}
_TOKENS = {"yyyy": "%Y", "MM": "%m", "dd": "%d", "HH": "%H", "mm": "%M", "ss": "%S", "ffffff": "%f"}


class DateTime:
    """Enough of System.DateTime: the constructor, ``Year`` and ``ToString`` with a custom format."""

    def __init__(self, year: int = 1, month: int = 1, day: int = 1) -> None:
        self.value = datetime(year, month, day)

    @classmethod
    def of(cls, value: datetime) -> DateTime:
        made = cls()
        made.value = value
        return made

    @property
    def Year(self) -> int:
        return self.value.year

    def ToString(self, fmt: str) -> str:
        parts = re.findall(r"yyyy|MM|dd|HH|mm|ss|ffffff|'[^']*'|.", fmt)
        return "".join(
            self.value.strftime(_TOKENS[p]) if p in _TOKENS else p.strip("'") if p.startswith("'") else p
            for p in parts
        )


@dataclass
class AdkErrorStruct:
    # The C struct's field names, as the wrapper exposes them.
    lRc: int = 0
    lDbTable: int = 0
    lField: int = 0
    text: str = ""


@dataclass
class _Buffer:
    table: F.Table
    values: dict[str, Any] = field(default_factory=dict)
    changed: set[str] = field(default_factory=set)
    sort: str = ""
    filters: dict[str, str] = field(default_factory=dict)
    rows: list[_Buffer] | None = None
    results: list[dict[str, Any]] = field(default_factory=list)
    position: int = -1

    def load(self, record: dict[str, Any]) -> None:
        self.values = {k: v for k, v in record.items() if k in self.table.fields}
        self.changed.clear()
        self.rows = None


_company: list[SimulatedBackend] = []


def _backend() -> SimulatedBackend:
    if not _company:
        raise AdkError(80)  # ADKE_NO_DB_OPEN
    return _company[0]


def _answer(fn: Any) -> Any:
    """Run a call; an AdkError becomes the ADK_ERROR struct the wrapper returns."""
    try:
        return fn()
    except AdkError as exc:
        return AdkErrorStruct(exc.code, text=exc.text)


def _field(buffer: _Buffer, fid: int, adk_type: str) -> tuple[str, F.Field]:
    name = _NAMES[fid] if 0 <= fid < len(_NAMES) else ""
    spec = buffer.table.fields.get(name)
    if spec is None:
        raise AdkError(488, field=name)  # ADKE_INVALID_FIELD_ID for this table
    if spec.type != adk_type and not (adk_type == F.DATE and spec.type == F.STAMP):
        raise AdkError(103, field=name)  # ADKE_INVALID_DATA_TYPE
    return name, spec


def _set(buffer: _Buffer, fid: int, adk_type: str, value: Any) -> AdkErrorStruct:
    def run() -> AdkErrorStruct:
        name, spec = _field(buffer, fid, adk_type)
        if spec.type == F.STAMP:
            raise AdkError(109, field=name)  # Visma keeps the timestamps itself
        buffer.values[name] = value
        buffer.changed.add(name)
        return AdkErrorStruct()

    return _answer(run)


def _get(buffer: _Buffer, fid: int, adk_type: str, placeholder: Any) -> tuple[AdkErrorStruct, Any]:
    try:
        name, spec = _field(buffer, fid, adk_type)
    except AdkError as exc:
        return AdkErrorStruct(exc.code, text=exc.text), placeholder
    value = buffer.values.get(name)
    if spec.type == F.CHAR:
        return AdkErrorStruct(), (value or "").ljust(spec.length)  # padded like .NET buffers
    if spec.type == F.STAMP:
        return AdkErrorStruct(), DateTime.of(datetime.fromisoformat(value)) if value else DateTime()
    if spec.type == F.DATE:
        value = int(value or 0)
        return AdkErrorStruct(), DateTime(*date_parts(value)) if value else DateTime()
    return AdkErrorStruct(), value if value is not None else placeholder


def _date(value: DateTime) -> int:
    return int(value.ToString("yyyyMMdd"))


def _filter_value(spec: F.Field, expression: str) -> Any:
    if spec.type == F.DOUBLE:
        return float(expression)
    if spec.type == F.BOOL:
        return expression == "1"
    return expression


def _step(buffer: _Buffer, position: int) -> AdkErrorStruct:
    if position >= len(buffer.results):
        return AdkErrorStruct(EOF_CODE, text=ADKE[EOF_CODE][1])
    buffer.position = position
    buffer.load(buffer.results[position])
    return AdkErrorStruct()


class Api:
    """The wrapper's static class: constants as attributes, one static method per ADK call."""

    ADKE_OK = 0
    ADK_ERROR_TEXT_TYPE = SimpleNamespace(elRc=0, elDbTable=1, elField=2)
    ADK_SORT_ORDER = SimpleNamespace(**SORT_IDS)

    @staticmethod
    def AdkOpen(common_files: str, company: str) -> AdkErrorStruct:
        def run() -> AdkErrorStruct:
            backend = SimulatedBackend(Path(company))
            backend.open()
            _company[:] = [backend]
            return AdkErrorStruct()

        try:
            return _answer(run)
        except Exception as exc:  # a missing or busy company: ADKE_INVALID_PATH_COMPANY
            return AdkErrorStruct(116, text=str(exc))

    @staticmethod
    def AdkOpen2(common_files: str, company: str, user: str, password: str) -> AdkErrorStruct:
        return Api.AdkOpen(common_files, company)

    @staticmethod
    def AdkClose() -> AdkErrorStruct:
        for backend in _company:
            backend.close()
        _company.clear()
        return AdkErrorStruct()

    @staticmethod
    def AdkGetErrorText(error: AdkErrorStruct, kind: int) -> str:
        return error.text or ADKE.get(error.lRc, ("", f"ADK error {error.lRc}"))[1]

    @staticmethod
    def AdkGetVariant(variant: int, has_api: bool, text: str, length: int, path: str) -> tuple:
        return AdkErrorStruct(), 1, True, "Visma Administration 2000 (simulated)"

    # --- buffers ----------------------------------------------------------------------------------

    @staticmethod
    def AdkCreateData(table_id: int) -> _Buffer:
        return _Buffer(F.TABLES[sorted(F.TABLES)[table_id]])

    @staticmethod
    def AdkDeleteStruct(buffer: Any) -> AdkErrorStruct:
        return AdkErrorStruct()

    @staticmethod
    def AdkCreateDataRow(table_id: int, count: int) -> list[_Buffer]:
        table = F.TABLES[sorted(F.TABLES)[table_id]]
        return [_Buffer(table) for _ in range(count)]

    @staticmethod
    def AdkGetDataRow(block: list[_Buffer], index: int) -> _Buffer:
        return block[index]

    @staticmethod
    def AdkSetData(buffer: _Buffer, fid: int, block: list[_Buffer]) -> AdkErrorStruct:
        if buffer.table not in ROW_BLOCKS.get(_NAMES[fid], ()):
            return AdkErrorStruct(103, text="not a row block field")
        buffer.rows = block
        return AdkErrorStruct()

    @staticmethod
    def AdkGetData(buffer: _Buffer, fid: int, index: int, placeholder: Any) -> tuple:
        if _NAMES[fid] != ROWS:
            return AdkErrorStruct(103), placeholder
        if buffer.rows is None:
            number = int(buffer.values.get(_DOC) or 0)
            rows = _backend().rows(buffer.table.db, number)
            buffer.rows = [_Buffer(F.ROW_TABLES[buffer.table.db]) for _ in rows]
            for row_buffer, row in zip(buffer.rows, rows, strict=True):
                row_buffer.load(row)
        if not 0 <= index < len(buffer.rows):
            return AdkErrorStruct(EOF_CODE), placeholder
        return AdkErrorStruct(), buffer.rows[index]

    # --- fields -----------------------------------------------------------------------------------

    @staticmethod
    def AdkSetStr(buffer: _Buffer, fid: int, value: str) -> tuple:
        return _set(buffer, fid, F.CHAR, value), value

    @staticmethod
    def AdkSetDouble(buffer: _Buffer, fid: int, value: float) -> AdkErrorStruct:
        return _set(buffer, fid, F.DOUBLE, float(value))

    @staticmethod
    def AdkSetBool(buffer: _Buffer, fid: int, value: bool) -> AdkErrorStruct:
        return _set(buffer, fid, F.BOOL, bool(value))

    @staticmethod
    def AdkSetDate(buffer: _Buffer, fid: int, value: DateTime) -> AdkErrorStruct:
        return _set(buffer, fid, F.DATE, _date(value))

    @staticmethod
    def AdkGetStr(buffer: _Buffer, fid: int, placeholder: str) -> tuple:
        return _get(buffer, fid, F.CHAR, placeholder)

    @staticmethod
    def AdkGetDouble(buffer: _Buffer, fid: int, placeholder: float) -> tuple:
        return _get(buffer, fid, F.DOUBLE, placeholder)

    @staticmethod
    def AdkGetBool(buffer: _Buffer, fid: int, placeholder: bool) -> tuple:
        return _get(buffer, fid, F.BOOL, placeholder)

    @staticmethod
    def AdkGetDate(buffer: _Buffer, fid: int, placeholder: DateTime) -> tuple:
        return _get(buffer, fid, F.DATE, placeholder)

    # --- navigation -------------------------------------------------------------------------------

    @staticmethod
    def AdkSetSortOrder(buffer: _Buffer, sort: int) -> AdkErrorStruct:
        name = next(n for n, i in SORT_IDS.items() if i == sort)
        columns = SORT_COLUMNS.get(name, ())
        if any(column not in buffer.table.fields for column in columns):
            return AdkErrorStruct(321, text=f"{name} is not a sort order of {buffer.table.db}")
        buffer.sort = name
        return AdkErrorStruct()

    @staticmethod
    def AdkSetFilter(buffer: _Buffer, fid: int, expression: str, version: int) -> AdkErrorStruct:
        name = _NAMES[fid]
        if name not in buffer.table.fields or "*" in expression:
            return AdkErrorStruct(488, text=f"cannot filter {name} on {expression!r} here")
        buffer.filters[name] = expression
        return AdkErrorStruct()

    @staticmethod
    def AdkFirst(buffer: _Buffer) -> AdkErrorStruct:
        return Api.AdkFirstEx(buffer, True)

    @staticmethod
    def AdkFirstEx(buffer: _Buffer, with_rows: bool) -> AdkErrorStruct:
        def run() -> AdkErrorStruct:
            table = buffer.table
            stamp = (table.timestamp,) if table.timestamp else ()
            columns = SORT_COLUMNS.get(buffer.sort) or (*stamp, *table.key)
            where = {n: _filter_value(table.fields[n], e) for n, e in buffer.filters.items()}
            buffer.results = _backend().scan(table.db, order_by=columns, where=where, limit=10**9)
            return _step(buffer, 0)

        return _answer(run)

    @staticmethod
    def AdkNextEx(buffer: _Buffer, with_rows: bool) -> AdkErrorStruct:
        return _step(buffer, buffer.position + 1)

    @staticmethod
    def AdkFind(buffer: _Buffer) -> AdkErrorStruct:
        def run() -> AdkErrorStruct:
            table = buffer.table
            blank = {F.DOUBLE: 0.0}
            key = {k: buffer.values.get(k, blank.get(table.fields[k].type, "")) for k in table.key}
            found = _backend().find(table.db, key)
            if found is None:
                return AdkErrorStruct(NOT_FOUND, text=ADKE[NOT_FOUND][1])
            buffer.load(found)
            return AdkErrorStruct()

        return _answer(run)

    # --- writes -----------------------------------------------------------------------------------

    @staticmethod
    def AdkAdd(buffer: _Buffer) -> AdkErrorStruct:
        def run() -> AdkErrorStruct:
            values = {k: buffer.values[k] for k in buffer.changed}
            rows = [{k: row.values[k] for k in row.changed} for row in buffer.rows or []]
            nrows = F.ROWS_FIELDS.get(buffer.table.db, ("", "ADK_OOI_HEAD_NROWS"))[1]
            if rows and int(values.get(nrows, -1)) != len(rows):
                raise AdkError(266, detail="NROWS does not match the attached rows")
            buffer.load(_backend().add(buffer.table.db, values, rows))
            return AdkErrorStruct()

        return _answer(run)

    @staticmethod
    def AdkUpdate(buffer: _Buffer) -> AdkErrorStruct:
        def run() -> AdkErrorStruct:
            table = buffer.table
            key = {k: buffer.values[k] for k in table.key}
            values = {k: buffer.values[k] for k in buffer.changed}
            rows = [
                {"ADK_OOI_ROW_ROWNUMBER": row.values["ADK_OOI_ROW_ROWNUMBER"]}
                | {k: row.values[k] for k in row.changed}
                for row in buffer.rows or []
                if row.changed
            ]
            buffer.load(_backend().update(table.db, key, values, rows))
            return AdkErrorStruct()

        return _answer(run)

    @staticmethod
    def AdkGetCustomerPrice(
        customer: str,
        article: str,
        quantity: float,
        invoice_discount: bool,
        row_discount: bool,
        including_vat: bool,
        currency_choice: int,
        price: float,
    ) -> tuple:
        try:
            found, _, _ = _backend().customer_price(customer, article, quantity)
        except AdkError as exc:
            return AdkErrorStruct(exc.code, text=exc.text), price
        return AdkErrorStruct(), found


if os.environ.get("FAKE_ADK_WRAPPER") == "net6":
    # AdkNet6Wrapper's names (reference §1.8): the C names are absent there.
    for c_name, net6_name in (("AdkGetDouble", "AdkGetNumeric"), ("AdkGetData", "AdkGetRowData")):
        setattr(Api, net6_name, staticmethod(getattr(Api, c_name)))
        delattr(Api, c_name)

for _name, _id in FIELD_IDS.items():
    setattr(Api, _name, _id)
for _db, _id in TABLE_IDS.items():
    setattr(Api, _db, _id)
