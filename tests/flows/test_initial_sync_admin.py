"""The initial product sync from the admin: start, read the report, apply; support only reads."""

from __future__ import annotations

import pytest
from django.urls import reverse

from flows import initial_sync
from flows.models import InitialSync
from tests.factories import user_in_group

pytestmark = pytest.mark.django_db


def test_consultant_starts_reads_the_report_and_applies_support_cannot(integration, shop, agent, client):
    consultant = user_in_group("Consultant", staff=True, username="consultant-sync")
    client.force_login(consultant)
    shop_config = integration.shops.get()
    response = client.post(
        reverse("admin:flows_initialsync_add"), {"shop": shop_config.pk, "direction": "visma_to_shop"}
    )
    assert response.status_code == 302, response.content.decode()[:500]
    sync = InitialSync.objects.get(shop=shop_config)
    assert (sync.status, sync.integration, sync.created_by) == ("previewing", integration, consultant)
    working = client.get(reverse("admin:flows_initialsync_change", args=[sync.pk])).content.decode()
    assert 'http-equiv="refresh"' in working, "the page follows the preview being built"

    initial_sync.build_preview(sync)  # what the bulk worker does with the queued task
    change_url = reverse("admin:flows_initialsync_change", args=[sync.pk])
    html = client.get(change_url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "only in the source (created)" in html and "Apply: write what the report shows" in html
    assert 'http-equiv="refresh"' not in html, "a finished preview waits for the consultant"

    support = user_in_group("Support", staff=True, username="support-sync")
    client.force_login(support)
    apply_url = reverse("admin:flows_initialsync_apply", args=[sync.pk])
    assert client.get(change_url).status_code == 200
    assert client.post(apply_url).status_code == 403
    assert InitialSync.objects.get(pk=sync.pk).status == "preview"

    client.force_login(consultant)
    assert client.post(apply_url).status_code == 302
    sync.refresh_from_db()
    assert sync.status == "applying" and sync.applying_since
    page = client.get(change_url).content.decode()
    assert 'http-equiv="refresh"' in page and "<progress" in page
