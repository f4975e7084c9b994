"""Escalation rules, macros and canned responses.

Conditions and actions are JSON, validated on save against the vocabularies below.

A condition is ``{"field": …, "operator": …, "value": …}``; all of a rule's conditions
must hold. An action is ``{"type": …, "value": …}``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from escalated.conf import table_name
from escalated.models.choices import Priority, Status
from escalated.models.tickets import Ticket
from escalated.user_ids import parse_user_id, user_pk_is_integer

#: The most hours a condition counts (a century): the engine takes that many hours off
#: now, which must stay a date (year 1 and after), and the number must stay JSON
#: (infinity is not).
HOURS_MAX = 24 * 366 * 100

#: The largest id a table hands out (a signed 64-bit integer, on SQLite as well).
ID_MAX = 2**63 - 1


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= HOURS_MAX


def _is_id(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and 0 < v <= ID_MAX


def _is_user_id(v: Any) -> bool:
    """A user id as JSON keeps it: a number for integer keys, else the key's text (a
    UUID, a text key)."""
    if user_pk_is_integer():
        return _is_id(v)
    return isinstance(v, str) and parse_user_id(v) is not None


def _list_of(check: Any) -> Any:
    return lambda v: isinstance(v, list) and bool(v) and all(check(x) for x in v)


_STATUS = Status.values
_PRIORITY = Priority.values

#: field -> {operator: value check}
CONDITION_FIELDS: dict[str, dict[str, Any]] = {
    "status": {
        "in": _list_of(lambda x: x in _STATUS),
        "not_in": _list_of(lambda x: x in _STATUS),
    },
    "priority": {
        "in": _list_of(lambda x: x in _PRIORITY),
        "not_in": _list_of(lambda x: x in _PRIORITY),
    },
    "department": {
        "in": _list_of(_is_id),
        "not_in": _list_of(_is_id),
        "is_empty": lambda v: isinstance(v, bool),
    },
    "assigned": {"is": lambda v: isinstance(v, bool)},
    "hours_since_created": {"gte": _is_number, "lte": _is_number},
    "hours_without_first_response": {"gte": _is_number},
    "sla": {"is": lambda v: v in ("breached", "at_risk")},
    "tag": {"has": _is_id, "lacks": _is_id},
}

#: action type -> value check (``None`` when the action takes no value)
RULE_ACTIONS: dict[str, Any] = {
    "escalate": None,
    "set_priority": lambda v: v in _PRIORITY,
    "assign": _is_user_id,
    "set_department": _is_id,
    "add_tag": _is_id,
    "add_note": lambda v: isinstance(v, str) and bool(v.strip()),
}

MACRO_ACTIONS: dict[str, Any] = {
    **RULE_ACTIONS,
    "set_status": lambda v: v in _STATUS,
    "unassign": None,
    "remove_tag": _is_id,
    "reply": lambda v: isinstance(v, str) and bool(v.strip()),
}


def validate_conditions(value: Any) -> None:
    """Validate a rule's condition list (raises ``ValidationError`` with the position)."""
    if not isinstance(value, list) or not value:
        raise ValidationError("A rule needs at least one condition.")
    for i, cond in enumerate(value):
        if not isinstance(cond, dict) or set(cond) - {"field", "operator", "value"}:
            raise ValidationError(f"Condition {i + 1}: expected field, operator and value.")
        field, op = cond.get("field"), cond.get("operator")
        ops = CONDITION_FIELDS.get(str(field))
        if ops is None:
            raise ValidationError(f"Condition {i + 1}: unknown field {field!r}.")
        check = ops.get(str(op))
        if check is None:
            raise ValidationError(
                f"Condition {i + 1}: operator {op!r} does not apply to {field!r} "
                f"(use {', '.join(ops)})."
            )
        if not check(cond.get("value")):
            raise ValidationError(
                f"Condition {i + 1}: value {cond.get('value')!r} is not valid for {field} {op}."
            )


def _validate_actions(value: Any, vocabulary: dict[str, Any]) -> None:
    if not isinstance(value, list) or not value:
        raise ValidationError("At least one action is needed.")
    for i, action in enumerate(value):
        if not isinstance(action, dict) or set(action) - {"type", "value"}:
            raise ValidationError(f"Action {i + 1}: expected type and value.")
        kind = action.get("type")
        if kind not in vocabulary:
            raise ValidationError(f"Action {i + 1}: unknown type {kind!r}.")
        check = vocabulary[kind]
        if check is not None and not check(action.get("value")):
            raise ValidationError(
                f"Action {i + 1}: value {action.get('value')!r} is not valid for {kind}."
            )


def validate_rule_actions(value: Any) -> None:
    _validate_actions(value, RULE_ACTIONS)


def validate_macro_actions(value: Any) -> None:
    _validate_actions(value, MACRO_ACTIONS)


class EscalationRule(models.Model):
    """An ordered rule: when every condition holds for a ticket, run the actions once."""

    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)
    conditions = models.JSONField(default=list, validators=[validate_conditions])
    actions = models.JSONField(default=list, validators=[validate_rule_actions])
    # Bumped when conditions or actions change: an edited rule is a new cause.
    revision = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = table_name("escalation_rules")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        validate_conditions(self.conditions)
        validate_rule_actions(self.actions)
        super().save(*args, **kwargs)


class EscalationFiring(models.Model):
    """A rule fired on a ticket, for one cause: (rule revision, ticket's reopen cycle)."""

    # The unique constraint below leads with rule: no separate FK index to write.
    rule = models.ForeignKey(
        EscalationRule, on_delete=models.CASCADE, related_name="firings", db_index=False
    )
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="rule_firings")
    rule_revision = models.PositiveIntegerField()
    ticket_cycle = models.PositiveIntegerField()
    fired_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = table_name("escalation_firings")
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "ticket", "rule_revision", "ticket_cycle"],
                name="esc_firing_once_per_cause",
            )
        ]

    def __str__(self) -> str:
        return f"rule {self.rule_id} on ticket {self.ticket_id}"


class CannedResponse(models.Model):
    """A saved reply text agents insert into the reply box."""

    title = models.CharField(max_length=160)
    body = models.TextField()
    category = models.CharField(max_length=80, blank=True)
    is_shared = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = table_name("canned_responses")
        ordering = ["category", "title"]

    def __str__(self) -> str:
        return self.title


class Macro(models.Model):
    """A named list of actions an agent applies to a ticket in one click."""

    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    actions = models.JSONField(default=list, validators=[validate_macro_actions])
    is_shared = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = table_name("macros")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        validate_macro_actions(self.actions)
        super().save(*args, **kwargs)
