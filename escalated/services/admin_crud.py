"""Writes of the admin area: departments, tags, business schedules and holidays, SLA
policies, canned responses and macros. (Escalation rules live in
:mod:`escalated.services.escalations`.)

Every service is keyword-only, takes ``actor`` (an admin, see
:func:`escalated.permissions.is_admin`; anyone else gets ``NotPermitted``), validates
everything before writing, raises ``ValidationFailed`` with *all* field errors at once,
and writes in one transaction. ``None`` for an update argument leaves it unchanged.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, time
from typing import Any, Final, TypeVar

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model, QuerySet
from django.utils.text import slugify

from escalated.exceptions import NotPermitted, ValidationFailed
from escalated.models import (
    BusinessSchedule,
    CannedResponse,
    Department,
    Holiday,
    Macro,
    Priority,
    SlaPolicy,
    Tag,
)
from escalated.models.rules import validate_macro_actions
from escalated.models.sla import validate_days
from escalated.permissions import is_admin
from escalated.services.sla import sla_recompute_request
from escalated.user_ids import parse_user_id, user_id_json

M = TypeVar("M", bound=Model)
Errors = dict[str, list[str]]

_COLOR: Final = re.compile(r"^#[0-9a-fA-F]{6}$")
DEFAULT_TAG_COLOR: Final = "#6b7280"


# --------------------------------------------------------------------------- helpers


def _require_admin(actor: Any) -> None:
    if not is_admin(actor):
        raise NotPermitted("Only administrators may change this.")


def _raise(errors: Errors, message: str) -> None:
    if errors:
        raise ValidationFailed(message, errors=errors)


def _required(value: str | None, field: str, label: str, max_length: int, errors: Errors) -> str:
    text = (value or "").strip()
    if not text:
        errors.setdefault(field, []).append(f"{label} is required.")
    elif len(text) > max_length:
        errors.setdefault(field, []).append(f"{label} must be at most {max_length} characters.")
    return text


def _unique(
    qs: QuerySet[M],
    exclude: Model | None,
    field: str,
    value: str,
    label: str,
    errors: Errors,
    *,
    key: str | None = None,
) -> None:
    """Report ``value`` under ``key`` (default ``field``) if another row already has it."""
    key = key or field
    if not value or key in errors:
        return
    others = qs.filter(**{f"{field}__iexact": value})
    if exclude is not None and exclude.pk is not None:
        others = others.exclude(pk=exclude.pk)
    if others.exists():
        errors.setdefault(key, []).append(f"{label} {value!r} is already taken.")


def _slug(value: str | None, fallback: str, field: str, errors: Errors) -> str:
    slug = slugify((value or "").strip() or fallback)[:60]
    if (value or fallback) and not slug:
        errors.setdefault(field, []).append("Use letters, digits, hyphens or underscores.")
    return slug


def _save(obj: M, message: str, *, update_fields: Sequence[str] | None = None) -> M:
    """Save, turning a lost race on a unique column into a validation error."""
    try:
        with transaction.atomic():
            obj.save(update_fields=update_fields)
    except IntegrityError as exc:
        raise ValidationFailed(message, errors={"name": ["This name is already taken."]}) from exc
    return obj


def _apply(obj: Model, values: Mapping[str, Any]) -> list[str]:
    """Set the attributes that changed; return their names."""
    changed = []
    for name, value in values.items():
        if value is not None and getattr(obj, name) != value:
            setattr(obj, name, value)
            changed.append(name)
    return changed


# --------------------------------------------------------------------------- departments


def _clean_users(ids: Iterable[Any] | None, field: str, errors: Errors) -> list[Any] | None:
    if ids is None:
        return None
    parsed = [parse_user_id(i) for i in ids]
    if any(i is None for i in parsed):
        errors.setdefault(field, []).append("Give user ids.")
        return []
    wanted: set[Any] = set(parsed)
    users = list(get_user_model()._default_manager.filter(pk__in=wanted, is_active=True))
    missing = sorted(user_id_json(i) for i in wanted - {u.pk for u in users})
    if missing:
        errors.setdefault(field, []).append(f"Unknown or inactive users: {missing}.")
    return users


def _department_values(
    department: Department | None,
    *,
    name: str | None,
    slug: str | None,
    errors: Errors,
) -> tuple[str | None, str | None]:
    clean_name = (
        _required(name, "name", "Name", 120, errors) if name is not None or not department else None
    )
    clean_slug = None
    if slug is not None or department is None:
        clean_slug = _slug(slug, clean_name or "", "slug", errors)
    qs = Department.objects.all()
    if clean_name:
        _unique(qs, department, "name", clean_name, "Name", errors)
    if clean_slug:
        _unique(qs, department, "slug", clean_slug, "Slug", errors)
    return clean_name, clean_slug


def department_create(
    *,
    actor: Any,
    name: str,
    slug: str = "",
    description: str = "",
    is_active: bool = True,
    agent_ids: Iterable[Any] = (),
) -> Department:
    """Create a department; its members become agents (see ``permissions``)."""
    _require_admin(actor)
    errors: Errors = {}
    clean_name, clean_slug = _department_values(None, name=name, slug=slug, errors=errors)
    agents = _clean_users(agent_ids, "agent_ids", errors) or []
    _raise(errors, "The department is not valid.")
    with transaction.atomic():
        department = _save(
            Department(
                name=clean_name or "",
                slug=clean_slug or "",
                description=(description or "").strip(),
                is_active=is_active,
            ),
            "The department is not valid.",
        )
        department.agents.set(agents)
    return department


def department_update(
    *,
    department: Department,
    actor: Any,
    name: str | None = None,
    slug: str | None = None,
    description: str | None = None,
    is_active: bool | None = None,
    agent_ids: Iterable[Any] | None = None,
) -> Department:
    """Change a department; ``agent_ids`` replaces its members."""
    _require_admin(actor)
    errors: Errors = {}
    clean_name, clean_slug = _department_values(department, name=name, slug=slug, errors=errors)
    agents = _clean_users(agent_ids, "agent_ids", errors)
    _raise(errors, "The department is not valid.")
    with transaction.atomic():
        changed = _apply(
            department,
            {
                "name": clean_name,
                "slug": clean_slug,
                "description": description.strip() if description is not None else None,
                "is_active": is_active,
            },
        )
        if changed:
            _save(
                department, "The department is not valid.", update_fields=[*changed, "updated_at"]
            )
        if agents is not None:
            department.agents.set(agents)
    return department


def department_delete(*, department: Department, actor: Any) -> None:
    """Delete a department; its tickets keep going, without a department."""
    _require_admin(actor)
    department.delete()


# --------------------------------------------------------------------------- tags


def _clean_color(value: str | None, errors: Errors) -> str | None:
    if value is None:
        return None
    color = value.strip() or DEFAULT_TAG_COLOR
    if not _COLOR.match(color):
        errors.setdefault("color", []).append("Use a colour like #2563eb.")
    return color.lower()


def tag_create(*, actor: Any, name: str, slug: str = "", color: str = DEFAULT_TAG_COLOR) -> Tag:
    """Create a tag (name and slug unique, colour ``#rrggbb``)."""
    _require_admin(actor)
    errors: Errors = {}
    clean_name = _required(name, "name", "Name", 60, errors)
    clean_slug = _slug(slug, clean_name, "slug", errors)
    clean_color = _clean_color(color, errors)
    _unique(Tag.objects.all(), None, "name", clean_name, "Name", errors)
    _unique(Tag.objects.all(), None, "slug", clean_slug, "Slug", errors)
    _raise(errors, "The tag is not valid.")
    return _save(
        Tag(name=clean_name, slug=clean_slug, color=clean_color or DEFAULT_TAG_COLOR),
        "The tag is not valid.",
    )


def tag_update(
    *,
    tag: Tag,
    actor: Any,
    name: str | None = None,
    slug: str | None = None,
    color: str | None = None,
) -> Tag:
    """Rename or recolour a tag."""
    _require_admin(actor)
    errors: Errors = {}
    clean_name = _required(name, "name", "Name", 60, errors) if name is not None else None
    clean_slug = _slug(slug, clean_name or tag.name, "slug", errors) if slug is not None else None
    clean_color = _clean_color(color, errors)
    if clean_name:
        _unique(Tag.objects.all(), tag, "name", clean_name, "Name", errors)
    if clean_slug:
        _unique(Tag.objects.all(), tag, "slug", clean_slug, "Slug", errors)
    _raise(errors, "The tag is not valid.")
    changed = _apply(tag, {"name": clean_name, "slug": clean_slug, "color": clean_color})
    if changed:
        _save(tag, "The tag is not valid.", update_fields=changed)
    return tag


def tag_delete(*, tag: Tag, actor: Any) -> None:
    """Delete a tag (it disappears from every ticket)."""
    _require_admin(actor)
    tag.delete()


# --------------------------------------------------------------------------- schedules


def _clean_clock(value: Any, field: str, errors: Errors) -> time | None:
    if value is None or value == "":
        errors.setdefault(field, []).append("Enter a time as HH:MM.")
        return None
    if isinstance(value, time):
        return value
    try:
        return time.fromisoformat(str(value).strip())
    except ValueError:
        errors.setdefault(field, []).append("Enter a time as HH:MM.")
        return None


def _clean_holidays(value: Any, errors: Errors) -> list[tuple[date, str]] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        errors.setdefault("holidays", []).append("Holidays must be a list.")
        return None
    result: dict[date, str] = {}
    for i, item in enumerate(value, start=1):
        raw_date = item.get("date") if isinstance(item, dict) else item
        name = str(item.get("name") or "").strip()[:120] if isinstance(item, dict) else ""
        try:
            day = date.fromisoformat(str(raw_date))
        except ValueError:
            errors.setdefault("holidays", []).append(f"Holiday {i}: enter a date as YYYY-MM-DD.")
            continue
        if day in result:
            errors.setdefault("holidays", []).append(f"Holiday {i}: {day} is listed twice.")
        result[day] = name
    return sorted(result.items())


def _clean_schedule(
    data: Mapping[str, Any], *, schedule: BusinessSchedule | None, errors: Errors
) -> dict[str, Any]:
    """Validate ``{name, timezone, start_time, end_time, days, holidays}``."""
    values: dict[str, Any] = {}
    partial = schedule is not None
    if "name" in data or not partial:
        values["name"] = _required(data.get("name"), "schedule.name", "Name", 120, errors)
        _unique(
            BusinessSchedule.objects.all(),
            schedule,
            "name",
            values["name"],
            "Schedule name",
            errors,
            key="schedule.name",
        )
    if "timezone" in data or not partial:
        tz = str(data.get("timezone") or "UTC").strip()
        try:
            zoneinfo.ZoneInfo(tz)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            errors.setdefault("schedule.timezone", []).append(f"Unknown time zone {tz!r}.")
        values["timezone"] = tz
    for key in ("start_time", "end_time"):
        if key in data or not partial:
            values[key] = _clean_clock(
                data.get(key, "09:00" if key == "start_time" else "17:00"),
                f"schedule.{key}",
                errors,
            )
    start = values.get("start_time", schedule.start_time if schedule else None)
    end = values.get("end_time", schedule.end_time if schedule else None)
    if isinstance(start, time) and isinstance(end, time) and end <= start:
        errors.setdefault("schedule.end_time", []).append("The day must end after it starts.")
    if "days" in data or not partial:
        days = data.get("days", [1, 2, 3, 4, 5])
        try:
            if isinstance(days, list):
                days = [int(d) for d in days]
            validate_days(days)
            values["days"] = sorted(days)
        except (ValidationError, TypeError, ValueError) as exc:
            message = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
            errors.setdefault("schedule.days", []).append(message)
    values["holidays"] = _clean_holidays(data.get("holidays"), errors)
    return values


def _write_schedule(schedule: BusinessSchedule | None, values: dict[str, Any]) -> BusinessSchedule:
    holidays = values.pop("holidays", None)
    if schedule is None:
        schedule = _save(BusinessSchedule(**values), "The schedule is not valid.")
    else:
        changed = _apply(schedule, values)
        if changed:
            _save(schedule, "The schedule is not valid.", update_fields=[*changed, "updated_at"])
    if holidays is not None:
        schedule.holidays.all().delete()
        Holiday.objects.bulk_create(
            Holiday(schedule=schedule, date=day, name=name) for day, name in holidays
        )
    return schedule


def _schedule_clock(schedule_id: int | None) -> tuple[Any, ...]:
    """What of a schedule the SLA clock depends on (to tell whether an edit moved it)."""
    if schedule_id is None:
        return ()
    hours = (
        BusinessSchedule.objects.filter(pk=schedule_id)
        .values_list("timezone", "start_time", "end_time", "days")
        .first()
    )
    days_off = Holiday.objects.filter(schedule_id=schedule_id).order_by("date")
    return (hours, tuple(days_off.values_list("date", flat=True)))


def _policy_clock(policy_id: int) -> tuple[Any, ...]:
    """What of a policy its tickets' deadlines depend on: targets, schedule, holidays."""
    row = (
        SlaPolicy.objects.filter(pk=policy_id)
        .values_list("first_response_hours", "resolution_hours", "schedule_id")
        .first()
    )
    return () if row is None else (*row, _schedule_clock(row[2]))


def _recompute_policies_of_schedule(schedule_id: int | None, actor: Any) -> None:
    """After commit, recompute the open tickets of the policies that count in
    ``schedule_id`` (every policy for ``None``: a holiday of every schedule)."""
    if schedule_id is None:
        sla_recompute_request(policy_ids=None, actor=actor)
        return
    ids = list(SlaPolicy.objects.filter(schedule_id=schedule_id).values_list("pk", flat=True))
    sla_recompute_request(policy_ids=ids, actor=actor)


def business_schedule_create(*, actor: Any, **data: Any) -> BusinessSchedule:
    """Create a working week: ``name``, ``timezone``, ``start_time``/``end_time`` ("HH:MM"),
    ``days`` (ISO weekdays) and ``holidays`` (``[{"date": "YYYY-MM-DD", "name": …}]``)."""
    _require_admin(actor)
    errors: Errors = {}
    values = _clean_schedule(data, schedule=None, errors=errors)
    _raise(errors, "The schedule is not valid.")
    with transaction.atomic():
        return _write_schedule(None, values)


def business_schedule_update(
    *, schedule: BusinessSchedule, actor: Any, **data: Any
) -> BusinessSchedule:
    """Change the given keys of a working week; ``holidays`` replaces the whole list."""
    _require_admin(actor)
    errors: Errors = {}
    values = _clean_schedule(data, schedule=schedule, errors=errors)
    _raise(errors, "The schedule is not valid.")
    with transaction.atomic():
        before = _schedule_clock(schedule.pk)
        schedule = _write_schedule(schedule, values)
        if _schedule_clock(schedule.pk) != before:
            _recompute_policies_of_schedule(schedule.pk, actor)
        return schedule


def business_schedule_delete(*, schedule: BusinessSchedule, actor: Any) -> None:
    """Delete a working week; its policies fall back to the ESCALATED SLA hours (and
    their open tickets' deadlines are recomputed in them)."""
    _require_admin(actor)
    with transaction.atomic():
        ids = list(SlaPolicy.objects.filter(schedule=schedule).values_list("pk", flat=True))
        schedule.delete()
        sla_recompute_request(policy_ids=ids, actor=actor)


def holiday_create(
    *, actor: Any, date: date | str, name: str = "", schedule: BusinessSchedule | None = None
) -> Holiday:
    """Add a day off to one schedule (or, without ``schedule``, to every schedule)."""
    _require_admin(actor)
    errors: Errors = {}
    days = _clean_holidays([{"date": str(date), "name": name}], errors) or []
    if days and Holiday.objects.filter(schedule=schedule, date=days[0][0]).exists():
        errors.setdefault("date", []).append("This day is already a holiday.")
    if "holidays" in errors:
        errors["date"] = errors.pop("holidays")
    _raise(errors, "The holiday is not valid.")
    day, clean_name = days[0]
    with transaction.atomic():
        holiday = Holiday.objects.create(schedule=schedule, date=day, name=clean_name)
        _recompute_policies_of_schedule(holiday.schedule_id, actor)
    return holiday


def holiday_delete(*, holiday: Holiday, actor: Any) -> None:
    """Remove a day off."""
    _require_admin(actor)
    with transaction.atomic():
        schedule_id = holiday.schedule_id
        holiday.delete()
        _recompute_policies_of_schedule(schedule_id, actor)


# --------------------------------------------------------------------------- SLA policies


def _clean_targets(value: Any, field: str, errors: Errors) -> dict[str, float] | None:
    """``{priority: hours}``; blank hours are dropped, others must be positive numbers."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        errors.setdefault(field, []).append("Give hours per priority.")
        return None
    targets: dict[str, float] = {}
    for priority, raw in value.items():
        if priority not in Priority.values:
            errors.setdefault(field, []).append(f"Unknown priority {priority!r}.")
            continue
        if raw is None or raw == "":
            continue
        try:
            hours = float(raw)
        except (TypeError, ValueError):
            hours = -1.0
        if isinstance(raw, bool) or not hours > 0 or hours > 24 * 365:
            errors.setdefault(field, []).append(
                f"{Priority(priority).label}: enter a positive number of hours."
            )
            continue
        targets[priority] = int(hours) if hours.is_integer() else hours
    return targets


_NO_SCHEDULE: Final = object()


def _policy_schedule(
    schedule: Any, policy: SlaPolicy | None, name: str, errors: Errors
) -> tuple[Any, dict[str, Any] | None]:
    """Interpret ``schedule``: ``None`` (none), an id or instance, or a dict to write."""
    if schedule is _NO_SCHEDULE:
        return _NO_SCHEDULE, None
    if schedule is None or schedule == "":
        return None, None
    if isinstance(schedule, BusinessSchedule):
        return schedule, None
    if isinstance(schedule, int) or (isinstance(schedule, str) and schedule.isdigit()):
        found = BusinessSchedule.objects.filter(pk=int(schedule)).first()
        if found is None:
            errors.setdefault("schedule", []).append("Unknown business schedule.")
        return found, None
    if isinstance(schedule, Mapping):
        existing = policy.schedule if policy is not None else None
        data = dict(schedule)
        data.pop("id", None)
        if existing is None and not data.get("name"):
            data["name"] = f"{name or 'SLA'} hours"
        return existing, _clean_schedule(data, schedule=existing, errors=errors)
    errors.setdefault("schedule", []).append("Give a schedule, its id, or nothing.")
    return None, None


def sla_policy_create(
    *,
    actor: Any,
    name: str,
    description: str = "",
    is_default: bool = False,
    is_active: bool = True,
    first_response_hours: Mapping[str, Any] | None = None,
    resolution_hours: Mapping[str, Any] | None = None,
    schedule: Any = None,
) -> SlaPolicy:
    """Create a policy with per-priority targets (hours).

    ``schedule``: ``None`` (the ESCALATED SLA business hours), an existing
    ``BusinessSchedule`` or its id, or a dict as for :func:`business_schedule_create`
    (created for this policy). ``is_default`` makes it the one default policy.
    """
    _require_admin(actor)
    errors: Errors = {}
    clean_name = _required(name, "name", "Name", 120, errors)
    _unique(SlaPolicy.objects.all(), None, "name", clean_name, "Name", errors)
    first = _clean_targets(first_response_hours or {}, "first_response_hours", errors) or {}
    resolution = _clean_targets(resolution_hours or {}, "resolution_hours", errors) or {}
    target, schedule_values = _policy_schedule(schedule, None, clean_name, errors)
    _raise(errors, "The SLA policy is not valid.")
    with transaction.atomic():
        if schedule_values is not None:
            target = _write_schedule(None, schedule_values)
        if is_default:
            SlaPolicy.objects.filter(is_default=True).update(is_default=False)
        return _save(
            SlaPolicy(
                name=clean_name,
                description=(description or "").strip(),
                is_default=is_default,
                is_active=is_active,
                first_response_hours=first,
                resolution_hours=resolution,
                schedule=target,
            ),
            "The SLA policy is not valid.",
        )


def sla_policy_update(
    *,
    policy: SlaPolicy,
    actor: Any,
    name: str | None = None,
    description: str | None = None,
    is_default: bool | None = None,
    is_active: bool | None = None,
    first_response_hours: Mapping[str, Any] | None = None,
    resolution_hours: Mapping[str, Any] | None = None,
    schedule: Any = _NO_SCHEDULE,
) -> SlaPolicy:
    """Change a policy. ``schedule`` as for :func:`sla_policy_create`; a dict edits the
    policy's own schedule in place (or creates one); leave it out to keep the schedule.

    When the targets, the schedule or its holidays change, the open tickets of the
    policy get their deadlines recomputed after the commit (see
    :func:`escalated.services.sla.sla_recompute`).
    """
    _require_admin(actor)
    errors: Errors = {}
    clean_name = _required(name, "name", "Name", 120, errors) if name is not None else None
    if clean_name:
        _unique(SlaPolicy.objects.all(), policy, "name", clean_name, "Name", errors)
    first = _clean_targets(first_response_hours, "first_response_hours", errors)
    resolution = _clean_targets(resolution_hours, "resolution_hours", errors)
    target, schedule_values = _policy_schedule(schedule, policy, clean_name or policy.name, errors)
    _raise(errors, "The SLA policy is not valid.")
    with transaction.atomic():
        before = _policy_clock(policy.pk)
        shared_before = None
        if schedule_values is not None:
            # The schedule edited in place may be shared with other policies.
            edited = target.pk if isinstance(target, BusinessSchedule) else None
            shared_before = (edited, _schedule_clock(edited))
            target = _write_schedule(target, schedule_values)
        if is_default:
            SlaPolicy.objects.filter(is_default=True).exclude(pk=policy.pk).update(is_default=False)
        changed = _apply(
            policy,
            {
                "name": clean_name,
                "description": description.strip() if description is not None else None,
                "is_default": is_default,
                "is_active": is_active,
                "first_response_hours": first,
                "resolution_hours": resolution,
            },
        )
        if target is not _NO_SCHEDULE and policy.schedule_id != (target.pk if target else None):
            policy.schedule = target
            changed.append("schedule")
        if changed:
            _save(policy, "The SLA policy is not valid.", update_fields=[*changed, "updated_at"])
        if shared_before is not None and shared_before[0] is not None:
            edited, clock = shared_before
            if _schedule_clock(edited) != clock:
                _recompute_policies_of_schedule(edited, actor)  # this policy among them
        if _policy_clock(policy.pk) != before:
            sla_recompute_request(policy_ids=[policy.pk], actor=actor)
    return policy


def sla_policy_delete(*, policy: SlaPolicy, actor: Any) -> None:
    """Delete a policy; its tickets keep their deadlines but lose the policy link."""
    _require_admin(actor)
    policy.delete()


# --------------------------------------------------------------------------- canned responses


def _canned_values(
    *, title: str | None, body: str | None, category: str | None, errors: Errors, partial: bool
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if title is not None or not partial:
        values["title"] = _required(title, "title", "Title", 160, errors)
    if body is not None or not partial:
        values["body"] = _required(body, "body", "Text", 100_000, errors)
    if category is not None:
        values["category"] = category.strip()[:80]
    return values


def canned_response_create(
    *, actor: Any, title: str, body: str, category: str = "", is_shared: bool = True
) -> CannedResponse:
    """Save a reply text agents insert into the reply box."""
    _require_admin(actor)
    errors: Errors = {}
    values = _canned_values(title=title, body=body, category=category, errors=errors, partial=False)
    _raise(errors, "The canned response is not valid.")
    return CannedResponse.objects.create(**values, is_shared=is_shared, created_by=actor)


def canned_response_update(
    *,
    canned_response: CannedResponse,
    actor: Any,
    title: str | None = None,
    body: str | None = None,
    category: str | None = None,
    is_shared: bool | None = None,
) -> CannedResponse:
    """Change a canned response."""
    _require_admin(actor)
    errors: Errors = {}
    values = _canned_values(title=title, body=body, category=category, errors=errors, partial=True)
    _raise(errors, "The canned response is not valid.")
    changed = _apply(canned_response, {**values, "is_shared": is_shared})
    if changed:
        canned_response.save(update_fields=[*changed, "updated_at"])
    return canned_response


def canned_response_delete(*, canned_response: CannedResponse, actor: Any) -> None:
    """Delete a canned response."""
    _require_admin(actor)
    canned_response.delete()


# --------------------------------------------------------------------------- macros


def _clean_actions(value: Any, errors: Errors) -> list[dict[str, Any]] | None:
    if value is None:
        return None
    try:
        validate_macro_actions(value)
    except ValidationError as exc:
        errors.setdefault("actions", []).extend(exc.messages)
        return None
    return [dict(a) for a in value]


def _clean_position(value: Any, errors: Errors) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not str(value).strip().isdigit() or int(value) > 2**31 - 1:
        errors.setdefault("position", []).append("Enter a position of 0 or more.")
        return None
    return int(value)


def macro_create(
    *,
    actor: Any,
    name: str,
    actions: list[dict[str, Any]],
    description: str = "",
    is_shared: bool = True,
    position: int | None = None,
) -> Macro:
    """Create a macro: a named list of ticket actions (``MACRO_ACTIONS``) applied at once."""
    _require_admin(actor)
    errors: Errors = {}
    clean_name = _required(name, "name", "Name", 120, errors)
    clean_actions = _clean_actions(actions, errors)
    clean_position = _clean_position(position, errors)
    _raise(errors, "The macro is not valid.")
    if clean_position is None:
        last = Macro.objects.order_by("-position").values_list("position", flat=True).first()
        clean_position = 0 if last is None else last + 1
    return Macro.objects.create(
        name=clean_name,
        description=(description or "").strip(),
        actions=clean_actions or [],
        is_shared=is_shared,
        position=clean_position,
        created_by=actor,
    )


def macro_update(
    *,
    macro: Macro,
    actor: Any,
    name: str | None = None,
    actions: list[dict[str, Any]] | None = None,
    description: str | None = None,
    is_shared: bool | None = None,
    position: int | None = None,
) -> Macro:
    """Change a macro."""
    _require_admin(actor)
    errors: Errors = {}
    clean_name = _required(name, "name", "Name", 120, errors) if name is not None else None
    clean_actions = _clean_actions(actions, errors)
    clean_position = _clean_position(position, errors)
    _raise(errors, "The macro is not valid.")
    changed = _apply(
        macro,
        {
            "name": clean_name,
            "description": description.strip() if description is not None else None,
            "actions": clean_actions,
            "is_shared": is_shared,
            "position": clean_position,
        },
    )
    if changed:
        macro.save(update_fields=[*changed, "updated_at"])
    return macro


def macro_delete(*, macro: Macro, actor: Any) -> None:
    """Delete a macro."""
    _require_admin(actor)
    macro.delete()
