"""``Product_Get``, ``Product_AddUpdate`` and ``Product_Delete`` (verified, jetshop-commerce.md §2.5),
and the product enumeration ``Product_GetChangedSince`` (a placeholder [unverified], like the order
operations: its name is configuration and its parameters are declared in ``PARAMETERS``).

A stored product: ``{"article", "product_id", "created", "modified", "parent", "variants",
"shared": {field: wire}, "texts": {culture: {field: wire}}, "stock": {field: wire},
"prices": {price_list_id: {field: wire}}, "dynamic": {key: {culture: value}}}``. ``modified`` is
Stockholm wall-clock time as the wire writes it; those strings sort in time order (fixed-width
fields, only trailing zeros of the fraction trimmed), so the enumeration compares them as text.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from connectors.jetshop.simulator import fields
from connectors.jetshop.simulator.clock import Clock
from connectors.jetshop.simulator.soap import Request, SoapFault, children, el, find, response, value, wrap
from connectors.jetshop.simulator.state import SimState
from connectors.jetshop.wire import DOTNET_MIN_DATE, format_datetime

# Texts are per language; everything else belongs to the article.
LOCALISED = {
    "DescriptionUrl", "MetaDescription", "MetaKeywords", "Name", "PageTitle", "ProductDescription",
    "RelatedProductsText", "ShortDescription", "SubName", "Permalink", "SearchKeys",
}  # fmt: skip
# Element order and defaults of a Product_Get response (Product_Get.found.response.200.xml).
# "@..." values are computed per product.
GET_LAYOUT: list[tuple[str, str | None]] = [
    ("ArticleNumber", "@article"), ("Culture", "@culture"), ("DescriptionUrl", ""),
    ("DiscountEndDate", "@created"), ("DiscountStartDate", "@created"), ("DiscountedPrice", "-1.0000"),
    ("EanCode", "@optional"), ("FreightClassId", "1"), ("HasAttributes", "@has_attributes"),
    ("HasSpecification", "false"), ("HidePrice", "false"), ("HideProduct", "false"), ("IsSynchronized", "1"),
    ("Manufacturer", ""), ("ManufacturerArtnr", ""), ("ManufacturerModel", ""), ("MetaDescription", ""),
    ("MetaKeywords", ""), ("Name", ""), ("PageTitle", ""), ("Price", "0.0000"),
    ("PriceListChangeInheritPricePercent", None), ("PriceListIdOrName", "@price_list"),
    ("ProductDescription", ""), ("ProductId", "@product_id"), ("QuantitySuffix", "0"),
    ("RelatedProductsText", ""), ("ShortDescription", ""), ("ShowSendTip", "false"), ("StockData", "@stock"),
    ("StockStatusName", "@stock_status_name"), ("SubName", ""), ("Permalink", "@article"),
    ("SynchStatus", "Ignore"), ("TemplateId", "1"), ("UseAttributeChooseText", "false"),
    ("UseComment", "false"), ("UseCommentRequired", "false"), ("UseDescriptionUrl", "false"),
    ("UseDiscountDateSpan", "false"), ("Vat", "0.25000000"), ("Volume", "0.0000"), ("Weight", "0.0000"),
    ("PublishDate", None), ("SearchKeys", ""), ("UseStockNotification", "false"),
    ("DiscountedPriceIsMemberPrice", "false"), ("ModifiedDate", "@modified"),
]  # fmt: skip
STOCK_DEFAULTS = {
    "DeliveryDate": DOTNET_MIN_DATE,
    "NewStockCount": "0",
    "StockStatusId": "1",
    "UseAdvancedStatus": "false",
    "StockStatusWhenOutOfStock": "1",
}
_PRODUCT_READERS = [
    "Read81_ProductData(Boolean isNullable, Boolean checkType)",
    "Read206_Product_AddUpdate()",
]
_STOCK_READERS = ["Read76_ProductStockData(Boolean isNullable, Boolean checkType)", *_PRODUCT_READERS]
_CHANGED_READERS = ["Read302_Product_GetChangedSince()"]
# Culture when a request names none (the recorded requests always name one) [inferred].
DEFAULT_CULTURE = "sv-SE"
# Parameters of the placeholder enumeration, by role (the key of SimConfig.order_operations); the
# handler reads them through this table and the WSDL declares them from it (see orders.PARAMETERS).
PARAMETERS: dict[str, tuple[tuple[str, str], ...]] = {
    "products_changed": (("fromDate", "datetime?"), ("culture", "text?"), ("skip", "int?"), ("take", "int?")),
}


def new_product(state: SimState, article: str, now: str) -> dict[str, Any]:
    product = {
        "article": article,
        "product_id": state.new_product_id(),
        "created": now,
        "modified": now,
        "parent": None,
        "variants": [],
        "shared": {},
        "texts": {},
        "stock": {},
        "prices": {},
        "dynamic": {},
    }
    state.products[article] = product
    return product


def _stock_xml(state: SimState, product: dict[str, Any]) -> tuple[str, str]:
    stock = {**STOCK_DEFAULTS, **{k: v for k, v in product["stock"].items() if v is not None}}
    name = state.stock_status_name(stock["StockStatusId"])
    inner = (
        el("DeliveryDate", stock["DeliveryDate"])
        + el("NewStockCount", stock["NewStockCount"])
        + el("StockStatusId", stock["StockStatusId"])
        + el("StockStatusName", name)
        + el("UseAdvancedStatus", stock["UseAdvancedStatus"])
        + el("StockStatusWhenOutOfStock", stock["StockStatusWhenOutOfStock"])
    )
    return wrap("StockData", inner), name


def render(state: SimState, product: dict[str, Any], culture: str) -> str:
    texts = product["texts"].get(culture, {})
    stock_xml, stock_name = _stock_xml(state, product)
    price_list = state.default_price_list_for(culture)
    computed = {
        "@article": product["article"],
        "@culture": culture,
        "@created": product["created"],
        "@has_attributes": "true" if product["variants"] else "false",
        # Echoed upper-case although requests send lower case (recorded).
        "@price_list": price_list.upper() if price_list else None,
        "@product_id": str(product["product_id"]),
        "@stock_status_name": stock_name,
        "@modified": product["modified"],
    }
    parts = []
    for name, default in GET_LAYOUT:
        if default == "@stock":
            parts.append(stock_xml)
            continue
        source = texts if name in LOCALISED else product["shared"]
        if name in source:
            parts.append(el(name, source[name]))
        elif default == "@optional":
            continue
        elif default is not None and default.startswith("@"):
            parts.append(el(name, computed[default]))
        else:
            parts.append(el(name, default))
    # Variant elements: the real layout is unverified, so they only appear on variant articles.
    if product["parent"]:
        parts.append(el("ParentArticleNumber", product["parent"]))
        parts.append(el("AttValue", product["shared"].get("AttValue", "")))
    if product["variants"]:
        parts.append(wrap("VariantArticleNumbers", "".join(el("string", v) for v in product["variants"])))
    return wrap("ProductData", "".join(parts))


def product_get(state: SimState, clock: Clock, req: Request) -> bytes:
    options = find(req.op, "productOptions")
    article_el = find(options, "ArticleNumber")
    article = (article_el.text or "") if article_el is not None else ""
    culture_el = find(options, "Culture")
    culture = culture_el.text if culture_el is not None and culture_el.text else DEFAULT_CULTURE
    product = state.products.get(article)
    # An unknown article is an empty result with HTTP 200, not a fault.
    return response("Product_Get", render(state, product, culture) if product else "")


def product_add_update(state: SimState, clock: Clock, req: Request) -> bytes:
    # 1. Read every row first: a conversion error rejects the whole call before anything changes.
    rows = []
    for row in children(find(req.op, "products"), "ProductData"):
        data = fields.read(req.raw, row, fields.PRODUCT_TYPES, _PRODUCT_READERS)
        stock_el = find(row, "StockData")
        stock = (
            fields.read(req.raw, stock_el, fields.STOCK_TYPES, _STOCK_READERS)
            if stock_el is not None
            else None
        )
        rows.append((data, stock))
    # 2. Apply row by row, one result per row.
    now = format_datetime(clock.now().replace(tzinfo=None))
    results = []
    for data, stock in rows:
        article = data.pop("ArticleNumber", None) or ""
        culture = data.pop("Culture", None) or ""
        parent = data.pop("ParentArticleNumber", None)
        product = state.products.get(article)
        if not article or (parent and parent not in state.products):
            results.append(_result(article, None, culture, "Failed", "None"))
            continue
        status = "SuccessUpdate"
        if product is None:
            product, status = new_product(state, article, now), "SuccessNew"
        for name, text in data.items():
            target = product["texts"].setdefault(culture, {}) if name in LOCALISED else product["shared"]
            target[name] = text
        if parent and product["parent"] != parent:
            product["parent"] = parent
            state.products[parent]["variants"].append(article)
        if stock is not None:
            stock.pop("ArticleNumber", None)
            product["stock"].update(stock)
        product["modified"] = now
        state.count_write(article)
        results.append(
            _result(article, product["product_id"], culture, status, "Success" if stock else "None")
        )
    return response("Product_AddUpdate", "".join(results))


def products_changed(state: SimState, clock: Clock, req: Request) -> bytes:
    """Every product with ``ModifiedDate >= fromDate`` (all without one), rendered in ``culture``
    exactly as ``Product_Get`` renders it, ordered by ModifiedDate then ArticleNumber, then
    ``skip``/``take`` [inferred]. Variants are products of their own (own ArticleNumber and
    ProductId, the parent's article number in ``ParentArticleNumber``).

    Every stored product is listed in every culture, as ``Product_Get`` answers for any culture
    (texts missing in that culture come back empty). Price-list writes do not move ModifiedDate,
    so they do not make a product "changed"; deleted products simply are no longer listed.
    """
    params = fields.parameters(req, PARAMETERS["products_changed"], _CHANGED_READERS)
    since, culture = params["fromDate"], params["culture"] or DEFAULT_CULTURE
    skip, take = int(params["skip"] or 0), None if params["take"] is None else int(params["take"])
    if skip < 0 or (take is not None and take < 0):
        raise SoapFault(
            "soap:Sender",
            "System.Web.Services.Protocols.SoapException: Server was unable to process request. ---> "
            "System.ArgumentOutOfRangeException: Specified argument was out of the range of valid values.",
        )
    # Wall-clock strings compare in time order (module docstring); fromDate is inclusive.
    changed = [p for p in state.products.values() if since is None or p["modified"] >= since]
    changed.sort(key=itemgetter("modified", "article"))
    page = changed[skip:] if take is None else changed[skip : skip + take]
    return response(req.operation, "".join(render(state, p, culture) for p in page))


def _result(article: str, product_id: int | None, culture: str, status: str, stock: str) -> str:
    return wrap(
        "ProductResult",
        el("ArticleNumber", article)
        + el("ProductId", str(product_id or 0))
        + el("Culture", culture)
        + el("StatusMainProductCreateDelete", status)
        + "<ResultProductInCategoriesDataResult />"
        + el("ResultStockCreateUpdate", stock)
        + el("ResultAttributeCreateUpdate", "None")
        + el("ResultAttributeCreateMissing", "None"),
    )


def delete(state: SimState, article: str) -> bool:
    product = state.products.pop(article, None)
    if product is None:
        return False
    for variant in product["variants"]:  # variants go with their parent [inferred]
        state.products.pop(variant, None)
    parent = state.products.get(product["parent"] or "")
    if parent and article in parent["variants"]:
        parent["variants"].remove(article)
    return True


def product_delete(state: SimState, clock: Clock, req: Request) -> bytes:
    article_el = find(find(req.op, "productDeleteRequest"), "ArticleNumber")
    article = value(article_el) or "" if article_el is not None else ""
    if delete(state, article):
        inner = el("Identifier", article) + el("Result", "Success") + el("Message", "")
    else:  # the recorded NotFound answer has no Message element at all
        inner = el("Identifier", article) + el("Result", "NotFound")
    return response("Product_Delete", inner)
