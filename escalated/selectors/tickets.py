"""Ticket reads shared by the web UI, the API and the commands.

Performance notes (PostgreSQL, 100k tickets): every list page is one statement for its
rows with a *capped* count as a scalar subquery (see :func:`paginate` and
:func:`_list_page`) using the indexes of ``Ticket.Meta``, plus one for the page's tags
and attachments; related rows are joined or loaded together, never one query per row;
search uses the GIN index of migration ``0002`` through the very expression it indexes.
The pages' display queries are compiled once per shape and read back with
``Model.from_db`` (:mod:`escalated.selectors._compiled`): at this size the ORM's Python
(compiling, ``select_related``/``prefetch_related``) cost more than PostgreSQL did.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Final, TypeVar

from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Case,
    CharField,
    DateTimeField,
    ExpressionWrapper,
    F,
    IntegerField,
    Model,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import OrderBy, RawSQL
from django.db.models.functions import Coalesce, Concat, NullIf, Trim
from django.utils import timezone

from escalated.conf import table_name
from escalated.exceptions import NotFound
from escalated.models import (
    OPEN_STATUSES,
    Attachment,
    Contact,
    Department,
    Priority,
    Reply,
    SatisfactionRating,
    SlaPolicy,
    Status,
    Tag,
    Ticket,
    TicketActivity,
)
from escalated.models.choices import PRIORITY_RANK
from escalated.models.tickets import (
    TicketQuerySet,
    next_due_expression,
    sla_at_risk_q,
    sla_breached_q,
)
from escalated.permissions import ticket_visibility_q
from escalated.selectors._compiled import Columns, Layout, param, run, text_param, user_param
from escalated.user_ids import parse_user_id, user_id_json

M = TypeVar("M", bound=Model)

#: Page size of ticket lists, and the largest a caller may ask for.
DEFAULT_PER_PAGE: Final = 25
MAX_PER_PAGE: Final = 100

#: Lists count matching rows up to this many, then report "at least COUNT_CAP".
#: An exact COUNT(*) over 100k rows costs more than the whole page budget (15 ms);
#: counting at most COUNT_CAP + 1 index entries costs well under a millisecond, and no
#: one pages through more than 400 pages of 25. The UI shows "1,000+".
COUNT_CAP: Final = 1000

#: Sort keys of the agent list -> ORDER BY. ``due`` is the next running SLA deadline.
SORTS: Final = (
    "-created_at",
    "created_at",
    "-updated_at",
    "updated_at",
    "-priority",
    "priority",
    "due",
)
DEFAULT_SORT: Final = "-created_at"

_MAX_ID: Final = 2**63 - 1


# --------------------------------------------------------------------------- loading


def user_fields(prefix: str = "") -> list[str]:
    """The user columns the props read (pk, username, e-mail, names), for ``only()``."""
    model = get_user_model()
    names = {f.name for f in model._meta.concrete_fields}
    fields = [model._meta.pk.name, model.USERNAME_FIELD, model.get_email_field_name()]
    fields += ["first_name", "last_name"]
    return [f"{prefix}{name}" for name in dict.fromkeys(fields) if name in names]


#: Ticket columns the props read: everything but the SLA sweep's bookkeeping
#: (warning moments and markers), ``escalated_at``, ``reopened_count`` and the guest
#: token. Display queries load only these; writes load whole rows.
TICKET_DISPLAY_FIELDS: Final = (
    "id",
    "reference",
    "subject",
    "description",
    "status",
    "priority",
    "channel",
    "metadata",
    "first_response_at",
    "first_response_due_at",
    "resolution_due_at",
    "first_response_breached_at",
    "resolution_breached_at",
    "sla_paused_at",
    "resolved_at",
    "closed_at",
    "created_at",
    "updated_at",
    "last_reply_at",
    "requester",
    "requester__email",
    "requester__name",
    "requester__user",
    "assignee",
    "department",
    "department__name",
    "department__slug",
    "sla_policy",
    "sla_policy__name",
    "sla_policy__is_default",
)
_RELATED: Final = ("requester", "assignee", "department", "sla_policy")


def _author_name() -> Coalesce:
    """ORM form of a reply author's name: user full name, username, contact."""
    user_model = get_user_model()
    names = {f.name for f in user_model._meta.concrete_fields}
    parts: list[Any] = []
    if {"first_name", "last_name"} <= names:
        parts.append(
            NullIf(Trim(Concat("author__first_name", Value(" "), "author__last_name")), Value(""))
        )
    parts += [
        F(f"author__{user_model.USERNAME_FIELD}"),
        NullIf("contact__name", Value("")),
        F("contact__email"),
    ]
    return Coalesce(*parts, output_field=CharField())


@functools.cache
def _last_reply_author_sql(
    vendor: str, tickets: str, replies: str, contacts: str, users: str, user_cols: tuple[str, ...]
) -> str:
    pk, username, first, last = user_cols
    full_name = f"NULLIF(TRIM(u.{first} || ' ' || u.{last}), ''), " if first and last else ""
    return (
        f"SELECT COALESCE({full_name}u.{username}, NULLIF(c.name, ''), c.email) "
        f"FROM {replies} r "
        f"LEFT JOIN {users} u ON u.{pk} = r.author_id "
        f"LEFT JOIN {contacts} c ON c.id = r.contact_id "
        f"WHERE r.ticket_id = {tickets}.id AND NOT r.is_internal "
        "ORDER BY r.created_at DESC, r.id DESC LIMIT 1"
    )


