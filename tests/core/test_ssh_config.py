"""~/.ssh/config: detection, the block appended byte-for-byte safely, idempotent, backed up."""

from __future__ import annotations

import stat

import pytest

from vouch_desktop.core.connect.ssh_config import BEGIN, SshConfigEditor, ssh_command_line
from vouch_desktop.core.errors import ValidationError

EXISTING = "# my config\nHost bastion\n  HostName 10.0.0.1\n  User admin\n\nHost *\n\tServerAliveInterval 30"


def test_block_is_appended_and_the_rest_kept_byte_for_byte(tmp_path):
    path = tmp_path / ".ssh" / "config"
    path.parent.mkdir()
    path.write_text(EXISTING)
    path.chmod(0o644)
    editor = SshConfigEditor(path)
    assert not editor.status().routed
    backup = editor.add_block("vouch")
    text = path.read_text()
    assert text.startswith(EXISTING + "\n\n" + BEGIN)
    assert "ProxyCommand aws ssm start-session --target %h --document-name AWS-StartSSHSession " \
           "--parameters portNumber=%p --profile vouch" in text
    assert backup.read_text() == EXISTING
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert editor.status().routed and editor.status().ours
    assert editor.add_block("vouch") is None  # idempotent
    assert path.read_text() == text


def test_new_file_and_folder_get_private_modes(tmp_path):
    path = tmp_path / ".ssh" / "config"
    SshConfigEditor(path).add_block("work")
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize("text, routed", [
    ("Host i-* mi-*\n"
     "  ProxyCommand sh -c \"aws ssm start-session --target %h --document-name AWS-StartSSHSession\"\n", True),
    ("# Host i-* mi-*\n#  ProxyCommand aws ssm start-session --target %h\n", False),  # commented out
    ("Host i-*\n  ProxyCommand aws ssm start-session --target %h\n", False),  # mi-* not covered
    ("Host i-* mi-*\n  ProxyCommand nc %h %p\n", False),  # routed elsewhere
    ("Host *\n  ProxyCommand=aws ssm start-session --target %h --document-name AWS-StartSSHSession\n", True),
    ("Host * !i-*\n  ProxyCommand aws ssm start-session --target %h\n", False),  # negated
    ("Match host i-*\n  ProxyCommand aws ssm start-session --target %h\n", False),  # Match: not evaluated
    # ssh takes the first value it finds for a host
    ("Host i-* mi-*\n  ProxyCommand nc %h %p\nHost *\n  ProxyCommand aws ssm start-session --target %h\n", False),
])
def test_detection(tmp_path, text, routed):
    path = tmp_path / "config"
    path.write_text(text)
    assert SshConfigEditor(path).status().routed is routed


def test_includes_are_reported_and_bad_profiles_refused(tmp_path):
    path = tmp_path / "config"
    path.write_text("Include ~/.ssh/config.d/*\n")
    status = SshConfigEditor(path).status()
    assert status.includes == ["~/.ssh/config.d/*"] and "Include" in status.text
    with pytest.raises(ValidationError):
        SshConfigEditor(path).add_block("evil; rm -rf ~")
    assert path.read_text() == "Include ~/.ssh/config.d/*\n"


def test_ssh_command_line():
    assert ssh_command_line("i-0123456789abcdef0", "ec2-user") == "ssh ec2-user@i-0123456789abcdef0"
