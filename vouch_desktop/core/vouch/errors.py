"""The vouch domain's errors: one tree under ``VouchError``, one class per thing a user can meet, checked
with ``isinstance``; ``exit_code`` is the vouch CLI's own.

Exit codes (crates/vouch-cli/src/exit_code.rs): 1 general, 2 not logged in, 3 no security key,
4 network, 5 permission, 6 configuration, 7 step-up required, 8 rate limited. The PIN errors share
exit 1 and are told apart by the CLI's words (core/vouch/login_outcome.py).

``VouchNotLoggedIn`` is the one "not logged in" of the app: the vouch CLI says so (exit 2), and so
does an AWS call whose credential_process is ``vouch credential aws`` (core/aws/credentials.py).
"""

from __future__ import annotations

from vouch_desktop.core.errors import ExternalToolError

VOUCH_NOT_LOGGED_IN = 2
SETUP_AWS_HINT = "Use “Set up AWS access…” in the tray menu (it runs 'vouch setup aws --role …' for you)."


class VouchError(ExternalToolError):
    """The vouch CLI or its agent failed."""

    exit_code = 1


class VouchFailed(VouchError):
    """Exit 1 with nothing more specific to say."""


class VouchNotLoggedIn(VouchError):
    exit_code = VOUCH_NOT_LOGGED_IN


class VouchNoKey(VouchError):
    exit_code = 3


class VouchNetworkError(VouchError):
    exit_code = 4


class VouchPermissionError(VouchError):
    exit_code = 5


class VouchConfigError(VouchError):
    exit_code = 6


class VouchStepUpRequired(VouchError):
    """The server wants a fresh YubiKey login before it hands out this credential."""

    exit_code = 7


class VouchRateLimited(VouchError):
    exit_code = 8


class VouchNotInstalled(VouchError):
    """No vouch to run: missing, a folder, or not executable (the message says which)."""


class VouchBadOutput(VouchError):
    """vouch answered with something this app cannot read."""


class VouchTimeout(VouchError):
    pass


class VouchPinError(VouchError):
    """Something about the YubiKey's PIN; the login dialog asks again only for ``VouchPinIncorrect``."""


class VouchPinIncorrect(VouchPinError):
    def __init__(self, message: str, *, advice: str = "", detail: str = "", attempts_left: int | None = None) -> None:
        super().__init__(message, advice=advice, detail=detail)
        self.attempts_left = attempts_left


class VouchPinBlocked(VouchPinError):
    pass


class VouchPinAuthBlocked(VouchPinError):
    """Three wrong PINs in a row: the key takes no PIN until it is unplugged and plugged in again."""


class VouchPinNotSet(VouchPinError):
    """The key has no PIN: vouch would ask for a new one, which the app must not answer with the user's PIN."""


class VouchKeyNotEnrolled(VouchError):
    pass


class VouchLoginCancelled(VouchError):
    """The user closed the system's security prompt (Windows)."""


class VouchProfileExists(VouchError):
    """``vouch setup aws`` left an existing profile of that name as it was."""
