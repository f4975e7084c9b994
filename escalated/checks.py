"""System checks for ``settings.ESCALATED`` (ids ``escalated.E001`` …, ``escalated.W001`` …)."""

from __future__ import annotations

import re
import zoneinfo
from typing import Any
from urllib.parse import urlsplit

from django.core.checks import CheckMessage, Error, Warning, register
from django.utils.module_loading import import_string

from escalated.conf import (
    MODES,
    NOTIFICATION_CHANNELS,
    PRIORITIES,
    app_settings,
    parse_clock,
    parse_rate,
)

_NON_NEGATIVE_INTS = (
    "AUTO_CLOSE_RESOLVED_AFTER_DAYS",
    "MAX_ATTACHMENTS",
    "MAX_ATTACHMENT_SIZE_KB",
)


def _error(msg: str, id_: str, hint: str | None = None) -> Error:
    return Error(msg, hint=hint, obj="settings.ESCALATED", id=id_)


@register("escalated")
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Reject bad ``ESCALATED`` values with a clear message and an id."""
    errors: list[CheckMessage] = []
    mode = app_settings.get("MODE")
    if mode not in MODES:
        errors.append(
            _error(
                f"MODE {mode!r} is unknown.", "escalated.E001", f"Use one of {', '.join(MODES)}."
            )
        )

    sla = app_settings.raw_sla()
    hours = sla.get("BUSINESS_HOURS") or {}
    try:
        start, end = parse_clock(hours.get("START")), parse_clock(hours.get("END"))
    except (TypeError, ValueError):
        errors.append(
            _error(
                "SLA.BUSINESS_HOURS START and END must be times written 'HH:MM'.",
                "escalated.E002",
            )
        )
    else:
        if end <= start:
            errors.append(
                _error(
                    f"SLA.BUSINESS_HOURS END ({end:%H:%M}) must be after START ({start:%H:%M}).",
                    "escalated.E002",
                )
            )

    tz = hours.get("TIMEZONE")
    try:
        zoneinfo.ZoneInfo(str(tz))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        errors.append(
            _error(
                f"SLA.BUSINESS_HOURS TIMEZONE {tz!r} is not a known time zone.",
                "escalated.E003",
                "Use an IANA name such as 'Europe/Berlin' or 'UTC'.",
            )
        )

    days = hours.get("DAYS")
    if (
        not isinstance(days, list | tuple)
        or not days
        or any(isinstance(d, bool) or not isinstance(d, int) or not 1 <= d <= 7 for d in days)
    ):
        errors.append(
            _error(
                f"SLA.BUSINESS_HOURS DAYS {days!r} must be a non-empty list of ISO weekdays 1-7.",
                "escalated.E004",
                "Monday is 1, Sunday is 7.",
            )
        )

    for key in _NON_NEGATIVE_INTS:
        value = app_settings.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            errors.append(
                _error(
                    f"{key} must be a whole number of 0 or more, not {value!r}.", "escalated.E005"
                )
            )

    priority = app_settings.get("DEFAULT_PRIORITY")
    if priority not in PRIORITIES:
        errors.append(
            _error(
                f"DEFAULT_PRIORITY {priority!r} is unknown.",
                "escalated.E006",
                f"Use one of {', '.join(PRIORITIES)}.",
            )
        )

    if mode in ("synced", "cloud") and not app_settings.HOSTED_API_KEY:
        errors.append(
            _error(
                f"MODE {mode!r} needs HOSTED_API_KEY.",
                "escalated.E007",
                "Create an API key in Escalated Cloud and set ESCALATED['HOSTED_API_KEY'].",
            )
        )

    prefix = app_settings.get("TABLE_PREFIX")
    if not isinstance(prefix, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,30}", prefix):
        errors.append(
            _error(
                f"TABLE_PREFIX {prefix!r} must be letters, digits and underscores (at most 31).",
                "escalated.E008",
            )
        )

    try:
        parse_rate(app_settings.get("GUEST_RATE_LIMIT"))
    except ValueError as exc:
        errors.append(_error(f"GUEST_RATE_LIMIT: {exc}", "escalated.E011", "Or None for no limit."))

    hooks_ok = True
    for key in ("AGENT_CHECK", "AGENT_USERS", "ADMIN_CHECK"):
        path = app_settings.get(key)
        if path:
            try:
                import_string(str(path))
            except ImportError as exc:
                hooks_ok = False
                errors.append(_error(f"{key} {path!r} cannot be imported: {exc}", "escalated.E009"))
    if hooks_ok and app_settings.AGENT_CHECK and not app_settings.AGENT_USERS:
        errors.append(
            Warning(
                "AGENT_CHECK is set without AGENT_USERS: the assignee pickers list the "
                "default rule's agents that AGENT_CHECK accepts, and miss anyone else; "
                "they call AGENT_CHECK once per such user on every page with a picker.",
                hint="Set ESCALATED['AGENT_USERS'] to a function returning the queryset of "
                "the users your AGENT_CHECK accepts.",
                obj="settings.ESCALATED",
                id="escalated.W001",
            )
        )

    threshold = sla.get("WARNING_THRESHOLD_PERCENT")
    if isinstance(threshold, bool) or not isinstance(threshold, int) or not 1 <= threshold <= 99:
        errors.append(
            _error(
                "SLA.WARNING_THRESHOLD_PERCENT must be a whole number from 1 to 99, "
                f"not {threshold!r}.",
                "escalated.E010",
            )
        )
    errors += _check_notifications()
    return errors


def _http_url_problem(value: object, *, base: bool = False) -> str | None:
    """What is wrong with ``value`` as an absolute http(s) URL, or ``None``.

    ``base``: a URL that paths are appended to (``PUBLIC_URL``), so no query or fragment.
    Never raises: ``urlsplit`` and ``.port`` raise ``ValueError`` on malformed input,
    and a check that raises stops ``manage.py check`` (and ``runserver``) with a traceback.
    """
    if not isinstance(value, str):
        return "it is not a string"
    if any(c.isspace() or not c.isprintable() for c in value):
        return "it contains spaces or control characters"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
    except ValueError as exc:
        return f"it cannot be parsed ({exc})"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "it must start with http:// or https:// and name a host"
    if parts.username is not None or parts.password is not None:
        return "credentials in the URL are not supported"
    if base and ("?" in value or "#" in value):
        return "paths are appended to it, so it can have no query or fragment"
    return None


def _check_notifications() -> list[CheckMessage]:
    """NOTIFICATION_CHANNELS, PUBLIC_URL, the webhook keys and LOGOUT_URL (E012-E016,
    W002)."""
    errors: list[CheckMessage] = []
    channels = app_settings.get("NOTIFICATION_CHANNELS")
    if channels is None:
        channels = []
    if not isinstance(channels, list | tuple):
        errors.append(
            _error(
                f"NOTIFICATION_CHANNELS must be a list, not {channels!r}.",
                "escalated.E012",
                'Use ["email"], or [] to send no e-mail.',
            )
        )
        channels = []
    unknown = [c for c in channels if c not in NOTIFICATION_CHANNELS]
    if unknown:
        errors.append(
            _error(
                f"NOTIFICATION_CHANNELS has unknown channels: {', '.join(map(repr, unknown))}.",
                "escalated.E012",
                f"Known channels: {', '.join(NOTIFICATION_CHANNELS)}.",
            )
        )
    url = app_settings.get("WEBHOOK_URL")
    problem = None if url in (None, "") else _http_url_problem(url)
    if problem:
        errors.append(
            _error(
                f"WEBHOOK_URL {url!r} must be an http:// or https:// URL: {problem}.",
                "escalated.E013",
                "Or None to post no webhooks. To authenticate the posts, set WEBHOOK_SECRET "
                "and check the X-Escalated-Signature header.",
            )
        )
    public_url = app_settings.get("PUBLIC_URL")
    problem = None if public_url in (None, "") else _http_url_problem(public_url, base=True)
    if problem:
        errors.append(
            _error(
                f"PUBLIC_URL {public_url!r} must be an absolute http:// or https:// URL: "
                f"{problem}.",
                "escalated.E014",
                "The address of your site's root, e.g. 'https://support.example.com'.",
            )
        )
    secret = app_settings.get("WEBHOOK_SECRET")
    if secret is not None and not isinstance(secret, str):
        errors.append(
            _error(
                "WEBHOOK_SECRET must be a string (the key of the webhook signature) or None.",
                "escalated.E015",
            )
        )
    logout = app_settings.get("LOGOUT_URL")
    if logout is not None and not isinstance(logout, str):
        errors.append(
            _error(
                f"LOGOUT_URL must be a URL name, a path or None, not {logout!r}.",
                "escalated.E016",
                "E.g. 'logout' (django.contrib.auth.urls) or 'account_logout' (allauth).",
            )
        )
    if "email" in channels and public_url in (None, ""):
        errors.append(
            Warning(
                "E-mail notifications are on but PUBLIC_URL is not set: their links to "
                "tickets are bare paths that mail clients cannot open.",
                hint="Set ESCALATED['PUBLIC_URL'] to your site's address, e.g. "
                "'https://support.example.com'.",
                obj="settings.ESCALATED",
                id="escalated.W002",
            )
        )
    return errors
