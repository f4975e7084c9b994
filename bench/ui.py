"""6. The web UI: the four pages of the issue, each a full Django request.

Every request goes through ``django.test.Client``: URL resolution, the host's whole
middleware stack (sessions, CSRF, authentication, messages, Inertia), the view, the
props and the JSON encoding. The client is signed in once with ``force_login``,
outside the timing. Rows 6a-6d send the ``X-Inertia`` headers (the JSON page object an
in-app navigation costs); rows 6e-6h load the same pages without them (the first load:
the HTML layout with the page object embedded), for information.

The data is the generated desk plus what these pages need, added here and removed
afterwards (:func:`bench.scenarios.checkpoint`):

- the agent is a generated staff user (no superuser, no permissions, no department
  rule needed);
- a customer: a new user with a contact that requests 30 of the tickets (open and
  closed, spread over the year), each with two public replies;
- the newest 25 tickets (the list's first page) get two replies each, so the "last
  reply author" of the list has rows to read;
- the detail ticket gets 50 replies (every fourth an internal note; customer and agent
  authors), 12 attachment rows (2 on the ticket, 10 on replies), 30 timeline entries,
  and the agent pages get 10 canned responses and 6 macros for their pickers;
- the search word ``chargeback`` is added to the subjects of 1% of the tickets (the
  generator's subjects are 16 phrases, each in ~6% of tickets, and every description
  is the same text, so none of their words is a realistic search).
"""

from __future__ import annotations

import importlib
import json
import os
import random
import statistics
import time
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.http import JsonResponse
from django.test import Client
from django.test.utils import override_settings
from django.urls import path
from django.utils import timezone

from bench.data import Dataset, vacuum_analyze
from bench.harness import QueryLog, Row, fmt_s, speedup
from bench.scenarios import Options, _diagnose, _profiled, checkpoint
from escalated.models import (
    OPEN_STATUSES,
    ActivityType,
    Attachment,
    AuthorType,
    CannedResponse,
    Contact,
    Macro,
    Reply,
    Ticket,
    TicketActivity,
)

#: The issue's numbers for the public escalated-django on this machine class:
#: seconds and queries (``None``: not given). Its detail page had 10 replies.
BASELINE: dict[str, tuple[float, int | None]] = {
    "list": (0.307, 234),
    "search": (0.418, None),
    "detail": (0.138, 84),
    "customer": (0.226, 137),
}
TARGET_S = {"list": 0.015, "search": 0.020, "detail": 0.015, "customer": 0.010}
#: Every page renders in at most this many queries (tests/escalated/views/test_queries.py).
QUERY_BUDGET = 10
REQUESTS = 50
WARMUP = 5

SEARCH_WORD = "chargeback"
SEARCH_SHARE = 100  # one ticket in SEARCH_SHARE carries the word
CUSTOMER_TICKETS = 30
DETAIL_REPLIES = 50
DETAIL_ACTIVITIES = 30


@dataclass
class _World:
    agent: Any
    customer: Any
    detail_reference: str
    search_matches: int
    customer_tickets: int


@dataclass
class _Run:
    times: list[float]
    per_request: list[int]
    log: QueryLog
    last: Any = None
    checks: list[str] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def max_q(self) -> int:
        return max(self.per_request)


# --------------------------------------------------------------------------- data


