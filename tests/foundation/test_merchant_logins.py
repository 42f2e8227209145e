"""A consultant gives a new merchant a dashboard login from the merchant's page; the person chooses
the password through the mailed link; nobody else gets this power."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core import mail
from django.urls import reverse

from sharespine.customers.models import ConfigChange, Membership
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

NEW = {"username": "anna", "email": "anna@butik.example", "first_name": "Anna", "last_name": "Ek"}


@pytest.fixture
def locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def test_a_consultant_adds_a_merchant_login_who_sets_the_password_and_sees_the_dashboard(
    client, consultant, locmem, django_capture_on_commit_callbacks
):
    customer = CustomerFactory(name="Ny Butik AB")
    client.force_login(consultant)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("admin:customers_customer_change", args=[customer.pk])).content.decode()
    add_url = reverse("admin:customers_customer_add_login", args=[customer.pk])
    assert f'href="{add_url}"' in page and "Add a merchant login" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(add_url, NEW, follow=True)
    body = response.content.decode()
    assert "Login anna made for Ny Butik AB" in body

    user = User.objects.get(username="anna")
    assert (user.is_staff, user.is_superuser, user.has_usable_password()) == (False, False, False)
    assert [g.name for g in user.groups.all()] == ["Merchant"]
    assert list(Membership.objects.filter(user=user).values_list("customer", flat=True)) == [customer.pk]
    assert ConfigChange.objects.filter(model="customers.Membership", customer=customer).exists()

    # The mail and the message carry the same set-password link.
    [sent] = mail.outbox
    assert sent.to == ["anna@butik.example"]
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", sent.body).group(1)
    assert link in body

    # The person sets the password through the link and logs in to the dashboard.
    client.logout()
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": "Ny-lösen-2026!", "new_password2": "Ny-lösen-2026!"})
    assert done.status_code == 302
    logged_in = client.post(reverse("login"), {"username": "anna", "password": "Ny-lösen-2026!"}, follow=True)
    assert logged_in.redirect_chain[-1][0] == reverse("dashboard:home")
    assert "Ny Butik AB" in logged_in.content.decode()
    assert client.get(reverse("admin:index")).status_code == 403  # no admin


def test_a_login_for_an_address_already_in_use_is_refused(client, consultant):
    User.objects.create_user("annan", email="anna@butik.example")
    customer = CustomerFactory()
    client.force_login(consultant)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(reverse("admin:customers_customer_add_login", args=[customer.pk]), NEW)
    assert "A user with this e-mail address already exists." in response.content.decode()
    assert not User.objects.filter(username="anna").exists()


def test_a_consultant_cannot_make_staff_or_edit_users_in_general(client, consultant):
    customer = CustomerFactory()
    client.force_login(consultant)
    # Extra fields are ignored: the login is never staff or superuser.
    data = dict(NEW, is_staff="on", is_superuser="on", groups="1")
    client.post(reverse("admin:customers_customer_add_login", args=[customer.pk]), data)
    user = User.objects.get(username="anna")
    assert not user.is_staff and not user.is_superuser
    assert [g.name for g in user.groups.all()] == ["Merchant"]
    assert client.get(reverse("admin:auth_user_add")).status_code == 403
    change_user = reverse("admin:auth_user_change", args=[user.pk])
    assert client.post(change_user, {"is_staff": "on"}).status_code == 403


@pytest.mark.parametrize("role", ["support", "merchant"])
def test_support_and_merchants_cannot_add_logins(client, role, request):
    customer = CustomerFactory()
    client.force_login(request.getfixturevalue(role))
    url = reverse("admin:customers_customer_add_login", args=[customer.pk])
    assert client.get(url).status_code in (302, 403)
    assert client.post(url, NEW).status_code in (302, 403)
    assert not User.objects.filter(username="anna").exists()
    if role == "support":
        page = client.get(reverse("admin:customers_customer_change", args=[customer.pk])).content.decode()
        assert "add-login" not in page
