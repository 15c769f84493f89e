"""A user's own terminal command line, with placeholders, expanded into an argument list.

The template is split like a shell splits words (shlex's POSIX rules) FIRST, then placeholders are
filled in each piece, so a value can never create extra arguments:

- a placeholder that is a whole piece becomes one argument with the value as it is, and ``{command}``
  the command's own arguments (quotes around it change nothing: they are gone once the line is split);
- a placeholder inside a larger piece is shell-quoted (``{command}`` becomes the quoted command line), so
  that a piece a shell runs (``sh -c 'echo {title}; exec {command}'``) sees every value as data.

``warnings`` points at templates that probably do not do what they look like.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from vouch_desktop.core.errors import ValidationError

PLACEHOLDERS = ("command", "title", "target", "region", "profile")
FIELD = "terminal_template"
_WHITESPACE = " \t\r\n"  # shlex's
_BRACES = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


@dataclass(frozen=True)
class Part:
    text: str  # literal text, or the placeholder's name
    placeholder: bool = False
    quoted: bool = False  # the placeholder's brace was inside quotes in the template


@dataclass(frozen=True)
class Piece:
    parts: tuple[Part, ...]

    @property
    def alone(self) -> Part | None:
        """The placeholder when it is the whole piece."""
        return self.parts[0] if len(self.parts) == 1 and self.parts[0].placeholder else None

    @property
    def literal(self) -> str:
        return "".join(p.text if not p.placeholder else "{" + p.text + "}" for p in self.parts)


def _split(template: str) -> list[list[tuple[str, bool]]]:
    """shlex.split's POSIX rules, keeping for each character whether it was quoted (or escaped)."""
    pieces: list[list[tuple[str, bool]]] = []
    current: list[tuple[str, bool]] = []
    started, i, n = False, 0, len(template)
    while i < n:
        ch = template[i]
        if ch in _WHITESPACE:
            if started:
                pieces.append(current)
                current, started = [], False
            i += 1
            continue
        started = True
        if ch == "'":
            end = template.find("'", i + 1)
            if end < 0:
                raise ValueError("No closing quotation")
            current += [(c, True) for c in template[i + 1:end]]
            i = end + 1
        elif ch == '"':
            i += 1
            while True:
                if i >= n:
                    raise ValueError("No closing quotation")
                c = template[i]
                if c == '"':
                    i += 1
                    break
                if c == "\\" and i + 1 < n and template[i + 1] in '\\"':
                    c, i = template[i + 1], i + 1
                current.append((c, True))
                i += 1
        elif ch == "\\":
            if i + 1 >= n:
                raise ValueError("No escaped character")
            current.append((template[i + 1], True))
            i += 2
        else:
            current.append((ch, False))
            i += 1
    if started:
        pieces.append(current)
    return pieces


def _parts(chars: list[tuple[str, bool]]) -> Piece:
    text = "".join(c for c, _ in chars)
    parts: list[Part] = []
    literal, position = [], 0
    for match in _BRACES.finditer(text):
        literal.append(text[position:match.start()])
        position = match.end()
        token = match.group(0)
        if token in ("{{", "}}"):
            literal.append(token[0])
            continue
        name = match.group(1)
        if name is None:
            raise ValidationError(FIELD, f"Stray brace in '{text}': write {{{{ or }}}} for a literal brace.")
        if name not in PLACEHOLDERS:
            raise ValidationError(FIELD, f"Unknown placeholder {{{name}}}: use "
                                         f"{', '.join('{' + p + '}' for p in PLACEHOLDERS)}.")
        if any(literal):
            parts.append(Part("".join(literal)))
        literal = []
        parts.append(Part(name, placeholder=True, quoted=chars[match.start()][1]))
    literal.append(text[position:])
    if any(literal) or not parts:
        parts.append(Part("".join(literal)))
    return Piece(tuple(parts))


def parse_pieces(template: str) -> list[Piece]:
    try:
        split = _split(template)
    except ValueError as exc:
        raise ValidationError(FIELD, f"The terminal command line has unbalanced quotes ({exc}).") from None
    if not split:
        raise ValidationError(FIELD, "The terminal command line is empty.")
    pieces = [_parts(chars) for chars in split]
    if not any(p.placeholder and p.text == "command" for piece in pieces for p in piece.parts):
        raise ValidationError(FIELD, "The terminal command line needs {command} where the SSM command goes.")
    return pieces


def parse(template: str) -> list[str]:
    """The template's pieces (placeholders still in them); ValidationError with a specific message."""
    return [piece.literal for piece in parse_pieces(template)]


def expand(template: str, command: list[str], values: dict[str, str]) -> list[str]:
    argv: list[str] = []
    for piece in parse_pieces(template):
        alone = piece.alone
        if alone is not None:
            if alone.text == "command":
                argv.extend(command)
            else:
                argv.append(values.get(alone.text, ""))
            continue
        text = []
        for part in piece.parts:
            if not part.placeholder:
                text.append(part.text)
            elif part.text == "command":
                text.append(shlex.join(command))
            else:
                text.append(shlex.quote(values.get(part.text, "")))
        argv.append("".join(text))
    return argv


def warnings(template: str) -> list[str]:
    """What in a valid template probably does not do what it looks like (nothing blocks saving it)."""
    try:
        pieces = parse_pieces(template)
    except ValidationError:
        return []
    found = []
    for before, piece in zip([None, *pieces], pieces, strict=False):
        alone = piece.alone
        after_c = before is not None and before.literal == "-c"
        if alone is not None and alone.text == "command" and alone.quoted:
            found.append("The quotes around {command} are gone once the line is split: it still becomes separate "
                         "arguments" + (", and the shell after -c would run only its first word" if after_c else "")
                         + ". To hand a shell one command line, write for example: sh -c 'exec {command}'.")
        elif alone is not None and alone.text == "command" and after_c:
            found.append("After -c a shell takes ONE argument as its script, so it would run only the first word of "
                         "{command}. Write: -c 'exec {command}'.")
        elif alone is None and not after_c:
            first = piece.parts[0]
            if not first.placeholder and first.text.startswith("-") and any(
                    p.placeholder and p.text != "command" for p in piece.parts[1:]):
                found.append(f"In '{piece.literal}' the placeholder is shell-quoted (it sits inside a larger "
                             f"argument), so a value with spaces shows its quotes: write the option and the "
                             f"placeholder apart, as in --title {{title}}.")
    return found
