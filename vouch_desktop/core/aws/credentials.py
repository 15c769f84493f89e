"""AWS credentials come from the profile's ``credential_process`` (``vouch credential aws --role
ARN``), which botocore runs. When the user is not logged in to Vouch that program exits with 2
(vouch-cli facts), but botocore's error keeps only its stderr text. So our sessions run the
process through botocore's own ``ProcessProvider`` with a ``popen`` that reads the exit code, and
raise ``VouchNotLoggedIn`` for it: typed, without reading any message text.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from vouch_desktop.core.vouch.errors import VOUCH_NOT_LOGGED_IN, VouchNotLoggedIn

if TYPE_CHECKING:
    import botocore.session

PROVIDER = "custom-process"  # botocore's ProcessProvider.METHOD


def is_vouch_credential(argv: Sequence[str]) -> bool:
    """Whether a credential_process command line is vouch's (``<vouch> credential aws ...``)."""
    return list(argv[1:3]) == ["credential", "aws"]


class VouchAwareProcess:
    """The part of ``subprocess.Popen`` that botocore's ProcessProvider uses, plus the exit-code check."""

    def __init__(self, argv: Sequence[str], **kwargs: Any) -> None:
        self.argv = list(argv)
        if sys.platform == "win32":  # the windowed app has no console: vouch.exe would flash one up
            from vouch_desktop.core.system.win_processes import CREATE_NO_WINDOW

            kwargs["creationflags"] = kwargs.get("creationflags", 0) | CREATE_NO_WINDOW
        self._process = subprocess.Popen(self.argv, **kwargs)

    @property
    def returncode(self) -> int | None:
        return self._process.returncode

    def communicate(self, input: bytes | None = None, timeout: float | None = None) -> tuple[bytes, bytes]:
        out, err = self._process.communicate(input, timeout)
        if self._process.returncode == VOUCH_NOT_LOGGED_IN and is_vouch_credential(self.argv):
            raise VouchNotLoggedIn("You are not logged in to Vouch, so AWS has no credentials for you.",
                                   advice="Log in from the tray (YubiKey touch + PIN), then try again.")
        return out, err


def use_vouch_aware_credential_process(session: botocore.session.Session) -> None:
    """Replace the session's credential_process provider by the same provider with our ``popen``."""
    from botocore.credentials import ProcessProvider

    resolver = session.get_component("credential_provider")
    ours = ProcessProvider(profile_name=session.get_config_variable("profile") or "default",
                           load_config=lambda: session.full_config, popen=VouchAwareProcess)
    resolver.insert_after(PROVIDER, ours)
    resolver.remove(PROVIDER)  # the first of that name: botocore's own, ours comes after it
