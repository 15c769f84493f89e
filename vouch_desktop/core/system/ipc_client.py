"""The command line's side of the control channel: blocking, no event loop, quick to import
(the second launch and every sub-command start with it). The transport (a Unix socket, or a loopback
port with a token) is the endpoint's business: core/system/ipc_transport.py. The protocol's message types
come with the first request: looking for a running app where none is needs none of them."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from vouch_desktop.core.errors import VouchDesktopError
from vouch_desktop.core.system.ipc_errors import MAX_REPLY_BYTES, BadMessage
from vouch_desktop.core.system.ipc_transport import Endpoint, IpcTimeout, NotRunning, as_endpoint

if TYPE_CHECKING:
    from vouch_desktop.core.system.ipc_protocol import Reply, Request

__all__ = ["IpcTimeout", "NotRunning", "is_running", "send_request"]

R = TypeVar("R", bound="Reply")


def send_request(where: Endpoint | Path, request: Request[R], timeout: float = 10.0) -> R:
    """Ask the running app at ``where`` (a path means a Unix socket); its typed reply, or the typed error
    it answered with (UnknownProfile, CommandFailed, Refused), NotRunning, IpcTimeout or BadMessage."""
    from vouch_desktop.core.system.ipc_protocol import Failure, decode_reply, encode_request, error_for

    with as_endpoint(where).connect(timeout) as sock:
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


def is_running(where: Endpoint | Path) -> bool:
    endpoint = as_endpoint(where)
    if not endpoint.present():
        return False  # no app ever published itself there (nor left its mark): nothing to ask
    from vouch_desktop.core.system.ipc_protocol import Ping

    try:
        send_request(endpoint, Ping(), timeout=2.0)
    except VouchDesktopError:
        return False
    return True
