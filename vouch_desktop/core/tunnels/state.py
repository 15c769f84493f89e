"""What a tunnel is to the rest of the app: the profile fields the manager needs (``TunnelSpec``), its
state and the status shown in the menu, the Tunnels window and the control socket."""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass, field
from typing import Protocol

from vouch_desktop.core.tunnels.backends import TunnelBackend


class TunnelSpec(Protocol):
    """What the manager needs of a saved tunnel profile (core.storage.profiles.TunnelProfile has it).

    Read-only properties, so that a frozen dataclass such as TunnelProfile matches.
    """

    @property
    def name(self) -> str: ...

    @property
    def target(self) -> str: ...

    @property
    def remote_host(self) -> str: ...

    @property
    def remote_port(self) -> int: ...

    @property
    def local_port(self) -> int: ...

    @property
    def region(self) -> str: ...

    @property
    def aws_profile(self) -> str: ...

    @property
    def document(self) -> str: ...


class TunnelState(enum.Enum):
    STOPPED = "stopped"
    STARTING = "starting"
    UP = "up"
    RECONNECTING = "reconnecting"
    PAUSED = "paused"  # waiting for a Vouch login
    FAILED = "failed"


@dataclass(frozen=True)
class TunnelStatus:
    name: str
    state: TunnelState = TunnelState.STOPPED
    local_port: int = 0
    reason: str = ""
    advice: str = ""
    attempts: int = 0
    target: str = ""
    backend: TunnelBackend | None = None  # the carrier of the current session (PLUGIN or BUILTIN)
    since: float = field(default_factory=time.time)

    @property
    def address(self) -> str:
        return f"localhost:{self.local_port}" if self.local_port else ""

    @property
    def active(self) -> bool:
        return self.state not in (TunnelState.STOPPED, TunnelState.FAILED)

    @property
    def summary(self) -> str:
        built_in = self.backend is TunnelBackend.BUILTIN
        return {TunnelState.UP: f"up on {self.address}" + (" · built-in" if built_in else ""),
                TunnelState.STARTING: "starting…",
                TunnelState.RECONNECTING: f"reconnecting (attempt {self.attempts})…"
                + (f" {self.reason}" if self.reason else ""),
                TunnelState.PAUSED: "paused: log in to resume",
                TunnelState.FAILED: f"failed: {self.reason}",
                TunnelState.STOPPED: "off"}[self.state]


def connection_string(status: TunnelStatus, remote_port: int) -> str:
    """A client command line for a tunnel, by the database's usual port."""
    if remote_port in (3306, 33060):
        return f"mysql -h 127.0.0.1 -P {status.local_port}"
    if remote_port == 5432:
        return f"psql -h localhost -p {status.local_port}"
    return f"localhost:{status.local_port}"
