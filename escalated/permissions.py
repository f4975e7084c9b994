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
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.db.models import Q
from django.utils.module_loading import import_string

from escalated.conf import app_settings

_AGENT_CACHE = "_escalated_is_agent"
_ADMIN_CACHE = "_escalated_is_admin"


def _hook(path: str | None) -> Callable[[Any], bool] | None:
    return cast(Callable[[Any], bool], import_string(path)) if path else None


def default_is_admin(user: Any) -> bool:
    return bool(user.is_superuser or user.has_perm("escalated.act_as_admin"))


def default_is_agent(user: Any) -> bool:
    if is_admin(user) or user.is_staff or user.has_perm("escalated.act_as_agent"):
        return True
    return bool(user.escalated_departments.filter(is_active=True).exists())


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
    """Q over the user model for the *default* agent rule (for pickers and validation)."""
    return Q(is_active=True) & (
        Q(is_superuser=True)
        | Q(is_staff=True)
        | Q(user_permissions__codename__in=["act_as_agent", "act_as_admin"])
        | Q(groups__permissions__codename__in=["act_as_agent", "act_as_admin"])
        | Q(escalated_departments__is_active=True)
    )


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