def last_reply_author_subquery(using: str = DEFAULT_DB_ALIAS) -> Subquery | RawSQL:
    """Name of the author of a ticket's last public reply, as a ticket annotation.

    On PostgreSQL and SQLite it is hand-written SQL, cached: building the same
    subquery through the ORM costs several milliseconds of Python per list page
    (joins, ``Coalesce``/``Concat`` compilation) for SQL that never changes. It
    reads the index on ``(ticket, created_at)`` and runs for the page's rows only.
    """
    connection = connections[using]
    if connection.vendor not in ("postgresql", "sqlite"):
        replies = (
            Reply.objects.filter(ticket=OuterRef("pk"), is_internal=False)
            .order_by("-created_at", "-id")
            .annotate(author_name=_author_name())
            .values("author_name")[:1]
        )
        return Subquery(replies, output_field=CharField())
    q = connection.ops.quote_name
    user_model = get_user_model()
    opts = user_model._meta
    names = {f.name: str(f.column) for f in opts.concrete_fields}
    user_cols = (
        q(str(opts.pk.column)),
        q(names[user_model.USERNAME_FIELD]),
        q(names["first_name"]) if "first_name" in names and "last_name" in names else "",
        q(names["last_name"]) if "first_name" in names and "last_name" in names else "",
    )
    sql = _last_reply_author_sql(
        connection.vendor,
        q(Ticket._meta.db_table),
        q(Reply._meta.db_table),
        q(Contact._meta.db_table),
        q(opts.db_table),
        user_cols,
    )
    return RawSQL(sql, (), output_field=CharField())


def with_ticket_props(
    qs: QuerySet[Ticket], *, tags: bool = True, attachments: bool = True
) -> QuerySet[Ticket]:
    """Everything :func:`escalated.props.ticket_props` reads, in a fixed number of queries.

    One query for the tickets (with requester, assignee, department, SLA policy and the
    last public reply's author), one for their tags and one for their ticket-level
    attachments, whatever the number of tickets. Only the columns the props read are
    loaded: these tickets are for display, not for passing to a service. Pass
    ``tags=False`` / ``attachments=False`` when the caller loads those itself.
    """
    qs = (
        qs.select_related(*_RELATED)
        .only(*TICKET_DISPLAY_FIELDS, *user_fields("assignee__"))
        .annotate(last_reply_author_name=last_reply_author_subquery(qs.db))
    )
    lookups: list[Any] = (
        [Prefetch("tags", queryset=Tag.objects.only("id", "name", "slug", "color"))] if tags else []
    )
    if attachments:
        lookups.append(
            Prefetch(
                "attachments",
                queryset=Attachment.objects.filter(reply__isnull=True).only(*_ATTACHMENT_FIELDS),
                to_attr="ticket_attachments",
            )
        )
    return qs.prefetch_related(*lookups) if lookups else qs


_ATTACHMENT_FIELDS: Final = (
    "id",
    "ticket",
    "reply",
    "original_name",
    "content_type",
    "size_bytes",
    "created_at",
)


def visible_tickets(user: Any) -> TicketQuerySet:
    """The tickets ``user`` may see (:func:`escalated.permissions.ticket_visibility_q`)."""
    rule = ticket_visibility_q(user)
    return Ticket.objects.all() if rule is None else Ticket.objects.filter(rule)


# --------------------------------------------------------------------------- display loaders
#
# The pages' display queries run as SQL compiled once per shape (see
# ``escalated.selectors._compiled``): compiling the ticket query with its four joins
# and the last-reply annotation cost more than running it, and so did the ORM's
# select_related/prefetch machinery. Rows are turned into model instances with
# ``Model.from_db`` (the columns not loaded are deferred, as with ``only()``), with the
# related objects in the same caches ``select_related`` fills, so the prop builders
# and any later attribute access behave exactly as before.


@functools.cache
def _ticket_layout(rating: bool) -> tuple[Layout, dict[str, Columns]]:
    user_model = get_user_model()
    parts = {
        "ticket": Columns(Ticket, [f for f in TICKET_DISPLAY_FIELDS if "__" not in f]),
        "requester": Columns(Contact, ["id", "email", "name", "user"], prefix="requester__"),
        "assignee": Columns(user_model, user_fields(), prefix="assignee__"),
        "department": Columns(Department, ["id", "name", "slug"], prefix="department__"),
        "sla_policy": Columns(SlaPolicy, ["id", "name", "is_default"], prefix="sla_policy__"),
    }
    if rating:
        parts["rating"] = Columns(
            SatisfactionRating,
            ["id", "ticket", "rating", "comment", "created_at"],
            prefix="rating__",
        )
    return Layout(*parts.values(), "last_reply_author_name"), parts


def _display_query(using: str, match: str, n: int, rating: bool) -> QuerySet[Any]:
    """Display rows of the tickets ``match`` finds: ``ids`` (``n`` placeholders), one by
    ``pk``, ``reference`` or ``guest`` token; ``pk_requester``/``reference_requester``
    only if the user of placeholder 1 requested it. ``rating`` joins the CSAT rating."""
    layout, _parts = _ticket_layout(rating)
    qs = Ticket.objects.using(using)
    if match == "ids":
        qs = qs.filter(pk__in=[param(i) for i in range(n)])
    elif match.startswith("pk"):
        qs = qs.filter(pk=param(0))
    elif match.startswith("reference"):
        qs = qs.filter(reference=text_param(0))
    else:
        qs = qs.filter(guest_token=text_param(0))
    if match.endswith("_requester"):
        qs = qs.filter(requester__user=user_param(1))
    return (
        qs.order_by()
        .annotate(last_reply_author_name=last_reply_author_subquery(using))
        .values_list(*layout.lookups)
    )


def _tickets_from_rows(rows: list[tuple[Any, ...]], using: str, rating: bool) -> list[Ticket]:
    layout, parts = _ticket_layout(rating)
    related: list[tuple[Any, Columns, dict[Any, Any]]] = [
        (Ticket._meta.get_field(name), parts[name], {})
        for name in ("requester", "assignee", "department", "sla_policy")
    ]
    rating_field: Any = Ticket._meta.get_field("rating") if rating else None
    author_at = layout.extra["last_reply_author_name"]
    tickets = []
    for row in rows:
        ticket: Ticket = parts["ticket"].instance(row, using)
        for field_, columns, seen in related:
            pk = row[columns.start + columns.pk_offset]
            obj = seen.get(pk) if pk is not None else None
            if obj is None and pk is not None:
                obj = seen[pk] = columns.instance(row, using)
            field_.set_cached_value(ticket, obj)
        if rating_field is not None:
            rating_field.set_cached_value(ticket, parts["rating"].instance(row, using))
        ticket.last_reply_author_name = row[author_at]  # type: ignore[attr-defined]
        tickets.append(ticket)
    return tickets


