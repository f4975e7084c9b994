from __future__ import annotations

import pytest

from tests import factories as f


@pytest.fixture
def agent(db):
    return f.AgentFactory()


@pytest.fixture
def admin_user(db):
    return f.AdminFactory()


@pytest.fixture
def customer(db):
    """A signed-in customer: a host user with a linked contact."""
    user = f.UserFactory(username="carol", email="carol@example.com")
    f.ContactFactory(email=user.email, name="Carol", user=user)
    return user


@pytest.fixture
def contact(db):
    return f.ContactFactory()


@pytest.fixture
def default_policy(db):
    return f.SlaPolicyFactory(name="Default", is_default=True)
