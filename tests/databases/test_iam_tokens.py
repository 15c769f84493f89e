"""RDS IAM authentication tokens: what the app makes for a profile's credentials is, byte for byte, what
botocore's own SigV4 query signer makes for the same credentials, endpoint, user and time."""

from __future__ import annotations

import datetime
from urllib.parse import parse_qs, urlsplit

import botocore.auth
import pytest
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from vouch_desktop.core.aws.sessions import AwsSessions
from vouch_desktop.core.databases.iam import TOKEN_LIFETIME, TokenFailed, auth_token

HOST = "orders.cluster-abc.eu-west-1.rds.amazonaws.com"
KEY, SECRET, SESSION = "ASIAEXAMPLEFIXED0001", "fixed/secret+key/for/the/test/0000000001", "FwoGZXIvYXdzEFIXED//token="
WHEN = datetime.datetime(2026, 3, 14, 15, 9, 26, tzinfo=datetime.UTC)


@pytest.fixture
def fixed_profile(isolated_home, monkeypatch):
    (isolated_home / ".aws" / "config").write_text("[profile iam]\nregion = eu-west-1\n")
    (isolated_home / ".aws" / "credentials").write_text(
        f"[iam]\naws_access_key_id = {KEY}\naws_secret_access_key = {SECRET}\naws_session_token = {SESSION}\n")
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: WHEN.replace(tzinfo=None))
    return "iam"


def presigned_by_botocore(host: str, port: int, user: str, region: str) -> str:
    """botocore's presigner, called directly: a GET on https://host:port/?Action=connect&DBUser=user for the
    service rds-db, valid 900 s, without the scheme."""
    request = AWSRequest(method="GET", url=f"https://{host}:{port}/", params={"Action": "connect", "DBUser": user})
    botocore.auth.SigV4QueryAuth(Credentials(KEY, SECRET, SESSION), "rds-db", region, expires=900).add_auth(request)
    return request.prepare().url.removeprefix("https://")


def test_the_token_is_botocores_presigned_connect_request_for_fixed_credentials_and_time(fixed_profile):
    token = auth_token(AwsSessions(), fixed_profile, "eu-west-1", HOST, 5432, "app_user")
    assert token == presigned_by_botocore(HOST, 5432, "app_user", "eu-west-1")
    url = urlsplit("https://" + token)
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert (url.hostname, url.port, url.path) == (HOST, 5432, "/")
    assert query["Action"] == "connect" and query["DBUser"] == "app_user"
    assert query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256" and query["X-Amz-Expires"] == str(TOKEN_LIFETIME) == "900"
    assert query["X-Amz-Date"] == "20260314T150926Z"
    assert query["X-Amz-Credential"] == f"{KEY}/20260314/eu-west-1/rds-db/aws4_request"
    assert query["X-Amz-Security-Token"] == SESSION and len(query["X-Amz-Signature"]) == 64


@pytest.mark.parametrize("change", ["user", "port", "region", "time"])
def test_each_input_changes_the_signature(fixed_profile, monkeypatch, change):
    base = auth_token(AwsSessions(), fixed_profile, "eu-west-1", HOST, 5432, "app_user")
    args = {"region": "eu-west-1", "host": HOST, "port": 5432, "user": "app_user"}
    if change == "time":
        later = WHEN + datetime.timedelta(seconds=1)
        monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: later.replace(tzinfo=None))
    else:
        args[change] = {"user": "reporting", "port": 5433, "region": "eu-central-1"}[change]
    other = auth_token(AwsSessions(), fixed_profile, args["region"], args["host"], args["port"], args["user"])
    signature = dict(p.split("=", 1) for p in other.split("?", 1)[1].split("&"))["X-Amz-Signature"]
    assert signature not in base
    assert other == (presigned_by_botocore(args["host"], args["port"], args["user"], args["region"])
                     if change != "time" else other)


def test_a_missing_profile_or_user_is_a_clear_failure(isolated_home):
    with pytest.raises(TokenFailed) as raised:
        auth_token(AwsSessions(), "nowhere", "eu-west-1", HOST, 5432, "app_user")
    message = raised.value.message
    assert "No RDS IAM token could be made" in message and "'nowhere' does not exist" in message
    with pytest.raises(TokenFailed, match="needs the database user's name"):
        auth_token(AwsSessions(), "nowhere", "eu-west-1", HOST, 5432, "")
