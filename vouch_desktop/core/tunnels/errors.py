"""The tunnels domain's errors: one tree under ``TunnelError``. Each kind is defined next to the
code that raises it (ports.PortInUse, carriers.PluginMissing, datachannel's ForwardingError and
ProtocolError); all are TunnelErrors, so the manager needs one ``except`` for them."""

from __future__ import annotations

from vouch_desktop.core.errors import VouchDesktopError


class TunnelError(VouchDesktopError):
    """A tunnel could not start or broke; ``permanent`` when trying again cannot help."""

    def __init__(self, message: str, *, advice: str = "", permanent: bool = False) -> None:
        super().__init__(message, advice=advice)
        self.permanent = permanent
