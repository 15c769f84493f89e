"""Reading ~/.ssh/config as ssh does (readconf.c): keyword [=] arguments, '#' comments, quotes, Host
patterns, Include; which routing option ssh would use for i-*/mi-* hosts, and the Vouch Desktop block's
markers. Nothing here writes: core/connect/ssh_config.py edits the file with what this finds."""

from __future__ import annotations

import glob
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from vouch_desktop.core.storage.files import read_bytes, shorten

BEGIN = "# >>> Added by Vouch Desktop: SSH over AWS Systems Manager >>>"
END = "# <<< Added by Vouch Desktop <<<"
SAMPLE_TARGETS = ("i-0123456789abcdef0", "mi-0123456789abcdef0")
MAX_BYTES = 16 * 1024 * 1024
ROUTING_KEYWORDS = ("proxycommand", "proxyjump")

_KEYWORD_RE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9]*)\s*(?:=\s*|\s+|$)(.*?)\s*$")


def argv_split(text: str) -> list[str]:
    """Words as ssh splits a config line (misc.c argv_split): blanks separate them, ' and " quote, a
    backslash escapes a quote, a backslash or (unquoted) a space, and a '#' starting a word starts a
    comment. Raises ValueError for a quote left open, as ssh refuses the file for it."""
    words: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] in " \t":
            i += 1
            continue
        if text[i] == "#":
            break
        word: list[str] = []
        quote = ""
        while i < n:
            c = text[i]
            if c == "\\" and i + 1 < n and (text[i + 1] in "'\"\\" or (not quote and text[i + 1] == " ")):
                word.append(text[i + 1])
                i += 2
                continue
            if not quote and c in " \t":
                break
            if not quote and c in "'\"":
                quote = c
            elif quote and c == quote:
                quote = ""
            else:
                word.append(c)
            i += 1
        if quote:
            raise ValueError("invalid quotes")
        words.append("".join(word))
    return words


@dataclass(frozen=True)
class Line:
    index: int  # position in the list of lines (0-based); line numbers for people are index + 1
    keyword: str  # lower case; "" for a blank or comment line
    value: str
    text: str  # without its line ending


def split_lines(text: str) -> list[str]:
    """Lines with their endings, as in the file."""
    return text.splitlines(keepends=True)


def parse(text: str) -> tuple[list[Line], str]:
    """The lines, and why ssh would refuse the file ("" when it would not)."""
    lines: list[Line] = []
    problem = ""
    for index, raw in enumerate(split_lines(text)):
        body = raw.rstrip("\r\n")
        stripped = body.strip()
        match = _KEYWORD_RE.match(body) if stripped and not stripped.startswith("#") else None
        if match is None:
            lines.append(Line(index, "", "", body))
            continue
        keyword, value = match.group(1).lower(), match.group(2)
        if not problem:
            try:
                argv_split(body)
            except ValueError:
                problem = f"line {index + 1} has unbalanced quotes"
        lines.append(Line(index, keyword, value, body))
    return lines, problem


def _pattern_re(pattern: str) -> re.Pattern[str]:
    """An ssh host pattern (only * and ? are special) as a regular expression."""
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern) + r"\Z",
                      re.DOTALL)


def host_matches(patterns: list[str], host: str) -> bool:
    """ssh's Host matching: a negated pattern that matches excludes the host, else any pattern includes it."""
    if any(p.startswith("!") and _pattern_re(p[1:]).match(host) for p in patterns):
        return False
    return any(not p.startswith("!") and _pattern_re(p).match(host) for p in patterns)


def words(value: str) -> list[str]:
    try:
        return argv_split(value)
    except ValueError:
        return value.split()


def is_ssm(value: str) -> bool:
    return "ssm start-session" in value or "AWS-StartSSHSession" in value


@dataclass(frozen=True)
class Block:
    begin: int  # index of the BEGIN marker
    end: int  # index of the END marker


def our_blocks(lines: list[Line]) -> tuple[list[Block], str]:
    blocks: list[Block] = []
    start: int | None = None
    for line in lines:
        stripped = line.text.strip()
        if stripped == BEGIN:
            if start is not None:
                return blocks, f"line {line.index + 1}: a second start marker of the Vouch Desktop block before its end"
            start = line.index
        elif stripped == END and start is not None:
            blocks.append(Block(start, line.index))
            start = None
    if start is not None:
        return blocks, f"line {start + 1}: the Vouch Desktop block has lost its end marker"
    return blocks, ""


