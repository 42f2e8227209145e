"""Order note: a head text of the Visma document written from the shop order's fields.

Settings: ``template`` with placeholders of the order's fields, e.g. "Webborder {order_number},
{payment_method}"; ``text``: which head text (1, 2 or 3; 2 by default, as the channel's order
text is often the first). Once the document exists, it notes on the order's journey which
document the shop order became.
"""

from __future__ import annotations

import string
from typing import Any

from flows.plugins.api import Plugin, Setting

# The order's fields a template may name: its plain values, not addresses or rows.
FIELDS = ("order_number", "email", "payment_method", "delivery_method", "currency_code", "culture",
          "total_inc_vat", "org_number", "customer_id", "channel_id")  # fmt: skip


class OrderNote(Plugin):
    name = "order_note"
    version = "1.0.0"
    description = "Writes a head text of the Visma document from a template of the order's fields."
    settings_schema = {
        "template": Setting(str, required=True, help="e.g. Webborder {order_number}, {payment_method}"),
        "text": Setting(str, default="2", choices=("1", "2", "3"), help="head text 1, 2 or 3"),
    }

    @classmethod
    def check(cls, settings: dict[str, Any]) -> list[str]:
        try:
            named = [field for _, field, _, _ in string.Formatter().parse(settings["template"]) if field]
        except ValueError as exc:
            return [f"template: {exc}"]
        unknown = [field for field in named if field not in FIELDS]
        return [f"template: {{{field}}} is not one of {', '.join(FIELDS)}" for field in unknown]

    def order_mapped(self, order: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
        values = {field: "" if order.get(field) is None else order[field] for field in FIELDS}
        text = self.settings["template"].format_map(values)
        index = int(self.settings["text"]) - 1
        texts = list(document.get("texts") or [])
        texts += [""] * (index + 1 - len(texts))
        texts[index] = text
        document["texts"] = texts
        return document

    def document_created(self, order: dict[str, Any], document: dict[str, Any]) -> list[str]:
        """A note on the order's journey: which Visma document the shop order became."""
        return [f"shop order {order.get('order_number')} is Visma {document['kind']} {document['number']}"]
