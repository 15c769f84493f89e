"""The "Connect…" palette (issue #21, quick connect): type to find, keys with QTest (Enter connects,
Alt+Enter opens SSH, Ctrl+C copies the ssh command, Esc closes), discovery off the UI thread with
progress, its results merged in without moving the selection; opened from the tray's first item and
from `vouch-desktop connect` without a name."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest

from tests.ui.tray_parts import make_tray_app
from vouch_desktop.core.app.quick_connect import Candidate, candidates_from
from vouch_desktop.core.aws.discovery import DiscoveredInstance
from vouch_desktop.core.storage.profiles import InstanceProfile
from vouch_desktop.demo.seed import REGIONS, seed_demo_world
from vouch_desktop.ui.windows.connect_palette import HINT, ConnectPalette

ALT, CTRL = Qt.KeyboardModifier.AltModifier, Qt.KeyboardModifier.ControlModifier


def found(name: str, number: int, region: str = "eu-west-1", state: str = "running") -> DiscoveredInstance:
    return DiscoveredInstance(f"i-0{number:016x}", region, name, state, managed=True, ping_status="Online",
                              tags={"Name": name})


PROFILES = [InstanceProfile("web-1", found("web-1", 1).instance_id, "eu-west-1", ssh_user="ec2-user"),
            InstanceProfile("any web server", "Name=web-*", "eu-west-1")]


@dataclass
class Recorder:
    connected: list[str] = field(default_factory=list)
    ssh: list[str] = field(default_factory=list)

    def connect(self, candidate: Candidate) -> None:
        self.connected.append(candidate.title)

    def open_ssh(self, candidate: Candidate) -> None:
        self.ssh.append(candidate.title)


@pytest.fixture
def palette(qapp, qtbot):
    recorder = Recorder()
    palette = ConnectPalette(recorder)
    qtbot.addWidget(palette)
    palette.set_candidates(candidates_from(PROFILES, [], [found("web-2", 2), found("db", 3, "us-east-1"),
                                                          found("old", 4, state="stopped")]))
    palette.present()
    qtbot.waitUntil(palette.isVisible)
    return palette, recorder


def shown(palette: ConnectPalette) -> list[str]:
    return [c.title for c in palette.shown]


def test_typing_filters_and_enter_connects_the_best_match(palette):
    palette, recorder = palette
    assert shown(palette) == ["web-1", "any web server", "web-2", "db", "old"]
    QTest.keyClicks(palette.search, "web2")
    assert shown(palette) == ["web-2"] and palette.selected().title == "web-2"
    QTest.keyClick(palette.search, Qt.Key.Key_Return)
    assert recorder.connected == ["web-2"] and not palette.isVisible()


def test_arrows_move_and_alt_enter_opens_ssh(palette):
    palette, recorder = palette
    QTest.keyClicks(palette.search, "web")
    assert shown(palette) == ["web-1", "web-2", "any web server"]
    QTest.keyClick(palette.search, Qt.Key.Key_Down)
    QTest.keyClick(palette.search, Qt.Key.Key_Down)
    QTest.keyClick(palette.search, Qt.Key.Key_Up)
    assert palette.selected().title == "web-2"
    QTest.keyClick(palette.search, Qt.Key.Key_Return, ALT)
    assert recorder.ssh == ["web-2"] and recorder.connected == []


def test_ctrl_c_copies_the_ssh_command_and_says_so(palette):
    palette, recorder = palette
    QTest.keyClicks(palette.search, "web-1")
    QTest.keyClick(palette.search, Qt.Key.Key_C, CTRL)
    command = f"ssh ec2-user@{found('web-1', 1).instance_id}"
    assert QGuiApplication.clipboard().text() == command
    assert palette.status.text() == f"Copied: {command}" and palette.isVisible()
    # with text selected in the field, Ctrl+C copies that text, as everywhere else
    palette.search.selectAll()
    QTest.keyClick(palette.search, Qt.Key.Key_C, CTRL)
    assert QGuiApplication.clipboard().text() == "web-1"
    # a tag filter has no one instance to reach: it says so and copies nothing
    QGuiApplication.clipboard().setText("unchanged")
    palette.search.setText("any web")
    QTest.keyClick(palette.search, Qt.Key.Key_C, CTRL)
    assert QGuiApplication.clipboard().text() == "unchanged" and "tag filter (Name=web-*)" in palette.status.text()


def test_escape_closes_and_an_unreachable_instance_says_why(palette):
    palette, recorder = palette
    QTest.keyClicks(palette.search, "old")
    QTest.keyClick(palette.search, Qt.Key.Key_Return)
    assert recorder.connected == [] and palette.isVisible()
    assert palette.status.text() == "Cannot connect to old: instance is stopped."
    QTest.keyClick(palette.search, Qt.Key.Key_Escape)
    assert not palette.isVisible()


def test_results_that_arrive_later_do_not_move_the_selection(palette):
    palette, recorder = palette
    QTest.keyClicks(palette.search, "w")
    QTest.keyClick(palette.search, Qt.Key.Key_Down)
    chosen = palette.selected()
    # better matches arrive (they rank above the chosen one): the chosen one stays selected
    more = [found("web-2", 2), found("db", 3, "us-east-1"), found("w", 9), found("ww", 10), found("web", 11)]
    palette.set_candidates(candidates_from(PROFILES, [], more))
    assert shown(palette)[0] == "w" and palette.selected().key == chosen.key
    QTest.keyClick(palette.search, Qt.Key.Key_Return)
    assert recorder.connected == [chosen.title]


def test_nothing_matches_says_so(palette):
    palette, _ = palette
    QTest.keyClicks(palette.search, "zzzz")
    assert palette.shown == [] and palette.empty.isVisible() and not palette.list.isVisible()
    QTest.keyClick(palette.search, Qt.Key.Key_Return)
    assert palette.status.text() == "Nothing selected: type to find an instance."


def test_the_palette_from_the_tray_discovers_off_the_ui_thread_and_connects(qapp, qtbot, qloop, tmp_path, fake_vouch,
                                                                           aws_env, fake_aws):
    seed_demo_world(fake_aws)
    app = make_tray_app(tmp_path, fake_vouch.path)
    service = app.service
    service.settings.current.aws_profile, service.settings.current.regions = aws_env, list(REGIONS)
    gate = asyncio.Event()  # discovery answers when the test says so: the palette is usable before
    threads = []
    real_discover = service.discovery.discover

    async def gated(*args, **kwargs):
        await gate.wait()
        return await real_discover(*args, **kwargs)

    real_region = service.discovery._region

    def region(*args):
        import threading

        threads.append(threading.current_thread() is threading.main_thread())
        return real_region(*args)

    service.discovery.discover = gated
    service.discovery._region = region

    async def wait_for(condition, timeout: float = 30):
        deadline = asyncio.get_running_loop().time() + timeout
        while not condition():
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.02)

    # (keys are pressed between the loop's runs: QTest may process events, never inside a coroutine)
    try:
        app.open_menu()
        first = app.tray.menu.actions()[0]
        assert first.text() == "&Connect…"
        first.trigger()  # the tray's first item
        palette = app.windows.palette.palette
        qloop.run_until_complete(asyncio.sleep(0.05))
        assert palette.isVisible() and palette.progress.isVisible()
        assert palette.status.text() == "Looking for instances in eu-west-1, us-east-1, eu-central-1…"
        assert shown(palette) == ["web-1", "any web server"]  # the saved ones at once
        QTest.keyClick(palette.search, Qt.Key.Key_Down)
        gate.set()
        qloop.run_until_complete(wait_for(lambda: not palette.progress.isVisible()))
        assert len(shown(palette)) > 15 and palette.selected().title == "any web server"  # merged in, not moved
        assert palette.status.text() == HINT
        assert threads and not any(threads)  # AWS was asked from worker threads only
        QTest.keyClicks(palette.search, "bastion fra")
        assert palette.selected().title == "bastion-fra"
        QTest.keyClick(palette.search, Qt.Key.Key_Return)
        qloop.run_until_complete(wait_for(lambda: service.connector.opened))
        bastion = next(i for i in service.instances.instances if i.name == "bastion-fra")
        assert service.connector.opened == [("bastion-fra", bastion.instance_id)] and not palette.isVisible()
        # opened again within minutes: what discovery found is there at once, and not asked again
        calls = len(fake_aws.calls)
        app.controller.show_connect_palette()  # what `vouch-desktop connect` without a name asks for
        assert palette.isVisible() and len(palette.candidates) > 15 and not palette.progress.isVisible()
        assert palette.search.selectedText() == "bastion fra"  # typing replaces the last search
        QTest.keyClicks(palette.search, "kafka")
        assert shown(palette) == ["kafka-1", "kafka-2"]
        qloop.run_until_complete(asyncio.sleep(0.1))
        assert len(fake_aws.calls) == calls
    finally:
        qloop.run_until_complete(service.tasks.cancel_all())
        app.windows.close_all()


def test_alt_enter_opens_ssh_with_the_profiles_user(qapp, qloop, tmp_path, fake_vouch, monkeypatch):
    app = make_tray_app(tmp_path, fake_vouch.path)
    service = app.service
    service.set_up_ssh()  # ~/.ssh/config routes i-* through SSM: no question first
    opened = []

    async def open_ssh(instance, user=""):
        opened.append((instance.instance_id, instance.region, user))

    monkeypatch.setattr(service, "open_ssh", open_ssh)
    service.instances = None
    monkeypatch.setattr(app.windows.palette, "discover", lambda: asyncio.sleep(0))

    try:
        app.controller.show_connect_palette()
        palette = app.windows.palette.palette
        QTest.keyClicks(palette.search, "web-1")
        QTest.keyClick(palette.search, Qt.Key.Key_Return, ALT)

        async def wait():
            while not opened:
                await asyncio.sleep(0.02)

        qloop.run_until_complete(asyncio.wait_for(wait(), 30))
    finally:
        qloop.run_until_complete(service.tasks.cancel_all())
        app.windows.close_all()
    assert opened == [("i-0123456789abcdef0", "eu-west-1", "ec2-user")]
