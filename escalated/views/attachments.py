"""Attachment downloads, checked against the same visibility rule as the tickets.

A user downloads an attachment only if they may see its ticket; an attachment of an
internal note only if they are an agent. Anything else is a 404 (no hint that it
exists). Files are always sent as downloads (``Content-Disposition: attachment``,
``nosniff``), so an uploaded HTML or SVG file never runs in the desk's origin.
"""

from __future__ import annotations

from django.http import FileResponse, HttpRequest

from escalated.exceptions import NotFound
from escalated.models import Attachment
from escalated.permissions import is_agent
from escalated.selectors.tickets import visible_tickets
from escalated.services.attachments import attachment_content_type
from escalated.views._base import escalated_view


def attachment_file_response(attachment: Attachment) -> FileResponse:
    """Stream the stored file as a download; a file missing from storage is a 404."""
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise NotFound("Attachment not found.") from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        # Checked again: rows stored before uploads were checked may hold anything.
        content_type=attachment_content_type(attachment.content_type) or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@escalated_view()
def download(request: HttpRequest, attachment_id: int) -> FileResponse:
    """``attachments.download``: the permission-checked download URL of the props."""
    user = request.user
    attachments = Attachment.objects.filter(pk=attachment_id, ticket__in=visible_tickets(user))
    if not is_agent(user):
        attachments = attachments.exclude(reply__is_internal=True)
    attachment = attachments.first()
    if attachment is None:
        raise NotFound("Attachment not found.")
    return attachment_file_response(attachment)
