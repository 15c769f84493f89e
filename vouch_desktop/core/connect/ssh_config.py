"""SSH over SSM: does ~/.ssh/config route i-*/mi-* hosts through Session Manager, and adding the block.

The user's file is kept byte for byte (its line endings, bytes that are not UTF-8): the block is
added between marker comments, after a backup that never overwrites an earlier one, with an atomic
write through a symbolic link (the link stays, the file it points to is replaced). It is never added
twice: an existing block of ours is replaced, wherever it is.

ssh uses the first value it finds for an option, so a ``Host`` block that matches i-* hosts and sets
a ProxyCommand (or ProxyJump) earlier in the file wins over ours; so may a ``Match`` block (not
evaluated here) or an ``Include`` (not followed). When one of those comes before the place ours
would go, the status warns, and ours is put at the top of the file, followed by ``Host *`` so that
everything after it applies to every host as before (lines before the first Host are an implicit
``Host *``).

A file ssh cannot read (unbalanced quotes) is reported in the status and left alone; a file that is
read-only (no write bit for its owner) is refused with a message, never written.

ssh reads ``~/.ssh/config`` of the account's home directory (the password database), not of $HOME.
When the file edited here is another one (the demo's home, a test's), ssh is told to read it
(``ssh -F FILE``, ``ssh_options``), so that what the status says is what ssh does.
"""

from __future__ import annotations

import os
import re
import shlex
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path

from vouch_desktop.core.connect.ssh_config_reading import (
    BEGIN,
    END,
    MAX_BYTES,
    SAMPLE_TARGETS,
    Block,
    Line,
    analyse,
    context_at,
    context_key,
    line_ending,
    our_blocks,
    parse,
    split_lines,
)
from vouch_desktop.core.errors import ValidationError, VouchDesktopError
from vouch_desktop.core.storage.atomic import atomic_write_bytes
from vouch_desktop.core.storage.files import keep_copy, read_bytes, reason, shorten

RESET_COMMENT = "# (Host * below: what follows applies to every host, as it did before this block)"
PROFILE_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}\Z")


class SshConfigError(VouchDesktopError):
    """~/.ssh/config was not changed (it cannot be read, is read-only, or ssh cannot parse it)."""


@dataclass(frozen=True)
class SshConfigStatus:
    routed: bool  # i-* and mi-* hosts go through `ssm start-session`
    ours: bool  # the file holds the block this app adds
    includes: list[str] = field(default_factory=list)  # Include lines we did not follow
    shadows: list[str] = field(default_factory=list)  # lines before ours that ssh may use instead of it
    unreadable: str = ""  # why ssh (or we) cannot read the file; nothing else is known then
    where: str = "~/.ssh/config"  # the file, as the user knows it

    @property
    def text(self) -> str:
        if self.unreadable:
            return f"{self.where} cannot be used: {self.unreadable}."
        if self.routed:
            return f"SSH over SSM is set up in {self.where}."
        if self.ours and self.shadows:
            return (f"{self.where} has the Vouch Desktop block, but ssh may use earlier lines instead: "
                    f"{'; '.join(self.shadows[:3])}. Setting it up again moves the block to the top.")
        extra = " (it has Include lines: the setting may live in an included file)" if self.includes else ""
        return f"{self.where} does not route i-* / mi-* hosts through SSM{extra}."

    @property
    def warning(self) -> str:
        """What the set-up should tell the user before it changes the file ("" when nothing)."""
        if not self.shadows:
            return ""
        return ("ssh may use these lines for i-* / mi-* hosts instead of ours: " + "; ".join(self.shadows[:3]) +
                ". The block goes at the top of the file so that ssh uses it; those lines stay as they are.")


def block_lines(profile: str, *, reset: bool) -> list[str]:
    if not PROFILE_RE.match(profile):
        raise ValidationError("aws_profile",
                              f"'{shorten(profile)}' cannot be used in ~/.ssh/config: use letters, digits, . _ -.")
    lines = [BEGIN, "Host i-* mi-*",
             "    ProxyCommand aws ssm start-session --target %h --document-name AWS-StartSSHSession "
             f"--parameters portNumber=%p --profile {profile}"]
    if reset:
        lines += [RESET_COMMENT, "Host *"]
    return [*lines, END]


def block(profile: str) -> str:
    return "\n".join(block_lines(profile, reset=True)) + "\n"