#: Columns of the "extras" of a page of tickets: their tags and ticket-level
#: attachments, as uniform rows of one ``UNION ALL`` (one round trip for both).
_EXTRAS: Final = ("x_kind", "x_ticket", "x_id", "x_a", "x_b", "x_c", "x_size", "x_at", "x_sort")


def _literal(sql: str, output_field: Any) -> RawSQL:
    """A constant written into the SQL, not sent as a parameter: psycopg caches how it
    parses a statement only up to 50 parameters, and a page's 2 x 25 ids use them up."""
    return RawSQL(sql, (), output_field=output_field)


def _extras_query(n: int, tags: bool, attachments: bool) -> QuerySet[Any]:
    ids = [param(i) for i in range(n)]
    text = CharField()
    parts: list[QuerySet[Any]] = []
    if tags:
        parts.append(
            Ticket.tags.through._default_manager.filter(ticket_id__in=ids)
            .order_by()
            .annotate(
                x_kind=_literal("'tag'", text),
                x_ticket=F("ticket_id"),
                x_id=F("tag_id"),
                x_a=F("tag__name"),
                x_b=F("tag__slug"),
                x_c=F("tag__color"),
                x_size=_literal("NULL", BigIntegerField()),
                x_at=_literal("NULL", DateTimeField()),
                x_sort=F("tag__name"),
            )
            .values_list(*_EXTRAS)
        )
    if attachments:
        parts.append(
            Attachment.objects.filter(ticket_id__in=ids, reply__isnull=True)
            .order_by()
            .annotate(
                x_kind=_literal("'file'", text),
                x_ticket=F("ticket_id"),
                x_id=F("id"),
                x_a=F("original_name"),
                x_b=F("content_type"),
                x_c=_literal("''", text),
                x_size=F("size_bytes"),
                x_at=F("created_at"),
                x_sort=_literal("''", text),
            )
            .values_list(*_EXTRAS)
        )
    # Tags by name (``Tag.Meta.ordering``), attachments by (created_at, id).
    return parts[0].union(*parts[1:], all=True).order_by("x_kind", "x_at", "x_sort", "x_id")


_TAG_FIELDS: Final = frozenset({"id", "name", "slug", "color"})
_OWN_ATTACHMENT_FIELDS: Final = frozenset(
    {"id", "ticket_id", "reply_id", "original_name", "content_type", "size_bytes", "created_at"}
)


def _attach_extras(tickets: list[Ticket], using: str, *, tags: bool, attachments: bool) -> None:
    """Set ``ticket_tags`` and/or ``ticket_attachments`` on ``tickets`` (one query)."""
    if not (tickets and (tags or attachments)):
        return
    ids = [t.pk for t in tickets]
    tag_lists: dict[int, list[Tag]] = {pk: [] for pk in ids}
    file_lists: dict[int, list[Attachment]] = {pk: [] for pk in ids}
    seen: dict[int, Tag] = {}
    rows = run(_extras_query, ids, (len(ids), tags, attachments), using=using)
    for kind, ticket_id, pk, a, b, c, size, at, _sort in rows:
        if kind == "tag":
            tag = seen.get(pk)
            if tag is None:
                tag = seen[pk] = Tag.from_db(using, _TAG_FIELDS, [pk, a, b, c])
            tag_lists[ticket_id].append(tag)
        else:
            file_lists[ticket_id].append(
                Attachment.from_db(
                    using,
                    _OWN_ATTACHMENT_FIELDS,
                    [pk, ticket_id, None, a, b, size, at],
                )
            )
    for ticket in tickets:
        if tags:
            ticket.ticket_tags = tag_lists[ticket.pk]  # type: ignore[attr-defined]
        if attachments:
            ticket.ticket_attachments = file_lists[ticket.pk]  # type: ignore[attr-defined]


def ticket_display_list(
    ids: list[int], *, using: str = DEFAULT_DB_ALIAS, tags: bool = True, attachments: bool = True
) -> list[Ticket]:
    """The tickets ``ids`` for display, in that order (missing ones are skipped).

    What :func:`escalated.props.ticket_props` reads, in two queries whatever the
    number of tickets: the rows (requester, assignee, department, SLA policy and the
    last public reply's author joined in), then their tags (``ticket.ticket_tags``)
    and ticket-level attachments (``ticket.ticket_attachments``) together; pass
    ``tags=False`` / ``attachments=False`` to skip those. For display only: the
    instances hold the displayed columns (the others load on access).
    """
    if not ids:
        return []
    ids = list(dict.fromkeys(ids))
    rows = run(_display_query, ids, (using, "ids", len(ids), False), using=using)
    found = {t.pk: t for t in _tickets_from_rows(rows, using, rating=False)}
    tickets = [found[pk] for pk in ids if pk in found]
    _attach_extras(tickets, using, tags=tags, attachments=attachments)
    return tickets


def _key_match(key: str | int) -> tuple[str, Any] | None:
    """How :meth:`TicketQuerySet.by_key` reads ``key``: ``("pk", id)`` for digits,
    ``("reference", key)`` otherwise; ``None`` for an id no row can have."""
    if isinstance(key, int) or (isinstance(key, str) and key.isascii() and key.isdigit()):
        number = int(key)
        return ("pk", number) if 0 <= number <= _MAX_ID else None
    return ("reference", str(key))


def _display_one(match: str, values: list[Any], *, using: str, tags: bool) -> Ticket | None:
    rows = run(_display_query, values, (using, match, 1, True), using=using)
    if not rows:
        return None
    ticket = _tickets_from_rows(rows[:1], using, rating=True)[0]
    _attach_extras([ticket], using, tags=tags, attachments=False)
    return ticket


