"""An integration's active rules and plugins, applied at the named points of the flows.

Loaded once per run (``Alterations.of``), then used by the flows' pure map steps: each rule or
plugin runs in its order on the record, and what it changed (field, before → after) is kept as
the record's trail for the order's journey and the preview. One marked "dry run only" runs on a
copy: its trail shows what it would change, the record goes on unchanged.

A plugin that raises, runs out of time or returns something unusable raises ``MappingError``
with reason ``plugin_failed`` ("plugin X failed: …"): the engine parks that one item, and the run
and the other items go on. A plugin that is no longer installed, or whose saved settings no
longer fit its schema, fails the same way on each item it would have touched.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.translation import gettext

from connectors.jetshop.records import Order, Product, ProductInput
from connectors.visma import protocol as P
from flows import later
from flows.engine import MappingError
from flows.engine.base import Change, Problem
from flows.engine.payloads import dump, load
from flows.models import Integration, PluginSetting, Rule, SyncItem
from flows.models.plugins import CUSTOMER_FIELDS
from flows.plugins import discovery, rules, sandbox
from flows.plugins.api import Hook, Plugin, SettingsError, validate_settings
from sharespine.customers.tiers import Feature, customer_allows

Trail = list[dict[str, Any]]
# The document's keys: a plugin that changes them is refused (they are how the order is found).
DOCUMENT_KEYS = ("kind", "reference", "customer_number")
ORDER_RULES = (Rule.Kind.SET_FIELD, Rule.Kind.TRANSLATE, Rule.Kind.ADD_ROW)


class SkipOrder(Exception):
    """A skip rule matched: the order is not transferred (the item is skipped with this reason)."""


def validate_plugin(name: str, raw: Any) -> dict[str, Any]:
    """The plugin's settings checked against its schema; ``SettingsError`` says what is wrong."""
    plugin = discovery.available().get(name)
    if plugin is None:
        why = discovery.broken().get(name)
        raise SettingsError([f"plugin {name} " + (f"does not load: {why}" if why else "is not installed")])
    return validate_settings(plugin, raw)


@dataclass
class Step:
    """One rule or plugin as it runs: its name on the journey, and what runs it."""

    name: str
    kind: str  # "rule" or "plugin"
    dry_run: bool
    position: int
    rule: Rule | None = None
    plugin: Plugin | None = None
    problem: str = ""  # why the plugin cannot run (not installed, settings no longer valid)
    text: later.Text | None = None  # a rule's name as a message, for each reader's language

    def entry(self) -> dict[str, Any]:
        """The start of the step's trail entry (the journey and the preview read it)."""
        entry: dict[str, Any] = {"name": self.name, "kind": self.kind, "dry_run": self.dry_run}
        if self.text is not None:
            entry["text"] = self.text.to_json()
        return entry

    @property
    def label(self) -> str:
        """A plugin's name and version, as "plugin <label> failed: …" names it."""
        return self.name.removeprefix("plugin ")

    def hooks(self) -> list[Hook]:
        return type(self.plugin).hooks() if self.plugin is not None else []


def rule_step(rule: Rule) -> Step:
    text = later.gettext("rule %(rule)s", rule=later.Text("%(position)s. %(what)s",
                         {"position": rule.position, "what": rule.describe_later()}))  # fmt: skip
    return Step(str(text), "rule", rule.dry_run, rule.position, rule=rule, text=text)


def plugin_step(setting: PluginSetting) -> Step:
    cls = discovery.available().get(setting.plugin)
    step = Step(f"plugin {setting.plugin}", "plugin", setting.dry_run, setting.position)
    try:
        checked = validate_plugin(setting.plugin, setting.settings)
    except SettingsError as exc:
        step.problem = str(exc)
        return step
    assert cls is not None
    step.name = f"plugin {cls.name} {cls.version}"
    step.plugin = cls(checked)
    return step


def diff(before: Any, after: Any, path: str = "") -> list[dict[str, str]]:
    """Field by field, what changed between two plain records (rows by their number from 1)."""
    if isinstance(before, dict) and isinstance(after, dict):
        changes = []
        for key in [*before, *(k for k in after if k not in before)]:
            changes += diff(before.get(key), after.get(key), f"{path}.{key}" if path else str(key))
        return changes
    if isinstance(before, list) and isinstance(after, list) and before != after:
        changes = []
        for i in range(max(len(before), len(after))):
            b = before[i] if i < len(before) else None
            a = after[i] if i < len(after) else None
            if isinstance(b, dict) and isinstance(a, dict):
                changes += diff(b, a, f"{path}[{i + 1}]")
            elif b != a:
                changes.append({"field": f"{path}[{i + 1}]", "before": _show(b), "after": _show(a)})
        return changes
    if before == after:
        return []
    return [{"field": path, "before": _show(before), "after": _show(after)}]


