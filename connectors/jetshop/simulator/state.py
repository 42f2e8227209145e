"""The simulated shop: configuration, seeded tables and data, kept as JSON-ready dicts.

Product fields are stored as their wire strings (already normalised to the service's formats), so
``Product_Get`` writes them back unchanged and ``--state-file`` is plain JSON.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Names of the placeholder operations by role [unverified]: the order operations and the product
# enumeration (jetshop-commerce.md §0.3, §6.1). A configuration may name only some roles; the
# others keep these defaults.
DEFAULT_ORDER_OPERATIONS = {
    "list_by_status": "Order_GetByStatus",
    "get": "Order_Get",
    "update_status": "Order_UpdateStatus",
    "statuses": "OrderStatus_GetAll",
    "channels": "Channel_GetAll",
    "products_changed": "Product_GetChangedSince",
}


@dataclass
class SimConfig:
    username: str = "sim"
    password: str = "sim"
    shop_id: str = "demo"
    # Whether Jetshop rejects a missing/wrong ShopId is unverified; off records it only.
    strict_shop_id: bool = False
    order_operations: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_ORDER_OPERATIONS))
    # Which ArticlePriceListIncVat fields are int-typed on the server is unverified (§2.7, §7.4).
    price_list_int_fields: frozenset[str] = frozenset({"PriceIncVat", "DiscountedPriceIncVat"})
    # Payment methods for which a capturing status charges the customer (Klarna/DIBS style).
    capturing_payment_methods: frozenset[str] = frozenset({"KlarnaCheckout", "Dibs", "SveaCheckout"})
    # Order_GetByStatus honours maxCount; no paging cursor exists unless the WSDL shows one.
    state_file: Path | None = None
    # Longest request body read; longer ones get 413 unread. IIS's default request filtering limit
    # (maxAllowedContentLength) [inferred: Jetshop's own setting is unknown].
    max_body_bytes: int = 30_000_000
    # Replacements for the seeded tables (channels, price_lists, stock_statuses, order_statuses,
    # dynamic_field_keys), e.g. a real shop's status list; see seed.check_tables.
    tables: dict[str, Any] = field(default_factory=dict)

    def operation_names(self) -> dict[str, str]:
        """Every placeholder role's operation name: ``order_operations`` over the defaults."""
        unknown = sorted(self.order_operations.keys() - DEFAULT_ORDER_OPERATIONS.keys())
        if unknown:
            raise ValueError(f"unknown operation roles {unknown}; known: {sorted(DEFAULT_ORDER_OPERATIONS)}")
        return {**DEFAULT_ORDER_OPERATIONS, **self.order_operations}


def empty_data() -> dict[str, Any]:
    return {
        "products": {},  # ArticleNumber -> product dict (see products.py)
        "next_product_id": 1000,
        # ArticleNumber -> Product_AddUpdate rows applied to it, kept across Product_Delete (test evidence)
        "product_writes": {},
        "dynamic_field_keys": [],
        "channels": [],  # {id, name, domain, currency, cultures, price_list_id}
        "price_lists": [],  # {id (lower-case GUID), name, currency, channel_id}
        "stock_statuses": [],  # {id, name}
        "order_statuses": [],  # {id, name, sends_mail, captures}
        "orders": {},  # str(OrderId) -> order dict (see orders.py)
        "next_order_id": 1,
    }


class SimState:
    """Everything the shop knows; one lock serialises requests (the simulator is not a load test)."""

    def __init__(self, config: SimConfig, data: dict[str, Any] | None = None) -> None:
        self.config = config
        self.data = data if data is not None else empty_data()
        self.lock = threading.RLock()
        self.log: list[dict[str, Any]] = []
        self.shop_ids_seen: list[str | None] = []
        # Pending "duplicate delivery" faults: the next N status pulls also return orders that
        # already left the requested status.
        self.duplicate_deliveries = 0

    @property
    def products(self) -> dict[str, dict[str, Any]]:
        return self.data["products"]

    @property
    def orders(self) -> dict[str, dict[str, Any]]:
        return self.data["orders"]

    @property
    def product_writes(self) -> dict[str, int]:
        # setdefault: state files written before the counter existed lack the key.
        return self.data.setdefault("product_writes", {})

    def count_write(self, article: str) -> None:
        self.product_writes[article] = self.product_writes.get(article, 0) + 1

    def new_product_id(self) -> int:
        value = self.data["next_product_id"]
        self.data["next_product_id"] = value + 1
        return value

    def new_order_id(self) -> int:
        value = self.data["next_order_id"]
        self.data["next_order_id"] = value + 1
        return value

    def price_list(self, guid: str) -> dict[str, Any] | None:
        guid = guid.strip().lower()
        return next((p for p in self.data["price_lists"] if p["id"] == guid), None)

    def order_status(self, status_id: int) -> dict[str, Any] | None:
        return next((s for s in self.data["order_statuses"] if s["id"] == status_id), None)

    def stock_status_name(self, status_id: str | None) -> str:
        for status in self.data["stock_statuses"]:
            if str(status["id"]) == status_id:
                return status["name"]
        return ""

    def default_price_list_for(self, culture: str) -> str | None:
        for channel in self.data["channels"]:
            if culture in channel["cultures"] and channel.get("price_list_id"):
                return channel["price_list_id"]
        lists = self.data["price_lists"]
        return lists[0]["id"] if lists else None

    def save(self) -> None:
        """Write the state file atomically (when one is configured)."""
        path = self.config.state_file
        if path is None:
            return
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(self.data, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, path)

    @staticmethod
    def load(path: Path) -> dict[str, Any] | None:
        if not path.exists():
            return None
        return json.loads(path.read_text(encoding="utf-8"))
