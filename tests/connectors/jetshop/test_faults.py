"""Every injected failure lands in the right place of the error taxonomy."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connectors.errors import PermanentError, RateLimited, TransientError
from connectors.jetshop import JetshopClient
from connectors.jetshop.records import PriceListPrice, ProductInput
from connectors.jetshop.simulator import RunningServer, SimConfig
from connectors.jetshop.simulator.server import free_port
from connectors.jetshop.simulator.soap import response as soap_response
from connectors.jetshop.wire import ENDPOINT_PATH


def test_503_html_page_is_transient(shop, client):
    shop.side.fault("503")

    with pytest.raises(TransientError) as caught:
        client.get_product("3489-99-1", "sv-SE")

    assert caught.value.code == 503
    assert caught.value.system == "jetshop"
    assert "HTTP Error 503. The service is unavailable." in caught.value.detail  # IIS's HTML page
    assert client.get_product("3489-99-1", "sv-SE") is not None  # the next call is served


def test_receiver_fault_is_transient(shop, client):
    shop.side.fault("receiver")

    with pytest.raises(TransientError) as caught:
        client.list_channels()

    assert not isinstance(caught.value, PermanentError)
    assert caught.value.code == "soap:Receiver"


def test_429_is_rate_limited_with_retry_after(shop, client):
    shop.side.fault("429", retry_after=7)

    with pytest.raises(RateLimited) as caught:
        client.list_order_statuses()

    assert caught.value.retry_after == 7
    assert caught.value.transient


def test_connection_reset_is_transient(shop, client):
    shop.side.fault("reset")

    with pytest.raises(TransientError) as caught:
        client.get_product("3489-99-1", "sv-SE")

    assert caught.value.code == "connection"


def test_slow_answer_beyond_read_timeout_is_transient(shop):
    shop.side.fault("delay", delay_ms=1500)

    with shop.client(read_timeout=0.3) as client, pytest.raises(TransientError) as caught:
        client.get_product("3489-99-1", "sv-SE")

    assert caught.value.code == "timeout"


def test_random_delay_still_answers(shop, client):
    shop.side.fault("delay", delay_ms=10, delay_max_ms=60, count=3)

    results = [client.get_product("3489-99-1", "sv-SE") for _ in range(3)]

    assert all(r is not None for r in results)
    assert [c["fault"] for c in shop.side.calls("Product_Get")] == ["delay"] * 3


def test_fault_for_one_operation_leaves_others_alone(shop, client):
    shop.side.fault("503", operation="Product_AddUpdate", count=2)
    row = [ProductInput("F-1", "sv-SE")]

    assert client.get_product("3489-99-1", "sv-SE") is not None
    for _ in range(2):
        with pytest.raises(TransientError):
            client.add_update_products(row)
    assert client.add_update_products(row)[0].status == "SuccessNew"
    assert shop.side.get("/faults")["faults"] == []


def test_wrong_password_is_permanent(shop):
    with shop.client() as client:
        client.session.session.auth = ("sim", "wrong")
        with pytest.raises(PermanentError) as caught:
            client.list_channels()

    assert caught.value.code == 401


def test_missing_credentials_get_401(shop):
    response = shop.post_raw(b"<x/>", auth=None)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_wrong_endpoint_path_is_permanent(shop):
    with JetshopClient(shop.server.base_url + "/Webservice20/v2.0/webservice.asmx", "sim", "sim", "demo",
                       calls_per_second=None) as client:  # fmt: skip
        with pytest.raises(PermanentError) as caught:
            client.list_channels()

    assert caught.value.code == 404


def test_operation_outside_the_service_namespace_is_a_sender_fault(shop):
    body = (
        b'<soap12:Envelope xmlns:soap12="http://www.w3.org/2003/05/soap-envelope"><soap12:Body>'
        b'<Product_Get xmlns="http://tempuri.org/"><productOptions /></Product_Get>'
        b"</soap12:Body></soap12:Envelope>"
    )

    response = shop.post_raw(body)

    assert response.status_code == 500
    assert b"<soap:Value>soap:Sender</soap:Value>" in response.content


def test_strict_shop_id_rejects_another_shop_as_permanent(make_shop):
    strict = make_shop(SimConfig(shop_id="butik", strict_shop_id=True))

    with JetshopClient(strict.url, "sim", "sim", "annan-butik", calls_per_second=None) as other:
        with pytest.raises(PermanentError) as caught:
            other.list_channels()
    with JetshopClient(strict.url, "sim", "sim", "butik", calls_per_second=None) as right:
        assert len(right.list_channels()) == 2

    assert caught.value.code == "soap:Sender"
    assert strict.side.get("/log")["shop_ids"] == ["annan-butik", "butik"]


def test_fewer_result_rows_than_sent_rows_is_an_error_not_a_silent_drop():
    """A shop that answers two price rows with one result must not make one row vanish."""
    one_row = soap_response(
        "PriceList_UpdateArticleIncVAT",
        "<ArticlePriceListResult><ArticleNumber>A-1</ArticleNumber><PriceListId>x</PriceListId>"
        "<Success>true</Success><Message /></ArticlePriceListResult>",
    )

    def short_shop(environ, start_response):
        environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        start_response("200 OK", [("Content-Type", "application/soap+xml; charset=utf-8")])
        return [one_row]

    server = RunningServer(short_shop).start()
    try:
        with JetshopClient(server.base_url + ENDPOINT_PATH, "u", "p", "s", calls_per_second=None) as client:
            with pytest.raises(TransientError) as caught:
                client.update_price_list_prices(
                    [PriceListPrice("A-1", "x", Decimal(1)), PriceListPrice("A-2", "x", Decimal(2))]
                )
    finally:
        server.stop()

    assert caught.value.code == "malformed"
    assert "sent 2 rows, got 1 results" in str(caught.value)


def test_a_shop_that_does_not_listen_is_transient():
    closed_port = free_port()  # bound and released: nothing listens there

    with JetshopClient(f"http://127.0.0.1:{closed_port}{ENDPOINT_PATH}", "sim", "sim", "demo",
                       calls_per_second=None, connect_timeout=0.5) as client:  # fmt: skip
        with pytest.raises(TransientError) as caught:
            client.get_product("3489-99-1", "sv-SE")

    assert (caught.value.code, caught.value.system) == ("connection", "jetshop")