@dataclass(frozen=True)
class SshSetupOutcome:
    """What "Set up SSH over SSM" did, to be said as it happened."""

    path: Path
    where: str  # the file, as the user knows it
    changed: bool  # False: it was set up already, nothing was written
    created: bool = False  # there was no file: it was made
    updated: bool = False  # an earlier block of ours was replaced (another profile, or moved)
    at_top: bool = False  # put first, because earlier lines would win over it
    backup: Path | None = None  # the file as it was before (only when there was one and it changed)

    @property
    def text(self) -> str:
        if not self.changed:
            return f"{self.where} already routes i-* and mi-* hosts through Systems Manager; nothing was changed."
        if self.created:
            return f"Created {self.where} with the block that routes i-* and mi-* hosts through Systems Manager."
        what = "Updated the Vouch Desktop block in" if self.updated else "Added the Vouch Desktop block to"
        top = " at the top of the file, as earlier lines would win over it" if self.at_top else ""
        kept = f" Your file as it was is kept at {self.backup}." if self.backup else ""
        return f"{what} {self.where}{top}.{kept}"


def default_ssh_config() -> Path:
    """The file ssh reads without -F: in the home directory of the account (not $HOME)."""
    if sys.platform != "win32":  # Windows' OpenSSH reads %USERPROFILE%\.ssh\config
        try:
            import pwd

            return Path(pwd.getpwuid(os.getuid()).pw_dir) / ".ssh" / "config"
        except KeyError:  # an account without a passwd entry
            pass
    return Path.home() / ".ssh" / "config"


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        return os.path.abspath(a) == os.path.abspath(b)


