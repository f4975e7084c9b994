"""Ticket reads shared by the web UI, the API and the commands.

Performance notes (PostgreSQL, 100k tickets): every list is one page query using the
indexes of ``Ticket.Meta`` plus a *capped* count (see :func:`paginate`); related rows
come from ``select_related`` / ``prefetch_related`` (never one query per row); search
uses the GIN index of migration ``0002`` through the very expression it indexes.
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
from django.db.models.functions import Coalesce, Concat, Least, NullIf, Trim
from django.utils import timezone

from escalated.conf import table_name
from escalated.exceptions import NotFound
from escalated.models import (
    OPEN_STATUSES,
    Attachment,
    Contact,
    Priority,
    Reply,
    Status,
    Tag,
    Ticket,
    TicketActivity,
)
from escalated.models.choices import PRIORITY_RANK
from escalated.models.tickets import TicketQuerySet
from escalated.permissions import ticket_visibility_q

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
_RATING_FIELDS: Final = ("rating__rating", "rating__comment", "rating__created_at")
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


def ticket_get_for_user(*, key: str, user: Any, tags: bool = True) -> Ticket:
    """The ticket ``key`` (id or reference) if ``user`` may see it, for display.

    Lists and detail pages share the visibility rule, so a link opens exactly what a
    list shows; an invisible ticket and a missing one are the same ``NotFound``. The
    CSAT rating comes along; attachments are left to :func:`ticket_thread`.
    """
    ticket = (
        with_ticket_props(visible_tickets(user).by_key(key), tags=tags, attachments=False)
        .select_related("rating")
        .only(*TICKET_DISPLAY_FIELDS, *user_fields("assignee__"), *_RATING_FIELDS)
        .first()
    )
    if ticket is None:
        raise NotFound("Ticket not found.")
    return ticket


def ticket_get_visible(*, key: str, user: Any) -> Ticket:
    """The whole ticket row ``key`` if ``user`` may see it, to hand to a service."""
    ticket: Ticket | None = visible_tickets(user).by_key(key).select_related(*_RELATED).first()
    if ticket is None:
        raise NotFound("Ticket not found.")
    return ticket


def ticket_get_for_requester(*, key: str, user: Any, display: bool = True) -> Ticket | None:
    """The ticket ``key`` if ``user`` requested it (the customer portal's rule).

    ``display=False`` loads the whole row, to hand to a service.
    """
    if not getattr(user, "is_authenticated", False):
        return None
    qs = Ticket.objects.by_key(key).filter(requester__user=user)
    if not display:
        return qs.select_related(*_RELATED).first()
    return (
        with_ticket_props(qs, attachments=False)
        .select_related("rating")
        .only(*TICKET_DISPLAY_FIELDS, *user_fields("assignee__"), *_RATING_FIELDS)
        .first()
    )


def ticket_get_by_guest_token(token: str, *, display: bool = True) -> Ticket | None:
    """The ticket behind a guest's secret link (``display=False``: the whole row)."""
    if not token or len(token) > 64:
        return None
    qs = Ticket.objects.filter(guest_token=token)
    if not display:
        return qs.select_related(*_RELATED).first()
    return (
        with_ticket_props(qs, attachments=False)
        .select_related("rating")
        .only(*TICKET_DISPLAY_FIELDS, *user_fields("assignee__"), *_RATING_FIELDS)
        .first()
    )


@dataclass(frozen=True, slots=True)
class TicketThread:
    """A ticket's conversation: replies (oldest first), attachments, timeline."""

    replies: list[Reply]
    ticket_attachments: list[Attachment]
    reply_attachments: dict[int, list[Attachment]]
    activities: list[TicketActivity] = field(default_factory=list)


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
    replies_qs = (
        Reply.objects.filter(ticket=ticket)
        .select_related("author")
        .only(
            "id",
            "ticket",
            "author",
            "author_type",
            "body",
            "is_internal",
            "is_pinned",
            "created_at",
            "updated_at",
            *user_fields("author__"),
        )
    )
    attachments_qs = Attachment.objects.filter(ticket=ticket).only(*_ATTACHMENT_FIELDS)
    if not include_internal:
        replies_qs = replies_qs.filter(is_internal=False)
        attachments_qs = attachments_qs.filter(Q(reply__isnull=True) | Q(reply__is_internal=False))
    by_reply: dict[int, list[Attachment]] = defaultdict(list)
    own: list[Attachment] = []
    for attachment in attachments_qs.order_by("created_at", "id"):
        if attachment.reply_id is None:
            own.append(attachment)
        else:
            by_reply[attachment.reply_id].append(attachment)
    timeline: list[TicketActivity] = []
    if activities:
        newest = (
            TicketActivity.objects.filter(ticket=ticket)
            .select_related("actor")
            .only("id", "ticket", "actor", "type", "data", "created_at", *user_fields("actor__"))
            .order_by("-created_at", "-id")[:activities_limit]
        )
        timeline = list(reversed(list(newest)))
    return TicketThread(
        replies=list(replies_qs.order_by("created_at", "id")),
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


def capped_count(qs: QuerySet[Any], cap: int = COUNT_CAP) -> tuple[int, bool]:
    """``(count, exact)``: counts at most ``cap + 1`` rows; beyond ``cap`` it says so."""
    counted = qs.order_by().values("pk")[: cap + 1].count()
    return (cap, False) if counted > cap else (counted, True)


def paginate(
    qs: QuerySet[M],
    *,
    page: int,
    per_page: int = DEFAULT_PER_PAGE,
    cap: int = COUNT_CAP,
    prepare: Callable[[QuerySet[M]], QuerySet[M]] | None = None,
) -> Page:
    """Slice ``qs`` for ``page`` (1-based; a page past the end shows the last page).

    Queries: the capped count of the bare ``qs``, then the page of ``prepare(qs)``
    (joins, annotations and prefetches only for the rows shown) — the count never
    pays for them. Beyond the cap, ``total`` is ``cap`` and ``total_is_exact`` false.
    """
    total, exact = capped_count(qs, cap)
    last = max(1, -(-total // per_page))
    current = min(max(1, page), last)
    offset = (current - 1) * per_page
    shown = prepare(qs) if prepare is not None else qs
    items = list(shown[offset : offset + per_page]) if total else []
    return Page(
        items=items, total=total, total_is_exact=exact, per_page=per_page, current_page=current
    )


# --------------------------------------------------------------------------- filters


def positive_int(value: Any) -> int | None:
    """A positive integer from a query value, or ``None`` (never raises)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value <= _MAX_ID else None
    text = str(value or "").strip()
    if not text.isdigit() or len(text) > 19:
        return None
    number = int(text)
    return number if 0 < number <= _MAX_ID else None


def _truthy(value: Any) -> bool:
    return str(value or "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True, slots=True)
class TicketFilters:
    """The agent list's state, parsed from (and echoed back to) the query string.

    Unknown or malformed values mean "any": a hand-edited URL never errors.
    """

    search: str = ""
    status: str = ""
    priority: str = ""
    assignee: str | int = ""  # "", "me", "unassigned" or a user id
    department: int | str = ""
    tag: int | str = ""
    sla_breached: bool = False
    sort: str = DEFAULT_SORT
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    def as_props(self) -> dict[str, Any]:
        """The normalised filters for the page (``per_page`` only when not the default)."""
        data = asdict(self)
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
    assignee: str | int = (
        assignee_raw if assignee_raw in ("me", "unassigned") else positive_int(assignee_raw) or ""
    )
    sort = str(get("sort") or "")
    per_page = positive_int(get("per_page")) or DEFAULT_PER_PAGE
    return TicketFilters(
        search=search,
        status=status if status in Status.values else "",
        priority=priority if priority in Priority.values else "",
        assignee=assignee,
        department=positive_int(get("department")) or "",
        tag=positive_int(get("tag")) or "",
        sla_breached=_truthy(get("sla_breached")),
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
    return Q(first_response_breached_at__isnull=False) | Q(resolution_breached_at__isnull=False)


def _priority_rank() -> Case:
    return Case(
        *(When(priority=p, then=Value(rank)) for p, rank in PRIORITY_RANK.items()),
        default=Value(-1),
        output_field=IntegerField(),
    )


def _next_due() -> Any:
    """The next running SLA deadline (``NULL`` when none runs)."""
    first = Case(
        When(first_response_at__isnull=True, then=F("first_response_due_at")),
        default=Value(None),
    )
    resolution = Case(When(status__in=OPEN_STATUSES, then=F("resolution_due_at")), default=None)
    # LEAST ignores NULLs on PostgreSQL but not on SQLite: coalesce each with the other.
    return Least(Coalesce(first, resolution), Coalesce(resolution, first))


def _ordering(sort: str, *, search: bool = False) -> list[Any]:
    """ORDER BY for ``sort``; newest first breaks ties.

    With a full-text search on PostgreSQL a plain column is ordered through an
    expression on purpose: ordering by ``created_at`` itself lets the planner walk that
    column's index and evaluate ``to_tsvector`` row by row until a page is full (~60 ms
    for a common word at 100k tickets); an expression makes it fetch the matches from
    the GIN index and sort them (cost grows with the matches: 3 ms for a rare word,
    13 ms for one in 3% of tickets).
    """
    if sort == "-priority":
        return [OrderBy(_priority_rank(), descending=True), "-created_at", "-id"]
    if sort == "priority":
        return [OrderBy(_priority_rank()), "-created_at", "-id"]
    if sort == "due":
        return [OrderBy(_next_due(), nulls_last=True), "-created_at", "-id"]
    descending = sort.startswith("-")
    tie = "-id" if descending else "id"
    if search:
        column = ExpressionWrapper(
            F(sort.lstrip("-")) + Value(timedelta(0)), output_field=DateTimeField()
        )
        return [OrderBy(column, descending=descending), tie]
    return [sort, tie]


def ticket_list_for_agent(*, user: Any, filters: TicketFilters, using: str = "default") -> Any:
    """The agent list's queryset (not yet sliced): filters, search and sort applied."""
    qs = visible_tickets(user).using(using)
    if filters.search:
        qs = qs.filter(ticket_search_q(filters.search, using=using))
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.priority:
        qs = qs.filter(priority=filters.priority)
    if filters.assignee == "me":
        qs = qs.filter(assignee=user)
    elif filters.assignee == "unassigned":
        qs = qs.filter(assignee__isnull=True)
    elif filters.assignee:
        qs = qs.filter(assignee_id=int(filters.assignee))
    if filters.department:
        qs = qs.filter(department_id=filters.department)
    if filters.tag:
        qs = qs.filter(tags__id=filters.tag)
    if filters.sla_breached:
        qs = qs.filter(_breached_q())
    fts = bool(filters.search) and connections[using].vendor == "postgresql"
    return qs.order_by(*_ordering(filters.sort, search=fts))


def ticket_page_for_agent(*, user: Any, filters: TicketFilters) -> Page:
    """One page of the agent list, ready for ``ticket_props`` (fixed number of queries)."""
    qs = ticket_list_for_agent(user=user, filters=filters)
    using = qs.db
    if (
        filters.sort in ("-priority", "priority")
        and not filters.search
        and connections[using].features.supports_slicing_ordering_in_compound
    ):
        return _priority_page(qs, filters=filters)
    return paginate(qs, page=filters.page, per_page=filters.per_page, prepare=with_ticket_props)


def _priority_page(qs: QuerySet[Ticket], *, filters: TicketFilters) -> Page:
    """The priority sort, without sorting every matching ticket.

    ``ORDER BY <priority rank>`` cannot use an index, so PostgreSQL would sort the whole
    table for one page (~80 ms at 100k tickets). Instead each priority's tickets are
    read newest first from the ``created_at`` index — enough of them for the page —
    and the five short lists are merged (~2 ms for the first pages; deep pages read
    more of each list). One query for the capped count, one for the rows (the merge
    is their subquery).
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
    page_ids, params = (
        merged.order_by(rank_order, "-created_at", "-pk")[offset : offset + per_page]
        .query.get_compiler(qs.db)
        .as_sql()
    )
    # The merge runs as a subquery of the rows' own query (one round trip); the few
    # rows are then put in the same order in Python.
    rows = with_ticket_props(
        Ticket.objects.using(qs.db).filter(
            pk__in=RawSQL(f"SELECT esc_page.pk FROM ({page_ids}) esc_page", params)
        )
    )
    sign = -1 if descending else 1
    items = sorted(
        rows,
        key=lambda t: (sign * PRIORITY_RANK.get(t.priority, -1), -t.created_at.timestamp(), -t.pk),
    )
    return Page(
        items=items,
        total=total,
        total_is_exact=exact,
        per_page=per_page,
        current_page=current,
    )


CUSTOMER_SCOPES: Final = ("", "open", "closed")


def ticket_page_for_requester(*, user: Any, scope: str, page: int) -> Page:
    """The customer's own tickets, newest first (``scope``: "", "open", "closed")."""
    qs = Ticket.objects.filter(requester__user=user)
    if scope == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif scope == "closed":
        qs = qs.exclude(status__in=OPEN_STATUSES)
    return paginate(qs.order_by("-created_at", "-id"), page=page, prepare=with_ticket_props)


# --------------------------------------------------------------------------- dashboard


def _at_risk_q(now: datetime) -> Q:
    """Open, running tickets past their SLA warning moment but not yet breached."""
    first = Q(
        first_response_at__isnull=True,
        first_response_breached_at__isnull=True,
        first_response_warn_at__lte=now,
    )
    resolution = Q(resolution_breached_at__isnull=True, resolution_warn_at__lte=now)
    return Q(status__in=OPEN_STATUSES, sla_paused_at__isnull=True) & (first | resolution)


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
        "breaching_soon": (base.filter(_at_risk_q(now)), [OrderBy(_next_due()), "id"]),
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
    wanted = {pk for pks in ids.values() for pk in pks}
    loaded = (
        {t.pk: t for t in with_ticket_props(Ticket.objects.filter(pk__in=wanted))} if wanted else {}
    )
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