@dataclass
class Analysis:
    """For each sample target, whether the first routing option ssh would use for it goes through SSM
    (None: none found); the lines that may be used instead of a block placed after them ("line N: …"
    texts); and the Include lines."""

    routed: dict[str, bool | None] = field(default_factory=lambda: {t: None for t in SAMPLE_TARGETS})
    shadows: list[str] = field(default_factory=list)
    includes: list[str] = field(default_factory=list)


MAX_INCLUDE_DEPTH = 16  # as ssh (readconf.c READCONF_MAX_DEPTH)


def included_files(value: str) -> list[Path]:
    """The files an Include line names, as ssh finds them: ~ expanded, relative to ~/.ssh, globs sorted."""
    paths: list[Path] = []
    for word in words(value):
        pattern = os.path.expanduser(word)
        if not os.path.isabs(pattern):
            pattern = os.path.join(os.path.expanduser("~/.ssh"), pattern)
        paths += [Path(p) for p in sorted(glob.glob(pattern))]
    return paths


def analyse(lines: list[Line], stop: int | None = None, *, strict: bool = False, where: str = "line",
             depth: int = 0, context: list[str] | None = None, context_line: str = "",
             result: Analysis | None = None) -> Analysis:
    """Walk the lines (up to index ``stop``) as ssh does for the sample targets, following Include.
    ``strict``: any routing option that decides a target shadows a later block, even one through SSM
    (when our block is written, it is ours that ssh must use)."""
    result = result if result is not None else Analysis()
    context = ["*"] if context is None and depth == 0 else context  # the Host patterns; None inside a Match
    for line in lines:
        if stop is not None and line.index >= stop:
            break
        keyword, label = line.keyword, f"{where} {line.index + 1}: {shorten(line.text.strip(), 60)}"
        if keyword == "host":
            context, context_line = words(line.value), line.text.strip()
        elif keyword == "match":
            context, context_line = None, line.text.strip()
        elif keyword == "include":
            result.includes.append(line.value)
            if context is not None and not any(host_matches(context, t) for t in SAMPLE_TARGETS):
                continue
            if depth + 1 >= MAX_INCLUDE_DEPTH:
                result.shadows.append(f"{label} (included too deeply to follow)")
                continue
            for path in included_files(line.value):
                try:
                    text = read_bytes(path, MAX_BYTES).decode("utf-8", errors="surrogateescape")
                except OSError:
                    continue  # ssh skips what it cannot read too
                # an included file starts in the including block, and that block applies again after it
                analyse(parse(text)[0], strict=strict, where=f"{path}, line", depth=depth + 1, context=context,
                         context_line=context_line, result=result)
        elif keyword in ROUTING_KEYWORDS:
            routed = result.routed
            if context is None:  # a Match block: we cannot tell whom it applies to
                result.shadows.append(f"{label} (in '{shorten(context_line, 40)}')")
                for target in SAMPLE_TARGETS:
                    if routed[target] is None:
                        routed[target] = False  # it may decide: not known to be ours
                continue
            hit = False
            for target in SAMPLE_TARGETS:
                if routed[target] is None and host_matches(context, target):
                    routed[target] = keyword == "proxycommand" and is_ssm(line.value)
                    hit = hit or strict or not routed[target]
            if hit:
                result.shadows.append(f"{label} (in '{shorten(context_line or 'the top of the file', 40)}')")
    return result


def line_ending(text: str) -> str:
    crlf = text.count("\r\n")
    return "\r\n" if crlf and crlf >= text.count("\n") - crlf else "\n"


def context_at(lines: list[Line], index: int, skipped: set[int]) -> Line | None:
    """The Host or Match line in force at line ``index`` (None: the top of the file, an implicit Host *)."""
    for line in reversed(lines[:index + 1]):
        if line.index not in skipped and line.keyword in ("host", "match"):
            return line
    return None


def context_key(line: Line | None) -> tuple[str, ...]:
    if line is None:
        return ("host", "*")
    return (line.keyword, *words(line.value)) if line.keyword == "host" else ("match", line.value.strip())
