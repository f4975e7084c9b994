"""Querysets compiled to SQL once per process, then run again with other values.

Compiling a queryset (joins, related columns, annotations) costs more Python than
PostgreSQL needs to run its SQL for a page of rows: ~1 ms for a ticket page's query,
several for a request that shows one ticket with its thread. The hot display queries
differ between requests only in a few values (ids, a reference), so they are compiled
once per shape with :func:`param` placeholders standing in for those values, and the
SQL is then run with the real values swapped into its parameters. Rows come back
through the backend's and the fields' converters, exactly as ``values_list()`` would
return them.

A *shape* is everything that changes the SQL text: which query (``build``), its
arguments (``shape``: e.g. the number of ids of an ``IN``, a ``LIMIT``), the database
alias and its vendor. Values go through the placeholders only.

A placeholder must have the type of the column it is compared with: the field
prepares it as it would the real value, and a field refuses a value of another type
(a ``UUIDField`` an integer) or turns it into one ``_slot`` no longer recognises (a
``CharField`` the integer into text). Ids of the host's users are keyed by whatever
its user model uses: :func:`user_param` gives their placeholder (:func:`field_param`
any field's).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from django.db import connections
from django.db.models import Field, IntegerField, Model, QuerySet, UUIDField

from escalated.timestamps import fast_timestamps_on_cursor

#: Placeholder ids: integers far below any id a table hands out.
_BASE: Final = -7_300_000_000
_MAX_PARAMS: Final = 1000
_TEXT_PREFIX: Final = "\x00escalated-param-"
#: Placeholder UUIDs: these 96 bits, then the value's index (no UUID version: never
#: one ``uuid4()`` or a host's generator hands out).
_UUID_BASE: Final = 0x7E5CA1A7_ED00_0000_5107_0000 << 32
_UUID_HEX_PREFIX: Final = f"{_UUID_BASE:032x}"[:24]
_HEX_DIGITS: Final = frozenset("0123456789abcdef")


def param(index: int) -> int:
    """The integer placeholder for run-time value number ``index`` (an id)."""
    return _BASE - index


def text_param(index: int) -> str:
    """The text placeholder for run-time value number ``index`` (e.g. a reference)."""
    return f"{_TEXT_PREFIX}{index}\x00"


def uuid_param(index: int) -> uuid.UUID:
    """The UUID placeholder for run-time value number ``index`` (a UUID key)."""
    return uuid.UUID(int=_UUID_BASE + index)


def field_param(field: Field[Any, Any], index: int) -> Any:
    """The placeholder for run-time value number ``index`` compared with ``field`` (a
    foreign key's: its target's): an integer, a UUID or a text placeholder."""
    target: Any = field
    while target.is_relation:
        target = target.target_field
    if isinstance(target, IntegerField):  # AutoField and BigAutoField too
        return param(index)
    if isinstance(target, UUIDField):
        return uuid_param(index)
    return text_param(index)


def user_param(index: int) -> Any:
    """The placeholder for run-time value number ``index`` that is a user id: of the
    type of the host's user model's primary key."""
    from django.contrib.auth import get_user_model

    pk = get_user_model()._meta.pk
    assert pk is not None
    return field_param(pk, index)


#: How a slot's value is sent: as it is, or (a UUID slot) as the database takes UUIDs.
_AS_IS: Final = 0
_UUID_NATIVE: Final = 1  # a ``uuid.UUID`` (PostgreSQL)
_UUID_HEX: Final = 2  # 32 hex digits (SQLite, MySQL, Oracle: a char(32) column)


def _slot(value: Any) -> tuple[int, int] | None:
    """Which run-time value a compiled parameter stands for, and how to send it
    (``None``: a constant). A UUID placeholder is seen as the backend prepared it."""
    kind = type(value)
    if kind is int and _BASE - _MAX_PARAMS < value <= _BASE:
        return _BASE - value, _AS_IS
    if kind is str:
        if value.startswith(_TEXT_PREFIX) and value.endswith("\x00"):
            return int(value[len(_TEXT_PREFIX) : -1]), _AS_IS
        if (
            len(value) == 32
            and value.startswith(_UUID_HEX_PREFIX)
            and _HEX_DIGITS.issuperset(value[24:])  # int() would take "_" and spaces
        ):
            index = int(value[24:], 16)
            if index < _MAX_PARAMS:
                return index, _UUID_HEX
        return None
    if kind is uuid.UUID and 0 <= value.int - _UUID_BASE < _MAX_PARAMS:
        return value.int - _UUID_BASE, _UUID_NATIVE
    return None


def _as_uuid(value: Any) -> uuid.UUID | None:
    if value is None or isinstance(value, uuid.UUID):
        return value
    return uuid.UUID(int=value) if isinstance(value, int) else uuid.UUID(str(value))


def _send(value: Any, how: int) -> Any:
    if how == _UUID_NATIVE:
        return _as_uuid(value)
    if how == _UUID_HEX:
        found = _as_uuid(value)
        return None if found is None else found.hex
    return value


@dataclass(frozen=True, slots=True)
class Compiled:
    """A queryset's SQL, its constant parameters and where the run-time values go."""

    sql: str
    params: tuple[Any, ...]
    slots: tuple[tuple[int, int], ...]  # (position in params, index of the value)
    expressions: tuple[Any, ...]  # the selected expressions (for the converters)
    #: (position in params, how to send) of the UUID slots: their values are prepared
    #: as the backend takes UUIDs (a ``uuid.UUID`` or its text may be passed).
    conversions: tuple[tuple[int, int], ...] = ()

    def bind(self, values: Sequence[Any]) -> list[Any]:
        params = list(self.params)
        for position, index in self.slots:
            params[position] = values[index]
        for position, how in self.conversions:
            params[position] = _send(params[position], how)
        return params


