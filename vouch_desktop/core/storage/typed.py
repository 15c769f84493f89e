"""Field types checked before validation: a value read from a file is only handed to a dataclass (and
to the checks that call ``.strip()`` on a name or iterate over a list) once its type is the field's.

The field types come from the dataclass's own annotations: str, int, bool, list[str],
dict[str, list[str]] and a choice (a StrEnum, such as the tunnel backend) are what settings and
profiles use.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from vouch_desktop.core.storage.files import quote


@dataclass(frozen=True)
class FieldIssue:
    field: str
    message: str


@cache
def field_types(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def is_text(value: object) -> bool:
    """A str that can be written back as UTF-8 (JSON's "\\ud800" escapes read as lone surrogates)."""
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def matches(value: object, annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if annotation is bool:
        return type(value) is bool
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if annotation is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if annotation is str:
        return is_text(value)
    if isinstance(annotation, type) and issubclass(annotation, enum.StrEnum):
        return isinstance(value, str) and value in {member.value for member in annotation}
    if origin is list:
        (item,) = typing.get_args(annotation)
        return isinstance(value, list) and all(matches(v, item) for v in value)
    if origin is dict:
        key, item = typing.get_args(annotation)
        return isinstance(value, dict) and all(matches(k, key) and matches(v, item) for k, v in value.items())
    raise TypeError(f"no type check for {annotation!r}")


def expected(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    if origin is list:
        return f"a list of {expected(typing.get_args(annotation)[0]).removeprefix('a ')}"
    if origin is dict:
        return f"a table of {expected(typing.get_args(annotation)[1]).removeprefix('a ')}"
    if isinstance(annotation, type) and issubclass(annotation, enum.StrEnum):
        return "one of " + ", ".join(member.value for member in annotation)
    names = {bool: "true or false", int: "a whole number", float: "a number", str: "text"}
    return names.get(annotation, str(annotation))


def found(value: object) -> str:
    if isinstance(value, bool):
        kind = "true or false"
    elif isinstance(value, (int, float)):
        kind = "a number"
    elif isinstance(value, str):
        kind = "text that is not valid Unicode" if not is_text(value) else "text"
    elif isinstance(value, list):
        kind = "a list"
    elif isinstance(value, dict):
        kind = "a table"
    elif value is None:
        return "nothing (null)"
    else:
        kind = type(value).__name__
    return f"{kind} ({quote(value)})"


def read_fields(cls: type, raw: Mapping[str, object]) -> tuple[dict[str, object], list[FieldIssue], list[str]]:
    """Split ``raw`` into the values of ``cls``'s fields that have the right type, one issue for each
    that has not, and the keys that are not fields of ``cls`` (for the caller to report or keep)."""
    types = field_types(cls)
    values: dict[str, object] = {}
    issues: list[FieldIssue] = []
    unknown: list[str] = []
    for key, value in raw.items():
        if key not in types:
            unknown.append(key)
        elif matches(value, types[key]):
            kind = types[key]  # a choice (an enum of names) is handed on as its member
            choice = isinstance(kind, type) and issubclass(kind, enum.StrEnum) and isinstance(value, str)
            values[key] = kind(value) if choice else value
        else:
            issues.append(FieldIssue(key, f"'{key}' should be {expected(types[key])}, not {found(value)}"))
    return values, issues, unknown


def missing_fields(cls: type, values: Mapping[str, object]) -> list[str]:
    """The fields of ``cls`` that have no default and are not in ``values``."""
    return [f.name for f in dataclasses.fields(cls) if f.name not in values
            and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
