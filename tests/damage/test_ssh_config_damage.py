"""~/.ssh/config as other people write it: line endings, links, read-only files, our own block, lines
that shadow ours, backups, and files ssh cannot parse. What ssh makes of the result is asked of the
real ssh (`ssh -G -F FILE HOST`), not of our parser."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from vouch_desktop.core.connect.ssh_config import BEGIN, END, SshConfigEditor, SshConfigError, block_lines
from vouch_desktop.core.connect.ssh_config_reading import argv_split

SSH = shutil.which("ssh")
pytestmark = pytest.mark.skipif(SSH is None and not os.environ.get("CI"), reason="needs OpenSSH's ssh client")
TARGETS = ("i-0123456789abcdef0", "mi-0123456789abcdef0")
OTHERS = ("bastion", "web-1", "db.example.com")  # hosts our block must not change (all but i-* and mi-*)


def ssh_g(path: Path, host: str) -> tuple[int, dict[str, str], str]:
    """What the real ssh resolves for ``host`` with only this config file: (exit status, options, stderr)."""
    assert SSH is not None, "OpenSSH's ssh client is needed (scripts/apt-packages.txt: openssh-client)"
    done = subprocess.run([SSH, "-G", "-F", str(path), host], stdin=subprocess.DEVNULL, capture_output=True,
                          timeout=20)
    options = {}
    for line in done.stdout.decode("utf-8", "replace").splitlines():
        key, _, value = line.partition(" ")
        options[key] = value
    return done.returncode, options, done.stderr.decode("utf-8", "replace")


def assert_ssh_uses_ours(path: Path, profile: str = "vouch") -> None:
    for target in TARGETS:
        code, options, err = ssh_g(path, target)
        assert code == 0, err
        assert "AWS-StartSSHSession" in options.get("proxycommand", "") and f"--profile {profile}" in \
            options["proxycommand"], (target, options.get("proxycommand"), path.read_bytes())
        assert options.get("proxyjump", "none") == "none", options.get("proxyjump")


def without_our_block(data: bytes) -> list[bytes]:
    """The file's lines (with their endings) outside our block, and without blank lines (we may add
    or remove one around the block)."""
    kept, inside, context_kept = [], False, False
    for line in data.splitlines(keepends=True):
        text = line.strip()
        if context_kept:  # the Host line kept from a block of ours for the lines after it
            context_kept = False
        elif text.startswith(b"# (kept from an earlier Vouch Desktop block"):
            context_kept = True
        elif text == BEGIN.encode():
            inside = True
        elif text == END.encode() and inside:
            inside = False
        elif not inside and text:
            kept.append(line.rstrip(b"\r\n"))
    return kept


def test_crlf_stays_crlf_and_ssh_uses_the_block(tmp_path):
    path = tmp_path / "config"
    original = b"# mine\r\nHost bastion\r\n  User admin\r\n\r\nHost *\r\n  ServerAliveInterval 30\r\n"
    path.write_bytes(original)
    SshConfigEditor(path).add_block("vouch")
    data = path.read_bytes()
    assert data.startswith(original) and data.count(b"\n") == data.count(b"\r\n")  # no bare LF anywhere
    assert_ssh_uses_ours(path)


def test_a_link_is_written_through_and_stays_a_link(tmp_path):
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    real = dotfiles / "ssh_config"
    real.write_text("Host bastion\n  User admin\n")
    real.chmod(0o640)
    link = tmp_path / ".ssh" / "config"
    link.parent.mkdir()
    link.symlink_to(real)
    backup = SshConfigEditor(link).add_block("vouch")
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert BEGIN in real.read_text() and (real.stat().st_mode & 0o777) == 0o640
    assert backup.parent == link.parent and backup.read_text() == "Host bastion\n  User admin\n"
    assert_ssh_uses_ours(link)


def test_a_read_only_file_is_refused_with_a_message(tmp_path):
    path = tmp_path / "config"
    path.write_text("Host bastion\n  User admin\n")
    path.chmod(0o444)  # the mode is checked, so this holds for root too
    with pytest.raises(SshConfigError) as err:
        SshConfigEditor(path).add_block("vouch")
    assert "read-only" in err.value.message and str(path) in err.value.message
    assert "ProxyCommand aws ssm start-session" in err.value.advice  # the lines to add by hand
    assert path.read_text() == "Host bastion\n  User admin\n" and [p.name for p in tmp_path.iterdir()] == ["config"]


def test_our_block_is_recognised_updated_never_doubled(tmp_path):
    path = tmp_path / "config"
    path.write_text("Host bastion\n  User admin\n")
    editor = SshConfigEditor(path)
    editor.add_block("vouch")
    assert editor.add_block("vouch") is None  # already there
    editor.add_block("work")  # another profile: the same block, changed
    text = path.read_text()
    assert text.count(BEGIN) == 1 and text.count(END) == 1 and "--profile work" in text
    assert_ssh_uses_ours(path, "work")
    # a block of ours with CRLF endings, hand-indented markers: still ours
    path.write_bytes(b"Host bastion\r\n  User admin\r\n  " + BEGIN.encode() + b"\r\nHost i-* mi-*\r\n"
                     b"  ProxyCommand aws ssm start-session --target %h --profile old\r\n" + END.encode() + b"  \r\n")
    editor.add_block("vouch")
    assert path.read_bytes().count(BEGIN.encode()) == 1
    assert_ssh_uses_ours(path)


@pytest.mark.parametrize("shadow", [
    "Host i-*\n  ProxyCommand nc %h %p\n",
    "Host *\n  ProxyJump jump.example.com\n",
    "Match host i-*,mi-*\n  ProxyCommand nc %h %p\n",
    "Host i-0123*\n  ProxyCommand none\n",
    "Include {included}\n",
])
def test_a_shadowing_line_is_warned_about_and_ours_goes_where_ssh_uses_it(tmp_path, shadow):
    included = tmp_path / "included.conf"
    included.write_text("Host i-* mi-*\n  ProxyCommand nc -X 5 %h %p\n")
    path = tmp_path / "config"
    original = "ServerAliveInterval 30\n" + shadow.format(included=included) + "Host bastion\n  User admin\n"
    path.write_text(original)
    before = {host: ssh_g(path, host)[1] for host in OTHERS}
    editor = SshConfigEditor(path)
    status = editor.status()
    assert not status.routed and status.shadows and "instead of ours" in status.warning
    editor.add_block("vouch")
    assert_ssh_uses_ours(path)
    assert {host: ssh_g(path, host)[1] for host in OTHERS} == before  # other hosts: exactly as before
    assert path.read_text().endswith(original) and editor.status().routed and not editor.status().shadows
    # our block appended earlier, then shadowed by a line added above it: moved, not doubled
    path.write_text(shadow.format(included=included) + path.read_text().split(END + "\n", 1)[1]
                    + "\n" + "\n".join([BEGIN, "Host i-* mi-*", "  ProxyCommand aws ssm start-session --target %h "
                                        "--document-name AWS-StartSSHSession --profile vouch", END]) + "\n")
    assert editor.status().ours and not editor.status().routed
    assert "earlier lines" in editor.status().text
    editor.add_block("vouch")
    assert path.read_text().count(BEGIN) == 1
    assert_ssh_uses_ours(path)


def test_backups_never_overwrite_an_earlier_one(tmp_path):
    path = tmp_path / "config"
    editor = SshConfigEditor(path)
    backups = []
    for n in range(5):  # five changes within the same second
        path.write_text(f"Host h{n}\n  User u{n}\n")
        backups.append(editor.add_block("vouch"))
    assert len(set(backups)) == 5
    assert [b.read_text() for b in backups] == [f"Host h{n}\n  User u{n}\n" for n in range(5)]


@pytest.mark.parametrize("damage", [b'Host bastion\n  User "admin\n', b"Host bastion\n  IdentityFile 'key\n",
                                    b"Host web\n  User we\"b\n"])
def test_a_file_ssh_cannot_parse_breaks_nothing_and_is_left_alone(tmp_path, damage):
    path = tmp_path / "config"
    path.write_bytes(damage)
    assert ssh_g(path, TARGETS[0])[0] != 0  # the real ssh refuses it
    status = SshConfigEditor(path).status()  # no exception: the menu and diagnostics go on
    assert not status.routed and "unbalanced quotes" in status.unreadable and "line 2" in status.text
    with pytest.raises(SshConfigError) as err:
        SshConfigEditor(path).add_block("vouch")
    assert "line 2" in err.value.message and "nothing was changed" in err.value.message
    assert path.read_bytes() == damage


def test_a_file_that_is_not_utf8_is_kept_byte_for_byte(tmp_path):
    path = tmp_path / "config"
    original = b"# caf\xe9 \xff\xfe\nHost bastion\n  User adm\xefn\n"
    path.write_bytes(original)
    SshConfigEditor(path).add_block("vouch")
    assert path.read_bytes().startswith(original)
    assert_ssh_uses_ours(path)


@pytest.mark.parametrize("make", ["folder", "loop"])
def test_a_config_that_cannot_be_read_is_reported_not_raised(tmp_path, make):
    path = tmp_path / "config"
    if make == "folder":
        path.mkdir()
    else:
        path.symlink_to(path)
    status = SshConfigEditor(path).status()
    assert not status.routed and "cannot be read" in status.text
    with pytest.raises(SshConfigError):
        SshConfigEditor(path).add_block("vouch")


def test_argv_split_agrees_with_ssh_on_quotes_and_comments():
    assert argv_split('Host a "b c" #d') == ["Host", "a", "b c"]
    assert argv_split("User a#b") == ["User", "a#b"]  # '#' inside a word is not a comment
    assert argv_split(r'HostName x\"y') == ["HostName", 'x"y']
    for bad in ('User "bob', "User 'bob", 'User bo"b'):
        with pytest.raises(ValueError):
            argv_split(bad)


# -- generated configs: whatever the file, ssh then uses our block for i-*/mi-* and nothing else changes --

PATTERNS = st.sampled_from(["i-*", "mi-*", "*", "bastion", "!i-0*", "i-0123*", "web-?", "*.example.com", "i-*,mi-*"])
OPTIONS = st.sampled_from(["ProxyCommand nc %h %p", "ProxyJump jump.example.com", "User alice", "Port 2222",
                           "ProxyCommand none", "ServerAliveInterval=15", "IdentityFile ~/.ssh/id_work",
                           "ProxyCommand aws ssm start-session --target %h --document-name AWS-StartSSHSession"])
INCLUDED = "Host i-* mi-*\n  ProxyCommand nc -X connect %h %p\nHost web-?\n  User www\n"


@st.composite
def configs(draw: st.DrawFn, include_path: str) -> bytes:
    lines: list[str] = []
    for _ in range(draw(st.integers(0, 4))):  # global options first, as people write them
        lines.append(draw(OPTIONS))
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["host", "host", "match", "include", "comment", "blank", "ours"]))
        if kind == "host":
            lines.append("Host " + " ".join(draw(st.lists(PATTERNS, min_size=1, max_size=3))))
            lines += ["  " + option for option in draw(st.lists(OPTIONS, max_size=3))]
        elif kind == "match":
            lines.append(draw(st.sampled_from(["Match host i-*", "Match all", "Match user nobody",
                                               "Match host bastion"])))
            lines += ["  " + option for option in draw(st.lists(OPTIONS, max_size=2))]
        elif kind == "include":
            lines.append(f"Include {include_path}")
        elif kind == "comment":
            lines.append("# " + draw(st.text(st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"]),
                                             max_size=20)))
        elif kind == "blank":
            lines.append("")
        else:  # a block of ours already there (even twice: an older version's mistake), of some profile
            lines += block_lines(draw(st.sampled_from(["vouch", "old"])), reset=draw(st.booleans()))
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    data = ending.join(lines).encode()
    if draw(st.booleans()):
        data += ending.encode()
    if draw(st.booleans()):  # bytes that are not UTF-8, in a comment (ssh does not mind)
        data = b"# caf\xe9\xff" + ending.encode() + data
    return data


def test_any_config_ends_up_using_our_block_and_other_hosts_are_unchanged(reliability):
    examples = {"tried": 0, "already_routed": 0, "moved_to_top": 0, "appended_or_kept": 0}

    @hsettings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def one(data: st.DataObject) -> None:
        with tempfile.TemporaryDirectory() as folder:
            check_one(data, Path(folder), examples)

    one()
    reliability(**{f"ssh_configs_{k}": v for k, v in examples.items()})
    assert examples["tried"] > 0


def check_one(data: st.DataObject, root: Path, examples: dict[str, int]) -> None:
    included = root / "included.conf"
    included.write_text(INCLUDED)
    path = root / "config"
    original = data.draw(configs(str(included)))
    path.write_bytes(original)
    if ssh_g(path, "bastion")[0] != 0:
        return  # not a file ssh accepts (generated options never are; kept as a guard)
    before = {host: ssh_g(path, host)[1] for host in OTHERS}
    editor = SshConfigEditor(path)
    routed_before = editor.status().routed
    ours_before = original.count(BEGIN.encode())
    backup = editor.add_block("vouch")
    after = path.read_bytes()
    examples["tried"] += 1
    if backup is None:  # routed already (by the user's own SSM lines, or one block of ours for this profile)
        assert routed_before and ours_before <= 1
        examples["already_routed"] += 1
        assert after == original
        for target in TARGETS:
            assert "ssm start-session" in ssh_g(path, target)[1].get("proxycommand", "")
        return
    examples["moved_to_top" if after.startswith(BEGIN.encode()) else "appended_or_kept"] += 1
    assert_ssh_uses_ours(path)
    assert {host: ssh_g(path, host)[1] for host in OTHERS} == before
    assert after.count(BEGIN.encode()) == 1
    assert without_our_block(after) == without_our_block(original)  # every other line kept, byte for byte
    if b"\r\n" in original and original.count(b"\n") == original.count(b"\r\n"):
        assert after.count(b"\n") == after.count(b"\r\n")
    if backup != path:
        assert backup.read_bytes() == original
    assert editor.status().routed and editor.add_block("vouch") is None
