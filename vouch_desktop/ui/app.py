"""Start-up: one instance, the demo world if asked for, a tray to live in, the icon on screen at
once, and only then the rest of the app (ui/composition.py)."""

from __future__ import annotations

import argparse
import contextlib
import gc
import logging
import os
import signal
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QApplication, QMessageBox, QSystemTrayIcon

from vouch_desktop.cli.exit_codes import ExitCode
from vouch_desktop.core.storage.settings import SettingsStore
from vouch_desktop.core.system.ipc_client import is_running, send_request
from vouch_desktop.core.system.logging_setup import configure_logging
from vouch_desktop.core.system.paths import AppPaths
from vouch_desktop.ui.tray import TrayIcon

if TYPE_CHECKING:
    import asyncio

    from vouch_desktop.core.system.ipc_transport import Endpoint

log = logging.getLogger(__name__)

QUIT_SIGNALS = ("SIGTERM", "SIGINT", "SIGHUP")  # a logout or shutdown, Ctrl-C, the terminal closed
NO_TRAY_MESSAGE = (
    "No system tray was found, and Vouch Desktop lives in the system tray.\n"
    "On GNOME, install and enable the AppIndicator extension "
    "(package gnome-shell-extension-appindicator) and log in again; on other desktops, "
    "add a system tray (status notifier) area to your panel."
)
ICON_SHOWN_LINE = "vouch-desktop: icon shown"


def wait_for_system_tray(app: QApplication, seconds: float) -> bool:
    """At session start the panel may come up after us: give it a few seconds."""
    if app.platformName() in ("offscreen", "minimal"):
        return QSystemTrayIcon.isSystemTrayAvailable()
    deadline = time.monotonic() + seconds
    while not QSystemTrayIcon.isSystemTrayAvailable():
        if time.monotonic() >= deadline:
            return False
        app.processEvents()
        time.sleep(0.1)
    return True


def report_no_tray(app: QApplication) -> None:
    log.error("no system tray available: %s", NO_TRAY_MESSAGE.replace("\n", " "))
    print(f"vouch-desktop: {NO_TRAY_MESSAGE}", file=sys.stderr)
    if app.platformName() not in ("offscreen", "minimal"):
        QMessageBox.critical(None, "Vouch Desktop", NO_TRAY_MESSAGE)


def hand_over_to_running_app(endpoint: Endpoint) -> bool:
    """A second launch: show the running app's menu and leave."""
    if not is_running(endpoint):
        return False
    from vouch_desktop.core.system.ipc_protocol import ShowMenu

    send_request(endpoint, ShowMenu())
    print("vouch-desktop: Vouch Desktop is already running; its menu is open.", flush=True)
    return True


