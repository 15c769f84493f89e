"""The tray menu as a daily tool (issue #21): the same layout in every state (items disabled with a
reason, never appearing and vanishing), mnemonics, the tunnels menu's status icons, count, short
states, tooltips, details, Stop all and "Copied" feedback."""

from __future__ import annotations

import asyncio
import itertools
import re

import pytest
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import QMenu

from tests.ui.tray_parts import PORT_ADVICE, PORT_IN_USE, make_tray_app
from vouch_desktop.core.app.tunnel_view import TunnelLook
from vouch_desktop.core.tunnels.state import TunnelState
from vouch_desktop.core.vouch.session_state import SessionState
from vouch_desktop.ui.status_icons import status_icon
from vouch_desktop.ui.tray import find_action, menu_layout, mnemonic, plain

SESSIONS = list(SessionState)  # logged out, valid, expiring, expired, and not known, unconfirmed, vouch failing
TUNNELS = {"none up": {}, "one up": {"orders-db": TunnelState.UP},
           "one failed": {"orders-db": TunnelState.FAILED},
           "up and failed": {"orders-db": TunnelState.UP, "reports-db": TunnelState.FAILED},
           "connecting": {"orders-db": TunnelState.STARTING, "reports-db": TunnelState.RECONNECTING},
           "paused": {"orders-db": TunnelState.PAUSED}}


@pytest.fixture
def app(qapp, tmp_path, fake_vouch):
    app = make_tray_app(tmp_path, fake_vouch.path)
    yield app
    app.windows.close_all()
    app.tray.hide()


def set_tunnels(app, states: dict[str, TunnelState]) -> None:
    for name in ("orders-db", "reports-db"):
        state = states.get(name, TunnelState.STOPPED)
        app.set_tunnel(name, state, PORT_IN_USE if state is TunnelState.FAILED else "",
                       PORT_ADVICE if state is TunnelState.FAILED else "", attempts=2)


def test_the_menu_layout_is_identical_in_every_state(app):
    layouts = {}
    for session, key, tunnels in itertools.product(SESSIONS, (True, False), TUNNELS):
        app.set_session(session)
        app.set_key(key)
        set_tunnels(app, TUNNELS[tunnels])
        app.open_menu()
        layouts[(session.value, "key" if key else "no key", tunnels)] = app.tray.layout()
    first = next(iter(layouts.values()))
    assert first[:4] == ["Connect…", "---", "<status>", "<status>"]  # the palette first; the headline, the key
    assert first[-1] == "Quit Vouch Desktop"
    tunnels = next(item for item in first if isinstance(item, list) and item[0] == "Tunnels")
    assert tunnels[1] == ["orders-db", "reports-db", "---", "Stop all", "Group “prod”",
                          ["Copy connection string", ["orders-db", "reports-db"]], "Details…", "---",
                          "New tunnel…", ["Edit tunnel", ["orders-db", "reports-db"]]]
    different = {state: layout for state, layout in layouts.items() if layout != first}
    assert different == {}, f"{len(different)} of {len(layouts)} states change the menu's layout"


def test_what_does_not_apply_is_disabled_with_the_reason(app):
    app.set_session(SessionState.LOGGED_OUT)
    app.set_key(False)
    set_tunnels(app, {})
    app.open_menu()
    menu = app.tray.menu
    login, logout = find_action(menu, "Log in…"), find_action(menu, "Log out")
    assert not login.isEnabled() and plain(login.text()) == "Log in… (plug in your YubiKey)"
    assert not logout.isEnabled() and plain(logout.text()) == "Log out (not logged in)"
    tunnels = app.tray.submenu("Tunnels")
    stop_all = find_action(tunnels, "Stop all")
    assert not stop_all.isEnabled() and plain(stop_all.text()) == "Stop all (none running)"
    copy = find_action(tunnels, "Copy connection string")
    assert not copy.isEnabled() and not find_action(copy.menu(), "orders-db (not up)").isEnabled()
    app.set_session(SessionState.EXPIRED)
    app.set_key(True)
    set_tunnels(app, {"orders-db": TunnelState.UP})
    app.open_menu()
    login = find_action(app.tray.menu, "Log in…")
    assert login.isEnabled() and plain(login.text()) == "Log in… (session expired)"
    assert find_action(app.tray.submenu("Tunnels"), "Stop all").isEnabled()


