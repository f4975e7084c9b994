"""The admin area: reports, and create/edit/delete of the desk's configuration.

Six configuration entities share one CRUD shape, described by a :class:`Resource`
each (what to list, how to turn a form into a service call). Routes per resource
``<slug>`` (URL names ``escalated:admin.<name>.<action>``):

====================  ===========  =================================================
path                  method       action
====================  ===========  =================================================
``<slug>/``           GET          ``index``   — ``…/Index`` page
``<slug>/``           POST         ``store``   — create, back to the index
``<slug>/create/``    GET          ``create``  — ``…/Form`` page, empty
``<slug>/<pk>/edit/`` GET          ``edit``    — ``…/Form`` page, filled
``<slug>/<pk>/``      PUT/PATCH/POST ``update``
``<slug>/<pk>/``      DELETE       ``destroy`` (also POST ``<slug>/<pk>/delete/``)
====================  ===========  =================================================

Updates are partial: only the fields sent change.
"""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse

from escalated.exceptions import NotFound
from escalated.models import (
    BusinessSchedule,
    CannedResponse,
    Department,
    EscalationRule,
    Macro,
    SlaPolicy,
    Tag,
)
from escalated.props import (
    business_schedule_props,
    canned_response_props,
    choices,
    department_props,
    department_ref,
    escalation_rule_props,
    macro_props,
    sla_policy_props,
    tag_props,
    tag_with_count,
    user_ref,
)
from escalated.selectors.pickers import pickers_load
from escalated.selectors.reports import report_overview
from escalated.selectors.tickets import positive_int
from escalated.services import admin_crud, escalations
from escalated.views._base import (
    FormInput,
    HttpResponseSeeOther,
    View,
    by_method,
    done,
    escalated_view,
    parse_form,
    render,
)

# --------------------------------------------------------------------------- reports


@escalated_view(access="admin")
def index(request: HttpRequest) -> HttpResponse:
    """The admin area's own address opens its first page, the reports."""
    return HttpResponseSeeOther(reverse("escalated:admin.reports"))


@escalated_view(access="admin")
def reports(request: HttpRequest) -> HttpResponse:
    """Volume per day, status and priority mix, SLA breach rate, response times, CSAT.

    ``?days=`` picks the range (1-365, default 30).
    """
    days = min(positive_int(request.GET.get("days")) or 30, 365)
    report = report_overview(days=days)
    return render(
        request,
        "Escalated/Admin/Reports",
        {
            "range": {"from": report.start.isoformat(), "to": report.end.isoformat(), "days": days},
            "totals": report.totals,
            "volume": {
                "labels": report.labels,
                "series": [
                    {"label": "Created", "data": report.created_per_day},
                    {"label": "Resolved", "data": report.resolved_per_day},
                ],
            },
            "by_status": report.by_status,
            "by_priority": report.by_priority,
            "by_agent": [
                {
                    "agent": user_ref(row["agent"]) if row["agent"] is not None else None,
                    "assigned": row["assigned"],
                    "resolved": row["resolved"],
                }
                for row in report.by_agent
            ],
        },
    )


# --------------------------------------------------------------------------- resources


Create = Callable[[HttpRequest, FormInput], Model]
Update = Callable[[HttpRequest, Any, FormInput], Model]


@dataclass(frozen=True)
class Resource:
    """One admin-managed entity: pages, props and the services behind the forms."""

    name: str  # URL-name part: admin.<name>.index
    slug: str  # URL path part
    component: str  # Inertia folder: <component>/Index, <component>/Form
    label: str  # for flash messages
    list_prop: str
    item_prop: str
    queryset: Callable[[], QuerySet[Any]]
    to_props: Callable[[Any], Any]
    create: Create
    update: Update
    delete: Callable[[HttpRequest, Any], None]
    form_props: Callable[[HttpRequest, Any], dict[str, Any]] = field(
        default=lambda request, obj: {}
    )
    list_props: Callable[[Any], Any] | None = None  # index rows, when not ``to_props``

    def url(self, action: str, *args: Any) -> str:
        return reverse(f"escalated:admin.{self.name}.{action}", args=args)


