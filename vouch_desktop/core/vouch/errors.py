"""The vouch domain's errors: one class per thing a user can meet, checked with ``isinstance``.

Exit codes (crates/vouch-cli/src/exit_code.rs): 1 general, 2 not logged in, 3 no security key,
4 network, 5 permission, 6 configuration, 7 step-up required, 8 rate limited. The PIN errors share
exit 1 and are told apart by the CLI's words (core/vouch/login_outcome.py).
"""

from __future__ import annotations

from vouch_desktop.core.errors import ExternalToolError

SETUP_AWS_HINT = "Use “Set up AWS access…” in the tray menu (it runs 'vouch setup aws --role …' for you)."


class VouchError(ExternalToolError):
    """The vouch CLI or its agent failed."""


class VouchFailed(VouchError):
    """Exit 1 with nothing more specific to say."""


class VouchNotLoggedIn(VouchError):
    pass


class VouchNoKey(VouchError):
    pass


class VouchNetworkError(VouchError):
    pass


class VouchPermissionError(VouchError):
    pass


class VouchConfigError(VouchError):
    pass


class VouchStepUpRequired(VouchError):
    """The server wants a fresh YubiKey login before it hands out this credential."""


class VouchRateLimited(VouchError):
    pass


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
