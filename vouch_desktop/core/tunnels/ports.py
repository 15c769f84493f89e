"""The tunnel's local port: free or not (and who holds it), or a free one picked for it."""

from __future__ import annotations

import socket
import sys

from vouch_desktop.core.tunnels.errors import TunnelError


class PortInUse(TunnelError):
    """Someone else listens on the tunnel's local port (``permanent`` unless it may be our own, closing)."""


def port_listener(port: int) -> tuple[bool | None, str]:
    """Whether a program listens on a local TCP port, and which ("" when it cannot be told): (None, "")
    when the system does not let us look."""
    try:
        import psutil

        listeners = [c for c in psutil.net_connections(kind="tcp")
                     if c.laddr and c.laddr.port == port and c.status == psutil.CONN_LISTEN]
    except Exception:  # no permission to look, or psutil cannot on this platform
        return None, ""
    for conn in listeners:
        if conn.pid:
            try:
                return True, f"{psutil.Process(conn.pid).name()} (pid {conn.pid})"
            except psutil.Error:
                continue
    return bool(listeners), ""


def bind_as_listener(port: int) -> bool:
    """Whether a listener could bind 127.0.0.1:port now, bound as the carriers' listeners are: with
    address reuse on POSIX (asyncio's servers and AWS's plugin set SO_REUSEADDR), so that the tunnel's own
    connections from the last session (still open, in FIN-WAIT or TIME-WAIT) do not count, only another
    listener does. Windows binds without it: there SO_REUSEADDR would let one take a port someone listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        if sys.platform != "win32":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def check_port_free(port: int) -> None:
    """Fails, naming the holder where it can, when another program listens on the port."""
    if bind_as_listener(port):
        return
    listening, owner = port_listener(port)
    if listening is False:
        return  # only connections hold the port (none listens): the carrier's listener binds all the same
    raise PortInUse(
        f"Local port {port} is already in use" + (f" by {owner}." if owner else "."),
        advice="Stop the program that uses it, or give this tunnel another local port (0 picks a free one).",
        permanent=True)


def pick_free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
