"""A user's own terminal command line, with placeholders, expanded into an argument list.

The template is split with shlex FIRST, then placeholders are filled in each piece, so a value
can never create extra arguments or reach a shell. ``{command}`` standing alone becomes the
command's own arguments; inside a larger piece it becomes the shell-quoted command line.
"""

from __future__ import annotations

import shlex
import string

from vouch_desktop.core.errors import ValidationError

PLACEHOLDERS = ("command", "title", "target", "region", "profile")


def parse(template: str) -> list[str]:
    try:
        pieces = shlex.split(template)
    except ValueError as exc:
        raise ValidationError("terminal_template",
                              f"The terminal command line has unbalanced quotes ({exc}).") from None
    if not pieces:
        raise ValidationError("terminal_template", "The terminal command line is empty.")
    found = set()
    for piece in pieces:
        try:
            for _, name, spec, conversion in string.Formatter().parse(piece):
                if name is None:
                    continue
                if name not in PLACEHOLDERS or spec or conversion:
                    known = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
                    raise ValidationError("terminal_template", f"Unknown placeholder {{{name}}}: use {known}.")
                found.add(name)
        except ValueError as exc:
            raise ValidationError(
                "terminal_template", f"Stray brace in '{piece}': write {{{{ or }}}} for a literal brace ({exc}).",
            ) from None
    if "command" not in found:
        raise ValidationError("terminal_template",
                              "The terminal command line needs {command} where the SSM command goes.")
    return pieces


def expand(template: str, command: list[str], values: dict[str, str]) -> list[str]:
    argv: list[str] = []
    for piece in parse(template):
        if piece == "{command}":
            argv.extend(command)
            continue
        fields = {name: values.get(name, "") for name in PLACEHOLDERS}
        fields["command"] = shlex.join(command)
        argv.append(piece.format(**fields))
    return argv
