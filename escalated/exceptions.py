"""One exception family for the app, each with a machine-readable ``code``.

Services raise these; the edges translate them (Inertia ``errors`` prop, DRF JSON
``{"message", "code", "errors"}``, ``CommandError``).
"""

from __future__ import annotations

from collections.abc import Mapping


class EscalatedError(Exception):
    """Base of every error the app raises on purpose."""

    code = "error"
    status = 400

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        errors: Mapping[str, list[str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.errors: dict[str, list[str]] = {k: list(v) for k, v in (errors or {}).items()}

    def as_dict(self) -> dict[str, object]:
        return {"message": self.message, "code": self.code, "errors": self.errors}


class ValidationFailed(EscalatedError):
    """Input is invalid; ``errors`` maps field names to messages."""

    code = "validation_failed"
    status = 422

    @classmethod
    def field(cls, field: str, message: str, *, code: str | None = None) -> ValidationFailed:
        return cls(message, code=code, errors={field: [message]})


class IllegalTransition(EscalatedError):
    """The ticket cannot move from its status to the one asked for."""

    code = "illegal_transition"
    status = 422


class NotPermitted(EscalatedError):
    """The actor may not do this."""

    code = "not_permitted"
    status = 403


class NotFound(EscalatedError):
    """The object asked for does not exist (or is not visible to the actor)."""

    code = "not_found"
    status = 404


class Throttled(EscalatedError):
    """Too many of these actions from one client; ``retry_after`` seconds to wait."""

    code = "throttled"
    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
