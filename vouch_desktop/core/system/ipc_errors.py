"""What both sides of the control channel need before any message is read: its errors and its size limits.
Apart from the protocol (core/system/ipc_protocol.py, which re-exports them) so that the app can listen, and a
launch can look for a running app, without loading the protocol's message types: they come with the first
message (issue 23: time to ready)."""

from __future__ import annotations

from vouch_desktop.core.errors import VouchDesktopError

MAX_MESSAGE_BYTES = 64 * 1024  # a request line, newline included
MAX_REPLY_BYTES = 16 * MAX_MESSAGE_BYTES  # a reply line (a long tunnel list still fits)


class ControlError(VouchDesktopError):
    """Talking to the running app over the control socket failed (either side)."""


class BadMessage(ControlError):
    """A request or reply that is not in this protocol: not JSON, too big or deep, wrong fields or types."""


class CommandFailed(ControlError):
    """The app understood the request and could not do it; the message says why."""


class Refused(ControlError):
    """The app would not take the request: the connection did not prove it comes from this user (a
    loopback port's token, core/system/ipc_transport.py)."""
