"""Who is an agent, who is an admin, who may see a ticket: one rule for every caller.

Default rule:

- an **admin** is an active superuser, or an active user with the ``escalated.act_as_admin``
  permission;
- an **agent** is an admin, an active staff user, an active user with the
  ``escalated.act_as_agent`` permission, or an active member of a department;
- a **customer** sees only tickets whose requester contact is linked to them.

Hosts replace the agent or admin rule with ``ESCALATED["AGENT_CHECK"]`` /
``ESCALATED["ADMIN_CHECK"]``: dotted paths to ``f(user) -> bool``.
The answer is cached on the user object for the rest of the request.

Cost: every page shows whether the user is an agent and an admin. Through
``has_perm`` Django's ``ModelBackend`` loads all of a user's permissions (two queries)
and the department rule is a third. When ``ModelBackend`` is the only authentication
backend (Django's default) and the user model keeps Django's ``has_perm``, the two
permissions and the department membership are read in one query instead — the same
tables and the same answers as ``has_perm``. Staff users and superusers are agents
without any query. Other backends (LDAP, object permissions …) always go through
``has_perm``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.conf import settings
from django.db.models import CharField, Q, QuerySet, Value
from django.utils.module_loading import import_string

from escalated.conf import app_settings

_AGENT_CACHE = "_escalated_is_agent"
_ADMIN_CACHE = "_escalated_is_admin"
_FACTS_CACHE = "_escalated_rule_facts"

AGENT_PERMISSION = "act_as_agent"
ADMIN_PERMISSION = "act_as_admin"
_DEPARTMENT = "department"
_MODEL_BACKENDS = frozenset(
    {
        "django.contrib.auth.backends.ModelBackend",
        "django.contrib.auth.backends.AllowAllUsersModelBackend",
    }
)


def _hook(path: str | None) -> Callable[[Any], bool] | None:
    return cast(Callable[[Any], bool], import_string(path)) if path else None


def _through(descriptor: Any) -> QuerySet[Any]:
    """The rows of a many-to-many relation's table (``Model.m2m_field``)."""
    return cast(QuerySet[Any], descriptor.through._default_manager.all())


def _user_fk(user_model: Any) -> str:
    """The user column of ``user_permissions`` and ``groups`` (``user_id`` for Django's
    user model, ``<model>_id`` for a custom one)."""
    return f"{user_model.groups.field.m2m_field_name()}_id"


def _member_fk() -> str:
    """The user column of ``Department.agents``."""
    from escalated.models import Department

    return f"{Department.agents.field.m2m_reverse_field_name()}_id"


def _facts_query() -> QuerySet[Any]:
    """Which of the two permissions the user (placeholder) holds, directly or through a
    group, and whether they belong to an active department: one row per fact."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    from escalated.models import Department
    from escalated.selectors._compiled import user_param

    user_id = user_param(0)
    user_model = get_user_model()
    direct = _through(user_model.user_permissions).filter(**{_user_fk(user_model): user_id})
    groups = _through(user_model.groups).filter(**{_user_fk(user_model): user_id})
    via_group = _through(Permission.group_set).filter(group_id__in=groups.values("group_id"))
    held = (
        Permission.objects.filter(
            Q(pk__in=direct.values("permission_id")) | Q(pk__in=via_group.values("permission_id")),
            content_type__app_label="escalated",
            codename__in=[AGENT_PERMISSION, ADMIN_PERMISSION],
        )
        .order_by()
        .values_list("codename")
    )
    member: QuerySet[Any] = (
        _through(Department.agents)
        .filter(
            **{_member_fk(): user_id},
            department_id__in=Department.objects.filter(is_active=True).values("pk"),
        )
        .order_by()
        .annotate(fact=Value(_DEPARTMENT, output_field=CharField()))
    )
    return held.union(member.values_list("fact"), all=True)


def _one_query_facts(user: Any) -> bool:
    """Whether the rule's facts may be read in one query (see the module docstring)."""
    from django.contrib.auth.models import PermissionsMixin

    if hasattr(user, "_perm_cache"):
        return False  # ModelBackend loaded them already: has_perm costs nothing
    backends = settings.AUTHENTICATION_BACKENDS
    return (
        bool(backends)
        and all(path in _MODEL_BACKENDS for path in backends)
        # ``__class__``, not ``type()``: request.user is a lazy proxy of the user.
        and getattr(user.__class__, "has_perm", None) is PermissionsMixin.has_perm
    )


