"""Faster ``timestamptz`` parsing on PostgreSQL (psycopg 3), where it is exactly equal.

Django loads ``timestamptz`` with a Python subclass of psycopg's loader (to attach the
connection's tzinfo), ~5 µs a value: a page of 25 tickets has 275 of them (1.3 ms), a
sweep loading 27,000 tickets with their requester and assignee 310,000 (1.4 s). With
``USE_TZ`` and a UTC connection (Django's default, and the session time zone Django
sets), psycopg's C loader returns the same aware datetimes (``datetime.timezone.utc``)
in a fifth of the time. Elsewhere (psycopg 2, another time zone, no C extension)
nothing changes.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connections


@functools.cache
def _c_loader() -> Any:
    """psycopg's own text loader of ``timestamptz`` when it is the C one, else ``None``."""
    try:
        import psycopg
        from psycopg.pq import Format
    except ImportError:  # psycopg2: Django's own adapters stay
        return None
    loader = psycopg.adapters.get_loader(psycopg.adapters.types["timestamptz"].oid, Format.TEXT)
    return loader if loader is not None and not loader.__module__.startswith("psycopg.") else None


def _usable(connection: Any) -> Any:
    """The C loader if it gives what Django's gives on ``connection`` (connected)."""
    loader = _c_loader()
    if (
        loader is not None
        and connection.vendor == "postgresql"
        and connection.timezone is datetime.UTC
        and connection.connection.info.parameter_status("TimeZone") == "UTC"
    ):
        return loader
    return None


def fast_timestamps_on_cursor(connection: Any, cursor: Any) -> None:
    """Let this (Django-wrapped) cursor parse ``timestamptz`` with the C loader."""
    loader = _usable(connection)
    if loader is not None:
        cursor.cursor.adapters.register_loader("timestamptz", loader)


@contextmanager
def fast_timestamps(using: str) -> Iterator[None]:
    """Within the block, cursors opened on ``using`` (querysets included) parse
    ``timestamptz`` with the C loader. Django reads the connection-level loader to set
    up each cursor, so that one stays; the connection's ``create_cursor`` is wrapped
    for the block instead, and unwrapped after it."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    connection.ensure_connection()
    loader = _usable(connection)
    if loader is None or "create_cursor" in vars(connection):
        yield
        return
    create_cursor = connection.create_cursor

    def create_fast_cursor(name: Any = None) -> Any:
        cursor = create_cursor(name)
        cursor.adapters.register_loader("timestamptz", loader)
        return cursor

    connection.create_cursor = create_fast_cursor  # type: ignore[method-assign]
    try:
        yield
    finally:
        del connection.create_cursor
