"""The connect domain's errors (shells, terminals, SSH over SSM): one tree under ``ConnectError``.
Each kind is defined next to the code that raises it (terminals.NoTerminal, connector.ConnectBlocked)."""

from __future__ import annotations

from vouch_desktop.core.errors import VouchDesktopError


class ConnectError(VouchDesktopError):
    """A shell or SSH session could not be opened."""
