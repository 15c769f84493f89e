"""Takes the documentation's screenshots of the running demo app on a virtual desktop with a tray
(run through scripts/screenshot-docs, which starts Xvfb + trayer): the tunnels menu with a tunnel in
each state (up, connecting, failed with its tooltip, stopped), the Connect… palette, and the same
in dark mode (Qt's GTK platform theme, switched to dark with Qt's own API). ImageMagick's `import`
grabs the screen; xdotool moves the pointer so that submenus and tooltips open as for a user.

Usage: scripts/screenshot-docs [--dark] [OUT_DIR]   (default: docs/)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
import tempfile
from pathlib import Path

DARK = "--dark" in sys.argv
if DARK:  # before Qt starts: the platform theme that follows (and here: is told) the colour scheme
    os.environ["QT_QPA_PLATFORMTHEME"] = "gtk3"
    os.environ.setdefault("NO_AT_BRIDGE", "1")

import qasync  # noqa: E402
from PySide6.QtCore import QPoint, QRect, Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication  # noqa: E402
from PySide6.QtWidgets import QApplication, QMenu, QWidget  # noqa: E402

from vouch_desktop.core.storage.profiles import LOCAL_PORT_DOCUMENT, TunnelProfile  # noqa: E402
from vouch_desktop.core.system.paths import AppPaths  # noqa: E402
from vouch_desktop.core.tunnels.manager import TunnelState  # noqa: E402
from vouch_desktop.demo.world import DemoWorld  # noqa: E402
from vouch_desktop.ui.composition import VouchDesktop  # noqa: E402
from vouch_desktop.ui.tray import TrayIcon, find_action  # noqa: E402


async def run(*argv: str) -> None:
    process = await asyncio.create_subprocess_exec(*argv)
    if await process.wait() != 0:
        raise RuntimeError(f"{argv[0]} failed")


async def hover(widget: QWidget, rect: QRect) -> None:
    """The pointer over ``rect`` of ``widget`` (as a user would move it), via the X server."""
    point = widget.mapToGlobal(rect.center())
    await run("xdotool", "mousemove", str(point.x()), str(point.y()))


async def grab(area: QRect, out: Path) -> None:
    screen = QGuiApplication.primaryScreen().geometry()
    area = area.intersected(screen)
    await run("import", "-window", "root", "-crop", f"{area.width()}x{area.height()}+{area.x()}+{area.y()}", str(out))
    print(f"wrote {out}", flush=True)


async def until(condition, timeout: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise TimeoutError("the demo did not reach the state to show")
        await asyncio.sleep(0.1)


def stage_tunnels(desktop: VouchDesktop, world: DemoWorld, held_port: int) -> list[TunnelProfile]:
    """Tunnels in each state: orders-db up, a tunnel through a stopped instance reconnecting, one
    whose local port another program holds failed, one stopped."""
    inventory = world.inventory
    profiles = desktop.service.profiles
    customers = next(host for region, host, port in inventory.db_endpoints if host.startswith("customers-db"))
    extra = [TunnelProfile("customers-db", inventory.instance_named("web-3"), 3306, "eu-west-1", customers,
                           local_port=13306, group="demo"),
             TunnelProfile("analytics-db", "Name=bastion-eu", 5432, "eu-west-1", customers, local_port=held_port),
             TunnelProfile("grafana", inventory.instance_named("grafana"), 3000, "eu-central-1",
                           document=LOCAL_PORT_DOCUMENT, local_port=13000)]
    for profile in extra:
        profiles.add(profile)
    return [profiles.find("orders-db"), *extra]  # type: ignore[list-item]


async def shots(desktop: VouchDesktop, world: DemoWorld, out: Path, suffix: str) -> None:
    service, tray = desktop.service, desktop.tray
    service.tunnels.backoff.cap = 60.0  # the reconnecting tunnel keeps reconnecting while we look
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    orders, customers, analytics, _grafana = stage_tunnels(desktop, world, holder.getsockname()[1])
    for profile in (orders, customers, analytics):
        await service.start_tunnel(profile)
    await until(lambda: service.tunnel_status(orders).state is TunnelState.UP
                and service.tunnel_status(analytics).state is TunnelState.FAILED
                and service.tunnel_status(customers).state is TunnelState.RECONNECTING)
    failed_at = asyncio.get_running_loop().time()

    # the Connect… palette, "web" typed, discovery merged in
    desktop.controller.show_connect_palette()
    palette = desktop.windows.palette.palette
    assert palette is not None
    await until(lambda: not palette.progress.isVisible() and len(palette.candidates) > 10)
    palette.search.setText("web")
    palette.select_row(1)
    await run("xdotool", "mousemove", "0", "799")
    await asyncio.sleep(0.8)
    await grab(palette.frameGeometry().adjusted(-6, -6, 6, 6), out / f"connect-palette{suffix}.png")
    palette.close()

    # the details window on the failed tunnel
    window = desktop.windows.tunnels.show_details(analytics.name)
    window.move(120, 120)
    await asyncio.sleep(0.8)
    await grab(window.frameGeometry().adjusted(-6, -6, 6, 6), out / f"tunnel-details{suffix}.png")
    window.close()
    # the tunnels menu, opened from the tray, the failed tunnel's tooltip showing (once the failure's
    # tray balloon, shown for 15 s where there is no notification server, has gone)
    await asyncio.sleep(max(0.0, failed_at + 16 - asyncio.get_running_loop().time()))
    tray.menu.popup(tray.icon.geometry().bottomLeft() + QPoint(0, 4))  # under the icon, as a click opens it
    await asyncio.sleep(0.8)
    title = next(a for a in tray.menu.actions() if isinstance(a.menu(), QMenu) and "Tunnels" in a.text())
    await hover(tray.menu, tray.menu.actionGeometry(title))
    await asyncio.sleep(1.0)
    tunnels = title.menu()
    assert isinstance(tunnels, QMenu)
    await hover(tunnels, tunnels.actionGeometry(find_action(tunnels, "analytics-db")))
    await asyncio.sleep(2.0)  # the tooltip
    area = tray.menu.geometry().united(tunnels.geometry()).united(tray.icon.geometry()).adjusted(-10, 0, 4, 150)
    await grab(area, out / f"tunnels-menu{suffix}.png")
    tunnels.hide()
    tray.menu.hide()
    holder.close()


async def main(world: DemoWorld, out: Path) -> int:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    if DARK:
        QGuiApplication.styleHints().setColorScheme(Qt.ColorScheme.Dark)
    tray = TrayIcon()
    tray.show()
    desktop = VouchDesktop(app, AppPaths.default().ensure(), argparse.Namespace(quit_after=None), world, tray=tray)
    task = asyncio.ensure_future(desktop.run())
    await asyncio.wait_for(desktop.ready.wait(), 60)
    try:
        await asyncio.sleep(2.0)  # the icon settles in the tray
        await shots(desktop, world, out, "-dark" if DARK else "")
    finally:
        desktop.request_quit()
        await asyncio.wait_for(task, 60)
    return 0


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--dark"]
    target = Path(args[0] if args else "docs").resolve()
    target.mkdir(parents=True, exist_ok=True)
    runtime = tempfile.mkdtemp(prefix="vd-shot-", dir="/tmp")
    os.chmod(runtime, 0o700)
    os.environ["XDG_RUNTIME_DIR"] = runtime
    # the demo world (its servers run their own threads and loops) starts before the Qt loop, as in ui/app.py
    with DemoWorld() as demo:
        os.environ.update(demo.env)
        qt = QApplication(sys.argv[:1])
        qt.setApplicationName("Vouch Desktop")
        code = qasync.run(main(demo, target))
    sys.exit(code)
