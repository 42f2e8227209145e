"""Product name tidy: product names cleaned on their way to Visma and to the shop.

Removes marketing words the shop puts in names ("REA", "NYHET"), collapses spaces, and cuts the
name to a length (Visma's article name holds 30 characters) at a word where it can.
"""

from __future__ import annotations

import re
from typing import Any

from flows.plugins.api import Plugin, Setting


class ProductNameTidy(Plugin):
    name = "product_name_tidy"
    version = "1.0.0"
    description = "Removes marketing words from product names, collapses spaces and cuts them to a length."
    settings_schema = {
        "remove_words": Setting(list, default=[], help='e.g. ["REA", "NYHET"]'),
        "max_length": Setting(int, default=0, help="0: no limit"),
    }

    @classmethod
    def check(cls, settings: dict[str, Any]) -> list[str]:
        return ["max_length: 0 or more"] if settings["max_length"] < 0 else []

    def tidy(self, name: str | None) -> str | None:
        if not name:
            return name
        words = {w.casefold() for w in self.settings["remove_words"]}
        kept = [w for w in name.split() if w.strip("!:-").casefold() not in words]
        tidy = " ".join(kept) or name.strip()
        limit = self.settings["max_length"]
        if limit and len(tidy) > limit:
            cut = tidy[: limit + 1]
            tidy = cut.rsplit(" ", 1)[0] if " " in cut.strip() else tidy[:limit]
            tidy = re.sub(r"[\s,;:-]+$", "", tidy[:limit])
        return tidy

    def product_to_visma(self, product: dict[str, Any], article: dict[str, Any]) -> dict[str, Any]:
        article["name"] = self.tidy(article["name"])
        return article

    def product_to_shop(self, article: dict[str, Any], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for row in rows:
            row["name"] = self.tidy(row.get("name"))
        return rows
