"""The user's settings: defaults, validation, and persistence through the versioned store."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

from vouch_desktop.core.errors import ValidationError, ValidationErrors
from vouch_desktop.core.storage.store import JsonDocumentStore, StoreProblem
from vouch_desktop.core.storage.validation import check_aws_profile, check_region, collect
from vouch_desktop.core.system.paths import AppPaths

SCHEMA_VERSION = 1
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
TUNNEL_BACKENDS = ("auto", "plugin", "builtin")  # see core.tunnels.carriers


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
    tunnel_backend: str = "auto"  # the plugin when installed, else the built-in data channel

    def validate(self) -> list[ValidationError]:
        def lead() -> None:
            if isinstance(self.notify_lead_minutes, bool) or not isinstance(self.notify_lead_minutes, int) \
                    or not 1 <= self.notify_lead_minutes <= 240:
                raise ValidationError("notify_lead_minutes", "Notification lead time must be between 1 and 240 minutes.")

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

        return collect(lead, regions, profile, level, backend)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Settings:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


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

    def load(self) -> LoadedSettings:
        result = self._store.load()
        if result.data is None:
            return Settings(), result.problems
        settings = Settings.from_dict(result.data)
        problems = list(result.problems)
        if settings.validate():  # hand-edited into nonsense: keep what is valid, report the rest
            defaults = Settings()
            for error in settings.validate():
                setattr(settings, error.field, getattr(defaults, error.field))
                problems.append(StoreProblem(self._store.path, f"Setting ignored: {error.message}"))
        return settings, problems

    def save(self, settings: Settings) -> None:
        errors = settings.validate()
        if errors:
            raise ValidationErrors(errors)
        self._store.save(settings.to_dict())
