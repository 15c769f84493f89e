"""Saved instance profiles and tunnel profiles: validated, ordered, persisted."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import TypeVar, Union

from vouch_desktop.core.errors import ValidationError, ValidationErrors, VouchDesktopError
from vouch_desktop.core.events import Event
from vouch_desktop.core.storage.store import JsonDocumentStore, StoreProblem
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
                raise ValidationError("ssh_user", f"'{self.ssh_user}' is not a valid user name.")

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


Profile = Union[InstanceProfile, TunnelProfile]


class UnknownProfile(VouchDesktopError):
    pass
P = TypeVar("P", InstanceProfile, TunnelProfile)


def _build(cls: type[P], data: dict) -> P:
    known = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in known})


class ProfileBook:
    """Both kinds of profile in the user's order. Every change is validated before anything is saved."""

    def __init__(self, paths: AppPaths) -> None:
        self._store = JsonDocumentStore(paths.profiles_file, "profiles", SCHEMA_VERSION)
        self.instances: list[InstanceProfile] = []
        self.tunnels: list[TunnelProfile] = []
        self.changed: Event[None] = Event()
        # the name of a tunnel profile about to stop existing (deleted, renamed, gone from a reloaded file),
        # emitted first: whatever runs under that name is stopped (TunnelManager.retire, wired by the
        # composition root) so that nothing keeps listening where no menu or command can reach it
        self.removing: Event[str] = Event()

    def load(self) -> list[StoreProblem]:
        result = self._store.load()
        problems = list(result.problems)
        before = [p.name for p in self.tunnels]
        self.instances, self.tunnels = [], []
        data = result.data or {}
        for kind, cls, target in (("instances", InstanceProfile, self.instances), ("tunnels", TunnelProfile, self.tunnels)):
            for raw in data.get(kind, []):
                try:
                    profile = _build(cls, raw)
                    errors = profile.validate()
                except TypeError as exc:
                    errors = [ValidationError("", str(exc))]
                if errors:  # keep the file's other entries; say which one was skipped and why
                    problems.append(StoreProblem(self._store.path, f"Skipped {kind[:-1]} '{raw.get('name', '?')}': "
                                                                   f"{errors[0].message}"))
                else:
                    target.append(profile)
        for name in before:
            if not any(p.name == name for p in self.tunnels):
                self.removing.emit(name)
        return problems

    def save(self) -> None:
        self._store.save({"instances": [asdict(p) for p in self.instances],
                          "tunnels": [asdict(p) for p in self.tunnels]})
        self.changed.emit(None)

    def _list(self, kind: type) -> list:
        return self.instances if kind is InstanceProfile else self.tunnels

    def find(self, name: str) -> Profile | None:
        return next((p for p in [*self.instances, *self.tunnels] if p.name == name), None)

    def require(self, name: str, kind: type[P]) -> P:
        profile = self.find(name)
        if not isinstance(profile, kind):
            what = "instance" if kind is InstanceProfile else "tunnel"
            known = ", ".join(p.name for p in self._list(kind)) or "none yet"
            raise UnknownProfile(f"There is no {what} profile named '{name}'.", advice=f"Known: {known}.")
        return profile

    def _check(self, profile: Profile, replacing: str | None = None) -> None:
        errors = profile.validate()
        taken = {p.name.casefold() for p in [*self.instances, *self.tunnels] if p.name != replacing}
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
        for items in (self.instances, self.tunnels):
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
        for items in (self.instances, self.tunnels):
            for index, profile in enumerate(items):
                if profile.name == name:
                    new = max(0, min(len(items) - 1, index + offset))
                    items.insert(new, items.pop(index))
                    self.save()
                    return

    def groups(self) -> list[str]:
        return sorted({t.group for t in self.tunnels if t.group})
