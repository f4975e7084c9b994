"""The C ``timestamptz`` loader gives exactly what Django's gives, and is put back."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection

from escalated.models import Ticket
from escalated.timestamps import fast_timestamps
from tests import factories as f

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="psycopg loaders"),
]

FIELDS = ("created_at", "first_response_due_at", "resolution_due_at", "sla_paused_at")


def test_same_datetimes_inside_and_loader_restored():
    moments = {
        "created_at": datetime.datetime(2026, 3, 29, 0, 59, 59, 999999, tzinfo=datetime.UTC),
        "first_response_due_at": datetime.datetime(1999, 12, 31, 23, 0, tzinfo=datetime.UTC),
        "resolution_due_at": None,
        "sla_paused_at": datetime.datetime(2026, 10, 25, 1, 30, 0, 1, tzinfo=datetime.UTC),
    }
    ticket = f.TicketFactory(**moments)

    def loader_of_a_new_cursor():
        with connection.cursor() as cursor:
            adapters = cursor.cursor.adapters
            return adapters.get_loader(adapters.types["timestamptz"].oid, 0)

    before = loader_of_a_new_cursor()
    outside = Ticket.objects.filter(pk=ticket.pk).values_list(*FIELDS).get()
    with fast_timestamps(connection.alias):
        inside = Ticket.objects.filter(pk=ticket.pk).values_list(*FIELDS).get()
        during = loader_of_a_new_cursor()

    assert inside == outside == tuple(moments[name] for name in FIELDS)
    assert all(v is None or v.utcoffset() == datetime.timedelta(0) for v in inside)
    assert during is not before and "psycopg_binary" in during.__module__  # the C loader
    assert loader_of_a_new_cursor() is before  # and Django's again after
