"""Attachment limits and storage."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import Any

from django.core.files.uploadedfile import UploadedFile

from escalated.conf import app_settings
from escalated.exceptions import ValidationFailed
from escalated.models import Attachment, Reply, Ticket

#: ``type/subtype`` as RFC 6838 names them (the parser has split off any parameters).
_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,62}/[a-z0-9][a-z0-9!#$&^_.+-]{0,62}")


def attachment_content_type(value: str | None) -> str:
    """The uploader's claimed media type in lower case if it is well formed, else ``""``
    (downloads then say ``application/octet-stream``)."""
    text = (value or "").strip().lower()
    return text if _MEDIA_TYPE.fullmatch(text) else ""


def attachments_validate(files: Sequence[UploadedFile[Any]], *, field: str = "attachments") -> None:
    """Enforce ``MAX_ATTACHMENTS`` and ``MAX_ATTACHMENT_SIZE_KB`` before anything is written."""
    limit = app_settings.MAX_ATTACHMENTS
    if len(files) > limit:
        raise ValidationFailed.field(
            field, f"At most {limit} attachment{'s' if limit != 1 else ''} allowed."
        )
    max_kb = app_settings.MAX_ATTACHMENT_SIZE_KB
    for upload in files:
        if upload.size is None or upload.size > max_kb * 1024:
            raise ValidationFailed.field(
                field, f"{upload.name} is larger than the {max_kb} KB limit."
            )


def attachments_store(
    files: Sequence[UploadedFile[Any]], *, ticket: Ticket, reply: Reply | None, uploaded_by: Any
) -> list[Attachment]:
    """Save validated uploads (inside the caller's transaction).

    The file is stored under a random name: the uploaded name is kept in
    ``original_name`` (shown on the pages, offered by the download view) but never
    becomes a path, so a host serving ``MEDIA_URL`` does not hand out attachments to
    whoever guesses ``escalated/attachments/<year>/<month>/invoice.pdf``, and a name
    that storage would reduce to nothing (``🙂``) does not fail the upload.
    """
    stored = []
    for upload in files:
        attachment = Attachment(
            ticket=ticket,
            reply=reply,
            original_name=(upload.name or "file")[:255],
            content_type=attachment_content_type(getattr(upload, "content_type", "")),
            size_bytes=upload.size or 0,
            uploaded_by=uploaded_by,
        )
        attachment.file.save(uuid.uuid4().hex, upload, save=False)
        attachment.save()
        stored.append(attachment)
    return stored
