"""NUL characters: PostgreSQL refuses them in text and JSON (SQLite stores them), so
every way in (web forms, URLs, service calls) turns them away before any query."""

from __future__ import annotations

from typing import Any, Final

NUL_MESSAGE: Final = "Null characters are not allowed."


def has_nul(value: Any) -> bool:
    """Whether a text, or a parsed JSON value's keys and texts, hold a NUL character."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(has_nul(item) for item in value)
    return False
