"""The Vouch domain's errors: one tree under ``VouchError``; ``exit_code`` is the vouch CLI's own
(0 ok, 1 error, 2 not logged in, 3 no security key, 4 network, 5 permission, 6 config).

``VouchNotLoggedIn`` is the one "not logged in" of the app: the vouch CLI says so (exit 2), and so
does an AWS call whose credential_process is ``vouch credential aws`` (core/aws/credentials.py).
"""

from __future__ import annotations

from vouch_desktop.core.errors import ExternalToolError

__all__ = ["VOUCH_NOT_LOGGED_IN", "VouchBadOutput", "VouchConfigError", "VouchError", "VouchFailed",
           "VouchNetworkError", "VouchNoKey", "VouchNotInstalled", "VouchNotLoggedIn", "VouchPermissionError",
           "VouchTimeout"]

VOUCH_NOT_LOGGED_IN = 2


class VouchError(ExternalToolError):
    exit_code = 1


class VouchFailed(VouchError):
    pass


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


class VouchNotInstalled(VouchError):
    pass


class VouchBadOutput(VouchError):
    pass


class VouchTimeout(VouchError):
    pass