def mnemonics_of(menu: QMenu) -> list[tuple[str, list]]:
    found = []
    for action in menu.actions():
        if action.isSeparator() or not action.isEnabled() and not action.menu():
            continue
        found.append((action.text(), mnemonics_of(action.menu()) if isinstance(action.menu(), QMenu) else []))
    return found


def test_every_item_has_a_mnemonic_unique_in_its_menu(app):
    app.set_session(SessionState.VALID)
    app.set_key(True)
    set_tunnels(app, {"orders-db": TunnelState.UP})
    app.open_menu()

    def check(menu: QMenu, where: str) -> list[str]:
        problems, letters = [], []
        for action in menu.actions():
            if action.isSeparator() or action.property("vouch_status_line"):
                continue
            letter = mnemonic(action.text())
            if isinstance(action.menu(), QMenu):
                problems += check(action.menu(), plain(action.text()))
            if not letter:
                continue
            if letter in letters:
                problems.append(f"{where}: '{letter}' twice ({plain(action.text())})")
            letters.append(letter)
        return problems

    # the main menu: every fixed item has one (tunnel names are the user's, so they have none)
    fixed = [a for a in app.tray.menu.actions() if not a.isSeparator() and not a.property("vouch_status_line")]
    assert [plain(a.text()) for a in fixed if not mnemonic(a.text())] == []
    assert check(app.tray.menu, "menu") == []
    tunnels = app.tray.submenu("Tunnels")
    assert {mnemonic(find_action(tunnels, text).text()) for text in
            ("Stop all", "Copy connection string", "Details…", "New tunnel…", "Edit tunnel")} == set("sodne")


def test_a_user_name_with_an_ampersand_is_shown_not_taken_as_a_mnemonic(app):
    """Every item anywhere in the menu that shows a name the user chose (instances, tunnels, their
    databases, recent connections) shows its '&' as it is: Qt would take a single '&' for a mnemonic."""
    from vouch_desktop.core.databases.engines import DatabaseEngine
    from vouch_desktop.core.storage.profiles import InstanceProfile, TunnelProfile

    app.service.profiles.add(TunnelProfile("R&D db", "i-0123456789abcdef0", 5432, "eu-west-1", "rd.example.com",
                                           engine=DatabaseEngine.POSTGRESQL))
    app.service.profiles.add(InstanceProfile("R&D web", "i-0123456789abcdef1", "eu-west-1"))
    app.open_menu()

    def showing_the_names(menu: QMenu) -> list[str]:
        found = []
        for action in menu.actions():
            if re.search(r"R&+D (db|web)", action.text()):  # however it is escaped
                found.append(action.text())
            if isinstance(action.menu(), QMenu):
                found += showing_the_names(action.menu())
        return found

    items = showing_the_names(app.tray.menu)
    assert {plain(t).split(" ")[1] for t in items} >= {"db", "web"}  # both names, in several submenus
    assert len(items) >= 4
    for text in items:
        assert "R&&D" in text, text  # escaped: shown as "R&D", no mnemonic on "D"


def pixels(look: TunnelLook, dark: bool, size: int = 32) -> QImage:
    return status_icon(look, dark).pixmap(size, size).toImage()


def grey(image: QImage) -> QImage:
    return image.convertToFormat(QImage.Format.Format_Grayscale8)


