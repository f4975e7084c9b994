from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from escalated.exceptions import ValidationFailed
from escalated.models import Attachment, Contact, Ticket, TicketActivity
from escalated.services.tickets import ticket_create
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_create_gives_a_reference_and_sends_ticket_created(
    agent, signal_log, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_create(
            actor=agent,
            subject="  Printer on fire ",
            description="Smoke everywhere.",
            requester_email="Bob@Example.com",
            requester_name="Bob",
        )
    # then
    ticket.refresh_from_db()
    assert re.fullmatch(r"ESC-\d{5}", ticket.reference)
    assert ticket.reference == f"ESC-{ticket.pk:05d}"
    assert ticket.subject == "Printer on fire"
    assert ticket.priority == "medium"
    assert ticket.requester.email == "bob@example.com"
    assert signal_log.names() == ["ticket_created"]
    sent = signal_log.of("ticket_created")[0]
    assert sent["ticket"] == ticket
    assert sent["user"] == agent
    assert sent["channel"] == "web"
    assert list(TicketActivity.objects.filter(ticket=ticket).values_list("type", flat=True)) == [
        "created"
    ]


def test_signals_wait_for_commit(agent, signal_log, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ticket_create(actor=agent, subject="S", description="D", requester_email="a@example.com")
    assert signal_log.events == []
    assert len(callbacks) == 1


@override_settings(ESCALATED={"REFERENCE_PREFIX": "HELP"})
def test_reference_prefix_is_configurable(agent):
    ticket = ticket_create(actor=agent, subject="S", description="D", requester_email="a@b.co")
    assert ticket.reference.startswith("HELP-")


def test_customer_files_a_ticket_for_themself(customer):
    ticket = ticket_create(actor=customer, subject="Help", description="Please")
    assert ticket.requester.user == customer
    assert ticket.channel == "web"
    assert ticket.guest_token is None


def test_customer_without_contact_gets_one_linked(db):
    user = f.UserFactory(email="new@example.com")
    ticket = ticket_create(actor=user, subject="Help", description="Please")
    assert ticket.requester.user == user
    assert ticket.requester.email == "new@example.com"


def test_guest_ticket_gets_a_secret_token():
    ticket = ticket_create(
        actor=None,
        subject="Hi",
        description="Guest here",
        channel="guest",
        requester_email="guest@example.com",
        requester_name="Gus",
    )
    assert ticket.requester.is_guest
    assert ticket.guest_token and len(ticket.guest_token) >= 40


def test_create_reports_every_field_error_at_once(agent):
    with pytest.raises(ValidationFailed) as exc:
        ticket_create(
            actor=agent, subject=" ", description="", priority="asap", requester_email="a@b.co"
        )
    assert set(exc.value.errors) == {"subject", "description", "priority"}
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"department": 999}, "department"),
        ({"tags": [12345]}, "tags"),
        ({"channel": "carrier-pigeon"}, "channel"),
        ({"requester_email": "not-an-email"}, "requester_email"),
        ({"requester_email": None}, "requester_email"),
        ({"subject": "x" * 256}, "subject"),
    ],
)
def test_create_rejects_bad_input_and_writes_nothing(agent, kwargs, field):
    params = {"subject": "S", "description": "D", "requester_email": "a@example.com", **kwargs}
    with pytest.raises(ValidationFailed) as exc:
        ticket_create(actor=agent, **params)
    assert field in exc.value.errors
    assert Ticket.objects.count() == 0
    assert Contact.objects.count() == 0


def test_inactive_department_is_rejected(agent):
    dept = f.DepartmentFactory(is_active=False)
    with pytest.raises(ValidationFailed):
        ticket_create(
            actor=agent, subject="S", description="D", requester_email="a@b.co", department=dept.pk
        )


