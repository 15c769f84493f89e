"""The control socket's language, shared by the app (core/system/ipc.py) and the command line
(core/system/ipc_client.py): typed requests and replies, and their wire form.

On the wire each side sends one JSON object on one line. A request is
``{"protocol": 1, "command": "tunnel_up", "args": {"name": "orders-db"}}``; a reply is
``{"ok": true, <the reply's fields>}`` or ``{"ok": false, "error": …, "advice": …, "kind": …}``.
Both are decoded into the dataclasses below, field by field with their types checked, so nothing
downstream reads a dict by key. What a peer sends is bounded (size, nesting depth) before it is
parsed. Quick to import: no asyncio, no sockets (the second launch and every sub-command load it).
"""

from __future__ import annotations

import dataclasses
import enum
import json
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

from vouch_desktop.core.errors import VouchDesktopError
from vouch_desktop.core.storage.profiles import UnknownProfile
from vouch_desktop.core.system.ipc_errors import (  # noqa: F401  (the protocol's too: re-exported)
    MAX_MESSAGE_BYTES,
    MAX_REPLY_BYTES,
    BadMessage,
    CommandFailed,
    ControlError,
    Refused,
)

PROTOCOL = 1
MAX_DEPTH = 8  # nesting of JSON objects and arrays in one message


class ErrorKind(enum.StrEnum):
    FAILED = "failed"
    UNKNOWN_PROFILE = "unknown_profile"
    BAD_REQUEST = "bad_request"
    INTERNAL = "internal"
    REFUSED = "refused"


# ---------------------------------------------------------------- replies
@dataclass(frozen=True)
class Reply:
    """Base of every successful answer."""


@dataclass(frozen=True)
class Done(Reply):
    """Nothing to report but success."""


@dataclass(frozen=True)
class Pong(Reply):
    protocol: int = PROTOCOL


@dataclass(frozen=True)
class TunnelRow:
    name: str
    state: str
    local_port: int = 0
    reason: str = ""


@dataclass(frozen=True)
class Tunnels(Reply):
    tunnels: list[TunnelRow] = field(default_factory=list)


@dataclass(frozen=True)
class Status(Reply):
    headline: str
    state: str
    logged_in: bool
    email: str
    key: str
    tunnels: list[TunnelRow] = field(default_factory=list)


class ConnectOutcome(enum.StrEnum):
    OPENED = "opened"  # the terminal window is open
    CHOOSING = "choosing"  # several instances match: the user picks one in a window on the desktop
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Connected(Reply):
    outcome: ConnectOutcome
    title: str = ""
    target: str = ""
    message: str = ""


@dataclass(frozen=True)
class Failure:
    """A refusal; ``kind`` tells the client which error to raise."""

    error: str
    advice: str = ""
    kind: ErrorKind = ErrorKind.FAILED


# ---------------------------------------------------------------- requests
R = TypeVar("R", bound=Reply)
REQUESTS: dict[str, type[Request[Any]]] = {}


class Request(Generic[R]):
    """Base of every request: ``command`` is its name on the wire, ``reply_type`` what it is answered with."""

    command: ClassVar[str]
    reply_type: ClassVar[type[Reply]]


Q = TypeVar("Q", bound=Request[Any])


def request(command: str, reply_type: type[Reply]) -> Callable[[type[Q]], type[Q]]:
    """Registers a request dataclass under its wire name."""

    def register(cls: type[Q]) -> type[Q]:
        if command in REQUESTS:
            raise ValueError(f"two requests named {command!r}")
        cls.command, cls.reply_type = command, reply_type
        REQUESTS[command] = cls
        return cls

    return register


@request("ping", Pong)
@dataclass(frozen=True)
class Ping(Request[Pong]):
    pass


@request("status", Status)
@dataclass(frozen=True)
class GetStatus(Request[Status]):
    pass


@request("show", Done)
@dataclass(frozen=True)
class ShowMenu(Request[Done]):
    pass


@request("connect", Connected)
@dataclass(frozen=True)
class Connect(Request[Connected]):
    name: str


@request("connect_palette", Done)
@dataclass(frozen=True)
class ShowConnectPalette(Request[Done]):
    """`vouch-desktop connect` without a name: the running app opens its "Connect…" palette."""


@request("tunnel_list", Tunnels)
@dataclass(frozen=True)
class ListTunnels(Request[Tunnels]):
    pass


@request("tunnel_up", Tunnels)
@dataclass(frozen=True)
class TunnelUp(Request[Tunnels]):
    name: str


@request("tunnel_down", Tunnels)
@dataclass(frozen=True)
class TunnelDown(Request[Tunnels]):
    name: str


@request("reload_profiles", Done)
@dataclass(frozen=True)
class ReloadProfiles(Request[Done]):
    pass


@request("quit", Done)
@dataclass(frozen=True)
class Quit(Request[Done]):
    pass


