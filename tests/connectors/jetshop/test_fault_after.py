"""The simulator's "fail the Nth call of an operation" knob (``after``), used by flow tests."""

from __future__ import annotations

import pytest

from connectors.errors import TransientError


def test_a_fault_after_n_calls_lets_those_through_and_fails_the_next(shop, client):
    shop.side.fault("503", operation="Channel_GetAll", after=2)

    client.list_channels()
    client.list_order_statuses()  # another operation neither counts nor fails
    client.list_channels()
    with pytest.raises(TransientError):
        client.list_channels()
    client.list_channels()  # count 1: served again

    assert [c["status"] for c in shop.side.calls("Channel_GetAll")] == [200, 200, 503, 200]
