"""The agent/admin rule: the same answers through the one-query path and through
``has_perm``, and what each answer costs."""

from __future__ import annotations

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from escalated.permissions import agent_users_q, is_admin, is_agent
from tests import factories as f

pytestmark = pytest.mark.django_db


class CustomBackend(ModelBackend):
    """Any backend but Django's own: the rule then goes through ``has_perm``."""


ONE_QUERY = ["django.contrib.auth.backends.ModelBackend"]
THROUGH_HAS_PERM = [f"{__name__}.CustomBackend"]


def permission(codename):
    return Permission.objects.get(content_type__app_label="escalated", codename=codename)


def with_group_permission(user, codename):
    group = Group.objects.create(name=f"{codename}-{user.pk}")
    group.permissions.add(permission(codename))
    user.groups.add(group)


def make(kind):
    """A user who is (or is not) an agent/admin in one particular way."""
    if kind == "nobody":
        return f.UserFactory()
    if kind == "staff":
        return f.UserFactory(is_staff=True)
    if kind == "superuser":
        return f.UserFactory(is_superuser=True)
    if kind == "inactive_superuser":
        return f.UserFactory(is_superuser=True, is_staff=True, is_active=False)
    user = f.UserFactory()
    if kind == "agent_permission":
        user.user_permissions.add(permission("act_as_agent"))
    elif kind == "admin_permission":
        user.user_permissions.add(permission("act_as_admin"))
    elif kind == "agent_group":
        with_group_permission(user, "act_as_agent")
    elif kind == "admin_group":
        with_group_permission(user, "act_as_admin")
    elif kind == "department":
        f.DepartmentFactory().agents.add(user)
    elif kind == "inactive_department":
        f.DepartmentFactory(is_active=False).agents.add(user)
    elif kind == "same_codename_other_app":
        other = Permission.objects.create(
            codename="act_as_agent",
            name="Not ours",
            content_type=ContentType.objects.get_for_model(Group),
        )
        user.user_permissions.add(other)
    return user


#: kind -> (is_agent, is_admin), as permissions.py's docstring states the rule.
RULE = {
    "nobody": (False, False),
    "staff": (True, False),
    "superuser": (True, True),
    "inactive_superuser": (False, False),
    "agent_permission": (True, False),
    "admin_permission": (True, True),
    "agent_group": (True, False),
    "admin_group": (True, True),
    "department": (True, False),
    "inactive_department": (False, False),
    "same_codename_other_app": (False, False),
}


def fresh(user):
    """The user as a new request would load it (no cached answers or permissions)."""
    return type(user).objects.get(pk=user.pk)


@pytest.mark.parametrize("backends", [ONE_QUERY, THROUGH_HAS_PERM], ids=["one-query", "has_perm"])
@pytest.mark.parametrize("kind", list(RULE))
def test_rule_gives_the_documented_answer(settings, backends, kind):
    settings.AUTHENTICATION_BACKENDS = backends
    user = make(kind)

    assert (is_agent(fresh(user)), is_admin(fresh(user))) == RULE[kind]
    # asked the other way round (admin first), the answers are the same
    user = fresh(user)
    assert (is_admin(user), is_agent(user)) == RULE[kind][::-1]


@pytest.mark.parametrize("kind", list(RULE))
def test_agent_picker_query_lists_exactly_the_rules_agents(kind):
    user = make(kind)
    listed = type(user).objects.filter(agent_users_q()).filter(pk=user.pk).exists()

    assert listed is RULE[kind][0]


def test_staff_agent_costs_no_query_and_one_for_the_admin_flag(settings):
    settings.AUTHENTICATION_BACKENDS = ONE_QUERY
    user = fresh(f.UserFactory(is_staff=True))

    with CaptureQueriesContext(connection) as agent_check:
        assert is_agent(user)
    with CaptureQueriesContext(connection) as admin_check:
        assert not is_admin(user)
        assert not is_admin(user)

    assert len(agent_check.captured_queries) == 0
    assert len(admin_check.captured_queries) == 1


def test_customer_costs_one_query_for_both_answers(settings):
    settings.AUTHENTICATION_BACKENDS = ONE_QUERY
    user = fresh(f.UserFactory())

    with CaptureQueriesContext(connection) as ctx:
        assert not is_agent(user)
        assert not is_admin(user)

    assert len(ctx.captured_queries) == 1


def test_permissions_already_loaded_by_django_cost_nothing_more(settings):
    settings.AUTHENTICATION_BACKENDS = ONE_QUERY
    user = make("agent_permission")
    user = fresh(user)
    assert user.has_perm("escalated.act_as_agent")  # ModelBackend caches them on the user

    with CaptureQueriesContext(connection) as ctx:
        assert not is_admin(user)

    assert len(ctx.captured_queries) == 0


def test_other_backends_are_asked_through_has_perm(settings, monkeypatch):
    settings.AUTHENTICATION_BACKENDS = THROUGH_HAS_PERM
    asked = []
    monkeypatch.setattr(
        CustomBackend, "has_perm", lambda self, user, perm, obj=None: asked.append(perm) or True
    )
    user = fresh(f.UserFactory())

    assert is_admin(user) and is_agent(user)
    assert asked == ["escalated.act_as_admin"]