Build = Callable[..., QuerySet[Any]]


#: Shapes include a list's page offset: bounded, in case someone walks every page.
@functools.lru_cache(maxsize=2048)
def _compile(build: Build, shape: Hashable, using: str, vendor: str) -> Compiled:
    args = shape if isinstance(shape, tuple) else (shape,)
    query = build(*args).using(using).query
    compiler = query.get_compiler(using)
    sql, params = compiler.as_sql()
    found = [(position, slot) for position, value in enumerate(params) if (slot := _slot(value))]
    slots = tuple((position, index) for position, (index, _how) in found)
    conversions = tuple((position, how) for position, (_index, how) in found if how != _AS_IS)
    expressions = tuple(column for column, _sql, _alias in compiler.select)
    return Compiled(sql, tuple(params), slots, expressions, conversions)


def run(
    build: Build,
    values: Sequence[Any],
    shape: Hashable = (),
    *,
    using: str,
    prepare: bool = True,
) -> list[tuple[Any, ...]]:
    """Rows of ``build(*shape)`` with ``values`` in its placeholders, converted like the
    ORM's ``values_list()`` rows (datetimes, JSON, booleans on every backend).

    ``build`` must be a module-level function and ``shape`` hashable: together with the
    database they key the cache of compiled statements. ``prepare=False`` runs the SQL
    on an ordinary cursor (constants bound on the client, planned on each run): for a
    statement whose plan needs its constants, such as an expression index whose
    definition holds some, or a partial index whose condition does (see
    :func:`statement_cursor`).
    """
    connection = connections[using]
    statement = _compile(build, shape, using, connection.vendor)
    cursor_for = statement_cursor if prepare else _plain_cursor
    with cursor_for(connection) as cursor:
        if connection.vendor == "postgresql":
            fast_timestamps_on_cursor(connection, cursor)
        cursor.execute(statement.sql, statement.bind(values))
        rows: list[Any] = cursor.fetchall()
    converters = []
    for position, expression in enumerate(statement.expressions):
        functions = connection.ops.get_db_converters(expression) + expression.get_db_converters(
            connection
        )
        if functions:
            converters.append((position, functions, expression))
    if not converters:
        return rows
    converted = []
    for row in rows:
        values_ = list(row)
        for position, functions, expression in converters:
            value = values_[position]
            for convert in functions:
                value = convert(value, expression, connection)
            values_[position] = value
        converted.append(tuple(values_))
    return converted


def _plain_cursor(connection: Any) -> Any:
    return connection.cursor()


