"""Private helpers shared by the services: activity rows and after-commit signals."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from django.db import connection, connections, models, transaction
from django.db.models import DateTimeField, Field
from django.dispatch import Signal

from escalated import notifications
from escalated.models import Ticket, TicketActivity
from escalated.user_ids import user_id_json


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
        return {"id": user_id_json(obj.pk), "name": name}
    return {"id": obj.pk, "name": str(obj.name)}


def _user_or_none(user: Any) -> Any:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user


def tickets_write_fields(tickets: Sequence[Ticket], names: Iterable[str]) -> None:
    """Save the in-memory values of fields ``names`` of ``tickets``, in one pass.

    Every ticket here was read in this transaction (locked on PostgreSQL; on SQLite the
    transaction's lock makes a concurrent write fail rather than be overwritten), so its
    in-memory values are the current ones plus the rule's changes.
    """
    fields = [_ticket_field(name) for name in sorted(set(names))]
    if not tickets or not fields:
        return
    if connection.vendor == "postgresql":
        # Django's bulk_update builds a CASE per field and row (about a millisecond of
        # Python per ticket); one UPDATE … FROM UNNEST(arrays) writes the batch at once.
        # A value every ticket shares (the new status, updated_at…) is sent once.
        qn = connection.ops.quote_name
        pk = _ticket_field("id")
        sets: list[str] = []
        set_params: list[Any] = []
        arrays = [f"%s::{pk.db_type(connection)}[]"]
        array_params: list[Any] = [[t.pk for t in tickets]]
        names = [qn(pk.attname)]
        for f in fields:
            prepared = _column(tickets, f)
            column = qn(f.attname)
            if len(set(prepared)) == 1:
                sets.append(f"{column} = %s::{f.db_type(connection)}")
                set_params.append(prepared[0])
            else:
                sets.append(f"{column} = v.{column}")
                arrays.append(f"%s::{f.db_type(connection)}[]")
                array_params.append(prepared)
                names.append(column)
        sql = (
            f"UPDATE {qn(Ticket._meta.db_table)} AS t SET {', '.join(sets)} "
            f"FROM UNNEST({', '.join(arrays)}) AS v({', '.join(names)}) "
            f"WHERE t.{names[0]} = v.{names[0]}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*set_params, *array_params])
        return
    # Elsewhere: values shared by every ticket (status, priority, assignee…) in one
    # UPDATE; values that differ per ticket (SLA deadlines) through bulk_update.
    constant: dict[str, Any] = {}
    varying: list[str] = []
    for f in fields:
        values = {getattr(t, f.attname) for t in tickets}
        if len(values) == 1:
            constant[f.attname] = values.pop()
        else:
            varying.append(f.name)
    if constant:
        Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(**constant)
    if varying:
        Ticket.objects.bulk_update(tickets, varying)


def _ticket_field(name: str) -> Field[Any, Any]:
    model_field = Ticket._meta.get_field(name)
    # Only concrete columns are written, and none has a custom db_column.
    assert isinstance(model_field, Field) and model_field.column == model_field.attname, name
    return model_field


def _column(tickets: Sequence[Ticket], f: Field[Any, Any]) -> list[Any]:
    """The database values of field ``f`` of ``tickets``, each distinct value prepared once."""
    prepared: dict[Any, Any] = {}
    column = []
    # The connection itself, not the proxy: each attribute read through it costs a lookup.
    db = connections[connection.alias]
    as_text = isinstance(f, DateTimeField)
    for ticket in tickets:
        value = getattr(ticket, f.attname)
        if value not in prepared:
            if as_text and value is not None:
                # psycopg quotes each datetime of an array in Python (about 4 µs); ISO
                # 8601 text needs no quoting, and the server casts it back exactly.
                prepared[value] = value.isoformat()
            else:
                # In-memory values are already Python values of the field: adapt only.
                prepared[value] = f.get_db_prep_value(value, db, prepared=True)
        column.append(prepared[value])
    return column
