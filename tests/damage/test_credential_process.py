"""An AWS profile whose credential_process program is missing, a folder or not executable: advice, not
"Unexpected failure … [Errno 2]". Real botocore starts the real (missing) program."""

from __future__ import annotations

import asyncio

import pytest

from vouch_desktop.core.aws.access import check_access
from vouch_desktop.core.aws.discovery import InstanceDiscovery
from vouch_desktop.core.aws.errors import AwsError
from vouch_desktop.core.aws.sessions import AwsSessions


@pytest.fixture(params=["missing", "folder", "not-executable"])
def broken_program(request, isolated_home, monkeypatch):
    where = isolated_home / "opt" / "vouch"
    if request.param == "folder":
        where.mkdir(parents=True)
    elif request.param == "not-executable":
        where.parent.mkdir(parents=True)
        where.write_text("#!/bin/sh\necho '{}'\n")
        where.chmod(0o644)  # no x bit: refused even to root
    (isolated_home / ".aws" / "config").write_text(
        f'[profile vouch]\nregion = eu-west-1\ncredential_process = "{where}" credential aws --role '
        "arn:aws:iam::123456789012:role/VouchDemo\n")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # never reached: credentials come first
    return request.param, str(where)


def test_check_access_gives_advice(broken_program):
    kind, program = broken_program
    with pytest.raises(AwsError) as err:
        asyncio.run(check_access(AwsSessions(), "vouch", "eu-west-1"))
    error = err.value
    assert "credential_process" in error.message and program in error.message, error.message
    assert ("does not exist" if kind == "missing" else "cannot be run") in error.message
    assert "vouch setup aws" in error.advice and "~/.aws/config" in error.advice
    assert "Unexpected failure" not in error.message and "Errno" not in error.message


def test_discovery_reports_it_per_region_with_the_advice(broken_program):
    _, program = broken_program
    result = asyncio.run(InstanceDiscovery(AwsSessions()).discover("vouch", ["eu-west-1", "us-east-1"]))
    assert result.instances == [] and len(result.failures) == 2
    for failure in result.failures:
        assert program in failure.message and "vouch setup aws" in failure.advice, failure
        assert "Unexpected failure" not in failure.message
