"""Gift cards: a gift card sold in the shop is booked on one Visma article kept for gift cards
(no stock, its own account), with the card's shop article number in the row text.

Settings: ``articles``, the shop's gift-card article numbers; ``visma_article``, the Visma
article they are booked on. Amounts and VAT codes stay as mapped, so the totals still agree.
"""

from __future__ import annotations

from typing import Any

from flows.plugins.api import Plugin, Setting


class GiftCards(Plugin):
    name = "gift_cards"
    version = "1.0.0"
    description = "Books the shop's gift cards on one Visma article, naming the card in the row text."
    settings_schema = {
        "articles": Setting(list, required=True, help="the shop's gift-card article numbers"),
        "visma_article": Setting(str, required=True, help="the Visma article gift cards are booked on"),
    }

    @classmethod
    def check(cls, settings: dict[str, Any]) -> list[str]:
        if len(settings["visma_article"]) > 16:
            return ["visma_article: a Visma article number has at most 16 characters"]
        return []

    def order_mapped(self, order: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
        cards = set(self.settings["articles"])
        for row in document["rows"]:
            if row.get("article_number") in cards:
                row["text"] = f"Presentkort {row['article_number']}"
                row["article_number"] = self.settings["visma_article"]
        return document
