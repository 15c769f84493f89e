"""The session as vouch reports it, read defensively: any output, however odd, becomes a ``VouchStatus``
or a ``VouchBadOutput`` ("output this app cannot read"), never another exception.

``vouch status --format json`` prints (commands/status.rs ``StatusJson``, pretty-printed)
``{"authenticated": bool, "email": str?, "expires_in_seconds": u64?, "agent_running": bool}``; with
``RUST_LOG`` set, log lines may come before it on stdout. The agent's ``get_session`` gives
``{"user_email", "expires_at", "authenticated_at", "expires_in_seconds", "server_url"?}``.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from vouch_desktop.core.vouch.errors import VouchBadOutput

MAX_OUTPUT = 1024 * 1024  # a status is ~120 bytes; with debug log lines a few kB
MAX_SESSION_SECONDS = 31 * 24 * 3600  # sessions last hours (8 h by default): a longer one is not believable
MAX_EMAIL = 254  # RFC 5321
_JSON_START = re.compile(r"^[ \t]*\{", re.MULTILINE)
BAD_OUTPUT_ADVICE = "Update the vouch CLI, or report this together with 'vouch --version'."


@dataclass(frozen=True)
class VouchStatus:
    authenticated: bool
    email: str = ""
    expires_in_seconds: int | None = None  # None: vouch did not say
    agent_running: bool = False
    read_at: float = 0.0  # wall-clock time when the status was read

    @property
    def expires_at(self) -> float | None:
        """Absolute wall-clock expiry, computed once from the relative value vouch gave."""
        if not self.authenticated or self.expires_in_seconds is None:
            return None
        return self.read_at + self.expires_in_seconds

    @property
    def said_expired(self) -> bool:
        """vouch said so itself (the agent's ``expires_in_seconds: 0``), not for want of an answer."""
        return not self.authenticated and self.expires_in_seconds == 0

    @property
    def may_be_unreachable(self) -> bool:
        """``authenticated: false`` without the agent is also what vouch says when its server cannot be
        reached (status.rs ``report_unauthenticated``): it does not prove the session ended."""
        return not self.authenticated and not self.agent_running and not self.said_expired


def bad_output(what: str, reason: str, text: str | bytes = "") -> VouchBadOutput:
    sample = text[:200] if text else ""
    return VouchBadOutput(f"{what} gave output this app cannot read ({reason}).", advice=BAD_OUTPUT_ADVICE,
                          detail=f"{reason}: {sample!r}" if sample else reason)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"{text[:40]} is out of range")
    return value


def decode_object(text: str, what: str) -> dict[str, Any]:
    """The first JSON object in ``text`` that starts a line (log lines before it are skipped)."""
    if len(text) > MAX_OUTPUT:
        raise bad_output(what, f"{len(text):,} characters, more than {MAX_OUTPUT:,}")
    match = _JSON_START.search(text)
    if match is None:
        raise bad_output(what, "no JSON object", text)
    start = text.index("{", match.start())
    decoder = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite_float)
    try:
        data, _ = decoder.raw_decode(text, start)
    except RecursionError:
        raise bad_output(what, "nested too deeply", text) from None
    except ValueError as exc:  # JSONDecodeError, out-of-range numbers, over-long integers
        raise bad_output(what, f"not JSON: {str(exc)[:120]}", text) from None
    if not isinstance(data, dict):
        raise bad_output(what, "not a JSON object", text)
    return data


def _optional(data: dict[str, Any], key: str, kind: type | tuple[type, ...], what: str) -> Any:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) and kind is not bool or not isinstance(value, kind):
        raise bad_output(what, f"'{key}' is {type(value).__name__}, not {getattr(kind, '__name__', kind)}")
    return value


def _email(data: dict[str, Any], key: str, what: str) -> str:
    email = _optional(data, key, str, what) or ""
    if len(email) > MAX_EMAIL or any(unicodedata.category(c).startswith("C") for c in email):
        raise bad_output(what, f"'{key}' is not an e-mail address", email)
    return email


def _seconds(data: dict[str, Any], key: str, what: str) -> int | None:
    seconds = _optional(data, key, int, what)
    if seconds is not None and not 0 <= seconds <= MAX_SESSION_SECONDS:
        raise bad_output(what, f"'{key}' is {str(seconds)[:30]}, not between 0 and {MAX_SESSION_SECONDS}")
    return seconds


def parse_status(text: str, read_at: float) -> VouchStatus:
    what = "vouch status"
    data = decode_object(text, what)
    authenticated = data.get("authenticated")
    if not isinstance(authenticated, bool):
        raise bad_output(what, "no true/false 'authenticated'", text)
    email = _email(data, "email", what)
    expires = _seconds(data, "expires_in_seconds", what)
    agent_running = _optional(data, "agent_running", bool, what) or False
    if authenticated and expires == 0:  # ends this very second: as good as ended
        authenticated = False
    return VouchStatus(authenticated=authenticated, email=email, expires_in_seconds=expires,
                       agent_running=agent_running, read_at=read_at)


def parse_agent_session(result: Any, read_at: float) -> VouchStatus:
    """The agent's ``get_session`` result (crates/vouch-agent/src/state.rs ``SessionInfo``)."""
    what = "the vouch agent"
    if not isinstance(result, dict):
        raise bad_output(what, "its session is not a JSON object")
    expires = _seconds(result, "expires_in_seconds", what)
    if expires is None:
        raise bad_output(what, "no 'expires_in_seconds'")
    return VouchStatus(authenticated=expires > 0, email=_email(result, "user_email", what),
                       expires_in_seconds=expires, agent_running=True, read_at=read_at)
