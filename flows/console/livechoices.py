"""Forms whose code fields offer the live systems' codes by name (``flows.livechoices``).

A field keeps its free text until its list has been read once; after that it is a choice, the
stored value stays shown (marked missing when the other side lacks it), and a new value the other
side lacks is refused, naming the list and when it was read.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from flows.livechoices import Kind, LiveList
from flows.models import MethodMapping

# field → the list it chooses from, or (the row field that decides it, row value → list).
LiveField = str | tuple[str, dict[str, str]]
LIVE_FIELDS: dict[str, dict[str, LiveField]] = {
    "methodmapping": {
        "visma_code": (
            "kind",
            {
                MethodMapping.Kind.PAYMENT: Kind.TERMS_OF_PAYMENT,
                MethodMapping.Kind.DELIVERY: Kind.WAY_OF_DELIVERY,
            },
        )
    },
    "statusrule": {"shop_status_id": Kind.ORDER_STATUS},
    "pricelistmapping": {
        "visma_price_list": Kind.PRICE_LIST,
        "jetshop_price_list_guid": Kind.SHOP_PRICE_LIST,
    },
    "articleaccountmapping": {"account_code": Kind.ARTICLE_ACCOUNT},
    "channel": {
        "terms_of_payment_code": Kind.TERMS_OF_PAYMENT,
        "way_of_delivery_code": Kind.WAY_OF_DELIVERY,
        "price_list_guid": Kind.SHOP_PRICE_LIST,
    },
    "ordertrigger": {"status_id": Kind.ORDER_STATUS},
    "jetshopshop": {
        "transferred_status_id": Kind.ORDER_STATUS,
    },
    "integration": {"base_price_list": Kind.PRICE_LIST},
}
MISSING = gettext_lazy("missing")


def _code(value: Any) -> str:
    return "" if value is None else str(value)  # a UUID's str is lower case, as the lists keep it


class LiveChoicesForm(forms.ModelForm):
    """Set ``live`` (kind → ``LiveList``) on a subclass; ``live_fields`` comes from the model."""

    live: dict[str, LiveList] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, spec in self._live_fields().items():
            lists = [self.live[k] for k in self._kinds(spec) if k in self.live]
            if name not in self.fields or not lists:
                continue
            current = _code(self.initial.get(name))
            groups: list[Any] = [("", "---------")]
            for live in lists:
                options = [(code, live.label(code)) for code in live.names]
                if len(lists) > 1:
                    groups.append((Kind(live.kind).label, options))
                else:
                    groups += options
            if current and not any(current in live.names for live in lists):
                groups.append((current, f"{current} – {MISSING}"))
            field = self.fields[name]
            field.widget = forms.Select(choices=groups)

    def _live_fields(self) -> dict[str, LiveField]:
        return LIVE_FIELDS.get(self._meta.model._meta.model_name, {})

    @staticmethod
    def _kinds(spec: LiveField) -> list[str]:
        return [spec] if isinstance(spec, str) else list(spec[1].values())

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name, spec in self._live_fields().items():
            value = _code(cleaned.get(name))
            if not value or name not in self.changed_data:
                continue
            kind = spec if isinstance(spec, str) else spec[1].get(cleaned.get(spec[0]) or "")
            live = self.live.get(kind or "")
            if live is not None and value not in live.names:
                self.add_error(name, missing_error(live, value))
        return cleaned


# One code of each list, as a refusal names it ("Visma has no terms-of-payment code 'B'"): the
# lists' labels are plurals that name their system, which read badly after "Visma has no".
ONE_CODE = {
    Kind.TERMS_OF_PAYMENT: gettext_lazy("terms-of-payment code"),
    Kind.WAY_OF_DELIVERY: gettext_lazy("way-of-delivery code"),
    Kind.TERMS_OF_DELIVERY: gettext_lazy("terms-of-delivery code"),
    Kind.ARTICLE_ACCOUNT: gettext_lazy("article account"),
    Kind.PRICE_LIST: gettext_lazy("price list"),
    Kind.VAT_CODE: gettext_lazy("VAT code"),
    Kind.ORDER_STATUS: gettext_lazy("order status"),
    Kind.SHOP_PRICE_LIST: gettext_lazy("price list"),
    Kind.CHANNEL: gettext_lazy("channel"),
}


def missing_error(live: LiveList, value: str) -> ValidationError:
    when = date_format(localtime(live.fetched_at), "SHORT_DATETIME_FORMAT")
    return ValidationError(
        _(
            "%(source)s has no %(code)s '%(value)s' (read %(when)s): add it there and refresh, "
            "or choose another."
        )
        % {"source": live.source, "code": ONE_CODE[Kind(live.kind)], "value": value, "when": when}
    )


def with_lists(form: type[forms.ModelForm], live: dict[str, LiveList]) -> type[forms.ModelForm]:
    """``form`` with the code fields of ``live``: a subclass made per request."""
    base: tuple[type, ...] = (form,) if issubclass(form, LiveChoicesForm) else (LiveChoicesForm, form)
    return type(form.__name__, base, {"live": live})
