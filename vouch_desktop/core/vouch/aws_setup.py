"""Setting up AWS access: ``vouch setup aws --role ARN [--region R] --profile NAME``, checked before and after.

vouch needs the role (without ``--role`` or ``--discover`` it fails with exit 6, or wants a terminal for
its wizard: setup/aws.rs); it writes ``region`` only when ``--region`` is given; and it leaves a profile
of the chosen name alone if one exists (printing so, with exit 0). So the app validates the fields first,
and afterwards reads the profile back through botocore: written with this role, or left as it was.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from vouch_desktop.core.errors import ValidationError, ValidationErrors
from vouch_desktop.core.storage.validation import check_aws_profile, check_region, collect
from vouch_desktop.core.vouch.client import VouchClient
from vouch_desktop.core.vouch.errors import VouchBadOutput, VouchProfileExists

DEFAULT_PROFILE = "vouch"
ROLE_ARN_RE = re.compile(r"^arn:aws(?:-[a-z]+)*:iam::\d{12}:role/[\w+=,.@/-]{1,512}\Z")


@dataclass(frozen=True)
class AwsSetupRequest:
    role_arn: str
    region: str = ""
    profile: str = DEFAULT_PROFILE

    def cleaned(self) -> AwsSetupRequest:
        return AwsSetupRequest(self.role_arn.strip(), self.region.strip(), self.profile.strip())

    def validate(self) -> list[ValidationError]:
        def role() -> None:
            if not self.role_arn:
                raise ValidationError("role_arn", "Give the IAM role to use, e.g. arn:aws:iam::123456789012:role/Dev "
                                                  "(your Vouch administrator knows it).")
            if not ROLE_ARN_RE.match(self.role_arn):
                raise ValidationError("role_arn", f"'{self.role_arn[:80]}' is not an IAM role ARN: they look like "
                                                  "arn:aws:iam::123456789012:role/NAME.")

        def region() -> None:
            if self.region:
                check_region("region", self.region)

        def profile() -> None:
            check_aws_profile("profile", self.profile)

        return collect(role, region, profile)


@dataclass(frozen=True)
class AwsSetupResult:
    profile: str
    role_arn: str
    region: str
    already: bool  # the profile had this role before: nothing changed
    output: str  # what vouch printed


ProfileReader = Callable[[str], "dict[str, Any] | None"]


def read_profile(name: str) -> dict[str, Any] | None:
    """A profile's settings as botocore reads them from the AWS config (``AWS_CONFIG_FILE``), or None."""
    import botocore.session

    profiles = botocore.session.Session().full_config.get("profiles", {})
    profile = profiles.get(name)
    return dict(profile) if isinstance(profile, dict) else None


def _uses_role(profile: dict[str, Any] | None, role_arn: str) -> bool:
    process = str((profile or {}).get("credential_process", ""))
    return "vouch" in process and f"--role {role_arn}" in process


async def set_up_aws(vouch: VouchClient, request: AwsSetupRequest,
                     read: ProfileReader = read_profile) -> AwsSetupResult:
    request = request.cleaned()
    errors = request.validate()
    if errors:
        raise ValidationErrors(errors)
    before = read(request.profile)
    if before is not None and not _uses_role(before, request.role_arn):
        raise VouchProfileExists(f"The AWS profile '{request.profile}' already exists with other settings.",
                                 advice="Choose another profile name, or change that profile in your AWS config "
                                        "file (~/.aws/config) yourself.")
    output = await vouch.setup_aws(request.role_arn, request.region, request.profile)
    after = read(request.profile)
    if not _uses_role(after, request.role_arn):
        raise VouchBadOutput(f"vouch setup aws finished, but the profile '{request.profile}' does not use the role.",
                             advice="Check your AWS config file (~/.aws/config), or run the command in a terminal: "
                                    f"vouch setup aws --role {request.role_arn} --profile {request.profile}",
                             detail=output[-2000:])
    return AwsSetupResult(request.profile, request.role_arn, str((after or {}).get("region", "")),
                          already=before is not None, output=output)