def run_gui(args: argparse.Namespace) -> int:
    args.demo = args.demo or args.demo_without_plugin
    if hand_over_to_running_app(AppPaths.default().control_endpoint(demo=args.demo)):
        return 0
    from vouch_desktop.demo.leftovers import remove_leftovers

    removed = remove_leftovers()  # the temporary homes of demos that were killed (only those: see there)
    quit_signals: list[int] = []  # the quit signals that came during start-up

    def exit_during_start_up(signum: int, frame: object) -> None:
        # until the event loop is made a quit signal unwinds, so that the demo world is removed; it is noted too:
        # raised inside a callback whose errors Python ignores (an import lock's weakref callback), the SystemExit
        # is lost, and the noted signal then ends the app once it runs
        quit_signals.append(signum)
        raise SystemExit(128 + signum)

    set_quit_signal_handler(exit_during_start_up)
    sys.unraisablehook = _quiet_about_lost_exits
    with contextlib.ExitStack() as stack:
        world = None
        if args.demo:
            print("vouch-desktop: starting the demo world (fake AWS, fake vouch)…", flush=True)
            from vouch_desktop.demo.world import DemoWorld

            world = stack.enter_context(DemoWorld(with_plugin=not args.demo_without_plugin))
            os.environ.update(world.env)
        paths = AppPaths.default().ensure()
        settings_store = SettingsStore(paths)
        loaded_settings = settings_store.load()
        configure_logging(paths.log_file, args.log_level or loaded_settings[0].log_level)
        for root in removed:
            log.info("removed the temporary home %s of a demo that ended without cleaning up", root)
        existing = QApplication.instance()
        app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
        app.setApplicationName("Vouch Desktop")
        tray_wait = float(os.environ.get("VOUCH_DESKTOP_TRAY_WAIT", "60" if args.autostart else "10"))
        if not wait_for_system_tray(app, tray_wait):
            report_no_tray(app)
            return ExitCode.NO_TRAY
        tray = TrayIcon(on_quit=app.quit)
        tray.show()
        print(ICON_SHOWN_LINE, flush=True)
        from vouch_desktop.core.system.deferred_ssl import import_asyncio_without_ssl

        # after the icon is shown, as everything not needed to show it; OpenSSL waits for the first TLS connection
        import_asyncio_without_ssl()
        import asyncio

        import qasync

        from vouch_desktop.core.system.processes import ProcessRegistry
        from vouch_desktop.core.vouch.client import vouch_client

        async def main() -> int:
            loop = asyncio.get_running_loop()
            use_threads_as_needed(loop)
            quit_on_signals(loop, lambda: quit_signals.append(0))  # noted, until the app is built
            # the login state is read while the rest of the app loads: from vouch's agent, else `vouch status` (a
            # process, which may ask vouch's server), started in the read's first step, so one turn of the loop
            processes = ProcessRegistry()
            vouch = vouch_client(loaded_settings[0].vouch_path, processes, world.agent_sockets if world else None)
            vouch.begin_status()
            await asyncio.sleep(0)
            from vouch_desktop.ui.composition import VouchDesktop

            desktop = VouchDesktop(app, paths, args, world, tray=tray, loaded_settings=loaded_settings,
                                   settings_store=settings_store, processes=processes, vouch=vouch)
            quit_on_signals(loop, desktop.request_quit)
            if quit_signals:  # asked while the app was being built: it starts, then quits the normal way
                desktop.request_quit()
            return await desktop.run()

        # from the event loop's making on, a quit signal is noted, then followed the normal way: raised while the
        # loop is made, or inside it (in a callback Qt calls), SystemExit would be lost, and the clean-up with it
        set_quit_signal_handler(lambda signum, frame: quit_signals.append(signum))
        sys.unraisablehook = sys.__unraisablehook__
        runner = stack.enter_context(asyncio.Runner(loop_factory=qasync.QEventLoop))
        code = runner.run(main())
    # the process ends now: keep the interpreter's last collections from walking the whole heap
    # (with the demo's moto loaded they took seconds between "quitting" and the exit)
    gc.freeze()
    return code


def set_quit_signal_handler(handler: Callable[[int, Any], None]) -> None:
    """Python's own handler for the quit signals (before the event loop takes them: ``quit_on_signals``)."""
    for name in QUIT_SIGNALS:
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), handler)


def use_threads_as_needed(loop: asyncio.AbstractEventLoop) -> None:
    """The worker threads of ``asyncio.to_thread``: made when work comes and reused, rather than qasync's
    default of ten threads started with the first call (each with its stack and malloc arena, for an idle
    app that needs one now and then)."""
    from concurrent.futures import ThreadPoolExecutor

    loop.set_default_executor(ThreadPoolExecutor(max_workers=8, thread_name_prefix="vouch-worker"))


def quit_on_signals(loop: asyncio.AbstractEventLoop, request_quit: Callable[[], None]) -> None:
    """Quit the normal way (tunnels stopped, their sessions terminated, the demo world removed) on
    the signals that otherwise end Python at once. The signal only wakes the loop (a wake-up fd),
    so it is handled even while Qt waits for events."""
    for name in QUIT_SIGNALS:
        sig = getattr(signal, name, None)
        if sig is None:
            continue
        try:
            loop.add_signal_handler(sig, request_quit)
        except (NotImplementedError, RuntimeError, ValueError) as exc:  # Windows, or not the main thread
            log.info("cannot handle %s: %s", name, exc)


def _quiet_about_lost_exits(unraisable: Any) -> None:
    """A start-up quit signal's SystemExit that Python could not raise (inside a callback whose errors it ignores)
    is no fault to report: the signal was noted (``exit_during_start_up``). Anything else is reported as usual."""
    if not isinstance(unraisable.exc_value, SystemExit):
        sys.__unraisablehook__(unraisable)
