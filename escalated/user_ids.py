"""Ids of the host's users, whatever type its user model's primary key has.

A host's ``AUTH_USER_MODEL`` may key users by an integer (Django's default), a
``UUIDField`` or a ``CharField``. Every user id Escalated reads from a request, keeps
in JSON or hands to the browser goes through here, so none assumes an integer.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Field, IntegerField, UUIDField

#: The largest integer id a table hands out (a signed 64-bit integer, on SQLite too).
_INT_ID_MAX = 2**63 - 1


def user_pk_field() -> Field[Any, Any]:
    """The user model's primary key (through a parent link: the field it points to)."""
    field: Any = get_user_model()._meta.pk
    while field.is_relation:
        field = field.target_field
    return field  # type: ignore[no-any-return]


def user_pk_is_integer() -> bool:
    """Whether users are keyed by integers (Django's default user model)."""
    return isinstance(user_pk_field(), IntegerField)


def parse_user_id(value: Any) -> Any | None:
    """A user id from untrusted input (a form, a query string, a rule's JSON), as the
    user model's primary key takes it; ``None`` when ``value`` cannot be one (never
    raises; a ``uuid.UUID`` passes for a UUID key). Says nothing about whether such a
    user exists."""
    if isinstance(value, UUID):
        return value if isinstance(user_pk_field(), UUIDField) else None
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    if isinstance(value, str):
        value = value.strip()
        if not value or "\x00" in value:
            return None
    field = user_pk_field()
    if isinstance(field, IntegerField):
        # ASCII digits only: "²".isdigit() is true, yet int("²") raises.
        text = str(value)
        if not (text.isascii() and text.isdigit()) or len(text) > 19:
            return None
        number = int(text)
        return number if 0 < number <= _INT_ID_MAX else None
    if isinstance(value, int):
        return None  # a UUID or text key is never sent as a JSON number
    try:
        parsed = field.to_python(value)
    except (ValidationError, ValueError, TypeError):
        return None
    max_length = getattr(field, "max_length", None)
    if isinstance(parsed, str) and max_length is not None and len(parsed) > max_length:
        return None
    return parsed


def user_id_json(pk: Any) -> int | str:
    """A user id as JSON keeps it (props, timeline entries, rule actions): an integer
    stays a number, any other key (a UUID, text) becomes its text."""
    if isinstance(pk, int) and not isinstance(pk, bool):
        return pk
    return str(pk)
