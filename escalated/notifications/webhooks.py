"""Webhooks: every lifecycle signal POSTed as JSON to ``ESCALATED["WEBHOOK_URL"]``.

The payload is built in the thread that sent the signal (it reads the database) and
queued in memory; one daemon thread per process, started on the first event, POSTs
the queue in order with a timeout of :data:`TIMEOUT_SECONDS`, up to :data:`ATTEMPTS`
attempts with exponential backoff on connection errors, timeouts and 5xx answers
(never on 4xx). Failures are logged on ``escalated.notifications`` with the event id.
Nothing here blocks or fails the request or the sweep that caused the event.

Delivery is best effort: events still queued when the process ends are lost.
:func:`webhooks_drain` waits for the queue to empty (the management commands call it
before they exit). Durable delivery comes with the sync outbox.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import os
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Model, prefetch_related_objects
from django.utils import timezone

from escalated.conf import app_settings
from escalated.models import Contact, Department, Reply, Tag, Ticket
from escalated.notifications import _collect
from escalated.props import user_email
from escalated.user_ids import user_id_json

logger = logging.getLogger("escalated.notifications")

#: Seconds one POST may take (connect and answer).
TIMEOUT_SECONDS: Final = 5.0
#: POSTs of one event at most (the first and two retries).
ATTEMPTS: Final = 3
#: Wait before the first retry; doubled before each next one. Tests make it small.
BACKOFF_SECONDS: float = 0.5
#: Events waiting at most; beyond, new events are dropped (and logged) rather than let
#: a dead endpoint grow the process's memory without bound.
MAX_QUEUED: Final = 50_000
USER_AGENT: Final = "escalated-django"


@dataclass(frozen=True, slots=True)
class Event:
    """A signal as it happened, before serialisation."""

    id: str
    name: str
    occurred_at: datetime
    ticket: Ticket
    actor: Any
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Delivery:
    """One serialised event, ready to POST."""

    event_id: str
    event: str
    url: str
    body: bytes
    headers: dict[str, str]


# --------------------------------------------------------------------------- payload


def _person(user: Any) -> dict[str, Any] | None:
    if user is None:
        return None
    full = user.get_full_name() if hasattr(user, "get_full_name") else ""
    name = (full or "").strip() or user.get_username()
    return {"id": user_id_json(user.pk), "name": name, "email": user_email(user)}


def _contact(contact: Contact | None) -> dict[str, Any] | None:
    if contact is None:
        return None
    return {"email": contact.email, "name": contact.name}


def _department(department: Department | None) -> dict[str, Any] | None:
    return None if department is None else {"id": department.pk, "name": department.name}


def _reply(reply: Reply) -> dict[str, Any]:
    author: dict[str, Any] | None
    if reply.author_id is not None:
        author = _person(reply.author)
    elif reply.contact_id is not None:
        author = _contact(reply.contact)
    else:
        author = None
    return {
        "id": reply.pk,
        "body": reply.body,
        "is_internal": reply.is_internal,
        "author_type": reply.author_type,
        "author": author,
        "created_at": reply.created_at,
    }


def _value(value: Any) -> Any:
    """A signal kwarg as JSON-ready data: people, departments, tags and replies as
    small objects, containers item by item, the rest as the JSON encoder takes it."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, dict):
        return {str(k): _value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_value(v) for v in value]
    if isinstance(value, Reply):
        return _reply(value)
    if isinstance(value, Department):
        return _department(value)
    if isinstance(value, Tag):
        return {"id": value.pk, "name": value.name, "slug": value.slug}
    if isinstance(value, Contact):
        return _contact(value)
    if hasattr(value, "get_username"):
        return _person(value)
    if isinstance(value, Model):
        return {"id": value.pk, "name": str(value)}
    return value


def ticket_payload(ticket: Ticket) -> dict[str, Any]:
    """The ticket as every webhook shows it."""
    return {
        "id": ticket.pk,
        "reference": ticket.reference,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "channel": ticket.channel,
        "department": _department(ticket.department),
        "assignee": _person(ticket.assignee),
        "requester": _contact(ticket.requester),
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
    }


def event_payload(event: Event) -> dict[str, Any]:
    """The JSON document POSTed for ``event``."""
    return {
        "id": event.id,
        "event": event.name,
        "occurred_at": event.occurred_at,
        "ticket": ticket_payload(event.ticket),
        "actor": _person(event.actor),
        "data": {key: _value(value) for key, value in event.data.items()},
    }


