"""The command line's side of the control socket: blocking, no event loop, quick to import
(the second launch and every sub-command start with it)."""

from __future__ import annotations

import socket
import sys
from pathlib import Path
from typing import Any, TypeVar

from vouch_desktop.core.errors import VouchDesktopError
from vouch_desktop.core.system.ipc_protocol import (
    MAX_REPLY_BYTES,
    BadMessage,
    ControlError,
    Failure,
    Ping,
    Reply,
    Request,
    decode_reply,
    encode_request,
    error_for,
)

R = TypeVar("R", bound=Reply)


class NotRunning(ControlError):
    pass


class IpcTimeout(ControlError):
    pass


def send_request(path: Path, request: Request[R], timeout: float = 10.0) -> R:
    """Ask the running app; its typed reply, or the typed error it answered with (UnknownProfile,
    CommandFailed), NotRunning, IpcTimeout or BadMessage."""
    if sys.platform == "win32" or not hasattr(socket, "AF_UNIX"):
        raise NotRunning("Talking to the running app is not supported on this platform yet.")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect(str(path))
        except (FileNotFoundError, ConnectionRefusedError):
            raise NotRunning("Vouch Desktop is not running.", advice="Start it with: vouch-desktop &") from None
        try:
            sock.sendall(encode_request(request))
            reply = _read_line(sock)
        except TimeoutError:
            raise IpcTimeout(f"Vouch Desktop did not answer '{request.command}' within {timeout:g} s.") from None
        except OSError as exc:
            raise NotRunning(f"Vouch Desktop closed the connection ({exc.strerror or exc}).") from None
    try:
        answer: Any = decode_reply(reply, type(request).reply_type)
    except BadMessage as exc:
        raise BadMessage("Vouch Desktop gave an answer this command cannot read.",
                         advice="Are the app and this command the same version? Restart the app.",
                         detail=exc.message) from None
    if isinstance(answer, Failure):
        raise error_for(answer)
    return answer


def _read_line(sock: socket.socket) -> bytes:
    reply = b""
    while not reply.endswith(b"\n"):
        chunk = sock.recv(65536)
        if not chunk:
            break
        reply += chunk
        if len(reply) > MAX_REPLY_BYTES:
            raise BadMessage("Vouch Desktop gave an answer too long to read.")
    return reply


def is_running(path: Path) -> bool:
    try:
        send_request(path, Ping(), timeout=2.0)
    except VouchDesktopError:
        return False
    return True
