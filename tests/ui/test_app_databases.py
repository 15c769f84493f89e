"""Issue 22 in the whole app: the demo world with its orders-db endpoint routed to a real PostgreSQL, the
real Secret Service, a real terminal (xterm). Tunnels → Databases → orders-db → Open in psql asks for the
password once (kept in the keyring), brings the tunnel up and opens psql signed in as 'app'; Copy password
puts it on the clipboard and takes it back; Settings → Passwords lists it and forgets it. The reliability
secret scan: the password in no file the app wrote, no command line (the app's children and every process
of the machine while psql ran), not in psql's environment; its sign-in file gone when the window closes."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import secrets
from pathlib import Path

import psutil
import pytest

from tests.ui import test_app_end_to_end
from tests.ui.conftest import until
from tests.ui.test_app_end_to_end import children_argv, running, scan_for_secrets
from vouch_desktop.core.databases.passwords import DatabaseAccount
from vouch_desktop.core.system.paths import AppPaths
from vouch_desktop.core.tunnels.state import TunnelState
from vouch_desktop.ui.composition import VouchDesktop

pytestmark = pytest.mark.desktop
demo = test_app_end_to_end.demo  # the end-to-end tests' demo world (fixture)


def submenu(menu, text):
    return next(a.menu() for a in menu.actions() if a.menu() and a.text().replace("&", "") .startswith(text))


def action(menu, text):
    return next(a for a in menu.actions() if a.text().replace("&", "").startswith(text))


def every_command_line() -> list[str]:
    lines = []
    for proc in psutil.process_iter(["cmdline"]):
        lines.append(" ".join(proc.info["cmdline"] or []))
    return lines


def psql_clients(port: int) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        if proc.info["name"] == "psql" and f"port='{port}'" in " ".join(proc.info["cmdline"] or []):
            found.append(proc)
    return found


def test_open_in_psql_copy_password_and_forget_it_in_the_whole_app(qapp, qloop, demo, postgres, secret_service,
                                                                 reliability):
    password = "Pg-" + secrets.token_urlsafe(12) + ":\\'x"  # distinctive; what a pgpass line must escape
    postgres.psql("-c", f"DROP ROLE IF EXISTS app; CREATE ROLE app LOGIN PASSWORD $pw${password}$pw$")
    if postgres.psql("-c", "SELECT 1 FROM pg_database WHERE datname = 'orders'").stdout.strip() != "1":
        postgres.psql("-c", "CREATE DATABASE orders")
    orders = next(host for _, host, _ in demo.inventory.db_endpoints if host.startswith("orders-db"))
    demo.fake_aws.add_route(orders, 5432, ("127.0.0.1", postgres.port))
    paths = AppPaths.default().ensure()
    desktop = VouchDesktop(qapp, paths, argparse.Namespace(quit_after=None), demo)
    service, windows = desktop.service, desktop.windows
    service.settings.current.terminal = "xterm"
    windows.databases.clipboard.clear_after_ms = 1500
    clipboard = qapp.clipboard()
    terminals: list[psutil.Process] = []

    async def scenario():
        async with running(desktop):
            profile = service.profiles.find("orders-db")
            desktop.tray.menu.aboutToShow.emit()
            tunnels = submenu(desktop.tray.menu, "Tunnels")
            entry = submenu(submenu(tunnels, "Databases"), "orders-db")
            assert [a.text() for a in entry.actions() if not a.isSeparator()][0] == "Open in psql"
            assert action(entry, "Copy connection URL").isEnabled() is False  # the port is known once it is up
            action(entry, "Open in psql").trigger()
            await until(lambda: windows.databases.password_dialog is not None
                        and windows.databases.password_dialog.isVisible())
            dialog = windows.databases.password_dialog
            assert dialog.remember.isChecked() and dialog.remember.isEnabled()  # the keyring is there
            dialog.password.setText(password)
            dialog.accept()
            await until(lambda: service.tunnel_status(profile).state is TunnelState.UP, timeout=30)
            port = service.tunnel_status(profile).local_port
            await until(lambda: psql_clients(port), timeout=30)
            [psql] = psql_clients(port)

            def connected_as_app() -> bool:  # psql is up before it has signed in: ask the server until it has
                query = "SELECT count(*) FROM pg_stat_activity WHERE usename = 'app'"
                return postgres.psql("-c", query).stdout.strip() == "1"

            deadline = asyncio.get_running_loop().time() + 20
            while not await asyncio.to_thread(connected_as_app):
                in_time = asyncio.get_running_loop().time() < deadline
                assert psql.is_running() and in_time, postgres.log.read_text()[-800:]
                await asyncio.sleep(0.2)
            environ = Path(f"/proc/{psql.pid}/environ").read_bytes()
            secret_file = Path(next(v for v in environ.split(b"\0") if v.startswith(b"PGPASSFILE="))
                               .split(b"=", 1)[1].decode())
            command_lines = every_command_line() + children_argv()
            terminals.extend(p for p in psql.parents() if p.name() == "xterm")

            # Copy password: from the keyring (no dialog now), off the clipboard again after a while
            desktop.tray.menu.aboutToShow.emit()
            entry = submenu(submenu(submenu(desktop.tray.menu, "Tunnels"), "Databases"), "orders-db")
            assert action(entry, "Copy connection URL").toolTip() == f"postgresql://app@127.0.0.1:{port}/orders"
            action(entry, "Copy password").trigger()
            await until(lambda: clipboard.text() == password)
            assert windows.databases.password_dialog is None
            await until(lambda: clipboard.text() == "", timeout=10)
            action(entry, "Copy password").trigger()
            await until(lambda: clipboard.text() == password)
            clipboard.setText("something the user copied")  # theirs now: left alone
            await asyncio.sleep(2)
            kept = clipboard.text()

            # Settings → Passwords: listed by account, forgotten
            windows.databases.show_passwords()
            window = windows.databases.passwords_window
            await until(lambda: window.list.count() == 1)
            listed = window.list.item(0).text()
            window.list.item(0).setSelected(True)
            window.forget_button.click()
            await until(lambda: window.list.count() == 0)
            forgotten = service.databases_sign_in.vault.get(DatabaseAccount.of(profile)) is None

            # closing the terminal window ends psql, and its carrier removes the sign-in file
            for terminal in terminals:
                terminal.kill()
            await until(lambda: not secret_file.exists(), timeout=15)
            return "1", environ, command_lines, kept, listed, forgotten, secret_file

    try:
        signed_in, environ, command_lines, kept, listed, forgotten, secret_file = qloop.run_until_complete(scenario())
    finally:
        for terminal in terminals:
            with contextlib.suppress(psutil.Error):
                terminal.kill()
    assert terminals, "psql ran in an xterm"
    assert signed_in == "1"  # psql is connected as 'app'
    assert password.encode() not in environ and b"PGPASSWORD=" not in environ
    assert kept == "something the user copied"
    assert listed.startswith("app on orders-db.") and "used by orders-db" in listed and forgotten
    folders = [paths.config_dir, paths.data_dir, paths.state_dir, paths.cache_dir, paths.log_dir, paths.runtime_dir]
    file_hits = scan_for_secrets([f for f in folders if f.exists()], [password])
    argv_hits = [line[:60] for line in command_lines if password in line]
    files = {p for f in folders if f.exists() for p in f.rglob("*") if p.is_file()}
    reliability(secrets_checked=1, files_scanned=len(files), command_lines_scanned=len(command_lines),
                hits=len(file_hits) + len(argv_hits), sign_in_file_removed=not secret_file.exists())
    assert file_hits == [] and argv_hits == []
