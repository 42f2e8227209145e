"""Every console and dashboard page, as each role, in Swedish and English, at 1,280 px: no sideways
scrolling, no column cut off, no console error, and no known English text on a Swedish page."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from tests.browser.world import build

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ("sv", "en")
# English a Swedish page must not show (each has its Swedish); matched as whole words, case-sensitive.
ENGLISH = [
    "Needs your action",
    "Orders per hour",
    "Show the numbers",
    "Updated",
    "Received",
    "In Visma",
    "Log out",
    "Status overview",
    "Find an order",
    "Select",
    "to change",
    "Search",
    "Save",
    "History",
    "Delete",
    "Home",
    "Flow runs",
    "Payouts per day",
    "Integration status",
    "Everything is flowing",
    "Show all",
    "View on site",
]


def admin_paths(user) -> list[str]:
    """The console's index and overview, and each model's list, add form (if the role may add) and
    first object, as ``user`` may see them."""
    request = RequestFactory().get("/")
    request.user = user
    paths = [reverse("admin:index"), reverse("admin:overview")]
    for model, model_admin in admin.site._registry.items():
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        if not model_admin.has_view_permission(request):
            continue
        paths.append(reverse(f"{info}_changelist"))
        if model_admin.has_add_permission(request):
            paths.append(reverse(f"{info}_add"))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            paths.append(reverse(f"{info}_change", args=[first.pk]))
    return paths


def check(visitor, paths: list[str], language: str) -> list[str]:
    problems = []
    for path in paths:
        response = visitor.open(path)
        if response.status != 200:
            problems.append(f"{path}: HTTP {response.status}")
            continue
        fit = visitor.overflow()
        if fit["width"] > fit["view"]:
            problems.append(f"{path} [{language}]: {fit['width']} px wide")
        problems += [f"{path} [{language}]: cut off: {c}" for c in fit["cut"]]
        problems += [f"{path} [{language}]: console: {e}" for e in visitor.errors]
        if language == "sv":
            text = visitor.text()
            problems += [
                f"{path} [sv]: English {s!r}" for s in ENGLISH if re.search(rf"\b{re.escape(s)}\b", text)
            ]
    return problems


@pytest.mark.parametrize("role", ["consultant", "support"])
def test_every_console_page_fits_at_1280_px(request, role, visit, merchant_customer, consultant):
    user = request.getfixturevalue(role)
    build(merchant_customer, consultant)
    paths = admin_paths(user)
    assert len(paths) > 30
    problems = []
    for language in LANGUAGES:
        problems += check(visit(user, language), paths, language)
    assert not problems, "\n".join(problems)


def test_every_dashboard_page_fits_at_1280_px(visit, merchant, merchant_customer, consultant):
    integration = build(merchant_customer, consultant)
    paths = [
        reverse("dashboard:home"),
        reverse("dashboard:customer", args=[merchant_customer.pk]),
        reverse("dashboard:integration", args=[integration.pk]),
    ]
    problems = []
    for language in LANGUAGES:
        problems += check(visit(merchant, language), paths, language)
    assert not problems, "\n".join(problems)
