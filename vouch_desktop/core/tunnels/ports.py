"""The tunnel's local port: free or not (and who holds it), or a free one picked for it."""

from __future__ import annotations

import socket

from vouch_desktop.core.tunnels.errors import TunnelError


class PortInUse(TunnelError):
    """Someone else listens on the tunnel's local port (``permanent`` unless it may be our own, closing)."""


def port_owner(port: int) -> str:
    """Who listens on a local port, as far as we may know ("" when unknown)."""
    try:
        import psutil

        for conn in psutil.net_connections(kind="tcp"):
            if conn.laddr and conn.laddr.port == port and conn.status == psutil.CONN_LISTEN and conn.pid:
                proc = psutil.Process(conn.pid)
                return f"{proc.name()} (pid {conn.pid})"
    except Exception:  # no permission to look, or psutil cannot on this platform
        return ""
    return ""


def check_port_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            owner = port_owner(port)
            raise PortInUse(
                f"Local port {port} is already in use" + (f" by {owner}." if owner else "."),
                advice="Stop the program that uses it, or give this tunnel another local port (0 picks a free one).",
                permanent=True) from None


def pick_free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