def test_each_tunnel_state_has_its_own_status_icon_told_apart_without_colour(qapp):
    looks = list(TunnelLook)
    for dark in (False, True):
        images = [pixels(look, dark) for look in looks]
        assert all(not image.isNull() for image in images)
        # by shape alone: in grey (or to someone who cannot tell red from green) every pair still differs
        shapes = [grey(image) for image in images]
        same = [(a.value, b.value) for (a, x), (b, y) in itertools.combinations(zip(looks, shapes, strict=True), 2)
                if x == y]
        assert same == []
        alpha = [image.convertToFormat(QImage.Format.Format_Alpha8) for image in images]
        assert len({bytes(a.constBits()) for a in alpha}) == len(looks)  # the outlines themselves differ


def test_the_tunnels_menu_shows_each_tunnel_with_its_status_icon_count_and_short_state(app):
    app.set_session(SessionState.VALID)
    set_tunnels(app, {"orders-db": TunnelState.UP, "reports-db": TunnelState.FAILED})
    app.open_menu()
    title = next(a for a in app.tray.menu.actions() if isinstance(a.menu(), QMenu) and "Tunnels" in a.text())
    assert plain(title.text()) == "Tunnels (1 up, 1 failed)"
    tunnels = app.tray.submenu("Tunnels")
    assert tunnels.toolTipsVisible() and app.tray.menu.toolTipsVisible()
    up, failed = find_action(tunnels, "orders-db"), find_action(tunnels, "reports-db")
    dark = app.tray.theme.dark
    assert up.icon().pixmap(16, 16).toImage() == pixels(TunnelLook.UP, dark, 16)
    assert failed.icon().pixmap(16, 16).toImage() == pixels(TunnelLook.FAILED, dark, 16)
    assert plain(up.text()) == "orders-db — up on localhost:15432" and up.isChecked()
    assert plain(failed.text()) == "reports-db — failed: Local port 15432 is already in…"
    assert not failed.isChecked()  # clicking it starts it again
    set_tunnels(app, {"orders-db": TunnelState.RECONNECTING, "reports-db": TunnelState.PAUSED})
    app.open_menu()
    tunnels = app.tray.submenu("Tunnels")
    assert plain(app.tray.menu.actions()[[plain(a.text()).startswith("Tunnels") for a in
                                           app.tray.menu.actions()].index(True)].text()) \
        == "Tunnels (1 connecting, 1 paused)"
    assert find_action(tunnels, "orders-db").icon().pixmap(16, 16).toImage() == pixels(TunnelLook.CONNECTING, dark, 16)
    assert find_action(tunnels, "reports-db").icon().pixmap(16, 16).toImage() == pixels(TunnelLook.PAUSED, dark, 16)
    set_tunnels(app, {})
    app.open_menu()
    assert find_action(app.tray.submenu("Tunnels"), "orders-db").icon().pixmap(16, 16).toImage() \
        == pixels(TunnelLook.STOPPED, dark, 16)
    assert [plain(a.text()) for a in app.tray.menu.actions() if isinstance(a.menu(), QMenu)][1] == "Tunnels"


def test_a_failed_tunnel_keeps_the_menu_narrow_and_explains_in_tooltip_and_details(app, qtbot):
    app.set_session(SessionState.VALID)
    set_tunnels(app, {})
    app.open_menu()
    narrow = app.tray.submenu("Tunnels").sizeHint().width()
    set_tunnels(app, {"reports-db": TunnelState.FAILED})
    app.open_menu()
    tunnels = app.tray.submenu("Tunnels")
    failed = find_action(tunnels, "reports-db")
    assert PORT_IN_USE in failed.toolTip() and PORT_ADVICE in failed.toolTip()
    assert PORT_IN_USE not in failed.text()
    assert tunnels.sizeHint().width() <= narrow + 120  # the short state, not a 600 px wide menu
    find_action(tunnels, "Details…").trigger()
    window = app.windows.tunnels.details_window
    qtbot.waitUntil(window.isVisible)
    assert window.selected_name() == "reports-db"  # opened on the failed one
    assert window.windowTitle() == "Tunnel details — Vouch Desktop"
    shown = {label: value for label, value in window.rows()}
    assert shown["State"] == "failed" and shown["Reason"] == PORT_IN_USE and shown["What to do"] == PORT_ADVICE
    labels = [window.form.itemAt(i, window.form.ItemRole.FieldRole).widget().text()
              for i in range(window.form.rowCount())]
    assert PORT_IN_USE in labels and PORT_ADVICE in labels  # on screen, not only in the model
    assert window.toggle_button.text() == "&Start"
    window.copy_details()
    assert PORT_IN_USE in QGuiApplication.clipboard().text()
    # the window follows the tunnel: once it runs again the reason is gone
    app.set_tunnel("reports-db", TunnelState.UP)
    assert dict(window.rows())["State"] == "up" and "Reason" not in dict(window.rows())
    assert window.toggle_button.text() == "&Stop"


