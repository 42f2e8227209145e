"""The error pages are the site's own, in Swedish and English; the favicon is there."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.utils import translation

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("language", "title"), [("sv", "Sidan finns inte"), ("en", "Page not found")])
def test_an_unknown_address_answers_with_the_styled_404(client_for, merchant, language, title):
    client = client_for(merchant)
    client.cookies["django_language"] = language
    response = client.get("/dashboard/integrations/999999/")
    assert response.status_code == 404
    page = response.content.decode()
    assert f"<h1>{title}</h1>" in page and 'class="card error-page"' in page and "favicon.svg" in page


@pytest.mark.parametrize(("language", "title"), [("sv", "Något gick fel"), ("en", "Something went wrong")])
def test_the_500_page_needs_no_request(language, title):
    with translation.override(language):
        page = render_to_string("500.html")
    assert f"<h1>{title}</h1>" in page and f'lang="{language}"' in page


def test_favicon_ico_leads_to_the_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("dashboard/favicon.svg")
