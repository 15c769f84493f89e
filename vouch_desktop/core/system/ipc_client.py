"""The command line's side of the control socket: blocking, no event loop, quick to import
(the second launch and every sub-command start with it)."""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path

from vouch_desktop.core.errors import VouchDesktopError

PROTOCOL = 1


class NotRunning(VouchDesktopError):
    pass


class IpcTimeout(VouchDesktopError):
    pass


def send_request(path: Path, command: str, args: dict | None = None, timeout: float = 10.0) -> dict:
    """Blocking client (the CLI has no event loop): returns the app's answer."""
    if sys.platform == "win32" or not hasattr(socket, "AF_UNIX"):
        raise NotRunning("Talking to the running app is not supported on this platform yet.")
    request = json.dumps({"protocol": PROTOCOL, "command": command, "args": args or {}}).encode() + b"\n"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect(str(path))
        except (FileNotFoundError, ConnectionRefusedError):
            raise NotRunning("Vouch Desktop is not running.", advice="Start it with: vouch-desktop &") from None
        try:
            sock.sendall(request)
            reply = b""
            while not reply.endswith(b"\n"):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                reply += chunk
        except TimeoutError:
            raise IpcTimeout(f"Vouch Desktop did not answer '{command}' within {timeout:g} s.") from None
    try:
        return json.loads(reply)
    except ValueError:
        raise VouchDesktopError("Vouch Desktop gave an answer this command cannot read.") from None


def is_running(path: Path) -> bool:
    try:
        return send_request(path, "ping", timeout=2.0).get("ok", False)
    except VouchDesktopError:
        return False