def statement_cursor(connection: Any) -> Any:
    """A cursor for a statement run again and again with other values: on PostgreSQL
    with psycopg 3, one that runs it as a server-side prepared statement (see
    :func:`_preparing_cursor_class`). Its SQL must cast what the server cannot infer.

    A page's statements join several tables: planning them took longer than running
    them (1.2 ms against 0.4 ms for a list page). Prepared once per connection, they
    are planned once. Their parameters hold the query's constants too (say, the open
    statuses): after five runs PostgreSQL may switch to a generic plan, which cannot
    match them to an index's definition or condition; such statements are run with
    ``run(prepare=False)``. Skipped where prepared statements do not survive: with
    ``DISABLE_SERVER_SIDE_CURSORS`` set (what Django asks for behind a transaction
    pooler such as PgBouncer) and on psycopg 2. The cursor is Django's own wrapper, so
    query logging, counting and execute wrappers see these statements as any other.
    """
    cursor_class = _preparing_cursor_class() if connection.vendor == "postgresql" else None
    if cursor_class is None or connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS"):
        return connection.cursor()
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        if connection.settings_dict["OPTIONS"].get("server_side_binding"):
            return connection.cursor()  # the host binds on the server and chose not to prepare
        # Django turns psycopg's prepared statements off by default, while its cursors
        # bind on the client, which never prepares: turning them on here changes
        # nothing for other queries.
        raw.prepare_threshold = 5
    cursor = cursor_class(raw)
    # Django's query log (DEBUG, CaptureQueriesContext, the debug toolbar) reads the
    # SQL from psycopg's last query, which a prepared execution does not record.
    cursor.keeps_query = connection.queries_logged
    return connection._prepare_cursor(cursor)


@functools.cache
def _preparing_cursor_class() -> Any:
    try:
        from django.db.backends.postgresql.base import ServerBindingCursor
    except ImportError:  # psycopg 2
        return None

    class PreparingCursor(ServerBindingCursor):
        """Binds parameters on the server and prepares every statement it runs."""

        keeps_query = False

        def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
            kwargs.setdefault("prepare", True)
            result = super().execute(query, params, **kwargs)  # type: ignore[misc]
            if self.keeps_query and self._query is None:  # type: ignore[has-type]
                self._query = self._convert_query(query, params)  # type: ignore[attr-defined]
            return result

    return PreparingCursor


class Columns:
    """One model's columns in ``values_list`` rows, read back as an instance.

    ``Columns(Contact, ["id", "email"], prefix="requester__")`` selects
    ``requester__id`` and ``requester__email``; :meth:`instance` builds the contact
    with ``Model.from_db`` (other fields deferred, as with ``only()``), or returns
    ``None`` when the primary key is ``NULL`` (an empty outer join). A
    :class:`Layout` places it in the row.
    """

    __slots__ = ("attnames", "lookups", "model", "pk_offset", "start", "stop")

    def __init__(self, model: type[Model], names: Sequence[str], *, prefix: str = "") -> None:
        wanted = set(names)
        fields = [f for f in model._meta.concrete_fields if f.name in wanted or f.attname in wanted]
        pk = model._meta.pk
        assert pk is not None and pk in fields, f"{model.__name__} columns need the pk"
        self.model = model
        self.lookups = tuple(f"{prefix}{f.name}" for f in fields)
        self.attnames = frozenset(f.attname for f in fields)
        self.pk_offset = fields.index(pk)
        self.start = self.stop = 0

    def instance(self, row: Sequence[Any], using: str) -> Any:
        values = row[self.start : self.stop]
        if values[self.pk_offset] is None:
            return None
        # ``from_db`` only tests membership in its ``field_names``: a frozenset will do.
        return self.model.from_db(using, self.attnames, values)


class Layout:
    """Several :class:`Columns` (and extra names, e.g. annotations) side by side."""

    def __init__(self, *parts: Columns | str) -> None:
        lookups: list[str] = []
        self.extra: dict[str, int] = {}
        for part in parts:
            if isinstance(part, str):
                self.extra[part] = len(lookups)
                lookups.append(part)
            else:
                part.start = len(lookups)
                lookups.extend(part.lookups)
                part.stop = len(lookups)
        self.lookups = tuple(lookups)
