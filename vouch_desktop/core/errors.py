"""Typed errors that carry a message for people.

Every failure the user can meet is a ``VouchDesktopError`` (or a subclass defined next to the
code that raises it).  ``message`` says what happened in plain words, ``advice`` what to do about
it; the UI and the CLI show both and never a traceback.
"""

from __future__ import annotations


class VouchDesktopError(Exception):
    """Base class for every error the app reports to the user."""

    def __init__(self, message: str, *, advice: str = "", detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.advice = advice
        # technical detail for the log and an expandable "details" box; never a secret
        self.detail = detail

    def user_text(self) -> str:
        return f"{self.message}\n{self.advice}" if self.advice else self.message


class ValidationError(VouchDesktopError):
    """Bad input in one field; ``field`` names it so the UI can show the message beside it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class ValidationErrors(VouchDesktopError):
    """Several fields are wrong at once; nothing was saved."""

    def __init__(self, errors: list[ValidationError]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors

    def by_field(self) -> dict[str, str]:
        return {e.field: e.message for e in self.errors}


class StoreError(VouchDesktopError):
    """A file the app keeps could not be read or written."""


class ExternalToolError(VouchDesktopError):
    """An outside program (vouch, aws, session-manager-plugin, a terminal) failed."""
