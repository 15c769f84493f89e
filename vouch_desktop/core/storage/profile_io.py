"""Profiles as a readable TOML file a team can commit, and importing one with a preview of conflicts.

Only the profiles travel; settings (terminal, regions, paths) stay personal.

An import reads the whole file first: a file that cannot be read, and each entry with a field of the
wrong type, an unknown key, a missing field, a value validation refuses or a name used twice in the
file, is reported before anything changes (quoting at most ~80 characters of what it holds). A file
with any such problem is not imported at all; a good one is applied in one save, all or nothing.
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import tomli_w

from vouch_desktop.core.errors import StoreError, VouchDesktopError
from vouch_desktop.core.storage.atomic import atomic_write_text
from vouch_desktop.core.storage.files import read_bytes, reason, shorten
from vouch_desktop.core.storage.profiles import InstanceProfile, Profile, ProfileBook, TunnelProfile, read_entries
from vouch_desktop.core.storage.typed import found

FORMAT = 1
HEADER = "# Vouch Desktop profiles: import with `vouch-desktop profiles import FILE`\n"
TOP_LEVEL_KEYS = ("format", "instance", "tunnel")
MAX_IMPORT_BYTES = 32 * 1024 * 1024
NAME_LIMIT = 64


class ImportRefused(VouchDesktopError):
    """The file cannot be imported (as a whole, or because of the problems its preview lists)."""


def _clean(profile: Profile) -> dict:
    """Drop empty optional fields so the file stays short and readable."""
    return {k: v for k, v in asdict(profile).items() if v not in ("", {}, [], None) or k in ("name", "target")}


def export_profiles(book: ProfileBook, path: Path) -> int:
    document = {"format": FORMAT, "instance": [_clean(p) for p in book.instances],
                "tunnel": [_clean(p) for p in book.tunnels]}
    try:
        atomic_write_text(path, HEADER + tomli_w.dumps(document), mode=0o644)
    except OSError as exc:
        raise StoreError(f"Cannot write {path}: {reason(exc)}.",
                         advice="Choose a folder you can write to.") from exc
    return len(book.instances) + len(book.tunnels)


@dataclass
class ImportPlan:
    path: Path | None = None
    new: list[Profile] = field(default_factory=list)
    same: list[Profile] = field(default_factory=list)  # already there, identical
    conflicts: list[tuple[Profile, Profile]] = field(default_factory=list)  # (mine, theirs), same name
    invalid: list[str] = field(default_factory=list)  # one line per problem in the file

    def preview(self) -> str:
        lines = [f"{len(self.new)} new, {len(self.same)} unchanged, {len(self.conflicts)} in conflict"]
        if not (self.new or self.same or self.conflicts or self.invalid):
            lines.append(f"{self.path or 'The file'} holds no profiles.")
        lines += [f"  + {p.name}" for p in self.new]
        lines += [f"  ! {mine.name}: differs from yours" for mine, _ in self.conflicts]
        if self.invalid:
            count = f"{len(self.invalid)} problem{'s' if len(self.invalid) > 1 else ''}"
            lines.append(f"{self.path or 'The file'} has {count}; nothing will be imported until "
                         f"{'they are' if len(self.invalid) > 1 else 'it is'} fixed:")
            lines += [f"  ✗ {problem}" for problem in self.invalid]
        return "\n".join(lines)


def read_profiles(path: Path) -> tuple[list[Profile], list[str]]:
    """The profiles in the file, and one line per problem (an entry with a problem is not among them).
    Raises ``ImportRefused`` when the file as a whole cannot be read as a profiles file."""
    try:
        raw = read_bytes(path, MAX_IMPORT_BYTES)
    except FileNotFoundError:
        raise ImportRefused(f"{path} does not exist.") from None
    except OSError as exc:
        raise ImportRefused(f"{path} cannot be read: {reason(exc)}.") from None
    try:
        document = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ImportRefused(f"{path} is not a profiles file: it is not UTF-8 text (byte {exc.start:,}).") from None
    except tomllib.TOMLDecodeError as exc:
        raise ImportRefused(f"{path} is not a valid profiles file: {shorten(str(exc))}.") from None
    except RecursionError:
        raise ImportRefused(f"{path} is not a profiles file: it is nested too deeply.") from None
    version = document.get("format", FORMAT)
    if isinstance(version, bool) or not isinstance(version, int):
        raise ImportRefused(f"{path}: 'format' should be a whole number, not {found(version)}.")
    if version > FORMAT:
        raise ImportRefused(f"{path} was written by a newer Vouch Desktop (format {shorten(str(version), 20)}).",
                            advice="Update Vouch Desktop.")
    problems = [f"unknown key '{shorten(key, 40)}' (a profiles file has {', '.join(TOP_LEVEL_KEYS)})"
                for key in document if key not in TOP_LEVEL_KEYS]
    taken: set[str] = set()  # names are unique without regard to case, across both kinds
    instances, instance_problems = read_entries(InstanceProfile, "instance", document.get("instance", []), taken,
                                                unknown_keys_are_errors=True)
    tunnels, tunnel_problems = read_entries(TunnelProfile, "tunnel", document.get("tunnel", []), taken,
                                            unknown_keys_are_errors=True)
    return [*instances, *tunnels], problems + instance_problems + tunnel_problems


def plan_import(book: ProfileBook, path: Path) -> ImportPlan:
    incoming, problems = read_profiles(path)
    plan = ImportPlan(path=path, invalid=problems)
    mine: Profile | None
    mine_by_name: dict[str, Profile] = {p.name.casefold(): p for p in book.instances}
    mine_by_name.update((p.name.casefold(), p) for p in book.tunnels)
    for theirs in incoming:
        mine = mine_by_name.get(theirs.name.casefold())
        if mine is None:
            plan.new.append(theirs)
        elif mine == theirs:
            plan.same.append(theirs)
        else:
            plan.conflicts.append((mine, theirs))
    return plan


def _free_name(name: str, taken: set[str]) -> str:
    for n in range(1, len(taken) + 2):
        suffix = " (imported)" if n == 1 else f" (imported {n})"
        candidate = name[:NAME_LIMIT - len(suffix)].rstrip() + suffix
        if candidate.casefold() not in taken:
            return candidate
    raise AssertionError("unreachable: one of len(taken) + 1 names is free")


def apply_import(book: ProfileBook, plan: ImportPlan, on_conflict: str = "keep") -> list[str]:
    """``on_conflict``: keep yours, replace with theirs, or rename theirs ("name (imported)").

    All or nothing, in one save: a plan with problems is refused (``ImportRefused``), and a save that
    fails (``StoreError``) leaves the book as it was."""
    if on_conflict not in ("keep", "replace", "rename"):
        raise ValueError(on_conflict)
    if plan.invalid:
        raise ImportRefused(f"Nothing was imported: {plan.path or 'the file'} has {len(plan.invalid)} "
                            f"problem{'s' if len(plan.invalid) > 1 else ''}.",
                            advice="Fix what the preview lists, then import again.")
    lists: dict[type, list] = {InstanceProfile: list(book.instances), TunnelProfile: list(book.tunnels)}
    positions = {kind: {p.name: i for i, p in enumerate(items)} for kind, items in lists.items()}
    taken = {p.name.casefold() for items in lists.values() for p in items}
    done: list[str] = []
    for profile in plan.new:
        lists[type(profile)].append(profile)
        taken.add(profile.name.casefold())
        done.append(f"added {profile.name}")
    for mine, theirs in plan.conflicts:
        if on_conflict == "replace" and type(mine) is type(theirs):
            lists[type(mine)][positions[type(mine)][mine.name]] = theirs
            done.append(f"replaced {mine.name}")
        elif on_conflict == "rename":
            name = _free_name(theirs.name, taken)
            taken.add(name.casefold())
            lists[type(theirs)].append(replace(theirs, name=name))
            done.append(f"added {name}")
        else:
            done.append(f"kept yours: {mine.name}")
    book.replace_all(lists[InstanceProfile], lists[TunnelProfile])
    return done
