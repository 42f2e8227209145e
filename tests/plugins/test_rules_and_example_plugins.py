"""Rules and the example plugins, table-tested through the flows' pure map steps."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from connectors.jetshop.records import Product, ProductInput
from connectors.visma import protocol as P
from flows.customers import Decision, customer_input
from flows.engine import MappingError
from flows.models import Rule
from flows.plugins import discovery
from flows.plugins.api import Hook, SettingsError, validate_settings
from flows.plugins.host import Alterations, SkipOrder, Step
from flows.shop_orders_to_visma import Facts, ShopOrdersToVisma
from tests.flows.test_order_mapping import COMPANY, LOOKUPS, PERSON, order, row

FACTS = dict(kind="order", channel=None, customer=Decision("1001", "known", ""), lookups=LOOKUPS)
ORDER = order(row("1001", "2", "249.00", "0.25"), row("2001", "1", "89.90", "0.12"), freight="49.00",
              fee_inc_vat=D("29.00"), total="665.90")  # fmt: skip


def rule(**fields) -> Step:
    made = Rule(position=fields.pop("position", 1), **fields)
    return Step(f"rule {made}", "rule", made.dry_run, made.position, rule=made)


def plugin(name: str, settings: dict, dry_run: bool = False) -> Step:
    cls = discovery.available()[name]
    return Step(f"plugin {name}", "plugin", dry_run, 1, plugin=cls(validate_settings(cls, settings)))


def shop_product(name: str) -> Product:
    return Product(
        "1001", "sv-SE", 1, name, "", "", "", D(1), None, D("0.25"), False, None, None, "", None, None
    )


def mapped(*steps: Step, o=ORDER):
    return ShopOrdersToVisma.map(o, "R-1", Facts(**FACTS, alterations=Alterations(list(steps))))


@pytest.mark.parametrize(
    "step, field, value",
    [
        pytest.param(rule(kind="set_field", source="payment_method", target="text1"), "texts",
                     ["KlarnaCheckout"], id="payment_method_to_head_text_1_case"),
        pytest.param(rule(kind="set_field", source="order_number", target="text2", value="Webb "), "texts",
                     ["", "Webb 1001"], id="order_number_with_prefix_to_head_text_2_case"),
        pytest.param(rule(kind="set_field", source="fixed", value="Webbshop", target="our_reference"),
                     "our_reference", "Webbshop", id="fixed_our_reference_case"),
        pytest.param(rule(kind="set_field", source="email", target="customer_reference",
                          when_field="payment_method", when_value="Invoice"),
                     "customer_reference", None, id="condition_not_met_case"),
        pytest.param(rule(kind="translate", source="customer_group", target="price_list",
                          table="company = ÅF\nprivate = 1"), "price_list", "1",
                     id="price_list_by_customer_group_case"),
        pytest.param(rule(kind="translate", source="delivery_method", target="terms_of_delivery",
                          table="postnord mypack = FRI"), "terms_of_delivery", "FRI",
                     id="translate_ignores_case_case"),
        pytest.param(rule(kind="translate", source="country", target="local_remark", table="NO = Norge"),
                     "local_remark", "Jetshop 1001: KlarnaCheckout, PostNord MyPack",
                     id="translate_without_match_leaves_it_case"),
        pytest.param(rule(kind="set_field", source="total", target="text3", when_field="total",
                          when_operator="greater", when_value="500"), "texts", ["", "", "665.90"],
                     id="total_condition_case"),
    ],
)  # fmt: skip
def test_field_rules_write_the_visma_field_and_the_journey_names_the_change(step, field, value):
    result = mapped(step)
    assert getattr(result.document, field) == value
    [trail] = result.trail
    assert trail["name"] == step.name and not trail["dry_run"]
    assert bool(trail["changes"]) == (value not in (None, "Jetshop 1001: KlarnaCheckout, PostNord MyPack"))


def test_translate_with_a_table_for_the_company_group():
    company = order(row("1001", "1", "249.00", "0.25"), bill=COMPANY)
    step = rule(kind="translate", source="customer_group", target="price_list", table="company = ÅF")
    assert mapped(step, o=company).document.price_list == "ÅF"


def test_an_invoice_fee_row_for_a_payment_method_keeps_the_totals():
    step = rule(kind="add_row", article_number="AVG", row_text="Fakturaavgift", row_price="order_fee",
                when_field="payment_method", when_operator="one_of",
                when_value="invoice, klarnacheckout")  # fmt: skip
    result = mapped(step)
    assert result.document.dispatch_fee is None
    fee_row = result.document.rows[-2 if result.rounding else -1]
    assert (fee_row.article_number, fee_row.price, fee_row.vat_code) == ("AVG", D("29.00"), "1")
    assert {"field": "dispatch_fee", "before": "29.00", "after": ""} in result.trail[0]["changes"]


def test_a_row_the_shop_did_not_charge_parks_the_order_totals_are_checked_after_rules():
    step = rule(kind="add_row", article_number="1002", price=D("100.00"))
    with pytest.raises(MappingError) as caught:
        mapped(step)
    assert caught.value.reason == "totals_mismatch"


def test_a_dry_run_rule_shows_its_change_and_changes_nothing():
    step = rule(kind="set_field", source="fixed", value="X", target="our_reference", dry_run=True)
    result = mapped(step)
    assert result.document.our_reference is None
    change = {"field": "our_reference", "before": "", "after": "X"}
    assert result.trail == [{"name": step.name, "kind": "rule", "dry_run": True, "changes": [change]}]


@pytest.mark.parametrize(
    "kind, when, outcome",
    [
        pytest.param("skip", ("payment_method", "equals", "KlarnaCheckout"), SkipOrder, id="skip_case"),
        pytest.param("park", ("country", "equals", ""), MappingError, id="park_case"),
        pytest.param("park", ("total", "less", "100"), None, id="no_match_case"),
    ],
)
def test_skip_and_park_rules_screen_orders(kind, when, outcome):
    field, operator, value = when
    step = rule(kind=kind, when_field=field, when_operator=operator, when_value=value)
    alterations = Alterations([step])
    if outcome is None:
        assert alterations.screen(ORDER, "") == []
        return
    with pytest.raises(outcome):
        alterations.screen(ORDER, "")
    dry = Alterations(
        [rule(kind=kind, when_field=field, when_operator=operator, when_value=value, dry_run=True)]
    )
    assert dry.screen(ORDER, "")[0]["changes"][0]["after"] == kind


# --- the example plugins ------------------------------------------------------------------------


def test_the_example_plugins_are_found_through_their_entry_points():
    found = discovery.available()
    assert {"order_note", "gift_cards", "product_name_tidy"} <= set(found)
    assert found["order_note"].hooks() == [Hook.ORDER_MAPPED, Hook.DOCUMENT_CREATED]
    assert found["product_name_tidy"].hooks() == [Hook.PRODUCT_TO_VISMA, Hook.PRODUCT_TO_SHOP]


@pytest.mark.parametrize(
    "settings, texts",
    [
        pytest.param({"template": "Webborder {order_number}"}, ["", "Webborder 1001"],
                     id="default_text_case"),
        pytest.param({"template": "{payment_method}/{email}", "text": "1"}, ["KlarnaCheckout/a@example.se"],
                     id="text_1_case"),
    ],
)  # fmt: skip
def test_order_note_writes_a_head_text(settings, texts):
    result = mapped(plugin("order_note", settings))
    assert result.document.texts == texts
    assert result.trail[0]["name"] == "plugin order_note" and result.trail[0]["changes"]


@pytest.mark.parametrize(
    "settings, problem",
    [
        pytest.param({}, "template: required", id="missing_case"),
        pytest.param({"template": "{password}"}, "{password} is not one of", id="unknown_field_case"),
        pytest.param({"template": "x", "text": "4"}, "text: one of 1, 2, 3", id="bad_choice_case"),
        pytest.param({"template": "x", "colour": "red"}, "colour: not a setting", id="unknown_key_case"),
    ],
)
def test_order_note_settings_are_checked(settings, problem):
    with pytest.raises(SettingsError) as caught:
        validate_settings(discovery.available()["order_note"], settings)
    assert problem in str(caught.value)


def test_gift_cards_rebook_the_card_rows_and_the_totals_still_agree():
    gift = order(row("GC500", "1", "500.00", "0"), row("1001", "1", "249.00", "0.25"))
    result = mapped(plugin("gift_cards", {"articles": ["GC500"], "visma_article": "PRESENT"}), o=gift)
    first = result.document.rows[0]
    assert (first.article_number, first.text, first.price) == ("PRESENT", "Presentkort GC500", D("500.00"))
    assert result.document.rows[1].article_number == "1001"
    assert result.rounding == 0


@pytest.mark.parametrize(
    "name, settings, tidy",
    [
        pytest.param("REA! Ullmössa   grå", {"remove_words": ["REA"]}, "Ullmössa grå", id="word_case"),
        pytest.param("Ullmössa grå extra varm", {"max_length": 15}, "Ullmössa grå", id="length_case"),
        pytest.param("Ullmössa", {}, "Ullmössa", id="unchanged_case"),
    ],
)
def test_product_name_tidy_on_the_way_to_visma_and_to_the_shop(name, settings, tidy):
    alterations = Alterations([plugin("product_name_tidy", settings)])
    product = shop_product(name)
    article, _trail = alterations.to_visma(product, P.ArticleInput(name=name))
    assert article.name == tidy
    rows, _trail = alterations.to_shop(P.Article.from_dict({"number": "1001", "name": name}),
                                       (ProductInput("1001", "sv-SE", name=name),))  # fmt: skip
    assert rows[0].name == tidy


def test_product_rules_change_fields_on_their_way():
    alterations = Alterations([
        rule(kind="product_field", direction="to_visma", product_field="name", operation="prefix",
             value="W-"),
        rule(kind="product_field", direction="to_shop", product_field="name", operation="upper"),
    ])  # fmt: skip
    product = shop_product("mössa")
    assert alterations.to_visma(product, P.ArticleInput(name="mössa"))[0].name == "W-mössa"
    rows, trail = alterations.to_shop(P.Article.from_dict({"number": "1001", "name": "mössa"}),
                                      (ProductInput("1001", "sv-SE", name="mössa"),))  # fmt: skip
    assert rows[0].name == "MÖSSA" and trail[0]["changes"] == [
        {"field": "[1].name", "before": "mössa", "after": "MÖSSA"}
    ]


# --- the customer the order creates: price list and category by customer group -------------------

GROUPS = "company = 2\nprivate = 1"


@pytest.mark.parametrize(
    "bill, steps, price_list, category",
    [
        pytest.param(COMPANY, [rule(kind="translate", source="customer_group", target="customer_price_list",
                                    table=GROUPS)], "2", None, id="company_price_list_case"),
        pytest.param(None, [rule(kind="translate", source="customer_group", target="customer_price_list",
                                 table=GROUPS)], "1", None, id="private_price_list_case"),
        pytest.param(COMPANY, [rule(kind="translate", source="customer_group", target="customer_category",
                                    table="company = FTG")], None, "FTG", id="company_category_case"),
        pytest.param(None, [rule(kind="translate", source="customer_group", target="customer_category",
                                 table="company = FTG")], None, None, id="no_row_for_private_case"),
        pytest.param(None, [rule(kind="set_field", source="fixed", value="EXP", target="customer_category",
                                 when_field="country", when_operator="not_equals", when_value="SE")],
                     None, "EXP", id="fixed_category_by_condition_case"),
    ],
)  # fmt: skip
def test_rules_choose_the_new_customers_price_list_and_category(bill, steps, price_list, category):
    placed = order(row("1001", "1", "249.00", "0.25"), bill=bill or PERSON)
    new = customer_input(placed, "SEK")
    facts = {**FACTS, "customer": Decision("", "created", "", new=new)}
    result = ShopOrdersToVisma.map(placed, "R-1", Facts(**facts, alterations=Alterations(steps)))
    assert result.new_customer is not None
    assert (result.new_customer.price_list, result.new_customer.category) == (price_list, category)
    assert result.document.price_list is None, "the rule is for the customer, not the document"
    changes = result.trail[0]["changes"]
    assert bool(changes) == bool(price_list or category)
    if changes:
        assert changes[0]["field"] in ("customer.price_list", "customer.category")


def test_an_existing_customer_keeps_its_price_list_the_rule_does_not_run():
    step = rule(kind="translate", source="customer_group", target="customer_price_list", table=GROUPS)
    result = mapped(step)  # FACTS: customer 1001, found
    assert result.new_customer is None and result.trail == []
    assert result.document.price_list is None


def test_a_customer_rule_is_checked_as_a_code():
    made = Rule(kind="set_field", source="order_number", value="Web ", target="customer_category")
    with pytest.raises(ValidationError) as caught:
        made.clean()
    assert "value" in caught.value.message_dict


# --- dynamic fields: elements of the shop's order beyond the standard fields ----------------------

COMMENTED = order(
    row("1001", "1", "249.00", "0.25"), extra={"OrderComment": "Ring före leverans", "Wrap": "ja"}
)


@pytest.mark.parametrize(
    "step, field, value",
    [
        pytest.param(rule(kind="set_field", source="dynamic", dynamic_field="OrderComment", target="text1"),
                     "texts", ["Ring före leverans"], id="comment_to_head_text_case"),
        pytest.param(rule(kind="translate", source="dynamic", dynamic_field="Wrap", target="way_of_delivery",
                          table="ja = PKT"), "way_of_delivery", "PKT", id="translated_case"),
        pytest.param(rule(kind="set_field", source="fixed", value="Presentinslagen", target="local_remark",
                          when_field="dynamic", dynamic_field="Wrap", when_value="JA"),
                     "local_remark", "Presentinslagen", id="condition_case"),
        pytest.param(rule(kind="set_field", source="dynamic", dynamic_field="Nope", target="our_reference"),
                     "our_reference", None, id="absent_reads_empty_case"),
    ],
)  # fmt: skip
def test_a_dynamic_field_of_the_shop_order_maps_to_a_visma_field(step, field, value):
    assert getattr(mapped(step, o=COMMENTED).document, field) == value


def test_a_dynamic_field_rule_names_its_field():
    made = Rule(kind="set_field", source="dynamic", target="text1")
    with pytest.raises(ValidationError) as caught:
        made.clean()
    assert "dynamic_field" in caught.value.message_dict
    with translation.override("en"):
        described = Rule(
            kind="set_field", source="dynamic", target="text1", dynamic_field="OrderComment"
        ).describe()
    assert described.startswith("set ") and described.endswith('to the dynamic field "OrderComment"'), (
        described
    )
