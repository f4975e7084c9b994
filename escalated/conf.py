"""Typed, lazy view of ``settings.ESCALATED``.

Every value is read on access, so ``override_settings(ESCALATED=...)`` works in tests
and nothing touches settings at import time. Unknown keys are ignored; bad values are
reported by the system checks in :mod:`escalated.checks`, never by raising here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from typing import Any, Final

from django.conf import settings as django_settings

MODES: Final = ("self_hosted", "synced", "cloud")
NOTIFICATION_CHANNELS: Final = ("email",)
PRIORITIES: Final = ("low", "medium", "high", "urgent", "critical")

DEFAULTS: Final[dict[str, Any]] = {
    "MODE": "self_hosted",
    "TABLE_PREFIX": "escalated_",
    "ROUTE_PREFIX": "support",
    "REFERENCE_PREFIX": "ESC",
    "DEFAULT_PRIORITY": "medium",
    "ALLOW_CUSTOMER_CLOSE": True,
    "AUTO_CLOSE_RESOLVED_AFTER_DAYS": 7,
    "MAX_ATTACHMENTS": 5,
    "MAX_ATTACHMENT_SIZE_KB": 10240,
    "SLA": {
        "ENABLED": True,
        "BUSINESS_HOURS_ONLY": False,
        "WARNING_THRESHOLD_PERCENT": 80,
        "BUSINESS_HOURS": {
            "START": "09:00",
            "END": "17:00",
            "TIMEZONE": "UTC",
            "DAYS": [1, 2, 3, 4, 5],
        },
    },
    "NOTIFICATION_CHANNELS": ["email"],
    "PUBLIC_URL": None,
    "WEBHOOK_URL": None,
    "WEBHOOK_SECRET": None,
    "HOSTED_API_URL": "https://cloud.escalated.dev/api/v1",
    "HOSTED_API_KEY": None,
    "GUEST_RATE_LIMIT": "10/h",
    "AGENT_CHECK": None,
    "AGENT_USERS": None,
    "ADMIN_CHECK": None,
    "LAYOUT": "escalated/app.html",
    "LOGOUT_URL": "logout",
}


_PERIODS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True, slots=True)
class Rate:
    """``count`` actions per ``seconds`` (parsed from ``"10/h"``)."""

    count: int
    seconds: int


def parse_rate(value: Any) -> Rate | None:
    """``"<n>/<s|m|h|d>"`` (e.g. ``"10/h"``) -> :class:`Rate`; ``None``/``""`` -> ``None``.

    Raises ``ValueError`` on anything else.
    """
    if value in (None, ""):
        return None
    match = re.fullmatch(r"\s*(\d+)\s*/\s*([smhd])\s*", str(value))
    if not match or int(match[1]) < 1:
        raise ValueError(f"{value!r} is not a rate like '10/h' (at least 1 per s, m, h or d).")
    return Rate(count=int(match[1]), seconds=_PERIODS[match[2]])


@dataclass(frozen=True, slots=True)
class BusinessHours:
    """The default working week of ``SLA.BUSINESS_HOURS``."""

    start: time
    end: time
    timezone: str
    days: tuple[int, ...]  # ISO weekdays, Monday = 1 … Sunday = 7


def parse_clock(value: object) -> time:
    """Parse ``"HH:MM"`` (or a :class:`datetime.time`); raise ``ValueError`` otherwise."""
    if isinstance(value, time):
        return value
    if not isinstance(value, str):
        raise ValueError(f"expected 'HH:MM', got {value!r}")
    return time.fromisoformat(value)


class EscalatedSettings:
    """The ``ESCALATED`` settings dict, one documented property per key."""

    def _user(self) -> dict[str, Any]:
        value = getattr(django_settings, "ESCALATED", None)
        return value if isinstance(value, dict) else {}

    def get(self, key: str) -> Any:
        """Raw value of a top-level key, falling back to its default."""
        return self._user().get(key, DEFAULTS[key])

    def _sla(self) -> dict[str, Any]:
        user = self._user().get("SLA") or {}
        merged = {**DEFAULTS["SLA"], **user}
        merged["BUSINESS_HOURS"] = {
            **DEFAULTS["SLA"]["BUSINESS_HOURS"],
            **(user.get("BUSINESS_HOURS") or {}),
        }
        return merged

    @property
    def MODE(self) -> str:
        """``self_hosted`` (default), ``synced`` (push events to the cloud) or ``cloud``."""
        return str(self.get("MODE"))

    @property
    def TABLE_PREFIX(self) -> str:
        """Prefix of every database table of the app (default ``escalated_``)."""
        return str(self.get("TABLE_PREFIX"))

    @property
    def ROUTE_PREFIX(self) -> str:
        """URL prefix documented for ``include("escalated.urls")`` (default ``support``)."""
        return str(self.get("ROUTE_PREFIX")).strip("/")

    @property
    def REFERENCE_PREFIX(self) -> str:
        """Prefix of ticket references: ``ESC`` gives ``ESC-00042``."""
        return str(self.get("REFERENCE_PREFIX"))

    @property
    def DEFAULT_PRIORITY(self) -> str:
        """Priority of a ticket created without one (default ``medium``)."""
        return str(self.get("DEFAULT_PRIORITY"))

    @property
    def ALLOW_CUSTOMER_CLOSE(self) -> bool:
        """Whether requesters may close their own tickets (default ``True``)."""
        return bool(self.get("ALLOW_CUSTOMER_CLOSE"))

    @property
    def AUTO_CLOSE_RESOLVED_AFTER_DAYS(self) -> int:
        """Days after which ``close_resolved`` closes resolved tickets (default 7)."""
        return int(self.get("AUTO_CLOSE_RESOLVED_AFTER_DAYS"))

    @property
    def MAX_ATTACHMENTS(self) -> int:
        """Attachments allowed on one ticket or reply (default 5)."""
        return int(self.get("MAX_ATTACHMENTS"))

    @property
    def MAX_ATTACHMENT_SIZE_KB(self) -> int:
        """Largest attachment in KiB (default 10240)."""
        return int(self.get("MAX_ATTACHMENT_SIZE_KB"))

    @property
    def SLA_ENABLED(self) -> bool:
        """``SLA.ENABLED``: compute deadlines and detect breaches (default ``True``)."""
        return bool(self._sla()["ENABLED"])

    @property
    def SLA_BUSINESS_HOURS_ONLY(self) -> bool:
        """``SLA.BUSINESS_HOURS_ONLY``: SLA clocks count working time only (default off)."""
        return bool(self._sla()["BUSINESS_HOURS_ONLY"])

    @property
    def SLA_WARNING_THRESHOLD_PERCENT(self) -> int:
        """``SLA.WARNING_THRESHOLD_PERCENT``: share of a target after which a ticket is at risk."""
        return int(self._sla()["WARNING_THRESHOLD_PERCENT"])

    @property
    def SLA_BUSINESS_HOURS(self) -> BusinessHours:
        """``SLA.BUSINESS_HOURS``: the default working week (used when a policy has none)."""
        raw = self._sla()["BUSINESS_HOURS"]
        return BusinessHours(
            start=parse_clock(raw["START"]),
            end=parse_clock(raw["END"]),
            timezone=str(raw["TIMEZONE"]),
            days=tuple(int(d) for d in raw["DAYS"]),
        )

    def raw_sla(self) -> dict[str, Any]:
        """The merged ``SLA`` dict, unparsed (for the system checks)."""
        return self._sla()

    @property
    def NOTIFICATION_CHANNELS(self) -> list[str]:
        """Channels notifications go out on (default ``["email"]``; ``[]`` sends none).

        ``"email"`` is the only channel so far (see :mod:`escalated.notifications`).
        """
        value = self.get("NOTIFICATION_CHANNELS") or []
        return [str(v) for v in value] if isinstance(value, list | tuple) else []

    @property
    def PUBLIC_URL(self) -> str | None:
        """Absolute URL of the site's root, e.g. ``"https://support.example.com"``.

        E-mails link to tickets with it: ``reverse()``'s path (without the script
        prefix) is appended. Without it links are bare paths (check ``escalated.W002``),
        since a sweep run from cron has no request to take the host from.
        """
        value = self.get("PUBLIC_URL")
        return str(value).rstrip("/") if value else None

    @property
    def WEBHOOK_URL(self) -> str | None:
        """URL that receives a JSON POST per lifecycle event, or ``None`` (default)."""
        value = self.get("WEBHOOK_URL")
        return str(value) if value else None

    @property
    def WEBHOOK_SECRET(self) -> str | None:
        """Key of the ``X-Escalated-Signature`` HMAC-SHA256 of each webhook body, or ``None``."""
        value = self.get("WEBHOOK_SECRET")
        return str(value) if value else None

    @property
    def HOSTED_API_URL(self) -> str:
        """Base URL of Escalated Cloud's API (``synced`` and ``cloud`` modes)."""
        return str(self.get("HOSTED_API_URL")).rstrip("/")

    @property
    def HOSTED_API_KEY(self) -> str | None:
        """API key for Escalated Cloud; required in ``synced`` and ``cloud`` modes."""
        value = self.get("HOSTED_API_KEY")
        return str(value) if value else None

    @property
    def GUEST_RATE_LIMIT(self) -> Rate | None:
        """Guest tickets one client address may open per period (default ``"10/h"``;
        ``None`` turns the limit off). A malformed value (check ``escalated.E011``) keeps
        the default rather than lifting the limit."""
        try:
            return parse_rate(self.get("GUEST_RATE_LIMIT"))
        except ValueError:
            return parse_rate(DEFAULTS["GUEST_RATE_LIMIT"])

    @property
    def AGENT_CHECK(self) -> str | None:
        """Dotted path of ``f(user) -> bool`` deciding who is an agent (see ``permissions``)."""
        value = self.get("AGENT_CHECK")
        return str(value) if value else None

    @property
    def AGENT_USERS(self) -> str | None:
        """Dotted path of ``f() -> QuerySet`` of the users ``AGENT_CHECK`` accepts: the
        assignee pickers list them (see ``permissions.agent_users``)."""
        value = self.get("AGENT_USERS")
        return str(value) if value else None

    @property
    def ADMIN_CHECK(self) -> str | None:
        """Dotted path of ``f(user) -> bool`` deciding who is an admin (see ``permissions``)."""
        value = self.get("ADMIN_CHECK")
        return str(value) if value else None

    @property
    def LAYOUT(self) -> str:
        """Root template of the UI's first page load (default ``escalated/app.html``).

        It must define ``{% block inertia_head %}`` and ``{% block inertia %}`` (the page
        JSON and ``<div id="app">`` go there) and load a bundle that knows the Escalated
        pages. Escalated ignores ``INERTIA_LAYOUT``, so a host keeps its own layout for
        its own Inertia pages; point this at a template of the host to ship its own
        build of the Escalated UI (e.g. extended or restyled pages).
        """
        return str(self.get("LAYOUT") or DEFAULTS["LAYOUT"])

    @property
    def LOGOUT_URL(self) -> str | None:
        """Where the UI's "Sign out" button POSTs: a URL name or a path (default
        ``"logout"``, the name ``django.contrib.auth.urls`` gives its ``LogoutView``), or
        ``None`` for no button. A name that does not resolve also hides the button."""
        value = self.get("LOGOUT_URL")
        return str(value) if value else None


app_settings = EscalatedSettings()


def table_name(name: str) -> str:
    """Database table name for ``name`` under ``TABLE_PREFIX``.

    Used by models' ``Meta.db_table`` *and* by the migrations, so a host that changes the
    prefix gets consistent tables and ``makemigrations --check`` stays clean.
    """
    return f"{app_settings.TABLE_PREFIX}{name}"
