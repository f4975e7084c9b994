"""The 17 lifecycle signals: Escalated's outbound extension points.

Every signal is sent by a service **after the transaction commits**, with
``sender=Ticket`` and at least these keyword arguments:

- ``ticket``: the :class:`~escalated.models.Ticket` concerned;
- ``user``: the host user who caused it, or ``None`` (a guest, a rule, a sweep, sync).

Each signal below lists the extra kwargs it carries. Every path that creates or changes
a ticket (web, guest, API, e-mail, sync apply, escalation rules, management commands)
sends them, so a receiver sees every change exactly once.
"""

from django.dispatch import Signal

#: A ticket was created. Extra: ``channel`` (``web``/``guest``/``api``/``email``/``sync``).
ticket_created = Signal()

#: Subject, description or metadata changed. Extra: ``changes`` ({field: [old, new]}).
ticket_updated = Signal()

#: The status moved. Extra: ``old_status``, ``new_status``.
ticket_status_changed = Signal()

#: An agent was assigned. Extra: ``agent`` (the new assignee), ``previous_agent`` or None.
ticket_assigned = Signal()

#: The assignee was removed. Extra: ``previous_agent``.
ticket_unassigned = Signal()

#: The priority changed. Extra: ``old_priority``, ``new_priority``.
ticket_priority_changed = Signal()

#: The ticket was escalated. Extra: ``reason`` (free text: who or which rule, and why).
ticket_escalated = Signal()

#: The ticket was resolved. No extra kwargs.
ticket_resolved = Signal()

#: The ticket was closed. Extra: ``reason`` (e.g. ``"auto_close"``) or ``""``.
ticket_closed = Signal()

#: A resolved or closed ticket was reopened. No extra kwargs.
ticket_reopened = Signal()

#: A public reply was posted. Extra: ``reply``.
reply_created = Signal()

#: An internal note was added (agents only). Extra: ``reply``.
internal_note_added = Signal()

#: An SLA deadline passed. Extra: ``breach_type`` (``first_response`` or ``resolution``).
sla_breached = Signal()

#: An SLA deadline is near (past the warning threshold). Extra: ``breach_type``.
sla_warning = Signal()

#: A tag was added. Extra: ``tag``.
tag_added = Signal()

#: A tag was removed. Extra: ``tag``.
tag_removed = Signal()

#: The department changed. Extra: ``old_department``, ``new_department`` (or None).
department_changed = Signal()

ALL_SIGNALS: dict[str, Signal] = {
    name: value for name, value in list(globals().items()) if isinstance(value, Signal)
}
