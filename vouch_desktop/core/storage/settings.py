"""The user's settings: defaults, validation, and persistence through the versioned store."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from vouch_desktop.core.errors import ValidationError, ValidationErrors
from vouch_desktop.core.storage.files import quote
from vouch_desktop.core.storage.store import JsonDocumentStore, StoreProblem
from vouch_desktop.core.storage.typed import read_fields
from vouch_desktop.core.storage.validation import check_aws_profile, check_region, collect
from vouch_desktop.core.system.paths import AppPaths
from vouch_desktop.core.tunnels.backends import TunnelBackend

SCHEMA_VERSION = 1
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
TUNNEL_BACKENDS = tuple(backend.value for backend in TunnelBackend)


@dataclass
class Settings:
    vouch_path: str = ""  # empty: find vouch on PATH
    aws_profile: str = "vouch"
    regions: list[str] = field(default_factory=lambda: ["us-east-1"])
    terminal: str = ""  # terminal id; empty: the first one found
    terminal_template: str = ""  # custom argv template, e.g. "myterm --title {title} -e {command}"
    keep_open_on_error: bool = True  # a session that ends with an error leaves its window open to be read
    notify_enabled: bool = True
    notify_lead_minutes: int = 15
    start_at_login: bool = False
    plugin_path: str = ""  # empty: find session-manager-plugin on PATH
    log_level: str = "INFO"
    allow_login_without_key: bool = False  # some keys are invisible to HID enumeration
    tunnel_backend: TunnelBackend = TunnelBackend.AUTO  # the plugin when installed, else the built-in channel
    confirm_quit_with_tunnels: bool = True  # Quit from the tray asks first while tunnels are up

    def validate(self) -> list[ValidationError]:
        def lead() -> None:
            if isinstance(self.notify_lead_minutes, bool) or not isinstance(self.notify_lead_minutes, int) \
                    or not 1 <= self.notify_lead_minutes <= 240:
                raise ValidationError("notify_lead_minutes",
                                      "Notification lead time must be between 1 and 240 minutes.")

        def regions() -> None:
            if not self.regions:
                raise ValidationError("regions", "Choose at least one region.")
            for region in self.regions:
                check_region("regions", region)

        def profile() -> None:
            if not self.aws_profile.strip():
                raise ValidationError("aws_profile", "Choose the AWS profile that uses Vouch (usually 'vouch').")
            check_aws_profile("aws_profile", self.aws_profile)

        def level() -> None:
            if self.log_level not in LOG_LEVELS:
                raise ValidationError("log_level", f"Log level must be one of {', '.join(LOG_LEVELS)}.")

        def backend() -> None:
            if self.tunnel_backend not in TUNNEL_BACKENDS:
                raise ValidationError("tunnel_backend", f"Tunnel backend must be one of {', '.join(TUNNEL_BACKENDS)}.")

        def program(name: str) -> Callable[[], None]:
            def check() -> None:
                value = getattr(self, name)
                if not value.isprintable():
                    raise ValidationError(name, f"The path {quote(value)} has control characters in it.")
            return check

        return collect(lead, regions, profile, level, backend, program("vouch_path"), program("plugin_path"))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _from_v0(document: dict) -> dict:
    """Format 0 (before versioning) called the lead time `warn_minutes` and kept one `region`."""
    document = dict(document)
    if "warn_minutes" in document:
        document["notify_lead_minutes"] = document.pop("warn_minutes")
    if "region" in document:
        document["regions"] = [document.pop("region")]
    return document


LoadedSettings = tuple[Settings, list[StoreProblem]]


class SettingsStore:
    def __init__(self, paths: AppPaths) -> None:
        self._store = JsonDocumentStore(paths.settings_file, "settings", SCHEMA_VERSION, {0: _from_v0})
        self._extra: dict[str, object] = {}  # keys this version does not know (a newer one's): written back

    @property
    def path(self) -> Path:
        return self._store.path

    def load(self) -> LoadedSettings:
        """The settings, and what was wrong with the file. Never raises: what cannot be used is
        replaced by its default, field by field, and the file kept as it was (``StoreProblem``)."""
        result = self._store.load()
        self._extra = {}
        if result.data is None:
            return Settings(), result.problems
        # types first: validation calls .strip() on names and walks the list of regions
        values, issues, unknown = read_fields(Settings, result.data)
        self._extra = {key: result.data[key] for key in unknown}
        settings = Settings(**values)  # type: ignore[arg-type]  # read_fields checked each value's type
        reset = [issue.message for issue in issues]
        defaults = Settings()
        for error in settings.validate():  # hand-edited into nonsense: keep what is valid, report the rest
            setattr(settings, error.field, getattr(defaults, error.field))
            reset.append(error.message)
        problems = list(result.problems)
        if reset:
            problems.append(self._store.keep_partial(
                f"Some settings in {self.path} could not be used; their defaults are in use:", reset))
        return settings, problems

    def save(self, settings: Settings) -> None:
        """Raises ``ValidationErrors`` (nothing saved) or ``StoreError`` (the file could not be written)."""
        errors = settings.validate()
        if errors:
            raise ValidationErrors(errors)
        self._store.save({**self._extra, **settings.to_dict()})