# ---------------------------------------------------------------- errors ↔ failures
def failure_for(error: VouchDesktopError) -> Failure:
    kind = ErrorKind.UNKNOWN_PROFILE if isinstance(error, UnknownProfile) else ErrorKind.FAILED
    return Failure(error.message, error.advice, kind)


def error_for(failure: Failure) -> VouchDesktopError:
    """The error a client raises for the app's refusal."""
    if failure.kind is ErrorKind.UNKNOWN_PROFILE:
        return UnknownProfile(failure.error, advice=failure.advice)
    if failure.kind is ErrorKind.REFUSED:
        return Refused("Vouch Desktop refused the connection: it did not come with this app's token.",
                       advice="Another app may have taken its port since it started: restart Vouch Desktop.")
    return CommandFailed(failure.error, advice=failure.advice)


# ---------------------------------------------------------------- wire form
def too_deep(text: str, limit: int = MAX_DEPTH) -> bool:
    """Whether JSON text nests objects/arrays deeper than ``limit`` (checked before parsing it)."""
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def parse_line(line: bytes, limit: int = MAX_MESSAGE_BYTES) -> dict[str, Any]:
    """One message line → its JSON object; BadMessage for anything else."""
    if len(line) > limit:
        raise BadMessage(f"message longer than {limit} bytes")
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        raise BadMessage("message is not UTF-8") from None
    if too_deep(text):
        raise BadMessage(f"message nested deeper than {MAX_DEPTH} levels")
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except ValueError as exc:
        raise BadMessage(f"message is not JSON ({exc.__class__.__name__})") from None
    if not isinstance(data, dict):
        raise BadMessage("message is not a JSON object")
    return data


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number")


def to_wire(message: object) -> dict[str, Any]:
    """A dataclass → plain JSON values (enums as their values)."""

    def plain(value: object) -> object:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, list):
            return [plain(v) for v in value]
        if isinstance(value, enum.Enum):
            return value.value
        return value

    result = plain(message)
    assert isinstance(result, dict)
    return result


def encode_request(message: Request[Any]) -> bytes:
    return _line({"protocol": PROTOCOL, "command": message.command, "args": to_wire(message)})


def encode_reply(reply: Reply | Failure) -> bytes:
    if isinstance(reply, Failure):
        return _line({"ok": False, **to_wire(reply)})
    return _line({"ok": True, **to_wire(reply)})


def _line(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, allow_nan=False).encode() + b"\n"


def decode_request(line: bytes) -> Request[Any]:
    data = parse_line(line)
    command, args = data.get("command"), data.get("args", {})
    if not isinstance(command, str):
        raise BadMessage("request without a command")
    request_type = REQUESTS.get(command)
    if request_type is None:
        raise BadMessage(f"unknown command {command[:40]!r}")
    return from_wire(request_type, args, command)


def decode_reply(line: bytes, reply_type: type[R]) -> R | Failure:
    data = parse_line(line, MAX_REPLY_BYTES)
    ok = data.pop("ok", None)
    if ok is True:
        return from_wire(reply_type, data, "reply")
    if ok is False:
        return from_wire(Failure, data, "failure")
    raise BadMessage("reply without 'ok'")


T = TypeVar("T")


def from_wire(cls: type[T], data: object, where: str) -> T:
    """Build dataclass ``cls`` from JSON values, checking every field's type; BadMessage names what is wrong."""
    if not isinstance(data, dict):
        raise BadMessage(f"{where}: expected an object")
    hints = typing.get_type_hints(cls)
    known = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(k for k in data if k not in known)
    if unknown:
        raise BadMessage(f"{where}: unknown field {unknown[0][:40]!r}")
    values: dict[str, object] = {}
    for name, spec in known.items():
        if name not in data:
            if spec.default is dataclasses.MISSING and spec.default_factory is dataclasses.MISSING:
                raise BadMessage(f"{where}: missing field {name!r}")
            continue
        values[name] = _value(hints[name], data[name], f"{where}.{name}")
    return cls(**values)


def _value(kind: Any, value: object, where: str) -> object:
    origin = typing.get_origin(kind)
    if origin is list:
        (item,) = typing.get_args(kind)
        if not isinstance(value, list):
            raise BadMessage(f"{where}: expected a list")
        return [_value(item, v, f"{where}[{i}]") for i, v in enumerate(value)]
    if origin in (typing.Union, types.UnionType):
        raise TypeError(f"{where}: unions are not part of this protocol")
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        try:
            return kind(value)
        except ValueError:
            raise BadMessage(f"{where}: unexpected value {str(value)[:40]!r}") from None
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        return from_wire(kind, value, where)
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise BadMessage(f"{where}: expected a whole number")
    if kind in (str, bool) and not isinstance(value, kind):
        raise BadMessage(f"{where}: expected {'text' if kind is str else 'true or false'}")
    return value