def _pickers(request: HttpRequest, *kinds: str) -> dict[str, Any]:
    pickers = pickers_load(user=request.user, kinds=set(kinds))
    result: dict[str, Any] = {}
    if "agents" in kinds:
        result["agents"] = [user_ref(u) for u in pickers.agents]
    if "departments" in kinds:
        result["departments"] = [department_ref(d) for d in pickers.departments]
    if "tags" in kinds:
        result["tags"] = [tag_props(t) for t in pickers.tags]
    return result


def _rule_form_props(request: HttpRequest, obj: Any) -> dict[str, Any]:
    return {**_pickers(request, "agents", "departments", "tags"), "choices": choices()}


def _optional(form: FormInput, name: str, read: Callable[[str], Any]) -> Any:
    """``read(name)`` when the field was sent, else ``None`` (leave unchanged)."""
    return read(name) if form.has(name) else None


# departments


def _department_form_props(request: HttpRequest, obj: Department | None) -> dict[str, Any]:
    agents = {u["id"]: u for u in _pickers(request, "agents")["agents"]}
    if obj is not None:  # members who are not agents by another rule still show up
        agents.update({ref["id"]: ref for ref in map(user_ref, obj.agents.all())})
    return {"agents": sorted(agents.values(), key=lambda u: str(u["name"]).lower())}


def _agent_ids(form: FormInput) -> list[Any] | None:
    for name in ("agent_ids", "agents"):
        if form.has(name):
            return form.user_ids(name)
    return None


DEPARTMENTS = Resource(
    name="departments",
    slug="departments",
    component="Escalated/Admin/Departments",
    label="Department",
    list_prop="departments",
    item_prop="department",
    queryset=lambda: Department.objects.prefetch_related("agents").order_by("name"),
    to_props=department_props,
    create=lambda request, form: admin_crud.department_create(
        actor=request.user,
        name=form.text("name"),
        slug=form.text("slug"),
        description=form.text("description"),
        is_active=form.flag("is_active", default=True),
        agent_ids=_agent_ids(form) or [],
    ),
    update=lambda request, obj, form: admin_crud.department_update(
        department=obj,
        actor=request.user,
        name=form.optional_text("name"),
        slug=form.optional_text("slug"),
        description=form.optional_text("description"),
        is_active=form.optional_flag("is_active"),
        agent_ids=_agent_ids(form),
    ),
    delete=lambda request, obj: admin_crud.department_delete(department=obj, actor=request.user),
    form_props=_department_form_props,
)


# SLA policies


@functools.cache
def _timezones() -> list[str]:
    return sorted(zoneinfo.available_timezones())


def _sla_form_props(request: HttpRequest, obj: SlaPolicy | None) -> dict[str, Any]:
    schedules = BusinessSchedule.objects.prefetch_related("holidays").order_by("name")
    return {
        "schedules": [business_schedule_props(s) for s in schedules],
        "timezones": _timezones(),
        "choices": choices(),
    }


_KEEP: Any = object()


def _schedule_arg(form: FormInput, *, default: Any) -> Any:
    """``schedule`` (object, id or null) or ``schedule_id``; ``default`` when neither."""
    if form.has("schedule"):
        value = form.raw("schedule")
        if isinstance(value, str) and value.strip().startswith("{"):
            return form.structure("schedule", dict)
        if isinstance(value, dict | int) or value is None:
            return value
        return form.integer("schedule")
    if form.has("schedule_id"):
        return form.integer("schedule_id")
    return default


def _sla_update(request: HttpRequest, obj: SlaPolicy, form: FormInput) -> SlaPolicy:
    schedule = _schedule_arg(form, default=_KEEP)
    extra = {} if schedule is _KEEP else {"schedule": schedule}
    return admin_crud.sla_policy_update(
        policy=obj,
        actor=request.user,
        name=form.optional_text("name"),
        description=form.optional_text("description"),
        is_default=form.optional_flag("is_default"),
        is_active=form.optional_flag("is_active"),
        first_response_hours=_optional(
            form, "first_response_hours", lambda n: form.structure(n, dict) or {}
        ),
        resolution_hours=_optional(
            form, "resolution_hours", lambda n: form.structure(n, dict) or {}
        ),
        **extra,
    )


