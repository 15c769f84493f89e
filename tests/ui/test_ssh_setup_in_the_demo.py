"""In the demo, as a user: "Set up SSH over SSM…" from the tray asks (saying ssh will read the demo's
own file), says what it did (a file created, no "Backup" of a file that was not there), Diagnostics
then says "set up", and "Open SSH in terminal" runs an ssh that really reads that file (`ssh -F`,
checked with the real ssh's `-G`)."""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox

from tests.ui import test_app_end_to_end
from tests.ui.conftest import until
from tests.ui.test_dialogs_keep_the_app_alive import menu_action
from vouch_desktop.core.system.paths import AppPaths
from vouch_desktop.ui.composition import VouchDesktop

pytestmark = [pytest.mark.desktop, pytest.mark.skipif(shutil.which("ssh") is None, reason="needs ssh")]
demo = test_app_end_to_end.demo  # the end-to-end tests' demo world (fixture)


def boxes(starting: str) -> list[QMessageBox]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()
            and w.windowTitle().startswith(starting)]


def test_ssh_over_ssm_in_the_demo_uses_the_demos_file(qapp, qloop, demo, monkeypatch):
    opened: list[list[str]] = []

    async def open_in_terminal(settings, argv, title, context=None):  # the terminal itself is not under test here
        opened.append(list(argv))

    monkeypatch.setattr("vouch_desktop.core.app.service.open_in_terminal", open_in_terminal)
    desktop = VouchDesktop(qapp, AppPaths.default().ensure(), argparse.Namespace(quit_after=None), demo)
    service, windows = desktop.service, desktop.windows
    demo_file = demo.home / ".ssh" / "config"

    async def scenario():
        task = asyncio.ensure_future(desktop.run())
        try:
            await asyncio.wait_for(desktop.ready.wait(), 30)
            menu_action(desktop, "Set up SSH over SSM…").trigger()
            await until(lambda: boxes("SSH over SSM"), what="the question")
            [question] = boxes("SSH over SSM")
            assert f"ssh is run with -F {demo_file}" in question.text()
            assert "The file does not exist yet: it will be created." in question.text()
            question.button(QMessageBox.StandardButton.Yes).click()
            await until(lambda: any(b is not question for b in boxes("SSH over SSM")), what="the answer")
            [answer] = [b for b in boxes("SSH over SSM") if b is not question]
            assert answer.text() == (f"Created {demo_file} with the block that routes i-* and mi-* hosts through "
                                     "Systems Manager.")
            assert answer.windowTitle() == "SSH over SSM — Vouch Desktop"
            answer.close()
            check = await service.diagnostics().ssh_over_ssm()
            assert check.ok and check.message == f"SSH over SSM is set up in {demo_file}."

            await service.load_instances()
            web = next(i for i in service.instances.instances if i.name == "web-1")
            windows.instances.open_ssh(web)
            await until(lambda: opened, what="ssh opened")
            return opened[0]
        finally:
            desktop.request_quit()
            await asyncio.wait_for(task, 30)

    argv = qloop.run_until_complete(scenario())
    assert argv[:3] == ["ssh", "-F", str(demo_file)]
    shown = subprocess.run([argv[0], "-G", *argv[1:]], capture_output=True, text=True, timeout=30, check=True).stdout
    proxy = next(line for line in shown.splitlines() if line.startswith("proxycommand "))
    assert "aws ssm start-session --target %h --document-name AWS-StartSSHSession" in proxy
    assert proxy.endswith("--profile vouch-demo")
