"""Every injected failure lands in the right place of the error taxonomy."""

from __future__ import annotations

import pytest

from connectors.errors import PermanentError, RateLimited, TransientError
from connectors.jetshop.records import ProductInput


def test_503_html_page_is_transient(shop, client):
    shop.side.fault("503")

    with pytest.raises(TransientError) as caught:
        client.get_product("3489-99-1", "sv-SE")

    assert caught.value.code == 503
    assert caught.value.system == "jetshop"
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