SLA_POLICIES = Resource(
    name="sla_policies",
    slug="sla-policies",
    component="Escalated/Admin/SlaPolicies",
    label="SLA policy",
    list_prop="policies",
    item_prop="policy",
    queryset=lambda: (
        SlaPolicy.objects.select_related("schedule")
        .prefetch_related("schedule__holidays")
        .order_by("name")
    ),
    to_props=sla_policy_props,
    create=lambda request, form: admin_crud.sla_policy_create(
        actor=request.user,
        name=form.text("name"),
        description=form.text("description"),
        is_default=form.flag("is_default"),
        is_active=form.flag("is_active", default=True),
        first_response_hours=form.structure("first_response_hours", dict) or {},
        resolution_hours=form.structure("resolution_hours", dict) or {},
        schedule=_schedule_arg(form, default=None),
    ),
    update=_sla_update,
    delete=lambda request, obj: admin_crud.sla_policy_delete(policy=obj, actor=request.user),
    form_props=_sla_form_props,
)


# escalation rules (services by the SLA/escalations engine)

ESCALATION_RULES = Resource(
    name="escalation_rules",
    slug="escalation-rules",
    component="Escalated/Admin/EscalationRules",
    label="Escalation rule",
    list_prop="rules",
    item_prop="rule",
    queryset=lambda: EscalationRule.objects.order_by("position", "id"),
    to_props=escalation_rule_props,
    create=lambda request, form: escalations.escalation_rule_create(
        actor=request.user,
        name=form.text("name"),
        description=form.text("description"),
        is_active=form.flag("is_active", default=True),
        position=form.integer("position"),
        conditions=form.structure("conditions", list) or [],
        actions=form.structure("actions", list) or [],
    ),
    update=lambda request, obj, form: escalations.escalation_rule_update(
        rule=obj,
        actor=request.user,
        name=form.optional_text("name"),
        description=form.optional_text("description"),
        is_active=form.optional_flag("is_active"),
        position=form.integer("position"),
        conditions=_optional(form, "conditions", lambda n: form.structure(n, list) or []),
        actions=_optional(form, "actions", lambda n: form.structure(n, list) or []),
    ),
    delete=lambda request, obj: escalations.escalation_rule_delete(rule=obj, actor=request.user),
    form_props=_rule_form_props,
)


# tags

TAGS = Resource(
    name="tags",
    slug="tags",
    component="Escalated/Admin/Tags",
    label="Tag",
    list_prop="tags",
    item_prop="tag",
    queryset=lambda: Tag.objects.annotate(ticket_count=Count("tickets")).order_by("name"),
    to_props=tag_props,
    list_props=tag_with_count,
    create=lambda request, form: admin_crud.tag_create(
        actor=request.user,
        name=form.text("name"),
        slug=form.text("slug"),
        color=form.text("color") or admin_crud.DEFAULT_TAG_COLOR,
    ),
    update=lambda request, obj, form: admin_crud.tag_update(
        tag=obj,
        actor=request.user,
        name=form.optional_text("name"),
        slug=form.optional_text("slug"),
        color=form.optional_text("color"),
    ),
    delete=lambda request, obj: admin_crud.tag_delete(tag=obj, actor=request.user),
)


# canned responses

CANNED_RESPONSES = Resource(
    name="canned_responses",
    slug="canned-responses",
    component="Escalated/Admin/CannedResponses",
    label="Canned response",
    list_prop="canned_responses",
    item_prop="canned_response",
    queryset=lambda: CannedResponse.objects.order_by("category", "title"),
    to_props=canned_response_props,
    create=lambda request, form: admin_crud.canned_response_create(
        actor=request.user,
        title=form.text("title"),
        body=form.text("body"),
        category=form.text("category"),
        is_shared=form.flag("is_shared", default=True),
    ),
    update=lambda request, obj, form: admin_crud.canned_response_update(
        canned_response=obj,
        actor=request.user,
        title=form.optional_text("title"),
        body=form.optional_text("body"),
        category=form.optional_text("category"),
        is_shared=form.optional_flag("is_shared"),
    ),
    delete=lambda request, obj: admin_crud.canned_response_delete(
        canned_response=obj, actor=request.user
    ),
)


# macros

