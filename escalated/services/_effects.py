"""Private helpers shared by the services: activity rows and after-commit signals."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from django.db import connection, models, transaction
from django.dispatch import Signal

from escalated import notifications
from escalated.models import Ticket, TicketActivity


def record_activity(
    ticket: Ticket, type: str, *, actor: Any = None, data: dict[str, Any] | None = None
) -> TicketActivity:
    """Write one timeline entry (callers run inside the service's transaction)."""
    return TicketActivity.objects.create(
        ticket=ticket, type=type, actor=_user_or_none(actor), data=data or {}
    )


def record_activities(rows: Iterable[TicketActivity], *, batch_size: int = 1000) -> None:
    """Write many timeline entries in as few INSERTs as possible (sweeps, bulk actions)."""
    TicketActivity.objects.bulk_create(rows, batch_size=batch_size)


def record_activities_for(
    ticket_ids: Sequence[int],
    *,
    type: str,
    data: Sequence[dict[str, Any]],
    created_at: datetime,
    actor_id: Any = None,
) -> None:
    """Write one timeline entry per ticket id, ``data[i]`` for ``ticket_ids[i]``.

    Like :func:`record_activities` for sweeps and rule runs that log one entry of the
    same type on thousands of tickets; on PostgreSQL without building model instances.
    """
    if connection.vendor == "postgresql":
        insert_unnest(
            TicketActivity,
            {"ticket_id": ticket_ids, "data": data},
            constants={"actor_id": actor_id, "type": type, "created_at": created_at},
        )
        return
    record_activities(
        TicketActivity(
            ticket_id=ticket_id, actor_id=actor_id, type=type, data=entry, created_at=created_at
        )
        for ticket_id, entry in zip(ticket_ids, data, strict=True)
    )


def insert_unnest(
    model: type[models.Model],
    columns: Mapping[str, Sequence[Any]],
    *,
    constants: Mapping[str, Any] | None = None,
    returning: Sequence[str] = (),
    ignore_conflicts: bool = False,
) -> list[tuple[Any, ...]]:
    """Insert rows of ``model`` with one ``INSERT … SELECT … FROM UNNEST`` (PostgreSQL only).

    ``columns`` maps field names (or attnames, ``ticket_id``) to one value per row, all
    of the same length; ``constants`` maps field names to one value shared by every row,
    sent once and prepared by its field. Column values go to psycopg as they are, so
    they must be what it can send for the column: ints, strings, aware datetimes, and
    dicts and lists for JSON fields (encoded with the field's encoder). Nothing else is
    filled in: no defaults, no ``auto_now``, no instances, no signals. Returns the
    ``returning`` columns of the rows inserted (with ``ignore_conflicts``, of those
    actually inserted).

    For sweeps and rule runs writing thousands of rows: ``bulk_create`` builds and
    prepares an instance per row, which costs more than the database's work here.
    """
    assert connection.vendor == "postgresql", "insert_unnest is for PostgreSQL"
    lengths = {len(values) for values in columns.values()}
    assert len(lengths) == 1, "every column needs one value per row"
    if not lengths.pop():
        return []
    qn = connection.ops.quote_name
    meta = model._meta
    names: list[str] = []
    selects: list[str] = []
    select_params: list[Any] = []  # the constants, in the SELECT list
    arrays: list[str] = []
    array_params: list[Any] = []  # the columns, in UNNEST(...)
    for name, values in columns.items():
        f, column = _concrete_field(meta, name)
        names.append(qn(column))
        selects.append(f"v.c{len(arrays)}")
        if isinstance(f, models.JSONField):
            # One JSON array split by the server: quoting each document into a text[]
            # literal costs psycopg more than the whole INSERT.
            arrays.append(
                "ARRAY(SELECT e FROM jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS a(e, i)"
                " ORDER BY i)"
            )
            array_params.append(json.dumps(list(values), cls=f.encoder))
        else:
            arrays.append(f"%s::{f.db_type(connection)}[]")
            array_params.append(list(values))
    for name, value in (constants or {}).items():
        f, column = _concrete_field(meta, name)
        names.append(qn(column))
        selects.append(f"%s::{f.db_type(connection)}")
        select_params.append(f.get_db_prep_value(value, connection))
    sql = (
        f"INSERT INTO {qn(meta.db_table)} ({', '.join(names)}) "
        f"SELECT {', '.join(selects)} FROM UNNEST({', '.join(arrays)}) "
        f"AS v({', '.join(f'c{i}' for i in range(len(arrays)))})"
    )
    if ignore_conflicts:
        sql += " ON CONFLICT DO NOTHING"
    if returning:
        sql += " RETURNING " + ", ".join(qn(_concrete_field(meta, n)[1]) for n in returning)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*select_params, *array_params])
        return cursor.fetchall() if returning else []


def _concrete_field(meta: Any, name: str) -> tuple[models.Field[Any, Any], str]:
    """The field ``name`` (or attname, as ``ticket_id``) of a model and its column."""
    f = meta.get_field(name)
    assert isinstance(f, models.Field) and f.column is not None, name
    return f, f.column


def send_after_commit(signal: Signal, *, ticket: Ticket, user: Any = None, **kwargs: Any) -> None:
    """Send ``signal`` once the surrounding transaction commits (at once if there is none)."""
    transaction.on_commit(
        lambda: signal.send(sender=Ticket, ticket=ticket, user=_user_or_none(user), **kwargs)
    )


def send_many_after_commit(
    signal: Signal, tickets: Iterable[Ticket], *, user: Any = None, **kwargs: Any
) -> None:
    """One on-commit hook that sends ``signal`` per ticket (cheaper than one hook each).

    The signals go out inside ``notifications.collecting()``: a sweep's thousands of
    tickets make one e-mail per recipient, not one per ticket.
    """
    batch = list(tickets)
    actor = _user_or_none(user)

    def send() -> None:
        with notifications.collecting():
            for ticket in batch:
                signal.send(sender=Ticket, ticket=ticket, user=actor, **kwargs)

    transaction.on_commit(send)


def send_each_after_commit(
    signal: Signal, calls: Sequence[tuple[Ticket, dict[str, Any]]], *, user: Any = None
) -> None:
    """One on-commit hook that sends ``signal`` per ticket, each with its own kwargs
    (inside ``notifications.collecting()``, as :func:`send_many_after_commit`)."""
    if not calls:
        return
    actor = _user_or_none(user)

    def send() -> None:
        with notifications.collecting():
            for ticket, kwargs in calls:
                signal.send(sender=Ticket, ticket=ticket, user=actor, **kwargs)

    transaction.on_commit(send)


def ref(obj: Any) -> dict[str, Any] | None:
    """``{"id", "name"}`` of a user, department or policy, as the timeline keeps it.

    The name is the one at the time of the change, so the entry still reads right
    after the agent leaves or the department is renamed.
    """
    if obj is None:
        return None
    if hasattr(obj, "get_username"):
        name = (obj.get_full_name() or "").strip() or obj.get_username()
    else:
        name = str(obj.name)
    return {"id": obj.pk, "name": name}


def _user_or_none(user: Any) -> Any:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user