def _setup(ds: Dataset) -> _World:
    """Add what the pages need (see the module docstring); the checkpoint removes it."""
    rng = random.Random(66)
    now = timezone.now()
    User = get_user_model()
    agent = User.objects.get(pk=ds.agent_ids[0])
    assert agent.is_staff and not agent.is_superuser
    agents = list(User.objects.filter(pk__in=ds.agent_ids[:10]))

    customer = User.objects.create_user(
        username="bench-customer",
        email="bench-customer@bench.example",
        password="bench",
        first_name="Bench",
        last_name="Customer",
    )
    contact = Contact.objects.create(
        email="bench-customer@bench.example", name="Bench Customer", user=customer
    )
    own_ids = sorted(rng.sample(range(1, ds.tickets + 1), CUSTOMER_TICKETS))
    Ticket.objects.filter(pk__in=own_ids).update(requester=contact)

    # The detail ticket: the newest open ticket with a department and an assignee.
    detail = (
        Ticket.objects.filter(
            status__in=OPEN_STATUSES, department__isnull=False, assignee__isnull=False
        )
        .order_by("-created_at")
        .first()
    )
    assert detail is not None
    first_page = list(
        Ticket.objects.exclude(pk=detail.pk)
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)[:25]
    )

    replies: list[Reply] = []

    def reply(ticket_id: int, i: int, *, internal: bool, by_agent: bool, at: Any) -> Reply:
        return Reply(
            ticket_id=ticket_id,
            author=rng.choice(agents) if by_agent else None,
            contact_id=None if by_agent else contact.pk,
            author_type=AuthorType.AGENT if by_agent else AuthorType.CUSTOMER,
            body=f"Reply {i}: thanks, we looked into it and here is what we found. " * 3,
            is_internal=internal,
            created_at=at,
            updated_at=at,
        )

    for pk in own_ids + first_page:
        replies.append(reply(pk, 0, internal=False, by_agent=False, at=now - timedelta(hours=2)))
        replies.append(reply(pk, 1, internal=False, by_agent=True, at=now - timedelta(hours=1)))
    start = now - timedelta(days=3)
    for i in range(DETAIL_REPLIES):
        internal = i % 4 == 3
        by_agent = internal or i % 2 == 1
        at = start + timedelta(minutes=30 * i)
        replies.append(reply(detail.pk, i, internal=internal, by_agent=by_agent, at=at))
    Reply.objects.bulk_create(replies)
    detail_replies = [r for r in replies if r.ticket_id == detail.pk]

    attachments = [
        Attachment(
            ticket_id=detail.pk,
            reply=None,
            file=f"escalated/attachments/bench/screenshot-{i}.png",
            original_name=f"screenshot-{i}.png",
            content_type="image/png",
            size_bytes=120_000 + i,
            created_at=detail.created_at,
        )
        for i in range(2)
    ]
    attachments += [
        Attachment(
            ticket_id=detail.pk,
            reply=r,
            file=f"escalated/attachments/bench/log-{r.pk}.txt",
            original_name=f"log-{r.pk}.txt",
            content_type="text/plain",
            size_bytes=4_000 + i,
            created_at=r.created_at,
        )
        for i, r in enumerate(detail_replies[::5])
    ]
    Attachment.objects.bulk_create(attachments)

    kinds = [
        (ActivityType.REPLIED, {}),
        (ActivityType.NOTE_ADDED, {}),
        (ActivityType.STATUS_CHANGED, {"from": "open", "to": "in_progress"}),
        (ActivityType.PRIORITY_CHANGED, {"from": "medium", "to": "high"}),
        (ActivityType.ASSIGNED, {"agent": {"id": agent.pk, "name": "Agent 0"}}),
    ]
    TicketActivity.objects.bulk_create(
        TicketActivity(
            ticket_id=detail.pk,
            actor=rng.choice(agents),
            type=kinds[i % len(kinds)][0],
            data=kinds[i % len(kinds)][1],
            created_at=start + timedelta(minutes=30 * i + 1),
        )
        for i in range(DETAIL_ACTIVITIES)
    )
    CannedResponse.objects.bulk_create(
        CannedResponse(
            title=f"Canned {i}",
            body="Thanks for reaching out. " * 10,
            category=("Billing", "Technical", "")[i % 3],
            is_shared=i % 4 != 0,
            created_by=agent if i % 4 == 0 else None,
        )
        for i in range(10)
    )
    Macro.objects.bulk_create(
        Macro(
            name=f"Macro {i}",
            description="Set priority and tag",
            actions=[{"type": "set_priority", "value": "high"}],
            position=i,
        )
        for i in range(6)
    )

    table = connection.ops.quote_name(Ticket._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET subject = 'Chargeback dispute: ' || subject WHERE id %% %s = 7",
            [SEARCH_SHARE],
        )
        matches = cursor.rowcount
    vacuum_analyze()  # as autovacuum would after such a change (and the GIN pending list)
    return _World(
        agent=agent,
        customer=customer,
        detail_reference=str(detail.reference),
        search_matches=matches,
        customer_tickets=CUSTOMER_TICKETS,
    )


