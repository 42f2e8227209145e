"""Bulk product creation for the side door (``POST /_sim/products``): catalogues for tests and the
benchmark, written straight into the state without SOAP (100,000 products take about a second).

The body holds explicit specs, a generator, or both (specs first)::

    {"products": [{"article_number": "A-1", "names": {"sv-SE": "Kopp"}, "price": "99.00",
                   "vat": "0.25", "stock_count": 5, "parent_article_number": null,
                   "attribute_value": null, "ean_code": null, "modified": "2026-05-04T10:00:00"}],
     "generate": {"count": 10000, "prefix": "P", "start": 1, "digits": 6, "culture": "sv-SE",
                  "name": "Produkt {n}", "vat": "0.25", "price": "100.00", "stock_count": 10,
                  "variants": ["S", "M"], "modified": null}}

Generated articles are ``{prefix}{n:0{digits}d}`` (``P000001`` …; ``digits`` defaults to at
least 6, so they sort in number order), each followed by its variants ``{article}-{value}`` when
``variants`` is given; ``culture`` may be a list (``cultures``). ``modified`` defaults to the
simulator clock. Nothing is created when an article already exists, is named twice or names an
unknown parent (a ``ValueError``, which the side door answers with 400). Created products have
no writes (``writes`` counts ``Product_AddUpdate`` rows only).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from connectors.jetshop.simulator.clock import Clock
from connectors.jetshop.simulator.products import new_product
from connectors.jetshop.simulator.state import SimState
from connectors.jetshop.wire import format_datetime, format_money, format_vat, parse_datetime, parse_decimal

MAX_GENERATED = 1_000_000  # a typo in "count" should not eat the machine's memory


@dataclass(frozen=True, slots=True)
class Spec:
    """One product to create, its values already in wire format."""

    article: str
    names: dict[str, str]
    price: str
    vat: str
    stock_count: str
    modified: str | None = None
    parent: str | None = None
    attribute_value: str | None = None
    ean_code: str | None = None


def _number(text: Any) -> Decimal:
    number = parse_decimal(str(text))  # a ValueError (400) for text that is not a number
    if number is None or not number.is_finite():
        raise ValueError(f"not a number: {text!r}")
    return number


def _wire_time(text: Any) -> str | None:
    if text in (None, ""):
        return None
    parsed = parse_datetime(str(text))
    if parsed is None:
        raise ValueError(f"not a timestamp: {text!r}")
    return format_datetime(parsed.replace(tzinfo=None))


def _explicit(spec: dict[str, Any]) -> Spec:
    article = str(spec["article_number"])
    if not article:
        raise ValueError("article_number is empty")
    names = spec.get("names") or {str(spec.get("culture", "sv-SE")): str(spec.get("name", article))}
    return Spec(
        article=article,
        names={str(culture): str(name) for culture, name in names.items()},
        price=format_money(_number(spec.get("price", "0"))),
        vat=format_vat(_number(spec.get("vat", "0.25"))),
        stock_count=str(int(spec.get("stock_count", 0))),
        modified=_wire_time(spec.get("modified")),
        parent=spec.get("parent_article_number") or None,
        attribute_value=spec.get("attribute_value"),
        ean_code=spec.get("ean_code"),
    )


def _generated(spec: dict[str, Any]) -> Iterator[Spec]:
    count, start = int(spec["count"]), int(spec.get("start", 1))
    if not 0 <= count <= MAX_GENERATED:
        raise ValueError(f"count must be between 0 and {MAX_GENERATED}")
    prefix = str(spec.get("prefix", "P"))
    digits = int(spec.get("digits", max(6, len(str(start + count - 1)))))
    cultures = spec.get("cultures") or [spec.get("culture", "sv-SE")]
    template = str(spec.get("name", "Produkt {n}"))
    variants = [str(v) for v in spec.get("variants", [])]
    # Formatted once: the same wire strings for every generated product.
    shared: dict[str, Any] = {
        "price": format_money(_number(spec.get("price", "100.00"))),
        "vat": format_vat(_number(spec.get("vat", "0.25"))),
        "stock_count": str(int(spec.get("stock_count", 10))),
        "modified": _wire_time(spec.get("modified")),
    }
    for n in range(start, start + count):
        article = f"{prefix}{n:0{digits}d}"
        name = template.format(n=n, article=article)
        yield Spec(article, dict.fromkeys(cultures, name), **shared)
        for value in variants:
            names = dict.fromkeys(cultures, f"{name} {value}")
            yield Spec(f"{article}-{value}", names, parent=article, attribute_value=value, **shared)


def create(state: SimState, clock: Clock, payload: dict[str, Any]) -> dict[str, Any]:
    """Create every product the payload describes; all or nothing."""
    specs = [_explicit(s) for s in payload.get("products", [])]
    if payload.get("generate"):
        specs.extend(_generated(payload["generate"]))
    # 1. Check everything before creating anything.
    articles = {s.article for s in specs}
    if len(articles) != len(specs):
        raise ValueError("an article number is given twice")
    existing = sorted(articles & state.products.keys())
    if existing:
        raise ValueError(f"articles already exist: {existing[:10]}")
    orphans = sorted({s.parent for s in specs if s.parent} - articles - state.products.keys())
    if orphans:
        raise ValueError(f"unknown parent articles: {orphans[:10]}")
    # 2. Create them in order (a parent before its variants, as generated).
    now = format_datetime(clock.now().replace(tzinfo=None))
    for spec in specs:
        modified = spec.modified or now
        product = new_product(state, spec.article, modified)
        product["shared"].update({"Price": spec.price, "Vat": spec.vat})
        if spec.ean_code:
            product["shared"]["EanCode"] = str(spec.ean_code)
        for culture, name in spec.names.items():
            product["texts"][culture] = {"Name": name, "Permalink": spec.article.lower()}
        product["stock"].update({"NewStockCount": spec.stock_count, "StockStatusId": "1"})
        if spec.parent:
            product["parent"] = spec.parent
            product["shared"]["AttValue"] = spec.attribute_value or ""
            state.products[spec.parent]["variants"].append(spec.article)
    return {
        "created": len(specs),
        "first": specs[0].article if specs else None,
        "last": specs[-1].article if specs else None,
    }