def ticket_get_for_user(
    *, key: str, user: Any, tags: bool = True, using: str = DEFAULT_DB_ALIAS
) -> Ticket:
    """The ticket ``key`` (id or reference) if ``user`` may see it, for display.

    Lists and detail pages share the visibility rule, so a link opens exactly what a
    list shows; an invisible ticket and a missing one are the same ``NotFound``. The
    CSAT rating and (unless ``tags=False``) the tags come along; attachments are left
    to :func:`ticket_thread`.
    """
    rule = ticket_visibility_q(user)
    key_match = _key_match(key)
    ticket = None
    if key_match is not None:
        if rule is None:  # sees every ticket: one query
            ticket = _display_one(key_match[0], [key_match[1]], using=using, tags=tags)
        else:
            pk = visible_tickets(user).using(using).by_key(key).values_list("pk", flat=True).first()
            if pk is not None:
                ticket = _display_one("pk", [pk], using=using, tags=tags)
    if ticket is None:
        raise NotFound("Ticket not found.")
    return ticket


def ticket_get_visible(*, key: str, user: Any) -> Ticket:
    """The whole ticket row ``key`` if ``user`` may see it, to hand to a service."""
    ticket: Ticket | None = visible_tickets(user).by_key(key).select_related(*_RELATED).first()
    if ticket is None:
        raise NotFound("Ticket not found.")
    return ticket


def ticket_get_for_requester(
    *, key: str, user: Any, display: bool = True, using: str = DEFAULT_DB_ALIAS
) -> Ticket | None:
    """The ticket ``key`` if ``user`` requested it (the customer portal's rule).

    ``display=False`` loads the whole row, to hand to a service.
    """
    if not getattr(user, "is_authenticated", False):
        return None
    if not display:
        qs = Ticket.objects.by_key(key).filter(requester__user=user)
        return qs.select_related(*_RELATED).first()
    key_match = _key_match(key)
    if key_match is None:
        return None
    match, value = key_match
    return _display_one(f"{match}_requester", [value, user.pk], using=using, tags=True)


def ticket_get_by_guest_token(
    token: str, *, display: bool = True, using: str = DEFAULT_DB_ALIAS
) -> Ticket | None:
    """The ticket behind a guest's secret link (``display=False``: the whole row)."""
    if not token or len(token) > 64:
        return None
    if not display:
        return Ticket.objects.filter(guest_token=token).select_related(*_RELATED).first()
    return _display_one("guest", [token], using=using, tags=True)


@dataclass(frozen=True, slots=True)
class TicketThread:
    """A ticket's conversation: replies (oldest first), attachments, timeline."""

    replies: list[Reply]
    ticket_attachments: list[Attachment]
    reply_attachments: dict[int, list[Attachment]]
    activities: list[TicketActivity] = field(default_factory=list)


@functools.cache
def _thread_layouts() -> dict[str, tuple[Layout, Columns, Columns | None]]:
    reply = Columns(
        Reply,
        [
            "id",
            "ticket",
            "author",
            "author_type",
            "body",
            "is_internal",
            "is_pinned",
            "created_at",
            "updated_at",
        ],
    )
    author = Columns(get_user_model(), user_fields(), prefix="author__")
    activity = Columns(TicketActivity, ["id", "ticket", "actor", "type", "data", "created_at"])
    actor = Columns(get_user_model(), user_fields(), prefix="actor__")
    attachment = Columns(Attachment, _ATTACHMENT_FIELDS)
    return {
        "replies": (Layout(reply, author), reply, author),
        "activities": (Layout(activity, actor), activity, actor),
        "attachments": (Layout(attachment), attachment, None),
    }


def _thread_query(kind: str, public_only: bool, limit: int) -> QuerySet[Any]:
    layout = _thread_layouts()[kind][0]
    ticket_id = param(0)
    qs: QuerySet[Any]
    if kind == "replies":
        qs = Reply.objects.filter(ticket_id=ticket_id).order_by("created_at", "id")
        if public_only:
            qs = qs.filter(is_internal=False)
    elif kind == "attachments":
        qs = Attachment.objects.filter(ticket_id=ticket_id).order_by("created_at", "id")
        if public_only:
            qs = qs.filter(Q(reply__isnull=True) | Q(reply__is_internal=False))
    else:
        qs = TicketActivity.objects.filter(ticket_id=ticket_id).order_by("-created_at", "-id")
    qs = qs.values_list(*layout.lookups)
    return qs[:limit] if limit else qs


def _thread_rows(
    kind: str, ticket_id: int, *, public_only: bool = False, limit: int = 0, using: str
) -> list[Any]:
    """Instances of ``kind`` for one ticket, with their author/actor (``select_related``'s
    cache filled; one user instance per user)."""
    _layout, columns, user_columns = _thread_layouts()[kind]
    rows = run(_thread_query, [ticket_id], (kind, public_only, limit), using=using)
    users: dict[Any, Any] = {}
    user_field = None
    if user_columns is not None:
        user_field = columns.model._meta.get_field("author" if kind == "replies" else "actor")
    result = []
    for row in rows:
        obj = columns.instance(row, using)
        if user_field is not None and user_columns is not None:
            pk = row[user_columns.start + user_columns.pk_offset]
            user = users.get(pk) if pk is not None else None
            if user is None and pk is not None:
                user = users[pk] = user_columns.instance(row, using)
            user_field.set_cached_value(obj, user)  # type: ignore[union-attr]
        result.append(obj)
    return result


def ticket_thread(
    ticket: Ticket,
    *,
    include_internal: bool,
    activities: bool = False,
    activities_limit: int = 200,
) -> TicketThread:
    """Replies, attachments and (optionally) the activity timeline of one ticket.

    Three queries at most, whatever the number of replies. Without
    ``include_internal`` internal notes and their attachments are left out (customers,
    guests). The timeline keeps the newest ``activities_limit`` entries.
    """
    using = ticket._state.db or DEFAULT_DB_ALIAS
    public_only = not include_internal
    by_reply: dict[int, list[Attachment]] = defaultdict(list)
    own: list[Attachment] = []
    for attachment in _thread_rows("attachments", ticket.pk, public_only=public_only, using=using):
        if attachment.reply_id is None:
            own.append(attachment)
        else:
            by_reply[attachment.reply_id].append(attachment)
    timeline: list[TicketActivity] = []
    if activities:
        newest = _thread_rows("activities", ticket.pk, limit=activities_limit, using=using)
        timeline = newest[::-1]
    return TicketThread(
        replies=_thread_rows("replies", ticket.pk, public_only=public_only, using=using),
        ticket_attachments=own,
        reply_attachments=dict(by_reply),
        activities=timeline,
    )


