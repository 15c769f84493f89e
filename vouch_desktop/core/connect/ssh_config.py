"""SSH over SSM: does ~/.ssh/config route i-*/mi-* hosts through Session Manager, and adding the block.

The user's file is kept byte for byte: the block is appended between marker comments, after a
timestamped backup, with an atomic write; it is never added twice.
"""

from __future__ import annotations

import fnmatch
import re
import shlex
import shutil
import stat
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from vouch_desktop.core.errors import ValidationError
from vouch_desktop.core.storage.atomic import atomic_write_text

BEGIN = "# >>> Added by Vouch Desktop: SSH over AWS Systems Manager >>>"
END = "# <<< Added by Vouch Desktop <<<"
SAMPLE_TARGETS = ("i-0123456789abcdef0", "mi-0123456789abcdef0")
PROFILE_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}\Z")
_KEYWORD_RE = re.compile(r"^\s*(\w+)\s*(?:=\s*|\s+)(.*?)\s*$")


@dataclass(frozen=True)
class SshConfigStatus:
    routed: bool  # i-* and mi-* hosts go through `ssm start-session`
    ours: bool  # through the block this app added
    includes: list[str] = field(default_factory=list)  # Include lines we did not follow

    @property
    def text(self) -> str:
        if self.routed:
            return "SSH over SSM is set up in ~/.ssh/config."
        extra = " (it has Include lines: the setting may live in an included file)" if self.includes else ""
        return f"~/.ssh/config does not route i-* / mi-* hosts through SSM{extra}."


def block(profile: str) -> str:
    if not PROFILE_RE.match(profile):
        raise ValidationError("aws_profile",
                              f"'{profile}' cannot be used in ~/.ssh/config: use letters, digits, . _ -.")
    return (f"{BEGIN}\nHost i-* mi-*\n"
            f"    ProxyCommand aws ssm start-session --target %h --document-name AWS-StartSSHSession "
            f"--parameters portNumber=%p --profile {profile}\n"
            f"{END}\n")


class SshConfigEditor:
    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path else Path.home() / ".ssh" / "config"

    def _text(self) -> str:
        try:
            return self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return ""

    def status(self) -> SshConfigStatus:
        text = self._text()
        patterns: list[str] | None = []  # None inside a Match block: we cannot evaluate it
        routed = {t: False for t in SAMPLE_TARGETS}
        decided: set[str] = set()
        includes: list[str] = []
        for line in text.splitlines():
            match = _KEYWORD_RE.match(line)
            if not match or line.lstrip().startswith("#"):
                continue
            keyword, value = match.group(1).lower(), match.group(2)
            if keyword == "host":
                patterns = shlex.split(value, comments=True) if value else []
            elif keyword == "match":
                patterns = None
            elif keyword == "include":
                includes.append(value)
            elif keyword == "proxycommand" and patterns is not None:
                for target in SAMPLE_TARGETS:
                    # ssh uses the first value it finds for a host; negated patterns exclude it
                    excluded = any(p.startswith("!") and fnmatch.fnmatchcase(target, p[1:]) for p in patterns)
                    if target in decided or excluded:
                        continue
                    if any(fnmatch.fnmatchcase(target, p) for p in patterns if not p.startswith("!")):
                        decided.add(target)
                        routed[target] = "ssm start-session" in value or "AWS-StartSSHSession" in value
        return SshConfigStatus(all(routed.values()), BEGIN in text, includes)

    def add_block(self, profile: str) -> Path | None:
        """Append the block (backup first); returns the backup path, or None when nothing was needed."""
        addition = block(profile)
        if self.status().routed:
            return None
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        text = self._text()
        backup = None
        mode = 0o600
        if self.path.exists():
            mode = stat.S_IMODE(self.path.stat().st_mode)
            backup = self.path.with_name(f"config.bak-{datetime.now(UTC):%Y%m%dT%H%M%SZ}")
            shutil.copy2(self.path, backup)
        separator = "" if not text or text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
        atomic_write_text(self.path, text + separator + addition, mode=mode)
        return backup or self.path


def ssh_command_line(instance_id: str, user: str = "") -> str:
    """The command to paste in a terminal ("Copy ssh command")."""
    return shlex.join(["ssh", f"{user}@{instance_id}" if user else instance_id])


__all__ = ["BEGIN", "END", "SshConfigEditor", "SshConfigStatus", "block", "ssh_command_line"]