def signature(body: bytes, secret: str) -> str:
    """The ``X-Escalated-Signature`` header value of ``body``: ``sha256=<hex HMAC>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _delivery(event: Event, url: str, secret: str | None) -> Delivery:
    body = json.dumps(event_payload(event), cls=DjangoJSONEncoder).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Escalated-Event": event.name,
        "X-Escalated-Delivery": event.id,
    }
    if secret:
        headers["X-Escalated-Signature"] = signature(body, secret)
    return Delivery(event_id=event.id, event=event.name, url=url, body=body, headers=headers)


# --------------------------------------------------------------------------- receivers


def receiver(signal_name: str) -> Callable[..., None]:
    """The receiver that turns ``signal_name`` into a webhook event (when a URL is set)."""

    def receive(sender: Any, ticket: Ticket, user: Any = None, **kwargs: Any) -> None:
        if not app_settings.WEBHOOK_URL:
            return
        kwargs.pop("signal", None)
        event = Event(
            id=str(uuid.uuid4()),
            name=signal_name,
            occurred_at=timezone.now(),
            ticket=ticket,
            actor=user,
            data=kwargs,
        )
        collector = _collect.active()
        if collector is not None:
            collector.events.append(event)
        else:
            send_events([event])

    receive.__name__ = f"webhook_{signal_name}"
    return receive


def send_events(events: Sequence[Event]) -> None:
    """Serialise ``events`` and queue them for the worker; never raises.

    Many events at once (the end of a collecting block) have the relations of their
    tickets loaded together first: one query per relation, not one per ticket.
    """
    url = app_settings.WEBHOOK_URL
    if not events or not url:
        return
    secret = app_settings.WEBHOOK_SECRET
    if len(events) > 1:
        tickets = list({id(e.ticket): e.ticket for e in events}.values())
        try:
            prefetch_related_objects(tickets, "department", "assignee", "requester")
        except Exception:
            logger.exception("Could not load the tickets of %d webhook events.", len(events))
    for event in events:
        try:
            delivery = _delivery(event, url, secret)
        except Exception:
            logger.exception(
                "Webhook event %s (%s, ticket %s) could not be serialised; not sent.",
                event.id,
                event.name,
                event.ticket.pk,
            )
            continue
        _enqueue(delivery)


# --------------------------------------------------------------------------- the worker


class _Queue:
    """A FIFO that knows how many events are queued or being posted (for draining)."""

    def __init__(self) -> None:
        self._items: deque[Delivery] = deque()
        self._changed = threading.Condition()
        self._pending = 0

    def put(self, item: Delivery) -> bool:
        with self._changed:
            if self._pending >= MAX_QUEUED:
                return False
            self._items.append(item)
            self._pending += 1
            self._changed.notify_all()
            return True

    def get(self) -> Delivery:
        with self._changed:
            self._changed.wait_for(lambda: bool(self._items))
            return self._items.popleft()

    def done(self) -> None:
        with self._changed:
            self._pending -= 1
            self._changed.notify_all()

    def pending(self) -> int:
        with self._changed:
            return self._pending

    def wait_empty(self, timeout: float | None) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self._pending == 0, timeout)


_lock = threading.Lock()
_queue: _Queue | None = None
_queue_pid: int | None = None
_worker: threading.Thread | None = None


def _process_queue() -> _Queue:
    """This process's queue, its worker started on first use (and again after a fork,
    whose child inherits the queue but not the thread).

    A worker that could not start (``RuntimeError``: the OS refused a thread, or the
    interpreter is shutting down) is logged and tried again on the next event or
    drain; its events wait in the queue meanwhile.
    """
    global _queue, _queue_pid, _worker
    with _lock:
        if _queue is None or _queue_pid != os.getpid():
            _queue, _queue_pid, _worker = _Queue(), os.getpid(), None
        if _worker is None or not _worker.is_alive():
            worker = threading.Thread(
                target=_work, args=(_queue,), name="escalated-webhooks", daemon=True
            )
            try:
                worker.start()
            except RuntimeError:
                logger.exception(
                    "Could not start the webhook worker; %d event(s) wait for the next try.",
                    _queue.pending(),
                )
            else:
                _worker = worker
        return _queue


def _enqueue(delivery: Delivery) -> None:
    if not _process_queue().put(delivery):
        logger.error(
            "Webhook event %s (%s) dropped: %d events are already waiting.",
            delivery.event_id,
            delivery.event,
            MAX_QUEUED,
        )


def webhooks_pending() -> int:
    """Events queued or being posted in this process."""
    queue = _queue if _queue_pid == os.getpid() else None
    return queue.pending() if queue is not None else 0


def webhooks_drain(timeout: float | None = None) -> bool:
    """Wait until every queued webhook event was posted (or given up on); ``timeout``
    in seconds, ``None`` for as long as it takes. Returns whether the queue is empty
    (``False`` at once when events wait but no worker can be started).

    For tests and for management commands, whose process ends right after.
    """
    if webhooks_pending() == 0:
        return True
    queue = _process_queue()  # starts the worker if an earlier start failed
    worker = _worker
    if worker is None or not worker.is_alive():
        return queue.pending() == 0
    return queue.wait_empty(timeout)


def _work(queue: _Queue) -> None:
    while True:
        delivery = queue.get()
        try:
            _post(delivery)
        except Exception:
            logger.exception("Webhook event %s: unexpected error.", delivery.event_id)
        finally:
            queue.done()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a hop: urllib would re-send the POST as a GET."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _post(delivery: Delivery) -> None:
    """POST one event, retrying what may pass on a second try."""
    problem = ""
    for attempt in range(1, ATTEMPTS + 1):
        request = urllib.request.Request(
            delivery.url, data=delivery.body, headers=delivery.headers, method="POST"
        )
        try:
            with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
                response.read()
            logger.debug("Webhook event %s delivered (%s).", delivery.event_id, delivery.event)
            return
        except urllib.error.HTTPError as exc:
            exc.close()
            if exc.code < 500:
                logger.error(
                    "Webhook event %s (%s) refused by %s: HTTP %s; not retried.",
                    delivery.event_id,
                    delivery.event,
                    delivery.url,
                    exc.code,
                )
                return
            problem = f"HTTP {exc.code}"
        except (OSError, http.client.HTTPException) as exc:
            # URLError (refused, DNS), timeouts, connections dropped mid-answer.
            problem = str(getattr(exc, "reason", None) or exc) or type(exc).__name__
        except ValueError as exc:  # a URL urllib cannot use: no retry helps
            logger.error("Webhook event %s: bad WEBHOOK_URL: %s", delivery.event_id, exc)
            return
        if attempt < ATTEMPTS:
            logger.warning(
                "Webhook event %s (%s) attempt %d failed: %s; retrying.",
                delivery.event_id,
                delivery.event,
                attempt,
                problem,
            )
            time.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
    logger.error(
        "Webhook event %s (%s) not delivered to %s after %d attempts: %s",
        delivery.event_id,
        delivery.event,
        delivery.url,
        ATTEMPTS,
        problem,
    )
