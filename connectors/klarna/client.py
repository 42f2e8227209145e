"""Klarna Settlements API client: ``GET /settlements/v1/payouts`` and ``/transactions``, paged.

Docs: https://docs.klarna.com/settlement-reports/api (OpenAPI 1.0.0-rc2). HTTP Basic auth with the
merchant's API credentials. Paging is ``offset``/``size`` (size ≤ 500) with a ``pagination``
object (``count``, ``total``, ``offset``, ``next``). Date filters are ISO 8601 date-times on the
payout date; a bare date means 00:00:00, so the end of a range is sent as ``…T23:59:59Z``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from connectors.errors import PermanentError
from connectors.http import HttpSession
from connectors.klarna.records import KlarnaPayout, KlarnaTransaction

PAGE_SIZE = 500  # the API's maximum
MAX_PAGES = 1000  # 500,000 rows: a bound against a server that never stops paging


class KlarnaSettlementsClient:
    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 60.0,
    ) -> None:
        self.base_url = base_url.rstrip("/") + "/settlements/v1"
        self.http = HttpSession(
            connect_timeout=connect_timeout, read_timeout=read_timeout, auth=(username, password)
        )

    def close(self) -> None:
        self.http.close()

    def _get(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        response = self.http.request("GET", self.base_url + path, params=params)
        try:
            data = response.json()
        except ValueError:
            raise PermanentError(f"Klarna answered {path} with something that is not JSON") from None
        if not isinstance(data, dict):
            raise PermanentError(f"Klarna answered {path} with JSON that is not an object")
        return data

    def _pages(self, path: str, key: str, params: dict[str, Any], size: int) -> Iterator[dict[str, Any]]:
        offset = 0
        for _ in range(MAX_PAGES):
            data = self._get(path, {**params, "offset": offset, "size": size})
            items = data.get(key) or []
            if not isinstance(items, list):
                raise PermanentError(f"Klarna {path}: '{key}' is not a list")
            yield from items
            pagination = data.get("pagination") or {}
            total = pagination.get("total")
            offset += len(items)
            if not items or (isinstance(total, int) and offset >= total) or len(items) < size:
                return
        raise PermanentError(f"Klarna {path}: more than {MAX_PAGES} pages")

    def payouts(
        self, start: dt.date, end: dt.date, currency: str | None = None, *, page_size: int = PAGE_SIZE
    ) -> Iterator[KlarnaPayout]:
        """``GET /payouts``: payouts whose payout date falls in [start, end] (whole days, UTC)."""
        params = {"start_date": f"{start.isoformat()}T00:00:00Z", "end_date": f"{end.isoformat()}T23:59:59Z"}
        if currency:
            params["currency_code"] = currency
        for item in self._pages("/payouts", "payouts", params, min(page_size, PAGE_SIZE)):
            yield KlarnaPayout.from_api(item)

    def payout(self, payment_reference: str) -> KlarnaPayout:
        """``GET /payouts/{payment_reference}``: one payout with its ``totals``."""
        return KlarnaPayout.from_api(self._get(f"/payouts/{quote(payment_reference, safe='')}", {}))

    def transactions(
        self, payment_reference: str, *, page_size: int = PAGE_SIZE
    ) -> Iterator[KlarnaTransaction]:
        """``GET /transactions?payment_reference=…``: every transaction of one payout."""
        params = {"payment_reference": payment_reference}
        for item in self._pages("/transactions", "transactions", params, min(page_size, PAGE_SIZE)):
            yield KlarnaTransaction.from_api(item)
