"""The AWS domain's errors: one tree under ``AwsError``, made from botocore's exceptions by
core/aws/sessions.py ``translate``. Not being logged in to Vouch is not among them: that is
``core.vouch.errors.VouchNotLoggedIn`` wherever it is noticed."""

from __future__ import annotations

from vouch_desktop.core.errors import VouchDesktopError


class AwsError(VouchDesktopError):
    """An AWS call failed; ``code`` is the AWS error code when there is one."""

    def __init__(self, message: str, *, advice: str = "", code: str = "", detail: str = "") -> None:
        super().__init__(message, advice=advice, detail=detail)
        self.code = code


class ProfileMissing(AwsError):
    pass


class AccessDenied(AwsError):
    pass


class TargetNotConnected(AwsError):
    pass


class AwsUnreachable(AwsError):
    """The AWS endpoint could not be reached (no network, VPN down, connection refused or cut, time-out):
    a fault outside AWS and the user's rights, so trying again later can succeed."""
