"""RDS IAM database authentication tokens, made by botocore for the profile's AWS credentials.

A token is a SigV4 presigned ``connect`` request for the database user on the database's real endpoint
(``host:port/?Action=connect&DBUser=…``, service ``rds-db``), valid for 15 minutes and used as the
password. It is made fresh for every sign-in and kept nowhere: it reaches the client in its sign-in file
(core/databases/secret_files.py). An established connection outlives the token; a new one after 15
minutes needs a new token (open the client again from the tray).
"""

from __future__ import annotations

from vouch_desktop.core.aws.errors import AwsUnreachable
from vouch_desktop.core.aws.sessions import AwsSessions, translate
from vouch_desktop.core.databases.errors import DatabaseError
from vouch_desktop.core.vouch.errors import VouchNotLoggedIn

TOKEN_LIFETIME = 900  # seconds: fixed by RDS (botocore's generate_db_auth_token signs for 900 s)


class TokenFailed(DatabaseError):
    """No IAM token could be made (no credentials: not logged in to Vouch, the profile missing…)."""


def auth_token(aws: AwsSessions, aws_profile: str, region: str, host: str, port: int, user: str) -> str:
    """A new token for ``user`` on ``host:port`` (the RDS endpoint, not the tunnel's local end). Blocks
    while the profile's credential_process runs: call it off the UI thread."""
    if not user:
        raise TokenFailed("Signing in with an RDS IAM token needs the database user's name.",
                          advice="Set the user in the tunnel's profile.")
    try:
        rds = aws.client("rds", aws_profile, region)
        token: str = rds.generate_db_auth_token(DBHostname=host, Port=port, DBUsername=user, Region=region)
    except Exception as exc:  # botocore's errors (credentials, profile), and the credential_process's
        error = translate(exc, profile=aws_profile, action="making an RDS IAM token")
        if isinstance(error, (VouchNotLoggedIn, AwsUnreachable)):  # one thing, one type: the app knows these
            raise error from None
        raise TokenFailed(f"No RDS IAM token could be made: {error.message}", advice=error.advice,
                          detail=error.detail) from None
    return token
