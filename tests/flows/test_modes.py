"""The flows each mode runs are the seed's table (DESIGN.md), and every one of them is implemented."""

from __future__ import annotations

import inspect

import pytest

from flows.engine.base import BatchFlow, ItemFlow
from flows.engine.registry import flow_class
from flows.modes import FLOWS_BY_MODE, QUEUE_BY_FLOW, Flow, FlowMode
from tests.factories import IntegrationFactory

# The seed's table, row by row: flow, Ecom, ERP, Kombo.
SEED_TABLE = [
    (Flow.SHOP_ORDERS_TO_VISMA, True, True, True),
    (Flow.VISMA_ORDER_STATUS_TO_SHOP, False, True, True),
    (Flow.SHOP_PRODUCTS_TO_VISMA, True, False, True),
    (Flow.VISMA_PRODUCTS_TO_SHOP, False, True, False),
    (Flow.VISMA_PRICES_TO_SHOP, False, True, True),
    (Flow.VISMA_PRICE_LISTS_TO_SHOP, False, True, True),
    (Flow.VISMA_STOCK_TO_SHOP, False, True, True),
]


@pytest.mark.parametrize("mode, column", [(FlowMode.ECOM, 1), (FlowMode.ERP, 2), (FlowMode.KOMBO, 3)])
def test_each_mode_runs_exactly_the_seed_tables_flows(mode, column):
    expected = {row[0] for row in SEED_TABLE if row[column]}
    assert set(FLOWS_BY_MODE[mode]) == expected


@pytest.mark.django_db
@pytest.mark.parametrize("mode", list(FlowMode))
def test_an_integration_with_package_400_runs_its_modes_flows_each_implemented(mode):
    integration = IntegrationFactory(flow_mode=mode)
    assert set(integration.flows) == set(FLOWS_BY_MODE[mode])
    for flow in integration.flows:
        handler = flow_class(flow)
        assert handler.flow == flow
        assert issubclass(handler, ItemFlow | BatchFlow), f"{flow} declares neither flow shape"
        assert not inspect.isabstract(handler), f"{flow} leaves part of its shape unimplemented"


def test_orders_and_status_run_on_the_orders_queue_everything_else_on_bulk():
    assert {f for f, q in QUEUE_BY_FLOW.items() if q == "orders"} == {
        Flow.SHOP_ORDERS_TO_VISMA,
        Flow.VISMA_ORDER_STATUS_TO_SHOP,
    }
