"""The collecting context: where notification receivers put what a bulk run produces.

Kept apart from :mod:`escalated.notifications.mail` and ``.webhooks`` so both can
reach the active collector without importing each other.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Collector:
    """What the receivers held back inside :func:`escalated.notifications.collecting`.

    ``mail`` maps (recipient, e-mail kind) to its group (see ``mail.Group``), so a whole
    run costs one e-mail per recipient and kind; ``events`` are the webhook events of
    the current block, serialised together when it ends (their relations loaded in one
    query each instead of one per ticket).
    """

    mail: dict[tuple[Any, ...], Any] = field(default_factory=dict)
    events: list[Any] = field(default_factory=list)


_active: ContextVar[Collector | None] = ContextVar("escalated_notifications", default=None)


def active() -> Collector | None:
    """The collector of the innermost open ``collecting()`` block, or ``None``."""
    return _active.get()


def start() -> tuple[Collector, Any]:
    """Open a collector (the caller resets it with the returned token)."""
    collector = Collector()
    return collector, _active.set(collector)


def stop(token: Any) -> None:
    _active.reset(token)
