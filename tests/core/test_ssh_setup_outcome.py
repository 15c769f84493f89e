"""SSH over SSM says what it did (created, added with the copy it kept, put on top, updated, nothing),
and ssh reads the file the app set up: `-F FILE` whenever that is not the file ssh reads on its own
(the demo's home), checked with the real ssh (`ssh -G`), which Diagnostics asks too."""

from __future__ import annotations

import asyncio
import shutil
import subprocess

import pytest

from vouch_desktop.core.aws.ssm_commands import ssh_argv
from vouch_desktop.core.connect.diagnostics import Diagnostics
from vouch_desktop.core.connect.ssh_config import SshConfigEditor, default_ssh_config, ssh_command_line
from vouch_desktop.core.system.processes import ProcessRegistry

INSTANCE = "i-0123456789abcdef0"
needs_ssh = pytest.mark.skipif(shutil.which("ssh") is None, reason="needs the OpenSSH client")


def proxy_command(argv: list[str]) -> str:
    """What the real ssh would run to reach the host of ``argv`` (`ssh -G` prints it, and connects nowhere)."""
    shown = subprocess.run([argv[0], "-G", *argv[1:]], capture_output=True, text=True, timeout=30, check=True).stdout
    return next((line.split(None, 1)[1] for line in shown.splitlines() if line.startswith("proxycommand ")), "")


def test_each_outcome_is_said_as_it_happened(tmp_path):
    path = tmp_path / "ssh" / "config"
    editor = SshConfigEditor(path)
    created = editor.set_up("vouch")
    assert created.created and created.backup is None
    assert created.text == f"Created {path} with the block that routes i-* and mi-* hosts through Systems Manager."
    again = editor.set_up("vouch")
    assert not again.changed and again.text.endswith("already routes i-* and mi-* hosts through Systems Manager; "
                                                     "nothing was changed.")
    assert "Backup" not in again.text and "kept" not in again.text
    other = editor.set_up("work")
    assert other.updated and other.backup is not None and other.backup.read_bytes() != path.read_bytes()
    assert other.text == f"Updated the Vouch Desktop block in {path}. Your file as it was is kept at {other.backup}."

    mine = tmp_path / "mine"
    mine.write_text("Host *\n    ServerAliveInterval 30\n")
    added = SshConfigEditor(mine).set_up("vouch")
    assert added.text == (f"Added the Vouch Desktop block to {mine}. Your file as it was is kept at {added.backup}.")
    assert added.backup.read_text() == "Host *\n    ServerAliveInterval 30\n"

    shadowed = tmp_path / "shadowed"
    shadowed.write_text("Host i-*\n    ProxyCommand none\n")
    on_top = SshConfigEditor(shadowed).set_up("vouch")
    assert on_top.at_top and "at the top of the file, as earlier lines would win over it" in on_top.text


def test_ssh_is_told_the_file_when_it_is_not_its_own(tmp_path):
    demo_file = tmp_path / "demo-home" / ".ssh" / "config"
    editor = SshConfigEditor(demo_file)
    assert editor.explicit and editor.ssh_options() == ["-F", str(demo_file)] and editor.where == str(demo_file)
    assert ssh_argv(INSTANCE, "ec2-user", options=editor.ssh_options()) == \
        ["ssh", "-F", str(demo_file), f"ec2-user@{INSTANCE}"]
    assert ssh_command_line(INSTANCE, "", editor.ssh_options()) == f"ssh -F {demo_file} {INSTANCE}"
    own = SshConfigEditor(default_ssh_config())  # the account's own file: ssh reads it without being told
    assert not own.explicit and own.ssh_options() == [] and own.where == "~/.ssh/config"


@needs_ssh
def test_the_real_ssh_reads_the_block_the_app_set_up(tmp_path):
    editor = SshConfigEditor(tmp_path / "demo-home" / ".ssh" / "config")
    editor.set_up("vouch-demo")
    command = proxy_command(ssh_argv(INSTANCE, options=editor.ssh_options()))
    assert command.startswith("aws ssm start-session --target %h --document-name AWS-StartSSHSession")
    assert command.endswith("--profile vouch-demo")


@needs_ssh
def test_diagnostics_says_so_when_ssh_would_read_another_file(tmp_path, monkeypatch):
    editor = SshConfigEditor(tmp_path / "set-up" / "config")
    editor.set_up("vouch")
    processes = ProcessRegistry()
    diagnostics = Diagnostics(None, None, lambda: None, "vouch", "eu-west-1", editor,  # type: ignore[arg-type]
                              processes=processes)
    agreed = asyncio.run(diagnostics.ssh_over_ssm())
    assert agreed.ok and agreed.message == f"SSH over SSM is set up in {editor.path}."
    elsewhere = tmp_path / "what-ssh-reads"
    elsewhere.write_text("Host *\n    User someone\n")
    monkeypatch.setattr(editor, "ssh_options", lambda: ["-F", str(elsewhere)])  # as the demo was: another file
    disagreed = asyncio.run(diagnostics.ssh_over_ssm())
    assert not disagreed.ok
    assert disagreed.message == f"{editor.path} has the block, but ssh does not use it for i-* hosts (no ProxyCommand)."
    assert processes.pids() == []
