"""The option lists of the agent pages, read in a single query.

Agent pages need several small reference lists for their pickers: agents,
departments, tags, canned responses and macros. Loaded one by one they would cost a
query each — more than the rest of the page — so they are read with one
``UNION ALL`` of uniform rows ``(kind, id, a, b, c, d, flag, owner, position)`` and
turned back into (unsaved) model instances, so the ordinary prop builders apply.
``owner`` holds a user id (an agent's own, or a canned response's or macro's owner):
of the user model's key type when that is an integer, else as text (a UUID or text
key), read back through the key field.

The tags part can also say which tags one ticket carries (``ticket=``): the ticket
detail page then needs no separate query for its tags. The union's SQL is compiled
once per combination of lists (only the user and ticket ids vary).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

from django.contrib.auth import get_user_model
from django.db import router
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Exists,
    F,
    IntegerField,
    Model,
    OuterRef,
    Q,
    QuerySet,
    TextField,
    Value,
)
from django.db.models.functions import Cast

from escalated.conf import app_settings
from escalated.models import CannedResponse, Department, Macro, Tag, Ticket
from escalated.permissions import agent_users, agent_users_q, is_agent
from escalated.props import user_display_name
from escalated.selectors._compiled import param, run, user_param
from escalated.user_ids import user_pk_field, user_pk_is_integer

M = TypeVar("M", bound=Model)

KINDS: Final = frozenset({"agents", "departments", "tags", "canned_responses", "macros"})
_COLUMNS: Final = ("p_kind", "p_id", "p_a", "p_b", "p_c", "p_d", "p_flag", "p_owner", "p_pos")


@dataclass(slots=True)
class Pickers:
    """The lists asked for (others stay empty), each in display order."""

    agents: list[Any] = field(default_factory=list)
    departments: list[Department] = field(default_factory=list)
    tags: list[Tag] = field(default_factory=list)
    canned_responses: list[CannedResponse] = field(default_factory=list)
    macros: list[Macro] = field(default_factory=list)
    #: With ``ticket=``: the ticket's tags, in the same order as ``tags``.
    ticket_tags: list[Tag] = field(default_factory=list)


def _text(expr: Any) -> Cast:
    return Cast(expr, output_field=TextField())


def _row(
    qs: QuerySet[Any],
    kind: str,
    *,
    pk: Any = "pk",
    a: Any,
    b: Any = "",
    c: Any = "",
    d: Any = "",
    flag: Any = False,
    owner: Any = None,
    pos: Any = 0,
) -> QuerySet[Any]:
    def text(value: Any) -> Cast:
        return _text(Value(value) if isinstance(value, str) else value)

    rows: QuerySet[Any] = (
        qs.order_by()
        .annotate(
            p_kind=_text(Value(kind)),
            p_id=Cast(pk if pk is not None else Value(None), output_field=BigIntegerField()),
            p_a=text(a),
            p_b=text(b),
            p_c=text(c),
            p_d=text(d),
            p_flag=flag if not isinstance(flag, bool) else Value(flag, BooleanField()),
            p_owner=Cast(owner if owner is not None else Value(None), _owner_type()),
            p_pos=Cast(pos if not isinstance(pos, int) else Value(pos), IntegerField()),
        )
        .values_list(*_COLUMNS)
    )
    return rows


def _owner_type() -> BigIntegerField[Any, Any] | TextField[Any, Any]:
    """The type of the user id column: an integer, or the text of another key."""
    return BigIntegerField() if user_pk_is_integer() else TextField()


def _agents_part() -> QuerySet[Any]:
    user_model = get_user_model()
    names = {f.name for f in user_model._meta.concrete_fields}
    email_field = user_model.get_email_field_name()
    # The default agent rule is a set of EXISTS: one row per user, no DISTINCT (not
    # allowed in every database's compound SELECT).
    agents = user_model._default_manager.filter(agent_users_q())
    return _row(
        agents,
        "agents",
        # The id goes in the user id column: ``p_id`` holds integers only.
        pk=None,
        owner=F("pk"),
        a=F("first_name") if "first_name" in names else "",
        b=F("last_name") if "last_name" in names else "",
        c=F(user_model.USERNAME_FIELD),
        d=F(email_field) if email_field in names else "",
    )


def _tags_part(ticket: Ticket | None) -> QuerySet[Any]:
    flag: Any = False
    if ticket is not None:
        through = Ticket.tags.through
        flag = Exists(through.objects.filter(ticket_id=ticket.pk, tag_id=OuterRef("pk")))
    return _row(Tag.objects.all(), "tags", a=F("name"), b=F("slug"), c=F("color"), flag=flag)


def _host_agents() -> list[Any]:
    """Agents under a host's own rule (``AGENT_USERS``, else the default rule's users
    that ``AGENT_CHECK`` accepts), read on their own: their SQL is the host's. Only
    users :func:`~escalated.permissions.is_agent` accepts, whom an assignment takes."""
    users = agent_users()
    if not app_settings.AGENT_CHECK:
        # AGENT_USERS alone narrows the list; the default rule still says who is an agent.
        return list(users.filter(agent_users_q()))
    if app_settings.AGENT_USERS:
        # The host's list, as its AGENT_CHECK's: is_agent() refuses inactive users anyway.
        return [user for user in users if user.is_active]
    return [user for user in users if is_agent(user)]


def _union(wanted: frozenset[str], with_ticket: bool) -> QuerySet[Any]:
    parts: list[QuerySet[Any]] = []
    # The two values that vary between calls are placeholders: the union is compiled
    # once per combination of lists (see ``escalated.selectors._compiled``).
    own = Q(is_shared=True) | Q(created_by_id=user_param(0))
    if "agents" in wanted:
        parts.append(_agents_part())
    if "departments" in wanted:
        parts.append(
            _row(Department.objects.filter(is_active=True), "departments", a=F("name"), b=F("slug"))
        )
    if "tags" in wanted:
        parts.append(_tags_part(Ticket(pk=param(1)) if with_ticket else None))
    if "canned_responses" in wanted:
        parts.append(
            _row(
                CannedResponse.objects.filter(own),
                "canned_responses",
                a=F("title"),
                b=F("body"),
                c=F("category"),
                flag=F("is_shared"),
                owner=F("created_by_id"),
            )
        )
    if "macros" in wanted:
        parts.append(
            _row(
                Macro.objects.filter(own),
                "macros",
                a=F("name"),
                b=F("description"),
                flag=F("is_shared"),
                owner=F("created_by_id"),
                pos=F("position"),
            )
        )
    return parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]


def pickers_load(
    *, user: Any, kinds: Iterable[str] = KINDS, ticket: Ticket | None = None
) -> Pickers:
    """Load the option lists named in ``kinds`` (one query; none when ``kinds`` is empty).

    - ``agents``: active users of the default agent rule (see ``permissions``), or
      ``ESCALATED["AGENT_USERS"]()`` / the users ``AGENT_CHECK`` accepts (one more query);
    - ``departments``: active departments;
    - ``tags``: every tag (and ``ticket_tags`` when ``ticket`` is given);
    - ``canned_responses`` / ``macros``: shared ones and ``user``'s own.
    """
    wanted = frozenset(kinds) & KINDS
    using = router.db_for_read(Ticket)
    result = Pickers()
    if "agents" in wanted and (app_settings.AGENT_CHECK or app_settings.AGENT_USERS):
        result.agents = _host_agents()
        wanted -= {"agents"}
    if not wanted:
        _sort(result)
        return result
    rows = run(
        _union,
        [getattr(user, "pk", None), getattr(ticket, "pk", None)],
        (wanted, ticket is not None),
        using=using,
    )
    user_model = get_user_model()
    agent_columns, email_is_column = _agent_columns()
    # A UUID or text key comes back as text: its field reads it back.
    owner_of = None if user_pk_is_integer() else user_pk_field().to_python
    for kind, pk, a, b, c, d, flag, owner, pos in rows:
        if owner_of is not None and owner is not None:
            owner = owner_of(owner)
        # ``from_db`` (the other columns deferred) costs a fraction of ``Model(**kwargs)``:
        # building the 50 agents and 20 tags of a page that way took 1.5 ms.
        if kind == "agents":
            known = {
                "pk": owner,
                "first": a or "",
                "last": b or "",
                "username": c,
                "email": d or "",
            }
            agent = user_model.from_db(
                using,
                agent_columns,
                [known[role] for role in agent_columns.values()],
            )
            if not email_is_column:
                setattr(agent, user_model.get_email_field_name(), known["email"])
            result.agents.append(agent)
        elif kind == "departments":
            result.departments.append(_from_db(Department, using, {"id": pk, "name": a, "slug": b}))
        elif kind == "tags":
            tag = _from_db(Tag, using, {"id": pk, "name": a, "slug": b, "color": c})
            result.tags.append(tag)
            if flag:
                result.ticket_tags.append(tag)
        elif kind == "canned_responses":
            result.canned_responses.append(
                _from_db(
                    CannedResponse,
                    using,
                    {
                        "id": pk,
                        "title": a,
                        "body": b,
                        "category": c or "",
                        "is_shared": bool(flag),
                        "created_by_id": owner,
                    },
                )
            )
        elif kind == "macros":
            result.macros.append(
                _from_db(
                    Macro,
                    using,
                    {
                        "id": pk,
                        "name": a,
                        "description": b or "",
                        "is_shared": bool(flag),
                        "position": pos or 0,
                        "created_by_id": owner,
                    },
                )
            )
    _sort(result)
    return result


@functools.cache
def _field_order(model: type[Model]) -> tuple[str, ...]:
    return tuple(f.attname for f in model._meta.concrete_fields)


def _from_db(model: type[M], using: str, values: dict[str, Any]) -> M:
    """An instance with ``values`` (by attname) loaded and every other field deferred."""
    ordered = [values[name] for name in _field_order(model) if name in values]
    return model.from_db(using, values, ordered)


@functools.cache
def _agent_columns() -> tuple[dict[str, str], bool]:
    """The user model's columns an agent row fills (attname -> role), in field order;
    and whether the e-mail field is one of them."""
    user_model = get_user_model()
    pk = user_model._meta.pk
    assert pk is not None
    roles = {
        pk.attname: "pk",
        "first_name": "first",
        "last_name": "last",
        user_model.USERNAME_FIELD: "username",
        user_model.get_email_field_name(): "email",
    }
    columns = {
        f.attname: roles[f.attname] for f in user_model._meta.concrete_fields if f.attname in roles
    }
    return columns, user_model.get_email_field_name() in columns


def _sort(result: Pickers) -> None:
    result.agents.sort(key=lambda u: (user_display_name(u).lower(), u.pk))
    result.departments.sort(key=lambda d: (d.name.lower(), d.pk))
    result.tags.sort(key=lambda t: (t.name.lower(), t.pk))
    result.ticket_tags.sort(key=lambda t: (t.name.lower(), t.pk))
    result.canned_responses.sort(key=lambda r: (r.category.lower(), r.title.lower(), r.pk))
    result.macros.sort(key=lambda m: (m.position, m.name.lower(), m.pk))
