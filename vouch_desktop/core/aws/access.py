""""Check AWS access": who AWS thinks you are through the configured profile (STS GetCallerIdentity)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from vouch_desktop.core.aws.sessions import AwsSessions, translate


@dataclass(frozen=True)
class CallerIdentity:
    account: str
    arn: str
    user_id: str

    @property
    def role(self) -> str:
        """The role name of an assumed-role ARN (arn:aws:sts::123:assumed-role/ROLE/session)."""
        parts = self.arn.split(":", 5)[-1].split("/")
        return parts[1] if len(parts) > 2 and parts[0] == "assumed-role" else parts[-1]


async def check_access(aws: AwsSessions, profile: str, region: str) -> CallerIdentity:
    """Raises ProfileMissing / VouchNotLoggedIn / AccessDenied / AwsError with advice."""

    def call() -> CallerIdentity:
        reply = aws.client("sts", profile, region).get_caller_identity()
        return CallerIdentity(reply.get("Account", ""), reply.get("Arn", ""), reply.get("UserId", ""))

    try:
        return await asyncio.to_thread(call)
    except Exception as exc:
        raise translate(exc, profile=profile, action="checking AWS access") from exc