# --------------------------------------------------------------------------- pagination


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a list, with a count that is exact up to ``COUNT_CAP``."""

    items: list[Any]
    total: int
    total_is_exact: bool
    per_page: int
    current_page: int

    @property
    def last_page(self) -> int:
        return max(1, -(-self.total // self.per_page))


def capped_count(qs: QuerySet[Any], cap: int = COUNT_CAP, *, few: bool = False) -> tuple[int, bool]:
    """``(count, exact)``: counts at most ``cap + 1`` rows; beyond ``cap`` it says so.

    ``few``: ``qs`` selects few rows through an index of its own and is ordered by an
    expression no index gives (see :func:`_ordering`); the count keeps that order, which
    makes PostgreSQL fetch the matches from their index. Unordered, the ``LIMIT`` lets
    it start a sequential scan that expects to stop early, and with the skewed
    estimates of "at risk" (warning moments long past on closed tickets) reads the
    whole table instead: 50 ms against 5 ms at 100,000 tickets.
    """
    counted = _count_rows(qs, few=few)[: cap + 1].count()
    return (cap, False) if counted > cap else (counted, True)


def _count_rows(qs: QuerySet[Any], *, few: bool) -> QuerySet[Any]:
    return (qs if few else qs.order_by()).values("pk")


def paginate(
    qs: QuerySet[M],
    *,
    page: int,
    per_page: int = DEFAULT_PER_PAGE,
    cap: int = COUNT_CAP,
    prepare: Callable[[QuerySet[M]], QuerySet[M]] | None = None,
    load: Callable[[list[Any]], list[Any]] | None = None,
    few: bool = False,
) -> Page:
    """Slice ``qs`` for ``page`` (1-based; a page past the end shows the last page).

    Queries: the capped count of the bare ``qs``, then the page of ``prepare(qs)``
    (joins, annotations and prefetches only for the rows shown) — the count never
    pays for them. With ``load`` the page query selects only the primary keys, with
    the capped count as a scalar subquery of the same statement (one round trip; a
    page past the end costs a second one), and ``load(pks)`` returns the items in that
    order. Beyond the cap, ``total`` is ``cap`` and ``total_is_exact`` false. ``few``:
    as for :func:`capped_count`.
    """
    if load is not None:
        return _paginate_ids(qs, page=page, per_page=per_page, cap=cap, load=load, few=few)
    total, exact = capped_count(qs, cap, few=few)
    last = max(1, -(-total // per_page))
    current = min(max(1, page), last)
    offset = (current - 1) * per_page
    shown = prepare(qs) if prepare is not None else qs
    items = list(shown[offset : offset + per_page]) if total else []
    return Page(
        items=items, total=total, total_is_exact=exact, per_page=per_page, current_page=current
    )


def _capped_count_sql(qs: QuerySet[Any], cap: int, *, few: bool = False) -> RawSQL:
    """:func:`capped_count` as a scalar subquery."""
    counted = _count_rows(qs, few=few)[: cap + 1]
    inner, params = counted.query.get_compiler(qs.db).as_sql()
    return RawSQL(
        f"SELECT COUNT(*) FROM ({inner}) esc_counted", params, output_field=IntegerField()
    )


def _first_guess(page: int, per_page: int, cap: int) -> int:
    """``page``, but no further than the last page a capped count can give (a list
    longer than the cap ends there too)."""
    return min(max(1, page), max(1, -(-cap // per_page)))


def _paginate_ids(
    qs: QuerySet[Any],
    *,
    page: int,
    per_page: int,
    cap: int,
    load: Callable[[list[Any]], list[Any]],
    few: bool = False,
) -> Page:
    current = _first_guess(page, per_page, cap)
    offset = (current - 1) * per_page
    total_sql = _capped_count_sql(qs, cap, few=few)
    rows = list(
        qs.annotate(esc_total=total_sql).values_list("pk", "esc_total")[offset : offset + per_page]
    )
    if rows:
        counted = rows[0][1]
    elif current == 1:
        counted = 0
    else:  # past the end: show the last page
        total, _exact = capped_count(qs, cap, few=few)
        last = max(1, -(-total // per_page))
        return _paginate_ids(
            qs, page=min(last, current - 1), per_page=per_page, cap=cap, load=load, few=few
        )
    total, exact = (cap, False) if counted > cap else (counted, True)
    return Page(
        items=load([row[0] for row in rows]),
        total=total,
        total_is_exact=exact,
        per_page=per_page,
        current_page=current,
    )


def _display(using: str) -> Callable[[list[Any]], list[Ticket]]:
    return lambda ids: ticket_display_list(ids, using=using)


# --------------------------------------------------------------------------- filters


def positive_int(value: Any) -> int | None:
    """A positive integer from a query value, or ``None`` (never raises)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value <= _MAX_ID else None
    text = str(value or "").strip()
    # ASCII only: "²".isdigit() is true, yet int("²") raises.
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        return None
    number = int(text)
    return number if 0 < number <= _MAX_ID else None


def _truthy(value: Any) -> bool:
    return str(value or "").strip().lower() in {"1", "true", "yes", "on"}


#: Values of the list's ``sla`` filter.
SLA_FILTERS: Final = ("breached", "at_risk")


def _sla_filter(value: Any, *, legacy_breached: Any) -> str:
    """``sla=breached|at_risk``; the older ``sla_breached=1`` still means ``breached``."""
    text = str(value or "").strip()
    if text in SLA_FILTERS:
        return text
    return "breached" if _truthy(legacy_breached) else ""


