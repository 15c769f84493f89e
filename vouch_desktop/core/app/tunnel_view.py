"""How a tunnel's state is told to the user, Qt-free: the kind of status icon (up, connecting,
failed, stopped, paused), a short state that fits a menu item (a failed tunnel's whole error made a
600 px wide menu), the full reason and advice for a tooltip or a details window, and the count on
the "Tunnels" menu."""

from __future__ import annotations

import enum
import time
from collections.abc import Iterable

from vouch_desktop.core.tunnels.backends import TunnelBackend
from vouch_desktop.core.tunnels.state import TunnelState, TunnelStatus

SHORT_REASON = 32  # characters of a failure's reason that a menu item shows


class TunnelLook(enum.Enum):
    """The status icon of a tunnel: each drawn with its own shape, so colour is not the only cue."""

    UP = "up"
    CONNECTING = "connecting"  # starting or reconnecting
    PAUSED = "paused"  # waiting for a Vouch login
    FAILED = "failed"
    STOPPED = "stopped"


LOOKS = {TunnelState.UP: TunnelLook.UP, TunnelState.STARTING: TunnelLook.CONNECTING,
         TunnelState.RECONNECTING: TunnelLook.CONNECTING, TunnelState.PAUSED: TunnelLook.PAUSED,
         TunnelState.FAILED: TunnelLook.FAILED, TunnelState.STOPPED: TunnelLook.STOPPED}


def look_of(status: TunnelStatus) -> TunnelLook:
    return LOOKS[status.state]


def shorten(text: str, limit: int = SHORT_REASON) -> str:
    """``text``'s first sentence, cut at a word boundary to at most ``limit`` characters (… added)."""
    text = " ".join(text.split())
    for end in (". ", "\n"):
        text = text.split(end, 1)[0]
    text = text.rstrip(".")
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2:]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:(") + "…"


def short_state(status: TunnelStatus, local_port: int = 0) -> str:
    """What a menu item says after the tunnel's name: a few words, never the whole error."""
    state = status.state
    if state is TunnelState.UP:
        return f"up on {status.address}" + (" · built-in" if status.backend is TunnelBackend.BUILTIN else "")
    if state is TunnelState.STARTING:
        return "starting…"
    if state is TunnelState.RECONNECTING:
        return f"reconnecting (attempt {status.attempts})…" if status.attempts else "reconnecting…"
    if state is TunnelState.PAUSED:
        return "paused: log in to resume"
    if state is TunnelState.FAILED:
        return f"failed: {shorten(status.reason)}" if status.reason else "failed"
    return f"off · localhost:{local_port}" if local_port else "off"


def tooltip(status: TunnelStatus) -> str:
    """The full reason and advice (empty for a tunnel with nothing to explain)."""
    lines = [status.reason, status.advice]
    if status.state is TunnelState.FAILED:
        lines.append("Click to try again; Details… shows this in a window.")
    return "\n".join(line for line in lines if line)


def ago(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s ago"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min ago"


def details(status: TunnelStatus, remote: str, now: float | None = None) -> list[tuple[str, str]]:
    """Label/value rows for the details window: everything known about one tunnel."""
    now = time.time() if now is None else now
    rows = [("State", {TunnelState.UP: "up", TunnelState.STARTING: "starting", TunnelState.RECONNECTING: "reconnecting",
                       TunnelState.PAUSED: "paused (waiting for a Vouch login)", TunnelState.FAILED: "failed",
                       TunnelState.STOPPED: "stopped"}[status.state]),
            ("Since", ago(now - status.since)), ("Forwards", remote)]
    if status.address:
        rows.append(("Local address", status.address))
    if status.target:
        rows.append(("Through", status.target))
    if status.backend is not None:
        rows.append(("Carrier", "built-in data channel" if status.backend is TunnelBackend.BUILTIN
                     else "session-manager-plugin"))
    if status.attempts:
        rows.append(("Attempts", str(status.attempts)))
    if status.reason:
        rows.append(("Reason", status.reason))
    if status.advice:
        rows.append(("What to do", status.advice))
    return rows


def count_text(statuses: Iterable[TunnelStatus]) -> str:
    """The state part of the "Tunnels" menu's title: "2 up", "1 up, 1 failed", "" when all are off."""
    looks = [look_of(s) for s in statuses]
    parts = [(looks.count(TunnelLook.UP), "up"), (looks.count(TunnelLook.CONNECTING), "connecting"),
             (looks.count(TunnelLook.PAUSED), "paused"), (looks.count(TunnelLook.FAILED), "failed")]
    return ", ".join(f"{count} {word}" for count, word in parts if count)