# --------------------------------------------------------------------------- measuring


def _headers(inertia: bool) -> dict[str, str]:
    if not inertia:
        return {}
    from inertia.settings import settings as inertia_settings

    return {"X-Inertia": "true", "X-Inertia-Version": str(inertia_settings.INERTIA_VERSION)}


def _get(client: Client, url: str, headers: dict[str, str]) -> Any:
    response = client.get(url, headers=headers)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}: {response.content[:300]!r}")
    return response


def _measure(targets: list[tuple[Client, str, dict[str, str]]], n: int = REQUESTS) -> list[_Run]:
    """``WARMUP`` rounds, then ``n`` timed ones; a round requests every target once.

    Interleaved rather than one URL after the other, so that a noisy moment on the
    shared machine slows every row alike instead of one of them.
    """
    for _ in range(WARMUP):
        for client, url, headers in targets:
            _get(client, url, headers)
    runs = [_Run([], [], QueryLog()) for _ in targets]
    for _ in range(n):
        for run, (client, url, headers) in zip(runs, targets, strict=True):
            with connection.execute_wrapper(run.log):
                before = run.log.count
                start = time.perf_counter()
                run.last = _get(client, url, headers)
                run.times.append(time.perf_counter() - start)
                run.per_request.append(run.log.count - before)
    return runs


def _floor_view(request: Any) -> JsonResponse:
    """What Django alone costs here: the session, the user, a small JSON response."""
    return JsonResponse({"user": request.user.pk})


FLOOR_URL = "/bench-floor/"


def _urlconf() -> Any:
    """The project's URLs plus the floor view."""
    from django.conf import settings

    module = types.ModuleType("bench_ui_urls")
    project = importlib.import_module(settings.ROOT_URLCONF)
    module.urlpatterns = [path(FLOOR_URL.strip("/") + "/", _floor_view), *project.urlpatterns]  # type: ignore[attr-defined]
    return module


def _page(response: Any) -> dict[str, Any]:
    return json.loads(response.content)


#: Functions outside escalated/ worth seeing in a request's breakdown.
_EXTRA: dict[tuple[str, str], str] = {
    ("django/core/handlers/base.py", "_get_response"): "Django: the view (incl. decorators)",
    ("django/contrib/sessions/backends/db.py", "load"): "sessions: load from the database",
    ("django/contrib/auth/__init__.py", "get_user"): "auth: user from the session",
    ("django/contrib/auth/backends.py", "_get_permissions"): "auth: load permissions",
    ("inertia/http.py", "page_data"): "inertia: page data (props resolved)",
    ("inertia/http.py", "build_first_load"): "inertia: first-load HTML",
    ("json/__init__.py", "dumps"): "json.dumps",
    ("json/__init__.py", "loads"): "json.loads",
    ("django/template/loader.py", "render_to_string"): "templates: render_to_string",
    ("django/db/models/sql/compiler.py", "execute_sql"): "Django: run SQL (compile + execute)",
    ("django/db/models/sql/compiler.py", "as_sql"): "Django: compile SQL",
    ("django/db/models/base.py", "from_db"): "Django: build model instances",
    ("psycopg/connection.py", "wait"): "psycopg: wait for the server",
    ("django/test/client.py", "request"): "test client: the whole request",
}


