from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from escalated.models import EscalationFiring, EscalationRule, Priority, Status, Ticket
from tests import factories as f

pytestmark = pytest.mark.django_db

OPEN_TICKETS = {"field": "status", "operator": "in", "value": ["open"]}


class FakeTerminal(StringIO):
    """A stderr that says it is a terminal, so tqdm draws its bar."""

    def isatty(self) -> bool:
        return True


def run(*args, stderr=None):
    out = StringIO()
    call_command("evaluate_escalations", *args, stdout=out, stderr=stderr or StringIO())
    return out.getvalue()


def escalate_open_tickets(**fields):
    return EscalationRule.objects.create(
        name=fields.pop("name", "Escalate open"),
        conditions=[OPEN_TICKETS],
        actions=[{"type": "escalate"}],
        **fields,
    )


def test_command_acts_and_ends_with_a_summary_line(signal_log, django_capture_on_commit_callbacks):
    # given
    tickets = f.TicketFactory.create_batch(3, status=Status.OPEN)
    escalate_open_tickets()
    EscalationRule.objects.create(
        name="Runs second",
        conditions=[OPEN_TICKETS],
        actions=[{"type": "set_priority", "value": "medium"}],
    )

    # when
    with django_capture_on_commit_callbacks(execute=True):
        out = run("--batch-size", "2")

    # then: the first rule escalated all three, so the second (open only) matched none
    assert out.splitlines()[-1] == "Escalations: 2 rules, 3 tickets acted on (3 firings)"
    assert set(Ticket.objects.values_list("status", flat=True)) == {Status.ESCALATED}
    assert len(signal_log.of("ticket_escalated")) == len(tickets)


def test_command_dry_run_changes_nothing_and_says_so():
    f.TicketFactory.create_batch(2, status=Status.OPEN)
    escalate_open_tickets()

    out = run("--dry-run")

    assert out.splitlines()[-1] == "Escalations: 1 rule, would fire on 2 tickets (dry run)"
    assert set(Ticket.objects.values_list("status", flat=True)) == {Status.OPEN}
    assert not EscalationFiring.objects.exists()


def test_command_verbose_lists_each_rule():
    f.TicketFactory(priority=Priority.LOW)
    escalate_open_tickets(name="Escalate open")

    out = run("--verbosity", "2")

    assert "  Escalate open: 1 matched, 1 acted on" in out.splitlines()


def test_command_reports_skipped_actions_and_invalid_rules_on_stderr():
    f.TicketFactory()
    EscalationRule.objects.create(
        name="Assign to a ghost",
        conditions=[OPEN_TICKETS],
        actions=[{"type": "assign", "value": 424242}],
    )
    broken = escalate_open_tickets(name="Broken")
    EscalationRule.objects.filter(pk=broken.pk).update(actions=[{"type": "teleport"}])
    err = StringIO()

    out = run(stderr=err)

    assert "Rule 'Assign to a ghost': skipped assign 424242: unknown_user" in err.getvalue()
    assert "Rule 'Broken' is invalid, not run: Action 1: unknown type 'teleport'." in (
        err.getvalue()
    )
    assert out.splitlines()[-1] == (
        "Escalations: 2 rules, 0 tickets acted on (1 firing); 1 invalid rule not run"
    )


@pytest.mark.parametrize("value", ["0", "-5", "many"])
def test_command_rejects_a_bad_batch_size(value):
    with pytest.raises(CommandError, match="batch-size"):
        call_command("evaluate_escalations", "--batch-size", value)


def test_progress_bar_shows_on_a_terminal_unless_turned_off():
    f.TicketFactory()
    escalate_open_tickets()
    shown = FakeTerminal()
    hidden = FakeTerminal()

    run(stderr=shown)
    run("--no-progress", stderr=hidden)

    assert "Escalation rules" in shown.getvalue()
    assert hidden.getvalue() == ""