def _facts(user: Any) -> frozenset[str]:
    cached: frozenset[str] | None = getattr(user, _FACTS_CACHE, None)
    if cached is None:
        from django.contrib.auth.models import Permission
        from django.db import router

        from escalated.selectors._compiled import run

        using = router.db_for_read(Permission)
        cached = frozenset(row[0] for row in run(_facts_query, [user.pk], using=using))
        setattr(user, _FACTS_CACHE, cached)
    return cached


def _has_permission(user: Any, codename: str) -> bool:
    if _one_query_facts(user):
        return codename in _facts(user)
    return bool(user.has_perm(f"escalated.{codename}"))


def _in_active_department(user: Any) -> bool:
    if _one_query_facts(user):
        return _DEPARTMENT in _facts(user)
    return bool(user.escalated_departments.filter(is_active=True).exists())


def default_is_admin(user: Any) -> bool:
    return bool(user.is_superuser or _has_permission(user, ADMIN_PERMISSION))


def default_is_agent(user: Any) -> bool:
    # Cheapest first: ``is_staff`` is a column of the loaded user, while permissions
    # and departments cost queries (the rule is an OR: the order does not change it).
    if user.is_staff or user.is_superuser:
        return True
    if is_admin(user) or _has_permission(user, AGENT_PERMISSION):
        return True
    return _in_active_department(user)


def is_admin(user: Any) -> bool:
    """Whether ``user`` may use the admin area (and everything agents may)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    cached = getattr(user, _ADMIN_CACHE, None)
    if cached is None:
        check = _hook(app_settings.ADMIN_CHECK) or default_is_admin
        cached = bool(check(user))
        setattr(user, _ADMIN_CACHE, cached)
    return cached


def is_agent(user: Any) -> bool:
    """Whether ``user`` works tickets (sees every ticket, replies, assigns, notes)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    cached = getattr(user, _AGENT_CACHE, None)
    if cached is None:
        check = _hook(app_settings.AGENT_CHECK) or default_is_agent
        cached = bool(check(user))
        setattr(user, _AGENT_CACHE, cached)
    return cached


def agent_users_q() -> Q:
    """Q over the user model for the *default* agent rule (for pickers and validation).

    Each way of being an agent is an ``id IN (subquery)``, not a join: one row per
    user without ``DISTINCT``, no multiplied row estimates (with unanalysed auth tables
    a five-table join was estimated at millions of rows and PostgreSQL JIT-compiled
    it: 50 ms for 50 users), and the cheapest plan to make (pickers run it on every
    agent page).
    """
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    from escalated.models import Department

    user_model = get_user_model()
    escalated_permissions = Permission.objects.filter(
        content_type__app_label="escalated", codename__in=[AGENT_PERMISSION, ADMIN_PERMISSION]
    ).values("pk")
    user_column = _user_fk(user_model)
    direct = (
        _through(user_model.user_permissions)
        .filter(permission_id__in=escalated_permissions)
        .values(user_column)
    )
    via_group = (
        _through(user_model.groups)
        .filter(
            group_id__in=_through(Permission.group_set)
            .filter(permission_id__in=escalated_permissions)
            .values("group_id")
        )
        .values(user_column)
    )
    members = (
        _through(Department.agents)
        .filter(department_id__in=Department.objects.filter(is_active=True).values("pk"))
        .values(_member_fk())
    )
    return Q(is_active=True) & (
        Q(is_superuser=True)
        | Q(is_staff=True)
        | Q(pk__in=direct)
        | Q(pk__in=via_group)
        | Q(pk__in=members)
    )


def agent_users() -> QuerySet[Any]:
    """The users who may be picked as assignees: ``ESCALATED["AGENT_USERS"]()`` when the
    host sets it (to go with its ``AGENT_CHECK``), else the default rule's users."""
    if app_settings.AGENT_USERS:
        return cast(QuerySet[Any], import_string(app_settings.AGENT_USERS)())
    from django.contrib.auth import get_user_model

    return cast(QuerySet[Any], get_user_model()._default_manager.filter(agent_users_q()))


def ticket_visibility_q(user: Any) -> Q | None:
    """Filter over ``Ticket`` for what ``user`` may see; ``None`` means everything.

    Lists and detail pages both use it, so what a list shows and what a link opens
    can never disagree.
    """
    if is_agent(user):
        return None
    if user is None or not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    return Q(requester__user=user)
