"""Build admin change-form POST data the way the browser would: fields plus inline management forms."""

from __future__ import annotations

import json

from django.forms.models import model_to_dict

INTEGRATION_INLINES = (
    "agent",
    "shops",
    "method_mappings",
    "status_rules",
    "price_list_mappings",
    "account_mappings",
    "rules",
    "plugin_settings",
)
SHOP_INLINES = ("channels", "order_triggers")


def _management(prefix: str, rows: list[dict], initial: int = 0) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{key}": value for key, value in row.items()})
    return data


def _plain(instance, exclude=()) -> dict:
    data = {}
    for key, value in model_to_dict(instance, exclude=("id", *exclude)).items():
        if value is None:
            value = ""
        elif isinstance(value, bool):
            if not value:
                continue  # an unticked checkbox is simply absent
            value = "on"
        elif isinstance(value, list):
            value = json.dumps(value)
        data[key] = str(value)
    return data


def integration_post(integration, inlines: dict[str, list[dict]] | None = None, **changes) -> dict:
    """POST data for an integration with no inline rows yet, plus the new rows in ``inlines``."""
    data = _plain(integration)
    data.update({key: value for key, value in changes.items()})
    for prefix in INTEGRATION_INLINES:
        data.update(_management(prefix, (inlines or {}).get(prefix, [])))
    return data


def shop_post(shop, inlines: dict[str, list[dict]] | None = None, **changes) -> dict:
    data = _plain(shop, exclude=("password",))
    data["password"] = ""
    data.update(changes)
    for prefix in SHOP_INLINES:
        data.update(_management(prefix, (inlines or {}).get(prefix, [])))
    return data
