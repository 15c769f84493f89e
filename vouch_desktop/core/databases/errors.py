"""The database sign-in domain's errors: one base, each leaf defined next to the code that raises it."""

from __future__ import annotations

from vouch_desktop.core.errors import VouchDesktopError


class DatabaseError(VouchDesktopError):
    """Signing in to a database through a tunnel failed."""