@dataclass(frozen=True, slots=True)
class TicketFilters:
    """The agent list's state, parsed from (and echoed back to) the query string.

    Unknown or malformed values mean "any": a hand-edited URL never errors.
    """

    search: str = ""
    status: str = ""
    priority: str = ""
    assignee: Any = ""  # "", "me", "unassigned" or a user id (of the user model's key)
    department: int | str = ""
    tag: int | str = ""
    sla: str = ""  # "", "breached" or "at_risk" (open tickets only)
    sort: str = DEFAULT_SORT
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    def as_props(self) -> dict[str, Any]:
        """The normalised filters for the page (``per_page`` only when not the default)."""
        data = asdict(self)
        if self.assignee not in ("", "me", "unassigned"):
            data["assignee"] = user_id_json(self.assignee)
        if self.per_page == DEFAULT_PER_PAGE:
            data.pop("per_page")
        return data

    def with_page(self, page: int) -> TicketFilters:
        return replace(self, page=page)


def ticket_filters_from_query(query: Mapping[str, Any]) -> TicketFilters:
    """Parse ``request.GET`` into :class:`TicketFilters` (see its docstring)."""
    get = query.get
    search = str(get("search") or get("q") or "").strip()[:200]
    status = str(get("status") or "")
    priority = str(get("priority") or "")
    assignee_raw = str(get("assignee") or "").strip()
    assignee: Any = (
        assignee_raw if assignee_raw in ("me", "unassigned") else parse_user_id(assignee_raw)
    )
    if assignee is None:
        assignee = ""
    sort = str(get("sort") or "")
    per_page = positive_int(get("per_page")) or DEFAULT_PER_PAGE
    return TicketFilters(
        search=search,
        status=status if status in Status.values else "",
        priority=priority if priority in Priority.values else "",
        assignee=assignee,
        department=positive_int(get("department")) or "",
        tag=positive_int(get("tag")) or "",
        sla=_sla_filter(get("sla"), legacy_breached=get("sla_breached")),
        sort=sort if sort in SORTS else DEFAULT_SORT,
        page=positive_int(get("page")) or 1,
        per_page=min(per_page, MAX_PER_PAGE),
    )


#: The expression migration 0002 indexes (GIN); queries must repeat it verbatim.
FTS_DOCUMENT: Final = "coalesce({t}.subject, '') || ' ' || coalesce({t}.description, '')"
_REFERENCE_LIKE = re.compile(r"^[A-Za-z][A-Za-z0-9]*-\d+$")


def ticket_search_q(text: str, *, using: str = "default") -> Q:
    """Tickets matching a search box entry.

    PostgreSQL: full-text search (``websearch_to_tsquery('simple', …)`` against the
    indexed ``to_tsvector`` of subject and description: quotes, ``or`` and ``-word``
    work), or the exact reference (``ESC-00042``), or id (``42``), or requester e-mail.
    Other databases: case-insensitive substring match on subject and description.
    """
    text = text.strip()
    if not text:
        return Q()
    exact = Q(reference__in={text, text.upper()})
    number = positive_int(text.lstrip("#"))
    if number is not None:
        exact |= Q(pk=number)
    if "@" in text:
        # Resolve the contact first: "requester_id IN (…)" keeps the OR on indexes of
        # the tickets table (a join to contacts inside the OR would scan every ticket).
        contact_ids = list(
            Contact.objects.using(using).filter(email=text.lower()).values_list("pk", flat=True)
        )
        if contact_ids:
            exact |= Q(requester_id__in=contact_ids)
    connection = connections[using]
    if connection.vendor == "postgresql":
        tickets = connection.ops.quote_name(table_name("tickets"))
        document = FTS_DOCUMENT.format(t=tickets)
        match = RawSQL(
            f"to_tsvector('simple', {document}) @@ websearch_to_tsquery('simple', %s)",
            (text,),
            output_field=BooleanField(),
        )
        return Q(match) | exact
    if _REFERENCE_LIKE.match(text):
        exact |= Q(reference__iexact=text)
    return Q(subject__icontains=text) | Q(description__icontains=text) | exact


def _breached_q() -> Q:
    return sla_breached_q()


def _priority_rank() -> Case:
    return Case(
        *(When(priority=p, then=Value(rank)) for p, rank in PRIORITY_RANK.items()),
        default=Value(-1),
        output_field=IntegerField(),
    )


def _next_due() -> Any:
    """The next running SLA deadline (``NULL`` when none runs): see the model's index."""
    return next_due_expression()


def _ordering(sort: str, *, few: bool = False) -> list[Any]:
    """ORDER BY for ``sort``; newest first breaks ties.

    ``few``: the filters select few tickets through an index of their own (a full-text
    search on PostgreSQL, "at risk"). Then a column is ordered through an expression on
    purpose: ordering by ``created_at`` itself (or by the indexed "due" expression) lets
    the planner walk that index and test row after row until a page is full (~60 ms
    for a common word at 100k tickets); an expression makes it fetch the matches from
    their own index and sort them (cost grows with the matches: 3 ms for a rare word,
    13 ms for one in 3% of tickets).
    """
    if sort == "-priority":
        return [OrderBy(_priority_rank(), descending=True), "-created_at", "-id"]
    if sort == "priority":
        return [OrderBy(_priority_rank()), "-created_at", "-id"]
    if sort == "due":
        due = _next_due()
        if few:
            due = ExpressionWrapper(due + Value(timedelta(0)), output_field=DateTimeField())
        return [OrderBy(due, nulls_last=True), "-created_at", "-id"]
    descending = sort.startswith("-")
    tie = "-id" if descending else "id"
    if few:
        column = ExpressionWrapper(
            F(sort.lstrip("-")) + Value(timedelta(0)), output_field=DateTimeField()
        )
        return [OrderBy(column, descending=descending), tie]
    return [sort, tie]


class _Values:
    """Filter values handed out in a fixed order: the values themselves, or (for a
    compiled statement) placeholders standing for them."""

    def __init__(self, values: list[Any] | None = None) -> None:
        self.values = values
        self.used = 0

    def take(self, text: bool = False, *, user: bool = False) -> Any:
        """The next value; its placeholder is text, a user id's (``user``: the type
        of the user model's key) or an integer."""
        index, self.used = self.used, self.used + 1
        if self.values is not None:
            return self.values[index]
        if user:
            return user_param(index)
        return text_param(index) if text else param(index)


