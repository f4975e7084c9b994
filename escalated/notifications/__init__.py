"""Outbound notifications: e-mail and webhooks, driven by the lifecycle signals.

Both are signal receivers connected in ``EscalatedConfig.ready`` (one per signal and
channel), so every path that sends the signals notifies, and the services know
nothing of e-mail or HTTP:

- e-mail (``"email"`` in ``ESCALATED["NOTIFICATION_CHANNELS"]``), see
  :mod:`escalated.notifications.mail`;
- webhooks (``ESCALATED["WEBHOOK_URL"]``), see :mod:`escalated.notifications.webhooks`.

Bulk runs send their signals inside :func:`collecting` (the bulk senders of
``escalated.services._effects`` open it): e-mails are then grouped into one per
recipient and kind, and webhook payloads are built together.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Final, ParamSpec, TypeVar

from escalated.notifications import _collect, mail, webhooks
from escalated.notifications.webhooks import webhooks_drain, webhooks_pending

__all__ = [
    "collected",
    "collecting",
    "connect",
    "sweep",
    "webhooks_drain",
    "webhooks_pending",
]

logger = logging.getLogger("escalated.notifications")

#: How long a management command waits for its webhook events before it exits.
DRAIN_TIMEOUT_SECONDS: Final = 300.0


@contextmanager
def collecting() -> Iterator[None]:
    """Hold back the notifications the block causes, and send them when it ends.

    Inside, the e-mail receivers group their notices by recipient and kind instead of
    sending; when the outermost block ends each group is sent as one e-mail: the normal
    one for a single ticket, else a digest of the tickets. Webhook events are queued
    when each block ends, their tickets' relations loaded in one query per relation.
    Blocks nest: an inner one (a batch of a sweep) joins the outer one (the sweep).
    What was collected is sent even when the block raises: its changes have committed.
    Sending never raises out of the block either (a failure is logged), as for a single
    notification: the block often ends in an after-commit hook or a finished sweep.
    """
    collector = _collect.active()
    token = None
    if collector is None:
        collector, token = _collect.start()
    try:
        yield
    finally:
        events, collector.events = collector.events, []
        try:
            webhooks.send_events(events)
        finally:
            if token is not None:
                _collect.stop(token)
                _send_collected_mail(list(collector.mail.values()))


def _send_collected_mail(groups: list[mail.Group]) -> None:
    try:
        mail.send_groups(groups)
    except Exception:
        # The changes have committed; say loudly what was lost instead of failing the
        # request or the sweep whose block ends here.
        logger.exception(
            "%d collected e-mail notification(s) could not be sent.",
            sum(len(g.notices) for g in groups),
        )


P = ParamSpec("P")
R = TypeVar("R")


def collected(func: Callable[P, R]) -> Callable[P, R]:
    """Run ``func`` inside :func:`collecting`: for the bulk services (the SLA sweep,
    the rule run, auto-close), so a whole run sends one e-mail per recipient and kind,
    whoever calls it."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with collecting():
            return func(*args, **kwargs)

    return wrapper


@contextmanager
def sweep(*, drain_timeout: float | None = DRAIN_TIMEOUT_SECONDS) -> Iterator[None]:
    """Around a whole sweep of a management command: one e-mail per recipient and kind
    for the run (not per batch), and the webhook queue drained before the process
    exits (up to ``drain_timeout`` seconds; what is left then is logged as lost)."""
    try:
        with collecting():
            yield
    finally:
        if not webhooks_drain(drain_timeout):
            logger.error(
                "%d webhook event(s) still queued after %s s; they are lost when this "
                "process exits.",
                webhooks_pending(),
                drain_timeout,
            )


def connect() -> None:
    """Connect the e-mail and webhook receivers to the lifecycle signals."""
    from escalated.signals import ALL_SIGNALS

    for name, signal in ALL_SIGNALS.items():
        signal.connect(
            webhooks.receiver(name), weak=False, dispatch_uid=f"escalated.webhooks.{name}"
        )
        if name in mail.RULES:
            signal.connect(mail.receiver(name), weak=False, dispatch_uid=f"escalated.email.{name}")
