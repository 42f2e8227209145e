"""The plugin interface: what a plugin package imports. Plain Python; no Django, no database.

A plugin is a class with a ``name``, a ``version``, a ``settings_schema`` and one method per hook
it uses. Each hook gets plain records (dicts as JSON would carry them: amounts as strings) and
returns the record it was given, changed or not. It never sees the database or a connector, and
anything it does beyond its records is outside what the service promises.

Installed packages announce their plugins in the ``sharespine.plugins`` entry-point group::

    [project.entry-points."sharespine.plugins"]
    order_note = "sharespine_plugins.order_note:OrderNote"
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, ClassVar

ENTRY_POINT_GROUP = "sharespine.plugins"


class Hook(StrEnum):
    """The named points of the flows where plugins run."""

    # Orders shop → Visma: after the order is mapped to a Visma document, before its totals are
    # checked (a plugin cannot make an order skip that check). (order, document) → document
    ORDER_MAPPED = "order_mapped"
    # Products shop → Visma: before the article is sent. (product, article) → article
    PRODUCT_TO_VISMA = "product_to_visma"
    # Products Visma → shop: before the product rows are sent. (article, rows) → rows
    PRODUCT_TO_SHOP = "product_to_shop"
    # Orders shop → Visma: after the Visma document exists. (order, {number, kind, reference}) →
    # notes for the order's journey. It cannot undo or change the document; a failure is noted.
    DOCUMENT_CREATED = "document_created"


@dataclass(frozen=True)
class Setting:
    """One entry of a plugin's settings schema."""

    kind: type = str  # str, int, bool, Decimal, dict (str → str) or list (of str)
    required: bool = False
    default: Any = None
    help: str = ""
    choices: tuple[str, ...] = field(default_factory=tuple)


class SettingsError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class Plugin:
    """Subclass this; override the hooks the plugin uses. A hook that does nothing returns its input."""

    name: ClassVar[str]
    version: ClassVar[str]
    description: ClassVar[str] = ""
    settings_schema: ClassVar[dict[str, Setting]] = {}

    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = settings

    def order_mapped(self, order: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
        return document

    def product_to_visma(self, product: dict[str, Any], article: dict[str, Any]) -> dict[str, Any]:
        return article

    def product_to_shop(self, article: dict[str, Any], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return rows

    def document_created(self, order: dict[str, Any], document: dict[str, Any]) -> list[str]:
        return []

    @classmethod
    def check(cls, settings: dict[str, Any]) -> list[str]:
        """Problems with settings that their schema cannot express (a template's placeholders, say)."""
        return []

    @classmethod
    def hooks(cls) -> list[Hook]:
        """The hooks this plugin overrides."""
        return [hook for hook in Hook if getattr(cls, hook.value) is not getattr(Plugin, hook.value)]


def validate_settings(plugin: type[Plugin], raw: Any) -> dict[str, Any]:
    """``raw`` checked against the plugin's schema: defaults filled in, unknown keys refused."""
    if raw in (None, ""):
        raw = {}
    if not isinstance(raw, dict):
        raise SettingsError(["the settings must be an object of names and values"])
    schema = plugin.settings_schema
    problems = [f"{key}: not a setting of {plugin.name}" for key in raw if key not in schema]
    settings: dict[str, Any] = {}
    for key, spec in schema.items():
        if key not in raw or raw[key] in (None, ""):
            if spec.required:
                problems.append(f"{key}: required")
            settings[key] = spec.default
            continue
        value, problem = _coerce(raw[key], spec)
        if problem:
            problems.append(f"{key}: {problem}")
        settings[key] = value
    if not problems:
        problems = plugin.check(settings)
    if problems:
        raise SettingsError(problems)
    return settings


def _coerce(value: Any, spec: Setting) -> tuple[Any, str]:
    kind = spec.kind
    if kind is bool:
        return (value, "") if isinstance(value, bool) else (None, "true or false")
    if kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        return (value, "") if ok else (None, "a whole number")
    if kind is Decimal:
        try:
            return str(Decimal(str(value))), ""
        except InvalidOperation:
            return None, "a number"
    if kind is dict:
        ok = isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
        return (value, "") if ok else (None, "an object of texts")
    if kind is list:
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        return (value, "") if ok else (None, "a list of texts")
    if not isinstance(value, str):
        return None, "a text"
    if spec.choices and value not in spec.choices:
        return None, f"one of {', '.join(spec.choices)}"
    return value, ""
