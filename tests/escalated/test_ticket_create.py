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


def test_a_user_model_with_its_own_email_field_gets_a_contact_with_that_address(db, monkeypatch):
    user = f.UserFactory(email="", last_name="work@example.com")
    monkeypatch.setattr(type(user), "EMAIL_FIELD", "last_name")
    ticket = ticket_create(actor=user, subject="Help", description="Please")
    assert ticket.requester.email == "work@example.com"


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
        ({"tags": [2**63]}, "tags"),  # past any id: an OverflowError on SQLite
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


def test_a_create_is_one_statement_on_postgresql(agent, default_policy):
    # given: the agent check and the SLA configuration are cached by a first create
    contact = f.ContactFactory()
    ticket_create(actor=agent, subject="warm", description="D", requester=contact)
    # when
    with CaptureQueriesContext(connection) as captured:
        ticket_create(actor=agent, subject="S", description="D", requester=contact)
    # then: the id, the row with its reference and the timeline entry in one statement
    # (SQLite: the row, its reference, the entry); the savepoints are the test's
    statements = [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == (1 if connection.vendor == "postgresql" else 3)
    assert all(statements), "the query log shows each statement's SQL"


def test_the_row_written_is_the_instance_returned(agent, default_policy):
    # given
    contact = f.ContactFactory()
    dept = f.DepartmentFactory()
    # when
    ticket = ticket_create(
        actor=agent,
        subject="Printer",
        description="On fire",
        requester=contact,
        priority="urgent",
        department=dept.pk,
        metadata={"order": 42, "tags": ["a"]},
    )
    # then: every column reads back as the service left it in memory
    stored = Ticket.objects.get(pk=ticket.pk)
    for field in Ticket._meta.concrete_fields:
        assert getattr(stored, field.attname) == getattr(ticket, field.attname), field.name
    assert stored.first_response_due_at is not None and stored.sla_policy_id == default_policy.pk
    (activity,) = TicketActivity.objects.filter(ticket=ticket)
    assert (activity.type, activity.actor_id, activity.created_at) == (
        "created",
        agent.pk,
        ticket.created_at,
    )
    assert activity.data == {"channel": "web", "priority": "urgent", "tags": []}


@pytest.mark.parametrize("next_id", [7, 99_999, 123_456])
def test_the_reference_has_at_least_five_digits(agent, next_id):
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, false)",
                [Ticket._meta.db_table, next_id],
            )
    else:
        f.TicketFactory(pk=next_id - 1)
    ticket = ticket_create(actor=agent, subject="S", description="D", requester_email="a@b.co")
    assert ticket.pk == next_id
    assert ticket.reference == f"ESC-{next_id:05d}"
    assert Ticket.objects.get(reference=ticket.reference).pk == next_id


def test_model_signals_are_sent_for_the_ticket_and_its_entry(agent):
    from django.db.models.signals import post_save, pre_save

    heard = []

    def listen(sender, instance, **kwargs):
        heard.append((kwargs["signal"], sender, instance.pk, kwargs.get("created")))

    for signal in (pre_save, post_save):
        signal.connect(listen, sender=Ticket, dispatch_uid="t" + str(id(signal)))
        signal.connect(listen, sender=TicketActivity, dispatch_uid="a" + str(id(signal)))
    try:
        ticket = ticket_create(actor=agent, subject="S", description="D", requester_email="a@b.co")
    finally:
        for signal in (pre_save, post_save):
            signal.disconnect(sender=Ticket, dispatch_uid="t" + str(id(signal)))
            signal.disconnect(sender=TicketActivity, dispatch_uid="a" + str(id(signal)))
    activity = TicketActivity.objects.get(ticket=ticket)
    assert (pre_save, Ticket, None, None) in heard
    assert (post_save, Ticket, ticket.pk, True) in heard
    assert (post_save, TicketActivity, activity.pk, True) in heard


def _prepared_statements():
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_create_binds_on_the_client_behind_a_transaction_pooler(agent, monkeypatch):
    # DISABLE_SERVER_SIDE_CURSORS (PgBouncer in transaction mode): nothing is prepared,
    # since the next statement may reach another server connection. A new session, so
    # a statement prepared by an earlier test cannot hide one prepared here.
    monkeypatch.setitem(connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS", True)
    connection.close()
    before = _prepared_statements()
    ticket = ticket_create(
        actor=agent, subject="S", description="D", requester_email="a@b.co", metadata={"k": 1}
    )
    assert _prepared_statements() == before
    stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.reference, stored.metadata) == (f"ESC-{ticket.pk:05d}", {"k": 1})
    assert TicketActivity.objects.filter(ticket=ticket, type="created").count() == 1


def test_a_pre_save_receiver_of_the_timeline_entry_can_read_its_ticket(agent):
    from django.db.models.signals import pre_save

    seen = []

    def listen(sender, instance, **kwargs):
        seen.append(instance.ticket.subject)

    pre_save.connect(listen, sender=TicketActivity, dispatch_uid="reads-ticket")
    try:
        ticket_create(actor=agent, subject="Read me", description="D", requester_email="a@b.co")
    finally:
        pre_save.disconnect(sender=TicketActivity, dispatch_uid="reads-ticket")
    assert seen == ["Read me"]