def test_departments_are_cached_and_edits_seen_at_once(agent):
    sales, support = f.DepartmentFactory(name="Sales"), f.DepartmentFactory(name="Support")
    contact = f.ContactFactory()

    def create(dept):
        return ticket_create(
            actor=agent, subject="S", description="D", requester=contact, department=dept.pk
        )

    assert create(sales).department == sales
    with CaptureQueriesContext(connection) as captured:
        ticket = create(support)
    assert ticket.department == support and ticket.department.name == "Support"
    assert not [q for q in captured.captured_queries if "departments" in q["sql"]]
    # Deactivating (through the model, as the admin pages do) clears this process's cache.
    support.is_active = False
    support.save()
    with pytest.raises(ValidationFailed) as exc:
        create(support)
    assert "department" in exc.value.errors


@pytest.mark.django_db(transaction=True)
def test_a_department_deleted_by_another_process_is_a_field_error(agent):
    dept = f.DepartmentFactory()
    contact = f.ContactFactory()
    ticket_create(actor=agent, subject="S", description="D", requester=contact, department=dept.pk)
    # another process deletes it: this process's cache does not hear of it
    Ticket.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {dept._meta.db_table} WHERE id = %s", [dept.pk])

    with pytest.raises(ValidationFailed) as exc:
        ticket_create(
            actor=agent, subject="S", description="D", requester=contact, department=dept.pk
        )

    assert "department" in exc.value.errors
    assert Ticket.objects.count() == 0 and TicketActivity.objects.count() == 0


def test_create_with_tags_sends_tag_added(agent, signal_log, django_capture_on_commit_callbacks):
    tags = [f.TagFactory(), f.TagFactory()]
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_create(
            actor=agent,
            subject="S",
            description="D",
            requester_email="a@b.co",
            tags=[t.pk for t in tags],
        )
    assert set(ticket.tags.all()) == set(tags)
    assert [k["tag"] for k in signal_log.of("tag_added")] == tags


def test_attachment_limits(agent, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    settings.ESCALATED = {"MAX_ATTACHMENTS": 2, "MAX_ATTACHMENT_SIZE_KB": 1}
    small = [SimpleUploadedFile(f"a{i}.txt", b"x" * 100, "text/plain") for i in range(3)]
    with pytest.raises(ValidationFailed, match="At most 2"):
        ticket_create(
            actor=agent, subject="S", description="D", requester_email="a@b.co", attachments=small
        )
    big = SimpleUploadedFile("big.bin", b"x" * 1025, "application/octet-stream")
    with pytest.raises(ValidationFailed, match="larger than the 1 KB"):
        ticket_create(
            actor=agent, subject="S", description="D", requester_email="a@b.co", attachments=[big]
        )
    assert Ticket.objects.count() == 0

    ticket = ticket_create(
        actor=agent, subject="S", description="D", requester_email="a@b.co", attachments=small[:2]
    )
    stored = Attachment.objects.filter(ticket=ticket)
    assert sorted(a.original_name for a in stored) == ["a0.txt", "a1.txt"]
    assert all(a.size_bytes == 100 and a.file.read() == b"x" * 100 for a in stored)


def test_create_sets_sla_deadlines_from_default_policy(agent, default_policy):
    ticket = ticket_create(
        actor=agent, subject="S", description="D", requester_email="a@b.co", priority="high"
    )
    assert ticket.sla_policy == default_policy
    # high: 4 h first response, 24 h resolution (calendar time by default)
    assert (ticket.first_response_due_at - ticket.created_at).total_seconds() == 4 * 3600
    assert (ticket.resolution_due_at - ticket.created_at).total_seconds() == 24 * 3600
    assert ticket.first_response_warn_at < ticket.first_response_due_at


@override_settings(ESCALATED={"SLA": {"ENABLED": False}})
def test_create_without_sla_leaves_deadlines_empty(agent, default_policy):
    ticket = ticket_create(actor=agent, subject="S", description="D", requester_email="a@b.co")
    assert ticket.sla_policy is None
    assert ticket.first_response_due_at is None


def test_create_query_count_is_small(agent, default_policy, django_assert_max_num_queries):
    contact = f.ContactFactory()
    agent_is_known = ticket_create(actor=agent, subject="warm", description="D", requester=contact)
    assert agent_is_known.pk
    with django_assert_max_num_queries(8):
        ticket_create(actor=agent, subject="S", description="D", requester=contact)
