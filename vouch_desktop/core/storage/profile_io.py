"""Profiles as a readable TOML file a team can commit, and importing one with a preview of conflicts.

Only the profiles travel; settings (terminal, regions, paths) stay personal.
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

import tomli_w

from vouch_desktop.core.errors import ValidationError, ValidationErrors, VouchDesktopError
from vouch_desktop.core.storage.atomic import atomic_write_text
from vouch_desktop.core.storage.profiles import InstanceProfile, Profile, ProfileBook, TunnelProfile

FORMAT = 1
HEADER = "# Vouch Desktop profiles: import with `vouch-desktop profiles import FILE`\n"


def _clean(profile: Profile) -> dict:
    """Drop empty optional fields so the file stays short and readable."""
    return {k: v for k, v in asdict(profile).items() if v not in ("", {}, [], None) or k in ("name", "target")}


def export_profiles(book: ProfileBook, path: Path) -> int:
    document = {"format": FORMAT, "instance": [_clean(p) for p in book.instances],
                "tunnel": [_clean(p) for p in book.tunnels]}
    atomic_write_text(path, HEADER + tomli_w.dumps(document), mode=0o644)
    return len(book.instances) + len(book.tunnels)


@dataclass
class ImportPlan:
    new: list[Profile] = field(default_factory=list)
    same: list[Profile] = field(default_factory=list)  # already there, identical
    conflicts: list[tuple[Profile, Profile]] = field(default_factory=list)  # (mine, theirs), same name
    invalid: list[str] = field(default_factory=list)

    def preview(self) -> str:
        lines = [f"{len(self.new)} new, {len(self.same)} unchanged, {len(self.conflicts)} in conflict"]
        lines += [f"  + {p.name}" for p in self.new]
        lines += [f"  ! {mine.name}: differs from yours" for mine, _ in self.conflicts]
        lines += [f"  ✗ {problem}" for problem in self.invalid]
        return "\n".join(lines)


def read_profiles(path: Path) -> tuple[list[Profile], list[str]]:
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise VouchDesktopError(f"{path} does not exist.") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise VouchDesktopError(f"{path} is not a valid profiles file: {exc}.") from None
    if document.get("format", FORMAT) > FORMAT:
        raise VouchDesktopError(f"{path} was written by a newer Vouch Desktop.", advice="Update Vouch Desktop.")
    profiles: list[Profile] = []
    problems: list[str] = []
    for key, cls in (("instance", InstanceProfile), ("tunnel", TunnelProfile)):
        known = {f.name for f in fields(cls)}
        for raw in document.get(key, []):
            try:
                profile = cls(**{k: v for k, v in raw.items() if k in known})
                errors = profile.validate()
            except TypeError as exc:
                errors = [ValidationError("", f"missing fields ({exc})")]
                profile = None
            if errors or profile is None:
                problems.append(f"{key} '{raw.get('name', '?')}': {errors[0].message}")
            else:
                profiles.append(profile)
    return profiles, problems


def plan_import(book: ProfileBook, path: Path) -> ImportPlan:
    incoming, problems = read_profiles(path)
    plan = ImportPlan(invalid=problems)
    for theirs in incoming:
        mine = book.find(theirs.name)
        if mine is None:
            plan.new.append(theirs)
        elif mine == theirs:
            plan.same.append(theirs)
        else:
            plan.conflicts.append((mine, theirs))
    return plan


def apply_import(book: ProfileBook, plan: ImportPlan, on_conflict: str = "keep") -> list[str]:
    """``on_conflict``: keep yours, replace with theirs, or rename theirs ("name (imported)")."""
    if on_conflict not in ("keep", "replace", "rename"):
        raise ValueError(on_conflict)
    done = []
    for profile in plan.new:
        book.add(profile)
        done.append(f"added {profile.name}")
    for mine, theirs in plan.conflicts:
        if on_conflict == "replace" and type(mine) is type(theirs):
            book.update(mine.name, theirs)
            done.append(f"replaced {mine.name}")
        elif on_conflict == "rename":
            name = f"{theirs.name} (imported)"
            try:
                book.add(replace(theirs, name=name))
                done.append(f"added {name}")
            except ValidationErrors as exc:
                done.append(f"skipped {theirs.name}: {exc.message}")
        else:
            done.append(f"kept yours: {mine.name}")
    return done
