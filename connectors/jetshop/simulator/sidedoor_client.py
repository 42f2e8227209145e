"""A client for the simulator's JSON side door (``/_sim/...``), for the demo's traffic generator.

It plays the shoppers: places orders "in the shop" and reads back what the shop recorded. Never
used against a real shop (a real shop has no side door).
"""

from __future__ import annotations

from typing import Any

from connectors.http import HttpSession


class SideDoorClient:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/") + "/_sim"
        self.http = HttpSession(connect_timeout=2.0, read_timeout=10.0)

    def _call(self, method: str, path: str, payload: Any = None) -> Any:
        return self.http.request(method, f"{self.base_url}/{path}", json=payload).json()

    def place_orders(self, *orders: dict[str, Any]) -> list[dict[str, Any]]:
        return self._call("POST", "orders", {"orders": list(orders)})["orders"]

    def order(self, order_id: int) -> dict[str, Any]:
        return self._call("GET", f"orders/{order_id}")

    def products(self) -> list[dict[str, Any]]:
        return self._call("GET", "products")["products"]

    def close(self) -> None:
        self.http.close()