def _show(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps({k: v for k, v in value.items() if v not in (None, "", [])}
                          if isinstance(value, dict) else value, ensure_ascii=False)  # fmt: skip
    return str(value)


@dataclass
class Alterations:
    steps: list[Step] = field(default_factory=list)
    time_limit: float = 2.0

    @classmethod
    def of(cls, integration: Integration) -> Alterations:
        """The integration's enabled rules and plugins in their order (none below package 800)."""
        if not customer_allows(integration.customer, Feature.PLUGINS):
            return cls()
        steps = [rule_step(rule) for rule in integration.rules.filter(enabled=True)]
        steps += [plugin_step(s) for s in integration.plugin_settings.filter(enabled=True)]
        steps.sort(key=lambda s: (s.position, s.kind == "plugin"))
        return cls(steps, settings.PLUGIN_TIME_LIMIT_MS / 1000)

    def __bool__(self) -> bool:
        return bool(self.steps)

    # --- the hooks ----------------------------------------------------------------------------

    def screen(self, order: Order, channel: str) -> Trail:
        """Skip and park rules, before anything is looked up for the order."""
        trail: Trail = []
        for step in self._rules(Rule.Kind.SKIP, Rule.Kind.PARK):
            assert step.rule is not None
            if not rules.matches(step.rule, order, channel):
                continue
            verdict = "skip" if step.rule.kind == Rule.Kind.SKIP else "park"
            change = {"field": "order", "before": "transfer", "after": verdict}
            trail.append({**step.entry(), "changes": [change]})
            if step.dry_run:
                continue
            message = gettext("%(rule)s applies") % {"rule": step.name}
            if verdict == "skip":
                raise SkipOrder(message)
            # The reason keeps the rule as a message: the order's page says it in the reader's language.
            value = later.stored(step.text.args["rule"]) if step.text is not None else step.name
            raise MappingError(message, reason="parked_by_rule", detail={"kind": "rule", "value": value})
        return trail

    def order_mapped(
        self, order: Order, channel: str, document: P.DocumentInput
    ) -> tuple[P.DocumentInput, Trail]:
        """Rules and ``order_mapped`` plugins on the mapped document (before its totals check)."""
        order_record: dict[str, Any] | None = None

        def run(step: Step, current: P.DocumentInput) -> P.DocumentInput:
            nonlocal order_record
            if step.rule is not None:
                return rules.apply_to_document(step.rule, order, channel, current)
            if order_record is None:
                order_record = dump(order)
            answer = self._call(step, Hook.ORDER_MAPPED, (order_record, current.to_dict()))
            changed = sandbox.check(step.label, answer, P.DocumentInput.from_dict, "document")
            moved = [k for k in DOCUMENT_KEYS if getattr(changed, k) != getattr(current, k)]
            if moved:
                raise sandbox.PluginFailed(step.label, f"it changed {', '.join(moved)}, which it may not")
            return changed

        steps = [s for s in self._for(Hook.ORDER_MAPPED, ORDER_RULES) if not _on_customer(s)]
        return self._through(steps, document, run, P.DocumentInput.to_dict)

    def new_customer(
        self, order: Order, channel: str, customer: P.CustomerInput
    ) -> tuple[P.CustomerInput, Trail]:
        """Rules for the Visma customer the order creates (price list, category by customer group).
        Only a new customer: an existing one keeps what the merchant set (``Rule.target``'s help)."""

        def run(step: Step, current: P.CustomerInput) -> P.CustomerInput:
            assert step.rule is not None
            return rules.apply_to_customer(step.rule, order, channel, current)

        steps = [s for s in self.steps if _on_customer(s)]
        return self._through(steps, customer, run, lambda c: {"customer": c.to_dict()})

    def to_visma(self, product: Product, article: P.ArticleInput) -> tuple[P.ArticleInput, Trail]:
        """Product rules (to Visma) and ``product_to_visma`` plugins on the article to be sent."""

        def run(step: Step, current: P.ArticleInput) -> P.ArticleInput:
            if step.rule is not None:
                return rules.apply_to_article(step.rule, current)
            answer = self._call(step, Hook.PRODUCT_TO_VISMA, (dump(product), current.to_dict()))
            return sandbox.check(step.label, answer, P.ArticleInput.from_dict, "article")

        steps = self._for(Hook.PRODUCT_TO_VISMA, (Rule.Kind.PRODUCT_FIELD,), Rule.Direction.TO_VISMA)
        return self._through(steps, article, run, P.ArticleInput.to_dict)

    def to_shop(
        self, article: P.Article, rows: tuple[ProductInput, ...]
    ) -> tuple[tuple[ProductInput, ...], Trail]:
        """Product rules (to the shop) and ``product_to_shop`` plugins on the rows to be sent."""

        def run(step: Step, current: tuple[ProductInput, ...]) -> tuple[ProductInput, ...]:
            if step.rule is not None:
                return rules.apply_to_rows(step.rule, current)
            answer = self._call(step, Hook.PRODUCT_TO_SHOP, (article.to_dict(), dump(current)))
            return sandbox.check(step.label, answer, lambda value: _rows(value, current), "list of rows")

        steps = self._for(Hook.PRODUCT_TO_SHOP, (Rule.Kind.PRODUCT_FIELD,), Rule.Direction.TO_SHOP)
        return self._through(steps, rows, run, dump)

    def document_created(self, order: Order, document: P.Document) -> Trail:
        """``document_created`` plugins, once the document exists: their notes for the journey. A
        failure is noted too and never raised: the document exists, so the order is done (parking
        or retrying it could write it twice)."""
        steps = [s for s in self.steps if s.plugin is not None and Hook.DOCUMENT_CREATED in s.hooks()]
        if not steps:
            return []
        records = (
            dump(order),
            {"number": document.number, "kind": document.kind, "reference": document.reference},
        )
        trail: Trail = []
        for step in steps:
            entry: dict[str, Any] = {"name": step.name, "kind": "plugin", "dry_run": step.dry_run}
            try:
                answer = self._call(step, Hook.DOCUMENT_CREATED, records)
                entry["notes"] = sandbox.check(step.label, answer, _notes, "list of notes")
            except sandbox.PluginFailed as exc:
                entry["failed"] = f"plugin {exc.name} failed after the document: {exc.message}"
            trail.append(entry)
        return trail

    # --- running ------------------------------------------------------------------------------

    def _rules(self, *kinds: str) -> list[Step]:
        return [s for s in self.steps if s.rule is not None and s.rule.kind in kinds]

    def _for(self, hook: Hook, kinds: tuple[str, ...], direction: str = "") -> list[Step]:
        def runs(s: Step) -> bool:
            if s.rule is None:
                return bool(s.problem) or hook in s.hooks()
            return s.rule.kind in kinds and (not direction or s.rule.direction == direction)

        return [s for s in self.steps if runs(s)]

    def _call(self, step: Step, hook: Hook, records: tuple[Any, ...]) -> Any:
        if step.plugin is None:
            raise sandbox.PluginFailed(step.label, step.problem)
        return sandbox.call(step.label, getattr(step.plugin, hook.value), records, self.time_limit)

    @staticmethod
    def _through(steps: list[Step], record: Any, run: Callable[[Step, Any], Any], plain: Callable) -> Any:
        trail: Trail = []
        for step in steps:
            try:
                changed = run(step, record)
            except sandbox.PluginFailed as exc:
                detail = {"kind": "plugin", "value": exc.name}
                raise MappingError(str(exc), reason="plugin_failed", detail=detail) from exc
            changes = diff(plain(record), plain(changed))
            trail.append({**step.entry(), "changes": changes})
            if not step.dry_run:
                record = changed
        return record, trail


def _on_customer(step: Step) -> bool:
    """A set-field or translate rule whose target is the new customer, not the document."""
    return step.rule is not None and step.rule.kind in ORDER_RULES and step.rule.target in CUSTOMER_FIELDS


def _rows(value: Any, current: tuple[ProductInput, ...]) -> tuple[ProductInput, ...]:
    """A plugin's product rows: as many as it was given, each for the same article and culture."""
    if not isinstance(value, list) or len(value) != len(current):
        raise ValueError(f"expected a list of {len(current)} row(s)")
    rows = []
    for given, row in zip(value, current, strict=True):
        if not isinstance(given, dict):
            raise ValueError("a row is not an object")
        changed = load(ProductInput, given)
        if (changed.article_number, changed.culture) != (row.article_number, row.culture):
            raise ValueError("it changed a row's article number or culture, which it may not")
        rows.append(changed)
    return tuple(rows)


def _notes(value: Any) -> list[str]:
    """A plugin's notes on a created document: texts (none is ``None`` or an empty list)."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(note, str) for note in value):
        raise ValueError("expected a list of texts")
    return [note[:500] for note in value[:20]]  # bounded: they go into the journey


def altered(
    change: Change, alter: Callable[[Any], tuple[Any, Trail]], plain: Callable[[Any], Any]
) -> Change | Problem:
    """A batch flow's change with the product rules and plugins applied to its record; a plugin
    that fails parks that one record (the others of the cycle go on)."""
    try:
        record, _trail = alter(change.record)
    except MappingError as exc:
        return Problem(change.source, str(exc), reason=exc.reason, status=SyncItem.Status.PARKED,
                       payload=change.payload, article=change.article)  # fmt: skip
    return dataclasses.replace(change, payload=plain(record), record=record)
