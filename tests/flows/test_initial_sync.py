"""The initial product sync at the engine's level: report without writes, apply, resume."""

from __future__ import annotations

import pytest

from flows import initial_sync
from flows.models import ExternalRef, InitialSync

pytestmark = pytest.mark.django_db(transaction=True)


def test_preview_writes_nothing_and_apply_writes_only_what_differs(integration, shop, agent, prefix):
    numbers = [f"{prefix}{i:03d}" for i in range(5)]
    agent.client.sim("POST", "articles", {"items": [{"number": n, "name": f"Vara {n}"} for n in numbers]})
    # In the shop already: one equal, one with another name; one shop-only product.
    shop.side("POST", "products", {"products": [
        {"article_number": numbers[0], "names": {"sv-SE": f"Vara {numbers[0]}"}, "vat": "0.25"},
        {"article_number": numbers[1], "names": {"sv-SE": "Gammalt namn"}, "vat": "0.25"},
        {"article_number": f"{prefix}BARA-I-BUTIKEN", "names": {"sv-SE": "Butiksvara"}, "vat": "0.25"},
    ]})  # fmt: skip
    shop_config = integration.shops.get()
    sync = InitialSync.objects.create(integration=integration, shop=shop_config, direction="visma_to_shop")
    writes_before = len(shop.calls("Product_AddUpdate"))
    initial_sync.build_preview(sync)
    sync.refresh_from_db()
    assert len(shop.calls("Product_AddUpdate")) == writes_before, "a preview writes nothing"
    counts = sync.report["counts"]
    mine = [c for c in sync.report["conflicting"] if c["article"] == numbers[1]]
    assert mine == [{"article": numbers[1], "fields": {"name": [f"Vara {numbers[1]}", "Gammalt namn"]}}]
    assert counts["only_in_target"] >= 1 and counts["conflicting"] >= 1 and counts["matched"] >= 1
    assert sync.status == "preview" and sync.total >= 5

    assert initial_sync.confirm(sync) and not initial_sync.confirm(sync), "apply happens once"
    sync.refresh_from_db()
    while initial_sync.apply_chunk(sync, seconds=0):
        sync.refresh_from_db()
    sync.refresh_from_db()
    assert (sync.status, sync.done) == ("done", sync.total)
    rows = len(shop_config.culture_list)  # one row per culture, each counted as a write
    written = {n: shop.side("GET", f"products/{n}")["writes"] for n in numbers}
    assert written == {numbers[0]: 0, numbers[1]: rows, numbers[2]: rows, numbers[3]: rows, numbers[4]: rows}
    assert shop.side("GET", f"products/{numbers[1]}")["texts"]["sv-SE"]["Name"] == f"Vara {numbers[1]}"
    linked = ExternalRef.objects.filter(integration=integration, kind="article", shop_id__contains=prefix)
    assert linked.count() == 5


def test_a_batch_in_flight_when_the_worker_died_is_checked_not_written_again(
    integration, shop, agent, prefix
):
    numbers = [f"{prefix}{i:03d}" for i in range(3)]
    agent.client.sim("POST", "articles", {"items": [{"number": n, "name": f"Vara {n}"} for n in numbers]})
    sync = InitialSync.objects.create(
        integration=integration, shop=integration.shops.get(), direction="visma_to_shop"
    )
    initial_sync.build_preview(sync)
    initial_sync.confirm(sync)
    sync.refresh_from_db()
    # As if a worker wrote the first two articles and died before recording it.
    direction = initial_sync.direction_of(sync)
    entries = {e.article: e for e in direction.entries()[0]}
    direction.write([entries[numbers[0]].change, entries[numbers[1]].change])
    InitialSync.objects.filter(pk=sync.pk).update(in_flight=numbers[:2])
    sync.refresh_from_db()
    while initial_sync.apply_chunk(sync):
        sync.refresh_from_db()
    rows = len(sync.shop.culture_list)
    assert [shop.side("GET", f"products/{n}")["writes"] for n in numbers] == [rows, rows, rows]
