"""Placeholders of compiled queries and user ids for keys that are not integers."""

from __future__ import annotations

import uuid

import pytest
from django.db import models

from escalated.selectors._compiled import (
    Compiled,
    _slot,
    field_param,
    param,
    text_param,
    uuid_param,
)


class _UuidUser(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)

    class Meta:
        app_label = "escalated_placeholder_tests"

    def __str__(self) -> str:
        return str(self.pk)


class _TextUser(models.Model):
    id = models.CharField(primary_key=True, max_length=40)

    class Meta:
        app_label = "escalated_placeholder_tests"

    def __str__(self) -> str:
        return str(self.pk)


class _Owned(models.Model):
    by_uuid = models.ForeignKey(_UuidUser, on_delete=models.CASCADE)
    by_text = models.ForeignKey(_TextUser, on_delete=models.CASCADE)

    class Meta:
        app_label = "escalated_placeholder_tests"

    def __str__(self) -> str:
        return str(self.pk)


def test_field_param_has_the_type_of_the_key_a_field_compares_with():
    assert field_param(models.BigAutoField(primary_key=True), 2) == param(2)
    assert field_param(_UuidUser._meta.pk, 2) == uuid_param(2)
    assert field_param(_Owned._meta.get_field("by_uuid"), 2) == uuid_param(2)
    assert field_param(_TextUser._meta.pk, 2) == text_param(2)
    assert field_param(_Owned._meta.get_field("by_text"), 2) == text_param(2)


def test_a_uuid_placeholder_is_recognised_as_each_backend_prepares_it():
    # PostgreSQL gets the UUID itself, SQLite (and MySQL, Oracle) its 32 hex digits
    assert _slot(uuid_param(7)) == (7, 1)
    assert _slot(uuid_param(7).hex) == (7, 2)
    # real UUIDs and hex text stay constants
    assert _slot(uuid.uuid4()) is None
    assert _slot(uuid.uuid4().hex) is None
    assert _slot("7e5ca1a7ed00000051070000zzzzzzzz") is None


def test_a_text_key_placeholder_is_recognised_where_an_int_one_was_not():
    pk = _TextUser._meta.pk
    assert pk is not None
    # the int placeholder becomes text in a CharField: no longer a slot (a literal)
    assert _slot(pk.get_prep_value(param(0))) is None
    assert _slot(pk.get_prep_value(text_param(0))) == (0, 0)


def test_bind_sends_a_uuid_value_as_the_backend_takes_it():
    value = uuid.uuid4()
    native = Compiled("", (uuid_param(0),), ((0, 0),), (), ((0, 1),))
    hex_ = Compiled("", (uuid_param(0).hex,), ((0, 0),), (), ((0, 2),))
    for given in (value, str(value), value.hex):
        assert native.bind([given]) == [value]
        assert hex_.bind([given]) == [value.hex]
    assert native.bind([None]) == [None] and hex_.bind([None]) == [None]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (12, 12),
        ("12", 12),
        (" 12 ", 12),
        ("0", None),
        ("-3", None),
        ("1" * 20, None),
        ("²", None),
        ("abc", None),
        (True, None),
        (1.5, None),
        ({"id": 1}, None),
        ("", None),
    ],
)
def test_parse_user_id_with_integer_keys(given, expected):
    from escalated.user_ids import parse_user_id

    assert parse_user_id(given) == expected