def _breakdown(client: Client, url: str, headers: dict[str, str], calls: int = 20) -> list[str]:
    """cProfile ``calls`` more requests: cumulative time per request of the parts."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.runcall(lambda: [_get(client, url, headers) for _ in range(calls)])
    total = time.perf_counter() - start
    stats: dict[Any, Any] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    merged: dict[str, list[float]] = {}
    for (filename, line, func), (_cc, ncalls, _tt, cumtime, _callers) in stats.items():
        path = filename.replace("\\", "/")
        label = None
        if "/escalated/" in path and "/site-packages/" not in path:
            label = f"{path.split('/escalated/', 1)[1]}:{line} {func}"
        else:
            for (suffix, name), text in _EXTRA.items():
                if path.endswith(suffix) and func == name:
                    label = text
        if label:
            acc = merged.setdefault(label, [0.0, 0])
            acc[0] += cumtime
            acc[1] += ncalls
    entries = sorted(((cum, int(n), label) for label, (cum, n) in merged.items()), reverse=True)
    lines = [
        f"cProfile of {calls} more requests ({fmt_s(total / calls)} per request under the "
        "profiler: read the shares); cumulative time per request:",
        "",
        "| per request | share | calls/request | function |",
        "|---|---|---|---|",
    ]
    for cumtime, ncalls, label in [e for e in entries if e[0] / total >= 0.01][:24]:
        lines.append(
            f"| {cumtime / calls * 1000:.2f} ms | {cumtime / total:.0%} | "
            f"{ncalls / calls:.1f} | `{label}` |"
        )
    return lines


# --------------------------------------------------------------------------- the scenario


@dataclass
class _Page:
    key: str
    html_key: str
    slug: str
    name: str
    url: str
    login: str  # "agent" or "customer"
    check: Callable[[dict[str, Any]], str]


def _pages(world: _World) -> list[_Page]:
    def list_check(page: dict[str, Any]) -> str:
        tickets = page["props"]["tickets"]
        assert page["component"] == "Escalated/Agent/Tickets/Index", page["component"]
        assert len(tickets["data"]) == 25, len(tickets["data"])
        exact = "" if tickets["total_is_exact"] else "+"
        return f"25 rows of {tickets['total']:,}{exact}"

    def search_check(page: dict[str, Any]) -> str:
        tickets = page["props"]["tickets"]
        assert page["component"] == "Escalated/Agent/Tickets/Index", page["component"]
        assert tickets["total"] == min(world.search_matches, 1000), tickets["total"]
        assert all(SEARCH_WORD in t["subject"].lower() for t in tickets["data"])
        return (
            f"{len(tickets['data'])} rows of {tickets['total']:,} matches "
            f"({world.search_matches:,} tickets carry the word)"
        )

    def detail_check(page: dict[str, Any]) -> str:
        props = page["props"]
        assert page["component"] == "Escalated/Agent/Tickets/Show", page["component"]
        assert len(props["replies"]) == DETAIL_REPLIES, len(props["replies"])
        files = len(props["ticket"]["attachments"]) + sum(
            len(r["attachments"]) for r in props["replies"]
        )
        return (
            f"{len(props['replies'])} replies "
            f"({sum(r['is_internal_note'] for r in props['replies'])} internal), "
            f"{files} attachments, {len(props['activities'])} timeline entries, "
            f"{len(props['agents'])} agents / {len(props['tags'])} tags / "
            f"{len(props['canned_responses'])} canned / {len(props['macros'])} macros in pickers"
        )

    def customer_check(page: dict[str, Any]) -> str:
        tickets = page["props"]["tickets"]
        assert page["component"] == "Escalated/Customer/Tickets/Index", page["component"]
        assert tickets["total"] == world.customer_tickets, tickets["total"]
        return f"{len(tickets['data'])} rows of {tickets['total']}"

    return [
        _Page("6a", "6e", "list", "agent ticket list, page 1", "/support/agent/tickets/", "agent",
              list_check),
        _Page("6b", "6f", "search",
              f"agent search “{SEARCH_WORD}” (1% of subjects, full-text)",
              f"/support/agent/tickets/?search={SEARCH_WORD}", "agent", search_check),
        _Page("6c", "6g", "detail",
              f"ticket detail, {DETAIL_REPLIES} replies",
              f"/support/agent/tickets/{world.detail_reference}/", "agent", detail_check),
        _Page("6d", "6h", "customer",
              f"customer's list ({CUSTOMER_TICKETS} tickets)", "/support/tickets/", "customer",
              customer_check),
    ]  # fmt: skip


def _info_pages(world: _World) -> list[_Page]:
    """Pages without a target in the issue, measured the same way (info rows)."""
    from escalated.models.tickets import sla_at_risk_q, sla_breached_q

    def dashboard_check(page: dict[str, Any]) -> str:
        assert page["component"] == "Escalated/Agent/Dashboard", page["component"]
        counts = page["props"]["counts"]
        want = {
            "breaching_soon": Ticket.objects.filter(sla_at_risk_q(timezone.now())).count(),
            "breached": Ticket.objects.open().filter(sla_breached_q()).count(),
        }
        for name, expected in want.items():
            # a ticket may cross its warning moment between the two reads
            assert abs(counts[name] - expected) <= 5, (name, counts[name], expected)
        return ", ".join(f"{name} {count:,}" for name, count in counts.items())

    def due_check(page: dict[str, Any]) -> str:
        rows = page["props"]["tickets"]["data"]
        assert len(rows) == 25, len(rows)
        return "25 rows, soonest running deadline first"

    def at_risk_check(page: dict[str, Any]) -> str:
        tickets = page["props"]["tickets"]
        expected = Ticket.objects.filter(sla_at_risk_q(timezone.now())).count()
        assert abs(tickets["total"] - expected) <= 5, (tickets["total"], expected)
        return f"{len(tickets['data'])} rows of {tickets['total']:,} at risk"

    return [
        _Page("6j", "", "dashboard", "agent dashboard (counts + five short lists)",
              "/support/agent/", "agent", dashboard_check),
        _Page("6k", "", "due", "agent list sorted by next SLA deadline",
              "/support/agent/tickets/?sort=due", "agent", due_check),
        _Page("6l", "", "at_risk", "agent list, SLA at risk, soonest first",
              "/support/agent/tickets/?sla=at_risk&sort=due", "agent", at_risk_check),
    ]  # fmt: skip


def _static_root() -> str:
    """The app's own static folder holds the built bundle's ``escalated/manifest.json``."""
    import escalated

    return str(Path(escalated.__file__).resolve().parent / "static")


def _load() -> str:
    try:
        return "/".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def ui_pages(ds: Dataset, opts: Options) -> list[Row]:
    load_before = _load()
    with checkpoint(), override_settings(ROOT_URLCONF=_urlconf()):
        world = _setup(ds)
        clients = {"agent": Client(), "customer": Client()}
        clients["agent"].force_login(world.agent)
        clients["customer"].force_login(world.customer)
        try:
            pages = _pages(world)
            info = _info_pages(world)
            json_headers = _headers(True)
            targets = [(clients[p.login], p.url, json_headers) for p in pages]
            info_targets = [(clients[p.login], p.url, json_headers) for p in info]
            *runs, floor = _measure(
                [*targets, *info_targets, (clients["agent"], FLOOR_URL, json_headers)]
            )
            with override_settings(STATIC_ROOT=_static_root()):
                html_runs = _measure([(client, url, {}) for client, url, _h in targets])
            rows = [
                _json_row(page, run, floor, client)
                for page, run, (client, _u, _h) in zip(
                    [*pages, *info], runs, [*targets, *info_targets], strict=True
                )
            ]
            rows += [_html_row(page, run) for page, run in zip(pages, html_runs, strict=True)]
            rows.append(_floor_row(floor, load_before))
            if opts.profile_dir is not None:
                for page, target in zip(pages, targets, strict=True):
                    _profiled(page.key, lambda t=target: _measure([t]), opts)()
        finally:
            for client in clients.values():
                client.logout()
    return rows


def _json_row(page: _Page, run: _Run, floor: _Run, client: Client) -> Row:
    if page.slug not in TARGET_S:
        return _info_row(page, run, floor)
    target = TARGET_S[page.slug]
    base_s, base_q = BASELINE[page.slug]
    checked = page.check(_page(run.last))
    ok = run.median <= target and run.max_q <= QUERY_BUDGET
    diagnosis: list[str] = []
    if not ok:
        diagnosis = [*_diagnose(run.log), "", *_breakdown(client, page.url, _headers(True))]
    base_note = " (the baseline's ticket had 10 replies)" if page.slug == "detail" else ""
    return Row(
        page.key,
        f"{page.name}, Inertia JSON (`GET {page.url}`)",
        fmt_s(run.median),
        f"{run.max_q} per request",
        f"≤ {fmt_s(target)}, ≤ {QUERY_BUDGET} q",
        f"{fmt_s(base_s)}" + (f" / {base_q} q" if base_q else ""),
        speedup(base_s, run.median),
        ok=ok,
        notes=(
            f"median of {len(run.times)} requests after {WARMUP} warm-ups (p10 "
            f"{fmt_s(_quantile(run.times, 0.1))}, p90 {fmt_s(_quantile(run.times, 0.9))}), "
            f"{run.median / floor.median:.1f} times the Django floor (6i); "
            f"{fmt_s(run.log.seconds / len(run.times))} per request in execute(); "
            f"{len(run.last.content):,} bytes; {checked}{base_note}"
        ),
        diagnosis=diagnosis,
    )


def _info_row(page: _Page, run: _Run, floor: _Run) -> Row:
    checked = page.check(_page(run.last))
    return Row(
        page.key,
        f"{page.name}, Inertia JSON (`GET {page.url}`)",
        fmt_s(run.median),
        f"{run.max_q} per request",
        "(info)",
        ok=None,
        notes=(
            f"median of {len(run.times)} requests after {WARMUP} warm-ups (p90 "
            f"{fmt_s(_quantile(run.times, 0.9))}), {run.median / floor.median:.1f} times the "
            f"Django floor (6i); {checked}"
        ),
    )


def _html_row(page: _Page, run: _Run) -> Row:
    body = run.last.content.decode()
    if 'data-page="app"' not in body:
        raise RuntimeError(f"GET {page.url} (first load) is not an Inertia page: {body[:300]!r}")
    return Row(
        page.html_key,
        f"{page.name}, first load (HTML)",
        fmt_s(run.median),
        f"{run.max_q} per request",
        "(info)",
        ok=None,
        notes=(
            f"median of {len(run.times)} requests after {WARMUP} warm-ups "
            f"(p90 {fmt_s(_quantile(run.times, 0.9))}); {len(run.last.content):,} bytes of HTML"
        ),
    )


def _floor_row(run: _Run, load_before: str) -> Row:
    return Row(
        "6i",
        "Django floor: session + user + a small JSON response, same middleware (no Escalated)",
        fmt_s(run.median),
        f"{run.max_q} per request",
        "(info)",
        ok=None,
        notes=(
            f"median of {len(run.times)} requests, measured in the same rounds as 6a-6d and "
            f"6j-6l; "
            f"what any page costs before Escalated runs: compare the rows' multiples of it "
            f"across runs on a noisy machine. Load average (1/5/15 min) before the UI "
            f"rows {load_before}, after {_load()}."
        ),
    )


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