class SshConfigEditor:
    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path else Path.home() / ".ssh" / "config"

    @property
    def explicit(self) -> bool:
        """Whether ssh must be told to read this file (it would read another one on its own)."""
        return not _same_file(self.path, default_ssh_config())

    def ssh_options(self) -> list[str]:
        """What ssh needs on its command line to read this file."""
        return ["-F", str(self.path)] if self.explicit else []

    @property
    def where(self) -> str:
        return str(self.path) if self.explicit else "~/.ssh/config"

    def set_up(self, profile: str) -> SshSetupOutcome:
        """``add_block``, and what it did; raises as ``add_block`` does."""
        existed = self.path.exists()
        before = self.status()
        backup = self.add_block(profile)
        if backup is None:
            return SshSetupOutcome(self.path, self.where, changed=False)
        try:  # put first because of lines that would win over it (the status named them before)
            at_top = bool(before.shadows) and read_bytes(self.path, MAX_BYTES).startswith(BEGIN.encode())
        except OSError:
            at_top = False
        return SshSetupOutcome(self.path, self.where, changed=True, created=not existed, updated=before.ours,
                               at_top=at_top, backup=backup if existed and backup != self.path else None)

    def _read(self) -> tuple[bytes, str]:
        """The file's bytes and its text (bytes that are not UTF-8 kept as they are); raises OSError."""
        try:
            data = read_bytes(self.path, MAX_BYTES)
        except FileNotFoundError:
            return b"", ""
        return data, data.decode("utf-8", errors="surrogateescape")

    def status(self) -> SshConfigStatus:
        """Never raises: a file that cannot be read says why in ``unreadable``."""
        try:
            _, text = self._read()
        except OSError as exc:
            return SshConfigStatus(False, False, unreadable=f"it cannot be read ({reason(exc)})", where=self.where)
        lines, problem = parse(text)
        blocks, marker_problem = our_blocks(lines)
        if problem or marker_problem:
            return SshConfigStatus(False, bool(blocks), unreadable=problem or marker_problem, where=self.where)
        whole = analyse(lines)
        routed = all(whole.routed.values())
        # what would be used instead of our block: the lines before it, or before the end of the file
        before = analyse(lines, blocks[0].begin) if blocks else whole
        return SshConfigStatus(routed, bool(blocks), whole.includes, [] if routed else before.shadows,
                               where=self.where)

    def add_block(self, profile: str) -> Path | None:
        """Add (or move, or update) our block, backup first; returns the backup path (the file's own path
        when there was no file), or None when nothing was needed. Raises ``SshConfigError`` (nothing
        changed) or ``ValidationError`` (a profile name ssh_config cannot hold)."""
        block_lines(profile, reset=False)  # refuse a bad profile name before anything else
        where = str(self.path)
        try:
            data, text = self._read()
            mode = stat.S_IMODE(self.path.stat().st_mode) if data or self.path.exists() else 0o600
        except OSError as exc:
            raise SshConfigError(f"{where} cannot be read ({reason(exc)}); nothing was changed.") from exc
        if self.path.exists() and not mode & stat.S_IWUSR:
            raise SshConfigError(f"{where} is read-only (mode {mode:o}); Vouch Desktop leaves it as it is.",
                                 advice="Make it writable (chmod u+w) and try again, or add these lines to it "
                                        "yourself:\n" + block(profile))
        lines, problem = parse(text)
        blocks, marker_problem = our_blocks(lines)
        if problem or marker_problem:
            raise SshConfigError(f"ssh cannot use {where} as it is ({problem or marker_problem}); nothing was changed.",
                                 advice="Fix that line (ssh -G shows what ssh makes of the file), then try again.")
        status = self.status()
        if status.routed and len(blocks) <= 1 and not (blocks and self._block_profile(lines, blocks[0]) != profile):
            return None
        ending = line_ending(text)
        body = self._without(lines, split_lines(text), blocks, ending)
        # the block always ends with Host *: lines added after it later apply to every host, as people expect
        ours = ending.join(block_lines(profile, reset=True)) + ending
        if analyse(parse(body)[0], strict=True).shadows:  # ours must come first: at the top
            new = ours + body
        else:
            separator = "" if not body or body.endswith(ending * 2) else (ending if body.endswith(("\n", "\r")) else
                                                                          ending * 2)
            new = body + separator + ours
        backup = None
        try:
            if data:
                backup = keep_copy(self.path.parent / self.path.name, "bak", data)
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            atomic_write_bytes(self.path, new.encode("utf-8", errors="surrogateescape"), mode=mode)
        except OSError as exc:
            raise SshConfigError(f"Cannot write {where} ({reason(exc)}); it was not changed.",
                                 advice="Check that ~/.ssh and the file are writable.") from exc
        return backup or self.path

    @staticmethod
    def _block_profile(lines: list[Line], found: Block) -> str:
        for line in lines[found.begin:found.end]:
            if line.keyword == "proxycommand":
                words = line.value.split()
                if "--profile" in words[:-1]:
                    return words[words.index("--profile") + 1]
        return ""

    @staticmethod
    def _without(lines: list[Line], raw: list[str], blocks: list[Block], ending: str) -> str:
        """The text without our blocks (a blank line after one goes with it when one precedes it too).

        Lines right after a block (before the next Host or Match) were under the block's last Host line;
        when that is not the one they fall under once the block is gone, it is kept for them, so that
        they apply to the same hosts as before."""
        dropped: set[int] = set()
        for found in blocks:
            dropped.update(range(found.begin, found.end + 1))
        inserts: dict[int, list[str]] = {}
        for found in blocks:
            after = found.end + 1
            if after < len(lines) and not lines[after].text.strip() and found.begin > 0 \
                    and not lines[found.begin - 1].text.strip():
                dropped.add(after)
            inside = context_at(lines, found.end, set())
            trailing = False
            for line in lines[after:]:
                if line.keyword in ("host", "match") or line.text.strip() == BEGIN:
                    break
                trailing = trailing or bool(line.keyword)
            if trailing and inside is not None and context_key(inside) != context_key(
                    context_at(lines, found.begin, dropped)):
                inserts[found.end] = ["# (kept from an earlier Vouch Desktop block: the lines below applied to "
                                      "these hosts only)", inside.text.strip()]
        parts: list[str] = []
        for index, text in enumerate(raw):
            if index not in dropped:
                parts.append(text)
            elif index in inserts:
                parts += [extra + ending for extra in inserts[index]]
        return "".join(parts)


def ssh_command_line(instance_id: str, user: str = "", options: list[str] | None = None) -> str:
    """The command to paste in a terminal ("Copy ssh command"); ``options``: ``SshConfigEditor.ssh_options``."""
    return shlex.join(["ssh", *(options or []), f"{user}@{instance_id}" if user else instance_id])


__all__ = ["BEGIN", "END", "SAMPLE_TARGETS", "SshConfigEditor", "SshConfigError", "SshConfigStatus",
           "SshSetupOutcome", "block", "default_ssh_config", "ssh_command_line"]