def test_a_failure_notification_opens_the_details(app, qtbot, qloop):
    status = app.set_tunnel("reports-db", TunnelState.FAILED, PORT_IN_USE, PORT_ADVICE)
    app.service.tunnels.failed.emit(status)
    qloop.run_until_complete(asyncio.sleep(0.05))  # the notification task runs
    [shown] = [n for n in app.notifier.shown if n.summary == "Tunnel reports-db failed"]
    assert shown.action_label == "Show details"
    shown.action()
    qtbot.waitUntil(lambda: app.windows.tunnels.details_window is not None
                    and app.windows.tunnels.details_window.isVisible())
    assert app.windows.tunnels.details_window.selected_name() == "reports-db"


def test_stop_all_stops_every_running_tunnel(app, qloop):
    stopped = []

    async def stop(name):
        stopped.append(name)
        app.set_tunnel(name, TunnelState.STOPPED)

    app.service.tunnels.stop = stop
    set_tunnels(app, {"orders-db": TunnelState.UP, "reports-db": TunnelState.RECONNECTING})
    app.open_menu()
    find_action(app.tray.submenu("Tunnels"), "Stop all").trigger()

    async def settle():
        while app.service.active_tunnels():
            await asyncio.sleep(0.01)

    qloop.run_until_complete(settle())
    assert sorted(stopped) == ["orders-db", "reports-db"]
    app.open_menu()
    assert not find_action(app.tray.submenu("Tunnels"), "Stop all").isEnabled()


def test_copying_a_connection_string_says_copied(app, qloop):
    set_tunnels(app, {"orders-db": TunnelState.UP})
    app.open_menu()
    copy = find_action(app.tray.submenu("Tunnels"), "Copy connection string").menu()
    item = find_action(copy, "orders-db")
    assert plain(item.text()) == "orders-db — psql -h localhost -p 15432"
    item.trigger()
    assert QGuiApplication.clipboard().text() == "psql -h localhost -p 15432"
    qloop.run_until_complete(asyncio.sleep(0.05))
    [note] = [n for n in app.notifier.shown if n.summary == "Copied"]
    assert note.brief and "psql -h localhost -p 15432" in note.body  # brief: low urgency, gone by itself
    app.open_menu()  # opened again within moments, the item says so itself
    copy = find_action(app.tray.submenu("Tunnels"), "Copy connection string").menu()
    assert plain(find_action(copy, "orders-db").text()) == "orders-db — copied ✓"
    app.controller.clipboard.clock = lambda: 1e12  # much later
    app.open_menu()
    copy = find_action(app.tray.submenu("Tunnels"), "Copy connection string").menu()
    assert plain(find_action(copy, "orders-db").text()) == "orders-db — psql -h localhost -p 15432"


def test_menu_layout_helper_reads_state_parts_and_submenus(qapp):
    menu = QMenu()
    menu.addAction("&Tunnels (2 up)")
    menu.addSeparator()
    sub = menu.addMenu("&Edit — 3")
    sub.addAction("a: b")
    assert menu_layout(menu) == ["Tunnels", "---", ["Edit", ["a"]]]
