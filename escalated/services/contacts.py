"""Requester identities."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from escalated.exceptions import ValidationFailed
from escalated.models import Contact


def normalize_email(email: str) -> str:
    """Lower-case and strip; reject what is not an e-mail address."""
    value = (email or "").strip().lower()
    try:
        validate_email(value)
    except DjangoValidationError:
        raise ValidationFailed.field("requester_email", "Enter a valid e-mail address.") from None
    return value


def contact_for_user(*, user: Any) -> Contact:
    """The contact linked to a host user, created (or linked by e-mail) on first use."""
    contact = Contact.objects.filter(user=user).first()
    if contact is not None:
        return contact
    address = getattr(user, user.get_email_field_name(), "") or ""
    email = normalize_email(address or f"user-{user.pk}@users.invalid")
    name = (user.get_full_name() if hasattr(user, "get_full_name") else "") or user.get_username()
    contact = Contact.objects.filter(email=email, user__isnull=True).first()
    if contact is not None:
        contact.user = user
        contact.save(update_fields=["user"])
        return contact
    return contact_get_or_create(email=email, name=name, user=user)


def contact_get_or_create(
    *, email: str, name: str = "", user: Any = None, external_id: str | None = None
) -> Contact:
    """Find the contact by e-mail (or create it); fills in a missing name."""
    email = normalize_email(email)
    contact = Contact.objects.filter(email=email).first()
    if contact is None:
        try:
            with transaction.atomic():
                return Contact.objects.create(
                    email=email, name=name.strip(), user=user, external_id=external_id
                )
        except IntegrityError:
            # Another request created it between our read and our write.
            contact = Contact.objects.get(email=email)
    if name and not contact.name:
        contact.name = name.strip()
        contact.save(update_fields=["name"])
    return contact
