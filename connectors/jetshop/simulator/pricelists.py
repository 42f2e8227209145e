"""``PriceList_UpdateArticleIncVAT``, dynamic fields and image linking (jetshop-commerce.md §2.5, §2.7)."""

from __future__ import annotations

from connectors.jetshop.simulator import fields
from connectors.jetshop.simulator.clock import Clock
from connectors.jetshop.simulator.soap import Request, children, el, find, response, value, wrap
from connectors.jetshop.simulator.state import SimState

# Reader numbers are invented; only the shape of the message matches the recorded faults.
_PRICE_READERS = [
    "Read92_ArticlePriceListIncVat(Boolean isNullable, Boolean checkType)",
    "Read211_PriceList_UpdateArticleIncVAT()",
]


def price_list_update(state: SimState, clock: Clock, req: Request) -> bytes:
    types = dict(fields.PRICE_LIST_TYPES)
    types.update({name: "int?" for name in state.config.price_list_int_fields})
    rows = [
        fields.read(req.raw, row, types, _PRICE_READERS)
        for row in children(find(req.op, "articlePriceLists"), "ArticlePriceListIncVat")
    ]
    results = []
    for row in rows:
        article = row.pop("ArticleNumber", None) or ""
        sent_id = row.pop("PriceListId", None) or ""
        price_list = state.price_list(sent_id)
        product = state.products.get(article)
        # Unknown price list or article: per-row failure with HTTP 200 [inferred messages].
        if price_list is None:
            success, message = "false", "Price list not found."
        elif product is None:
            success, message = "false", "Product not found."
        else:
            stored = product["prices"].setdefault(price_list["id"], {})
            stored.update({k: v for k, v in row.items() if v is not None})
            # Deliberately leaves product["modified"] alone: price-list writes do not move ModifiedDate.
            success, message = "true", ""
        results.append(
            wrap(
                "ArticlePriceListResult",
                el("ArticleNumber", article)
                + el("PriceListId", sent_id)
                + el("Success", success)
                + el("Message", message),
            )
        )
    return response("PriceList_UpdateArticleIncVAT", "".join(results))


def dynamic_field_save(state: SimState, clock: Clock, req: Request) -> bytes:
    op_name = "ProductDynamicField_SaveProductDynamicFieldData"
    results = []
    for item in children(find(req.op, "dynamicFieldOnProductInputs"), "DynamicFieldOnProductInput"):
        article_el, key_el = find(item, "ArticleNumber"), find(item, "Key")
        article = value(article_el) or "" if article_el is not None else ""
        key = value(key_el) or "" if key_el is not None else ""
        product = state.products.get(article)
        if product is None:
            success, message = "false", "No product found with article number."
        elif key not in state.data["dynamic_field_keys"]:
            success, message = "false", "No dynamic field, connected to product, found with key."
        else:
            values = product["dynamic"].setdefault(key, {})
            for loc in children(find(item, "ItemValues"), "Localization"):
                culture = find(loc, "Culture")
                text = find(loc, "Value")
                if culture is not None and text is not None:
                    values[culture.text or ""] = value(text)
            success, message = "true", ""
        results.append(
            wrap(
                "DynamicFieldItemResult",
                el("ProductId", str(product["product_id"] if product else 0))
                + el("ArticleNumber", article)
                + el("Key", key)
                + el("Success", success)
                + el("Message", message),
            )
        )
    return response(op_name, "".join(results))


def images_add_update(state: SimState, clock: Clock, req: Request) -> bytes:
    results = []
    for item in children(find(req.op, "articleNumbers"), "ArticleNumberImages"):
        article_el = find(item, "ArticleNumber")
        article = (article_el.text or "") if article_el is not None else ""
        kind = "Success" if article in state.products else "NotFound"
        results.append(wrap("ResultMessage", el("Identifier", article) + el("ResultType", kind)))
    return response("Product_AddUpdateImages", "".join(results))
