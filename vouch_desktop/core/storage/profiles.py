"""Saved instance profiles and tunnel profiles: validated, ordered, persisted."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TypeAlias, TypeVar, cast

from vouch_desktop.core.errors import ValidationError, ValidationErrors, VouchDesktopError
from vouch_desktop.core.events import Event
from vouch_desktop.core.storage.files import shorten
from vouch_desktop.core.storage.store import JsonDocumentStore, StoreProblem
from vouch_desktop.core.storage.typed import found, missing_fields, read_fields
from vouch_desktop.core.storage.validation import (
    check_aws_profile,
    check_host,
    check_name,
    check_port,
    check_region,
    check_target,
    collect,
)
from vouch_desktop.core.system.paths import AppPaths

SCHEMA_VERSION = 1
REMOTE_HOST_DOCUMENT = "AWS-StartPortForwardingSessionToRemoteHost"
LOCAL_PORT_DOCUMENT = "AWS-StartPortForwardingSession"
TUNNEL_DOCUMENTS = (REMOTE_HOST_DOCUMENT, LOCAL_PORT_DOCUMENT)


@dataclass(frozen=True)
class InstanceProfile:
    name: str
    target: str  # i-…/mi-… or a tag filter such as Name=web-*
    region: str
    aws_profile: str = ""  # "" = the default from settings
    document: str = ""  # "" = a shell
    parameters: dict[str, list[str]] = field(default_factory=dict)
    ssh_user: str = ""

    def validate(self) -> list[ValidationError]:
        def params() -> None:
            if not all(isinstance(k, str) and isinstance(v, list) and all(isinstance(x, str) for x in v)
                       for k, v in self.parameters.items()):
                raise ValidationError("parameters", "Document parameters are names with lists of text values.")

        def user() -> None:
            if self.ssh_user and not self.ssh_user.replace("-", "").replace("_", "").replace(".", "").isalnum():
                raise ValidationError("ssh_user", f"'{shorten(self.ssh_user)}' is not a valid user name.")

        return collect(lambda: check_name("name", self.name, "profile"), lambda: check_target("target", self.target),
                       lambda: check_region("region", self.region), params, user,
                       lambda: check_aws_profile("aws_profile", self.aws_profile, optional=True))


@dataclass(frozen=True)
class TunnelProfile:
    name: str
    target: str  # the bastion: i-… or a tag filter
    remote_port: int
    region: str
    remote_host: str = ""  # "" with AWS-StartPortForwardingSession (a port on the bastion itself)
    local_port: int = 0  # 0 = pick a free port when started
    aws_profile: str = ""
    document: str = REMOTE_HOST_DOCUMENT
    start_at_launch: bool = False
    group: str = ""

    def validate(self) -> list[ValidationError]:
        def document() -> None:
            if self.document not in TUNNEL_DOCUMENTS:
                raise ValidationError("document", f"The document must be {' or '.join(TUNNEL_DOCUMENTS)}.")

        def host() -> None:
            if self.document == REMOTE_HOST_DOCUMENT:
                check_host("remote_host", self.remote_host)

        def group() -> None:
            if self.group and len(self.group) > 40:
                raise ValidationError("group", "Group names are at most 40 characters.")

        return collect(lambda: check_name("name", self.name, "tunnel"), lambda: check_target("target", self.target),
                       lambda: check_region("region", self.region), document, host,
                       lambda: check_port("remote_port", self.remote_port),
                       lambda: check_port("local_port", self.local_port, allow_zero=True), group,
                       lambda: check_aws_profile("aws_profile", self.aws_profile, optional=True))


Profile: TypeAlias = InstanceProfile | TunnelProfile


class UnknownProfile(VouchDesktopError):
    pass


P = TypeVar("P", InstanceProfile, TunnelProfile)


def entry_label(what: str, index: int, raw: object) -> str:
    name = raw.get("name") if isinstance(raw, dict) else None
    return f"{what} {index + 1} ('{shorten(name, 40)}')" if isinstance(name, str) else f"{what} {index + 1}"


def read_entries(cls: type[P], what: str, entries: object, taken: set[str], *,
                 unknown_keys_are_errors: bool) -> tuple[list[P], list[str]]:
    """The profiles among ``entries`` (a list of tables read from a file) and one line per problem.

    An entry with a field of the wrong type, a missing field, a value validation refuses, or a
    name already in ``taken`` (compared without case; names read are added to it) is left out.
    Keys that are not fields are reported; with ``unknown_keys_are_errors`` the entry is left out
    too (an import must not drop what a teammate meant), else only the key is ignored."""
    if not isinstance(entries, list):
        return [], [f"the {what} profiles should be a list, not {found(entries)}: none were read"]
    profiles: list[P] = []
    problems: list[str] = []
    for index, raw in enumerate(entries):
        label = entry_label(what, index, raw)
        if not isinstance(raw, dict):
            problems.append(f"{label} should be a table of fields, not {found(raw)}")
            continue
        values, issues, unknown = read_fields(cls, raw)
        messages = [issue.message for issue in issues]
        unknown_text = ", ".join(f"'{shorten(key, 40)}'" for key in unknown[:5]) + (" …" if len(unknown) > 5 else "")
        if unknown and unknown_keys_are_errors:
            messages.append(f"unknown field{'s' if len(unknown) > 1 else ''} {unknown_text}")
        elif unknown:
            problems.append(f"{label}: unknown field{'s' if len(unknown) > 1 else ''} {unknown_text} ignored")
        wrong = {issue.field for issue in issues}
        missing = [name for name in missing_fields(cls, values) if name not in wrong]
        if missing:
            messages.append(f"missing {', '.join(repr(m) for m in missing)}")
        if not messages:
            profile = cls(**values)  # type: ignore[arg-type]  # read_fields checked each value's type
            messages = [error.message for error in profile.validate()]
            if not messages and profile.name.casefold() in taken:
                messages = [f"the name '{shorten(profile.name, 40)}' is used by an earlier profile"]
            if not messages:
                taken.add(profile.name.casefold())
                profiles.append(profile)
                continue
        problems.append(f"{label}: {'; '.join(m.rstrip('.') for m in messages[:3])}")
    return profiles, problems


class ProfileBook:
    """Both kinds of profile in the user's order. Every change is validated before anything is saved."""

    def __init__(self, paths: AppPaths) -> None:
        # format 0: the same layout without a schema_version (written by hand)
        self._store = JsonDocumentStore(paths.profiles_file, "profiles", SCHEMA_VERSION, {0: dict})
        self.instances: list[InstanceProfile] = []
        self.tunnels: list[TunnelProfile] = []
        self._saved: tuple[list[InstanceProfile], list[TunnelProfile]] = ([], [])  # as the file holds them
        self.changed: Event[None] = Event()
        # the name of a tunnel profile about to stop existing (deleted, renamed, gone from a reloaded file),
        # emitted first: whatever runs under that name is stopped (TunnelManager.retire, wired by the
        # composition root) so that nothing keeps listening where no menu or command can reach it
        self.removing: Event[str] = Event()

    @property
    def path(self) -> Path:
        return self._store.path

    def load(self) -> list[StoreProblem]:
        """Never raises: entries that cannot be used are skipped, and described in one problem (with a
        copy of the file as it was, since the next save leaves them out)."""
        result = self._store.load()
        problems = list(result.problems)
        before = [p.name for p in self.tunnels]
        data = result.data or {}
        taken: set[str] = set()
        self.instances, skipped = read_entries(InstanceProfile, "instance", data.get("instances", []), taken,
                                               unknown_keys_are_errors=False)
        self.tunnels, more = read_entries(TunnelProfile, "tunnel", data.get("tunnels", []), taken,
                                          unknown_keys_are_errors=False)
        self._saved = list(self.instances), list(self.tunnels)
        if skipped or more:
            problems.append(self._store.keep_partial(f"Some profiles in {self.path} could not be used:",
                                                     skipped + more))
        for name in before:
            if not any(p.name == name for p in self.tunnels):
                self.removing.emit(name)
        return problems

    def replace_all(self, instances: list[InstanceProfile], tunnels: list[TunnelProfile]) -> None:
        """Every profile at once, in one save (an import): all are validated first, and either all are
        saved or nothing changes (``ValidationErrors`` or ``StoreError``)."""
        errors: list[ValidationError] = []
        seen: set[str] = set()
        everything: list[Profile] = [*instances, *tunnels]
        for profile in everything:
            errors += [ValidationError(e.field, f"{shorten(profile.name, 40)}: {e.message}")
                       for e in profile.validate()]
            if profile.name.casefold() in seen:
                errors.append(ValidationError("name", f"A profile named '{shorten(profile.name, 40)}' already exists."))
            seen.add(profile.name.casefold())
        if errors:
            raise ValidationErrors(errors)
        for gone in {p.name for p in self.tunnels} - {p.name for p in tunnels}:
            self.removing.emit(gone)
        self.instances[:], self.tunnels[:] = instances, tunnels
        self.save()  # undoes the change when it fails

    def save(self) -> None:
        """Write both lists. When the file cannot be written (``StoreError``) the change that called this
        is undone, so what the app shows is what the file holds."""
        try:
            self._store.save({"instances": [asdict(p) for p in self.instances],
                              "tunnels": [asdict(p) for p in self.tunnels]})
        except BaseException:
            self.instances[:], self.tunnels[:] = self._saved
            raise
        self._saved = list(self.instances), list(self.tunnels)
        self.changed.emit(None)

    def _list(self, kind: type[Profile]) -> list[Profile]:
        """The list that holds profiles of ``kind``. Typed as holding either kind (a list is invariant);
        callers only ever put a profile of ``kind`` into it."""
        return cast("list[Profile]", self.instances if kind is InstanceProfile else self.tunnels)

    def _all(self) -> list[Profile]:
        return [*self.instances, *self.tunnels]

    def find(self, name: str) -> Profile | None:
        return next((p for p in self._all() if p.name == name), None)

    def require(self, name: str, kind: type[P]) -> P:
        profile = self.find(name)
        if not isinstance(profile, kind):
            what = "instance" if kind is InstanceProfile else "tunnel"
            known = ", ".join(p.name for p in self._list(kind)) or "none yet"
            raise UnknownProfile(f"There is no {what} profile named '{name}'.", advice=f"Known: {known}.")
        return profile

    def _check(self, profile: Profile, replacing: str | None = None) -> None:
        errors = profile.validate()
        taken = {p.name.casefold() for p in self._all() if p.name != replacing}
        if profile.name.casefold() in taken:
            errors.insert(0, ValidationError("name", f"A profile named '{profile.name}' already exists."))
        if errors:
            raise ValidationErrors(errors)

    def add(self, profile: Profile) -> None:
        self._check(profile)
        self._list(type(profile)).append(profile)
        self.save()

    def update(self, old_name: str, profile: Profile) -> None:
        items = self._list(type(profile))
        index = next((i for i, p in enumerate(items) if p.name == old_name), None)
        if index is None:
            raise ValidationErrors([ValidationError("name", f"There is no profile named '{old_name}'.")])
        self._check(profile, replacing=old_name)
        if profile.name != old_name and isinstance(profile, TunnelProfile):
            self.removing.emit(old_name)
        items[index] = profile
        self.save()

    def delete(self, name: str) -> tuple[Profile, int]:
        """Remove a profile; returns it and its position, so the UI can undo."""
        for items in (self._list(InstanceProfile), self._list(TunnelProfile)):
            for index, profile in enumerate(items):
                if profile.name == name:
                    if isinstance(profile, TunnelProfile):
                        self.removing.emit(name)
                    del items[index]
                    self.save()
                    return profile, index
        raise ValidationErrors([ValidationError("name", f"There is no profile named '{name}'.")])

    def restore(self, profile: Profile, index: int) -> None:
        self._check(profile)
        self._list(type(profile)).insert(index, profile)
        self.save()

    def duplicate(self, name: str) -> Profile:
        original = self.find(name)
        if original is None:
            raise ValidationErrors([ValidationError("name", f"There is no profile named '{name}'.")])
        n = 2
        while self.find(f"{name} ({n})") is not None:
            n += 1
        copy = replace(original, name=f"{name} ({n})"[:64])
        self._check(copy)
        items = self._list(type(copy))
        items.insert(items.index(original) + 1, copy)  # right below the original
        self.save()
        return copy

    def move(self, name: str, offset: int) -> None:
        for items in (self._list(InstanceProfile), self._list(TunnelProfile)):
            for index, profile in enumerate(items):
                if profile.name == name:
                    new = max(0, min(len(items) - 1, index + offset))
                    items.insert(new, items.pop(index))
                    self.save()
                    return

    def groups(self) -> list[str]:
        return sorted({t.group for t in self.tunnels if t.group})
