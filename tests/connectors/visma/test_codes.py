"""The agent's code lists (``GET /v1/codes/{kind}``) as ``VismaClient`` reads them."""

from __future__ import annotations

import pytest

from connectors.errors import PermanentError
from connectors.visma import protocol as P


def test_each_code_list_comes_with_codes_and_names(client):
    payment = {c.code: c.text for c in client.codes("terms-of-payment")}
    assert payment["30"] == "30 dagar netto" and payment["K"] == "Kort"
    delivery = {c.code: c.text for c in client.codes("way-of-delivery")}
    assert delivery == {"B": "Bud", "H": "Hämtas", "P": "Post"}
    assert [c.code for c in client.codes("terms-of-delivery")] == ["FVL"]
    accounts = {c.code: (c.text, c.vat_code) for c in client.codes("article-account")}
    assert accounts["2"] == ("Livsmedel 12 %", "2") and accounts["4"] == ("Momsfri", "0")
    assert all(c.vat_code == "" for c in client.codes("terms-of-payment"))


def test_an_unknown_list_is_not_found_and_the_client_refuses_to_ask(client):
    with pytest.raises(PermanentError) as refused:
        client._call("GET", "/v1/codes/customers")
    assert refused.value.code == 404 and "terms-of-payment" in str(refused.value.detail)
    with pytest.raises(ValueError):
        client.codes("customers")


def test_the_openapi_document_names_every_list(client):
    operation = client.openapi()["paths"]["/v1/codes/{kind}"]["get"]
    assert operation["parameters"][0]["schema"]["enum"] == list(P.CODE_KINDS)
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CodeList"
    }
