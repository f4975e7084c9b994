from __future__ import annotations

import pytest

from tests import factories as f


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters (Django's cache) do not carry over from one test to the next."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _fresh_sla_cache():
    """Each test starts without the default policy a previous test's rollback removed."""
    from escalated.services.sla import sla_cache_clear

    sla_cache_clear()
    yield
    sla_cache_clear()


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


class SignalLog:
    """Records every Escalated signal sent, as (name, kwargs) pairs."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict]] = []

    def names(self) -> list[str]:
        return [name for name, _ in self.events]

    def of(self, name: str) -> list[dict]:
        return [kwargs for n, kwargs in self.events if n == name]


@pytest.fixture
def signal_log():
    """Connect a receiver to all 17 signals for the duration of a test."""
    from escalated.signals import ALL_SIGNALS

    log = SignalLog()
    receivers = []
    for name, signal in ALL_SIGNALS.items():

        def receiver(sender, _name=name, **kwargs):
            kwargs.pop("signal", None)
            log.events.append((_name, kwargs))

        signal.connect(receiver, weak=False)
        receivers.append((signal, receiver))
    yield log
    for signal, receiver in receivers:
        signal.disconnect(receiver)