MACROS = Resource(
    name="macros",
    slug="macros",
    component="Escalated/Admin/Macros",
    label="Macro",
    list_prop="macros",
    item_prop="macro",
    queryset=lambda: Macro.objects.order_by("position", "name"),
    to_props=macro_props,
    create=lambda request, form: admin_crud.macro_create(
        actor=request.user,
        name=form.text("name"),
        description=form.text("description"),
        actions=form.structure("actions", list) or [],
        is_shared=form.flag("is_shared", default=True),
        position=form.integer("position"),
    ),
    update=lambda request, obj, form: admin_crud.macro_update(
        macro=obj,
        actor=request.user,
        name=form.optional_text("name"),
        description=form.optional_text("description"),
        actions=_optional(form, "actions", lambda n: form.structure(n, list) or []),
        is_shared=form.optional_flag("is_shared"),
        position=form.integer("position"),
    ),
    delete=lambda request, obj: admin_crud.macro_delete(macro=obj, actor=request.user),
    form_props=_rule_form_props,
)

RESOURCES: tuple[Resource, ...] = (
    DEPARTMENTS,
    SLA_POLICIES,
    ESCALATION_RULES,
    TAGS,
    CANNED_RESPONSES,
    MACROS,
)


# --------------------------------------------------------------------------- generic views


def _get(resource: Resource, pk: int) -> Any:
    obj = resource.queryset().filter(pk=pk).first()
    if obj is None:
        raise NotFound(f"{resource.label} not found.")
    return obj


def resource_views(resource: Resource) -> dict[str, View]:
    """The six views of ``resource`` (see the module docstring)."""
    r = resource

    @escalated_view(access="admin")
    def index(request: HttpRequest) -> HttpResponse:
        build = r.list_props or r.to_props
        return render(
            request, f"{r.component}/Index", {r.list_prop: [build(o) for o in r.queryset()]}
        )

    @escalated_view(access="admin")
    def create(request: HttpRequest) -> HttpResponse:
        return render(
            request, f"{r.component}/Form", {r.item_prop: None, **r.form_props(request, None)}
        )

    @escalated_view(access="admin")
    def edit(request: HttpRequest, pk: int) -> HttpResponse:
        obj = _get(r, pk)
        return render(
            request,
            f"{r.component}/Form",
            {r.item_prop: r.to_props(obj), **r.form_props(request, obj)},
        )

    @escalated_view(methods=("POST",), access="admin", back=lambda request: r.url("create"))
    def store(request: HttpRequest) -> HttpResponse:
        r.create(request, parse_form(request))
        return done(request, r.url("index"), success=f"{r.label} created.")

    @escalated_view(
        methods=("PUT", "PATCH", "POST"),
        access="admin",
        back=lambda request, pk: r.url("edit", pk),
    )
    def update(request: HttpRequest, pk: int) -> HttpResponse:
        r.update(request, _get(r, pk), parse_form(request))
        return done(request, r.url("index"), success=f"{r.label} saved.")

    @escalated_view(
        methods=("DELETE", "POST"), access="admin", back=lambda request, pk: r.url("index")
    )
    def destroy(request: HttpRequest, pk: int) -> HttpResponse:
        r.delete(request, _get(r, pk))
        return done(request, r.url("index"), success=f"{r.label} deleted.")

    return {
        "index": index,
        "create": create,
        "edit": edit,
        "store": store,
        "update": update,
        "destroy": destroy,
    }


def resource_urls(resource: Resource) -> list[URLPattern]:
    """URL patterns of one resource, named ``admin.<name>.<action>``."""
    views = resource_views(resource)
    base, name = f"admin/{resource.slug}/", f"admin.{resource.name}"
    collection = by_method(get=views["index"], post=views["store"])
    member = by_method(
        put=views["update"], patch=views["update"], post=views["update"], delete=views["destroy"]
    )
    return [
        path(base, collection, name=f"{name}.index"),
        path(base, collection, name=f"{name}.store"),
        path(f"{base}create/", views["create"], name=f"{name}.create"),
        path(f"{base}<int:pk>/edit/", views["edit"], name=f"{name}.edit"),
        path(f"{base}<int:pk>/", member, name=f"{name}.update"),
        path(f"{base}<int:pk>/delete/", views["destroy"], name=f"{name}.destroy"),
    ]
