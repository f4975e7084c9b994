"""factory_boy factories shared by every test suite."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from escalated import models as m


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "secret")
    is_active = True


class AgentFactory(UserFactory):
    username = factory.Sequence(lambda n: f"agent{n}")
    is_staff = True


class AdminFactory(UserFactory):
    username = factory.Sequence(lambda n: f"admin{n}")
    is_staff = True
    is_superuser = True


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Contact

    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    name = factory.Sequence(lambda n: f"Customer {n}")


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Department

    name = factory.Sequence(lambda n: f"Department {n}")
    slug = factory.Sequence(lambda n: f"department-{n}")


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Tag

    name = factory.Sequence(lambda n: f"tag-{n}")
    slug = factory.Sequence(lambda n: f"tag-{n}")


class SlaPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.SlaPolicy

    name = factory.Sequence(lambda n: f"Policy {n}")
    is_default = False
    first_response_hours = factory.LazyFunction(
        lambda: {"low": 24, "medium": 8, "high": 4, "urgent": 2, "critical": 1}
    )
    resolution_hours = factory.LazyFunction(
        lambda: {"low": 120, "medium": 48, "high": 24, "urgent": 8, "critical": 4}
    )


class TicketFactory(factory.django.DjangoModelFactory):
    """A ticket row written directly (no service, no SLA, no signals): for fixtures only."""

    class Meta:
        model = m.Ticket

    subject = factory.Sequence(lambda n: f"Ticket {n}")
    description = "Something is broken."
    requester = factory.SubFactory(ContactFactory)
    reference = factory.Sequence(lambda n: f"T-{n:05d}")
    created_at = factory.LazyFunction(timezone.now)
    updated_at = factory.LazyFunction(timezone.now)
