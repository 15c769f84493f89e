"""Issue #16, part 3: no menu section can take the tray menu down. The running demo app with
~/.ssh/config unreadable (we run as root in CI, where permissions do not stop a read: the read
fails as it does for a user without the right) or damaged on disk: the SSH line turns into an
error line, every other item and Quit are still there."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from tests.ui import test_app_end_to_end
from tests.ui.test_app_end_to_end import running
from vouch_desktop.core.connect.ssh_config import SshConfigEditor
from vouch_desktop.core.system.paths import AppPaths
from vouch_desktop.ui.composition import VouchDesktop

pytestmark = pytest.mark.desktop
demo = test_app_end_to_end.demo  # the end-to-end tests' demo world (fixture)
EVERY_OTHER_ITEM = ["Connect…", "Log in…", "Log out", "Check AWS access", "Instances ▸", "Tunnels ▸", "Profiles…",
                    "Diagnostics…", "Settings…", "History…", "About Vouch Desktop", "Demo ▸", "Quit Vouch Desktop"]


def menu_texts(qapp, qloop, desktop: VouchDesktop) -> list[str]:
    async def scenario() -> list[str]:
        async with running(desktop):
            desktop.tray.menu.aboutToShow.emit()
            first = desktop.tray.menu_texts()
            desktop.tray.menu.aboutToShow.emit()  # and the next time it opens
            assert desktop.tray.menu_texts() == first
            return first

    return qloop.run_until_complete(scenario())


def present(texts: list[str], item: str) -> bool:
    return any(text == item or text.startswith(item.rstrip("…")) for text in texts)


def test_an_unreadable_ssh_config_leaves_one_error_line(qapp, qloop, demo, monkeypatch):
    def unreadable(self):
        raise PermissionError(13, "Permission denied", str(self.path))

    monkeypatch.setattr(SshConfigEditor, "status", unreadable)
    desktop = VouchDesktop(qapp, AppPaths.default().ensure(), argparse.Namespace(quit_after=None), demo)
    texts = menu_texts(qapp, qloop, desktop)
    errors = [t for t in texts if t.startswith("⚠ SSH over SSM: cannot be shown ([Errno 13] Permission denied")]
    assert len(errors) == 1
    assert texts.index(errors[0]) == texts.index("Diagnostics…") + 1
    missing = [item for item in EVERY_OTHER_ITEM if not present(texts, item)]
    assert missing == [] and texts[-1] == "Quit Vouch Desktop"


@pytest.mark.parametrize("damage", ["a folder", "not UTF-8", "unbalanced quotes"])
def test_a_damaged_ssh_config_leaves_every_other_item(qapp, qloop, demo, damage):
    config = Path(demo.env["HOME"]) / ".ssh" / "config"
    config.parent.mkdir(exist_ok=True)
    if damage == "a folder":
        config.mkdir()
    elif damage == "not UTF-8":
        config.write_bytes(b"Host \xff\xfe*\n  ProxyCommand \xe9\n")
    else:
        config.write_text('Host "i-* mi-*\n  ProxyCommand aws ssm start-session\n')
    desktop = VouchDesktop(qapp, AppPaths.default().ensure(), argparse.Namespace(quit_after=None), demo)
    texts = menu_texts(qapp, qloop, desktop)
    # whether the file is reported in an error line or read around, nothing else is lost
    assert present(texts, "Set up SSH over SSM…") or any(t.startswith("⚠ SSH over SSM") for t in texts)
    missing = [item for item in EVERY_OTHER_ITEM if not present(texts, item)]
    assert missing == [] and texts[-1] == "Quit Vouch Desktop"