def _agent_filter_values(filters: TicketFilters, user: Any) -> list[Any]:
    """The values :func:`_filter_for_agent` takes, in its order."""
    values: list[Any] = []
    if filters.status:
        values.append(filters.status)
    if filters.priority:
        values.append(filters.priority)
    if filters.assignee == "me":
        values.append(user.pk)
    elif filters.assignee and filters.assignee != "unassigned":
        values.append(filters.assignee)  # parsed by ticket_filters_from_query
    if filters.department:
        values.append(int(filters.department))
    if filters.tag:
        values.append(int(filters.tag))
    if filters.sla == "at_risk":
        values.append(timezone.now())
    return values


def _filter_for_agent(qs: QuerySet[Any], filters: TicketFilters, values: _Values) -> Any:
    """The list's filters but search (``filters`` says which apply, ``values`` to what)."""
    if filters.status:
        qs = qs.filter(status=values.take(text=True))
    if filters.priority:
        qs = qs.filter(priority=values.take(text=True))
    if filters.assignee == "unassigned":
        qs = qs.filter(assignee__isnull=True)
    elif filters.assignee:
        qs = qs.filter(assignee_id=values.take(user=True))
    if filters.department:
        qs = qs.filter(department_id=values.take())
    if filters.tag:
        qs = qs.filter(tags__id=values.take())
    if filters.sla == "breached":
        qs = qs.filter(_breached_q(), status__in=OPEN_STATUSES)
    elif filters.sla == "at_risk":
        qs = qs.filter(_at_risk_q(values.take()))
    return qs


def ticket_list_for_agent(*, user: Any, filters: TicketFilters, using: str = "default") -> Any:
    """The agent list's queryset (not yet sliced): filters, search and sort applied."""
    qs = visible_tickets(user).using(using)
    if filters.search:
        qs = qs.filter(ticket_search_q(filters.search, using=using))
    qs = _filter_for_agent(qs, filters, _Values(_agent_filter_values(filters, user)))
    return qs.order_by(*_ordering(filters.sort, few=_lists_few(filters, using)))


def _lists_few(filters: TicketFilters, using: str) -> bool:
    """Whether the list's filters select few tickets through an index of their own: a
    full-text search on PostgreSQL, or "at risk" (see :func:`_ordering`)."""
    fts = bool(filters.search) and connections[using].vendor == "postgresql"
    return fts or filters.sla == "at_risk"


def _filters_shape(filters: TicketFilters) -> TicketFilters:
    """What of ``filters`` changes the SQL of the list (their values are parameters)."""
    assignee = filters.assignee if filters.assignee in ("", "me", "unassigned") else "id"
    return replace(
        filters,
        status="x" if filters.status else "",
        priority="x" if filters.priority else "",
        assignee=assignee,
        department=1 if filters.department else "",
        tag=1 if filters.tag else "",
        page=1,
    )


def ticket_page_for_agent(
    *, user: Any, filters: TicketFilters, using: str = DEFAULT_DB_ALIAS
) -> Page:
    """One page of the agent list, ready for ``ticket_props`` (fixed number of queries).

    Without a search the page is one statement compiled per shape (rows and capped
    count, see :func:`_list_page`); a search, whose SQL depends on the words, selects
    the page's ids first (:func:`paginate`); the priority sort merges per-priority
    lists (:func:`_priority_page`).
    """
    if (
        filters.sort in ("-priority", "priority")
        and not filters.search
        and filters.sla != "at_risk"
        and connections[using].features.supports_slicing_ordering_in_compound
    ):
        qs = ticket_list_for_agent(user=user, filters=filters, using=using)
        return _priority_page(qs, filters=filters)
    # "At risk" compares with the time of the request: no compiled statement for it.
    if not filters.search and filters.sla != "at_risk" and ticket_visibility_q(user) is None:
        return _list_page(
            ("agent", _filters_shape(filters)),
            _agent_filter_values(filters, user),
            page=filters.page,
            per_page=filters.per_page,
            count=lambda: capped_count(
                ticket_list_for_agent(user=user, filters=filters, using=using)
            ),
            using=using,
            # Constants of the due index's expression and of the breached index's
            # condition: a generic plan would sort or scan the whole table instead.
            prepare=filters.sort != "due" and filters.sla != "breached",
        )
    qs = ticket_list_for_agent(user=user, filters=filters, using=using)
    return paginate(
        qs,
        page=filters.page,
        per_page=filters.per_page,
        load=_display(using),
        few=_lists_few(filters, using),
    )


def _list_query(
    using: str, kind: tuple[Any, ...], offset: int, limit: int, cap: int
) -> QuerySet[Any]:
    """A list page's display rows with the capped count of the whole list in each row
    (``kind``: ``("agent", filters shape)`` or ``("requester", scope)``)."""
    values = _Values()
    qs: QuerySet[Any] = Ticket.objects.using(using)
    if kind[0] == "agent":
        filters: TicketFilters = kind[1]
        qs = _filter_for_agent(qs, filters, values).order_by(*_ordering(filters.sort))
    else:
        qs = _scoped(qs.filter(requester__user=values.take(user=True)), kind[1])
        qs = qs.order_by("-created_at", "-id")
    layout, _parts = _ticket_layout(False)
    rows: QuerySet[Any] = qs.annotate(
        last_reply_author_name=last_reply_author_subquery(using),
        esc_total=_capped_count_sql(qs, cap),
    ).values_list(*layout.lookups, "esc_total")
    return rows[offset : offset + limit]


