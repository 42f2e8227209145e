"""The interface every company backend implements: ADK-shaped, keyed by ADK constant names.

It mirrors the ADK's own verbs (find by key, scan in a sort order, add, update, rows of a document
head) over records that are plain dicts ``{ADK constant: value}``. Values use the ADK's types:
str for eChar, float for eDouble, bool for eBool, int ``YYYYMMDD`` for eDate (0 = none) and an ISO
string for ``*_TIMESTAMP``. Everything above this interface (mapping, idempotency, events) is shared,
so the simulator's tests cover the mapping used against real Visma.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

AdkRecord = dict[str, Any]


@dataclass
class CompanyInfo:
    name: str
    org_number: str
    program_variant: str  # ADKI_ADMIN2000 / 1000 / 500 …
    api_licensed: bool
    currency: str = "SEK"
    price_4_decimals: bool = False


class CompanyBackend(ABC):
    """One open company. Not thread-safe by design: only the agent's worker thread calls it."""

    name: str = ""

    @abstractmethod
    def open(self) -> CompanyInfo:
        """Open the company (``AdkOpen``); raise AdkError or CompanyUnavailable."""

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def find(self, table: str, key: Mapping[str, Any]) -> AdkRecord | None:
        """``AdkFind`` by the table's key fields; None when ``ADKE_NOT_FOUND``."""

    @abstractmethod
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
        """Records in ``order_by`` order strictly after the ``after`` key, equal to ``where``."""

    @abstractmethod
    def add(self, table: str, values: Mapping[str, Any], rows: Sequence[Mapping[str, Any]] = ()) -> AdkRecord:
        """``AdkAdd``: returns the stored record (generated number and computed totals included)."""

    @abstractmethod
    def update(
        self,
        table: str,
        key: Mapping[str, Any],
        values: Mapping[str, Any],
        rows: Sequence[Mapping[str, Any]] = (),
    ) -> AdkRecord:
        """``AdkUpdate`` of one record; ``rows`` update existing rows by ``ADK_OOI_ROW_ROWNUMBER``."""

    @abstractmethod
    def rows(self, head_table: str, number: int) -> list[AdkRecord]:
        """The rows of a document head (``AdkGetData`` over ``…_ROWS``)."""

    @abstractmethod
    def customer_price(self, customer: str, article: str, quantity: float) -> tuple[float, str, str]:
        """``AdkGetCustomerPrice``: (price, price list, currency)."""

    def vat_rates(self) -> dict[str, float]:
        """VAT code → rate in percent, from ``PRM2_VAT1..4`` (code "0" is exempt)."""
        prm2 = self.scan("ADK_DB_PRM2", order_by=("ADK_PRM2_DEFAULT_PRICELIST",), limit=1)
        rates = {"0": 0.0}
        if prm2:
            for i in range(1, 5):
                rates[str(i)] = float(prm2[0].get(f"ADK_PRM2_VAT{i}") or 0.0)
        return rates
