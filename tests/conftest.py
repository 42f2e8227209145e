"""Fixtures for the whole suite: role users and a logged-in admin client per role."""

from __future__ import annotations

import pytest

from tests.factories import CustomerFactory, user_in_group


@pytest.fixture
def consultant(db):
    return user_in_group("Consultant", staff=True, username="consultant")


@pytest.fixture
def support(db):
    return user_in_group("Support", staff=True, username="support")


@pytest.fixture
def merchant_customer(db):
    return CustomerFactory(name="Egen Butik AB")


@pytest.fixture
def merchant(db, merchant_customer):
    return user_in_group("Merchant", staff=False, username="merchant", customer=merchant_customer)


@pytest.fixture
def client_for(client):
    def login(user):
        client.force_login(user)
        return client

    return login