def _list_page(
    kind: tuple[Any, ...],
    values: list[Any],
    *,
    page: int,
    per_page: int,
    count: Callable[[], tuple[int, bool]],
    using: str,
    prepare: bool = True,
) -> Page:
    """A page of a list in two queries: one statement compiled per shape and page for
    the rows to show (display columns, see :func:`ticket_display_list`) with the
    capped count of the list as a scalar subquery, then their tags and attachments.
    A page past the end counts (``count()``) and shows the last page. ``prepare``: as
    for :func:`escalated.selectors._compiled.run`."""
    cap = COUNT_CAP
    current = _first_guess(page, per_page, cap)
    shape = (using, kind, (current - 1) * per_page, per_page, cap)
    rows = run(_list_query, values, shape, using=using, prepare=prepare)
    if not rows and current > 1:
        total, _exact = count()
        current = max(1, -(-total // per_page))
        shape = (using, kind, (current - 1) * per_page, per_page, cap)
        rows = run(_list_query, values, shape, using=using, prepare=prepare)
    counted = rows[0][-1] if rows else 0
    total, exact = (cap, False) if counted > cap else (counted, True)
    tickets = _tickets_from_rows(rows, using, rating=False)
    _attach_extras(tickets, using, tags=True, attachments=True)
    return Page(
        items=tickets, total=total, total_is_exact=exact, per_page=per_page, current_page=current
    )


def _priority_page(qs: QuerySet[Ticket], *, filters: TicketFilters) -> Page:
    """The priority sort, without sorting every matching ticket.

    ``ORDER BY <priority rank>`` cannot use an index, so PostgreSQL would sort the whole
    table for one page (~80 ms at 100k tickets). Instead each priority's tickets are
    read newest first from the ``created_at`` index — enough of them for the page —
    and the five short lists are merged (~2 ms for the first pages; deep pages read
    more of each list). One query for the capped count, one for the merge (the page's
    ids), then :func:`ticket_display_list`.
    """
    total, exact = capped_count(qs)
    per_page = filters.per_page
    current = min(max(1, filters.page), max(1, -(-total // per_page)))
    offset = (current - 1) * per_page
    descending = filters.sort == "-priority"
    buckets = [
        qs.filter(priority=value)
        .order_by("-created_at", "-id")
        .annotate(p_rank=Value(rank, output_field=IntegerField()))
        .values_list("pk", "p_rank", "created_at")[: offset + per_page]
        for value, rank in sorted(PRIORITY_RANK.items(), key=lambda kv: kv[1], reverse=descending)
    ]
    merged = buckets[0].union(*buckets[1:], all=True)
    rank_order = "-p_rank" if descending else "p_rank"
    page = merged.order_by(rank_order, "-created_at", "-pk")[offset : offset + per_page]
    ids = [row[0] for row in page]
    return Page(
        items=ticket_display_list(ids, using=qs.db),
        total=total,
        total_is_exact=exact,
        per_page=per_page,
        current_page=current,
    )


CUSTOMER_SCOPES: Final = ("", "open", "closed")


def _scoped(qs: QuerySet[Any], scope: str) -> QuerySet[Any]:
    if scope == "open":
        return qs.filter(status__in=OPEN_STATUSES)
    if scope == "closed":
        return qs.exclude(status__in=OPEN_STATUSES)
    return qs


def ticket_page_for_requester(
    *, user: Any, scope: str, page: int, using: str = DEFAULT_DB_ALIAS
) -> Page:
    """The customer's own tickets, newest first (``scope``: "", "open", "closed").

    Two queries (see :func:`_list_page`).
    """
    if scope not in CUSTOMER_SCOPES:
        raise ValueError(f"unknown scope {scope!r}")
    return _list_page(
        ("requester", scope),
        [user.pk],
        page=page,
        per_page=DEFAULT_PER_PAGE,
        count=lambda: capped_count(
            _scoped(Ticket.objects.using(using).filter(requester__user=user), scope)
        ),
        using=using,
    )


# --------------------------------------------------------------------------- dashboard


def _at_risk_q(now: datetime) -> Q:
    return sla_at_risk_q(now)


@dataclass(frozen=True, slots=True)
class AgentDashboard:
    counts: dict[str, int]
    lists: dict[str, list[Ticket]]


DASHBOARD_LIST_SIZE: Final = 5


def agent_dashboard(*, user: Any, now: datetime | None = None) -> AgentDashboard:
    """Counts and short lists for the agent's start page.

    ``my_open`` (assigned to the agent, open), ``unassigned`` (open), ``breaching_soon``
    (past the SLA warning moment, not breached), ``breached`` (open with a breached
    target) and ``resolved_today`` (resolved since local midnight). Each count is one
    indexed query; the lists are loaded together for their props.
    """
    now = now or timezone.now()
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    base = visible_tickets(user)
    open_ = base.filter(status__in=OPEN_STATUSES)
    scopes: dict[str, tuple[QuerySet[Ticket], list[Any]]] = {
        "my_open": (open_.filter(assignee=user), ["-updated_at", "-id"]),
        "unassigned": (open_.filter(assignee__isnull=True), ["-created_at", "-id"]),
        "breaching_soon": (base.filter(_at_risk_q(now)), _ordering("due", few=True)),
        "breached": (open_.filter(_breached_q()), ["-updated_at", "-id"]),
        "resolved_today": (
            base.filter(status__in=(Status.RESOLVED, Status.CLOSED), resolved_at__gte=midnight),
            ["-resolved_at", "-id"],
        ),
    }
    counts: dict[str, int] = {}
    ids: dict[str, list[int]] = {}
    for name, (qs, order) in scopes.items():
        counts[name] = qs.order_by().count()
        ids[name] = (
            list(qs.order_by(*order).values_list("pk", flat=True)[:DASHBOARD_LIST_SIZE])
            if counts[name]
            else []
        )
    wanted = sorted({pk for pks in ids.values() for pk in pks})
    loaded = {t.pk: t for t in ticket_display_list(wanted, using=base.db)}
    lists = {name: [loaded[pk] for pk in pks if pk in loaded] for name, pks in ids.items()}
    return AgentDashboard(counts=counts, lists=lists)


__all__ = [
    "COUNT_CAP",
    "DEFAULT_PER_PAGE",
    "SORTS",
    "AgentDashboard",
    "Page",
    "TicketFilters",
    "TicketThread",
    "agent_dashboard",
    "capped_count",
    "paginate",
    "positive_int",
    "ticket_display_list",
    "ticket_filters_from_query",
    "ticket_get_by_guest_token",
    "ticket_get_for_requester",
    "ticket_get_for_user",
    "ticket_get_visible",
    "ticket_list_for_agent",
    "ticket_page_for_agent",
    "ticket_page_for_requester",
    "ticket_search_q",
    "ticket_thread",
    "visible_tickets",
    "with_ticket_props",
]
