"""The login state, as a pure function of the last vouch status and the time: no I/O, no timers.

logged out → valid → expiring (within the lead time) → expired. The expiry is an absolute wall-clock
time fixed when the status was read, so the countdown stays right between refreshes.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

from vouch_desktop.core.vouch.client import VouchStatus


class SessionState(enum.Enum):
    UNKNOWN = "unknown"  # not read yet
    LOGGED_OUT = "logged-out"
    VALID = "valid"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    ERROR = "error"  # vouch could not be asked


@dataclass(frozen=True)
class SessionSnapshot:
    state: SessionState
    email: str = ""
    expires_at: float | None = None
    remaining: float = 0.0
    error: str = ""

    @property
    def countdown_text(self) -> str:
        return countdown(self.remaining) if self.state in (SessionState.VALID, SessionState.EXPIRING) else ""

    @property
    def headline(self) -> str:
        if self.state in (SessionState.VALID, SessionState.EXPIRING):
            who = f"Logged in as {self.email}" if self.email else "Logged in"
            return f"{who} · {self.countdown_text}"
        return {SessionState.LOGGED_OUT: "Not logged in", SessionState.EXPIRED: "Session expired",
                SessionState.UNKNOWN: "Checking Vouch…",
                SessionState.ERROR: f"Vouch: {self.error}" if self.error else "Vouch is not answering"}[self.state]

    @property
    def logged_in(self) -> bool:
        return self.state in (SessionState.VALID, SessionState.EXPIRING)


def countdown(seconds: float) -> str:
    if seconds < 60:
        return "less than a minute left"
    minutes = math.ceil(seconds / 60)  # "1 min left" until the last minute, never "0 min"
    if minutes < 60:
        return f"{minutes} min left"
    return f"{minutes // 60} h {minutes % 60:02d} min left"


def evaluate(status: VouchStatus | None, now: float, lead_time: float, *, was_logged_in: bool = False,
             error: str = "") -> SessionSnapshot:
    """``was_logged_in`` tells "expired" (we saw a session end) from "logged out" (no session)."""
    if error:
        return SessionSnapshot(SessionState.ERROR, error=error)
    if status is None:
        return SessionSnapshot(SessionState.UNKNOWN)
    expires_at = status.expires_at
    if not status.authenticated or expires_at is None:
        return SessionSnapshot(SessionState.EXPIRED if was_logged_in else SessionState.LOGGED_OUT)
    remaining = expires_at - now
    if remaining <= 0:
        return SessionSnapshot(SessionState.EXPIRED, email=status.email, expires_at=expires_at)
    state = SessionState.EXPIRING if remaining <= lead_time else SessionState.VALID
    return SessionSnapshot(state, email=status.email, expires_at=expires_at, remaining=remaining)


def next_check_delay(snapshot: SessionSnapshot, now: float, lead_time: float, *, idle_poll: float = 300.0) -> float:
    """Seconds until something the user sees changes: the countdown's next minute, the start of
    "expiring", or the expiry; while logged out, a slow poll notices a login made in a terminal."""
    if snapshot.expires_at is None or not snapshot.logged_in:
        return idle_poll
    remaining = snapshot.expires_at - now
    candidates = [remaining]  # expiry
    if remaining > lead_time:
        candidates.append(remaining - lead_time)  # entering "expiring"
    if remaining >= 60:
        # the text shows whole minutes rounded up: it changes when remaining crosses a multiple of 60
        candidates.append(remaining - 60 * math.floor((remaining - 1e-6) / 60))
    delay = min(c for c in candidates if c > 0) if any(c > 0 for c in candidates) else 0.0
    return max(0.5, min(delay + 0.05, idle_poll))


@dataclass(frozen=True)
class Notice:
    summary: str
    body: str
    critical: bool = False


def notice_for_transition(old: SessionState, new: SessionState, snapshot: SessionSnapshot) -> Notice | None:
    """What to tell the user when the state changes; each change is announced once, by construction."""
    if new is SessionState.EXPIRING and old in (SessionState.VALID, SessionState.UNKNOWN):
        return Notice(f"Vouch session ends soon ({snapshot.countdown_text})",
                      "Log in again with your YubiKey to keep your AWS access; running sessions stay up.")
    if new is SessionState.EXPIRED:
        return Notice("Vouch session expired", "Your AWS access has ended. Log in again with your YubiKey.",
                      critical=True)
    return None
