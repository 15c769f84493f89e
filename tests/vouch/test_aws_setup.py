"""Set up AWS access: fields checked before vouch runs, `vouch setup aws --role … [--region …] --profile …`
against the faithful fake, and the profile read back through botocore."""

from __future__ import annotations

import asyncio

import pytest

from vouch_desktop.core.errors import ValidationErrors
from vouch_desktop.core.vouch.aws_setup import AwsSetupRequest, read_profile, set_up_aws
from vouch_desktop.core.vouch.client import VouchClient
from vouch_desktop.core.vouch.errors import VouchConfigError, VouchProfileExists

ROLE = "arn:aws:iam::123456789012:role/Dev"


def run(fake_vouch, request):
    return asyncio.run(set_up_aws(VouchClient(fake_vouch.path), request))


@pytest.mark.parametrize("request_, fields", [
    (AwsSetupRequest(""), {"role_arn"}),
    (AwsSetupRequest("arn:aws:iam::12345:role/Dev"), {"role_arn"}),
    (AwsSetupRequest("arn:aws:s3:::bucket"), {"role_arn"}),
    (AwsSetupRequest(ROLE, region="europe"), {"region"}),
    (AwsSetupRequest(ROLE, profile="--evil"), {"profile"}),
    (AwsSetupRequest(ROLE, profile="my profile"), {"profile"}),
    (AwsSetupRequest("x", region="nowhere-1", profile=""), {"role_arn", "region", "profile"}),
])
def test_bad_fields_are_named_and_vouch_is_not_run(fake_vouch, isolated_home, request_, fields):
    with pytest.raises(ValidationErrors) as err:
        run(fake_vouch, request_)
    assert set(err.value.by_field()) == fields
    assert not (isolated_home / ".aws" / "config").exists()


def test_writes_the_profile_with_region_only_when_given(fake_vouch, isolated_home):
    result = run(fake_vouch, AwsSetupRequest(f"  {ROLE} ", region="eu-west-1"))
    assert result.profile == "vouch" and result.region == "eu-west-1" and not result.already
    assert "Added profile [vouch]" in result.output
    plain = run(fake_vouch, AwsSetupRequest(ROLE + "Two", profile="dev"))
    assert plain.region == "" and "region" not in read_profile("dev")
    assert f"--role {ROLE}Two" in read_profile("dev")["credential_process"]


def test_the_same_role_again_is_already_done(fake_vouch, isolated_home):
    run(fake_vouch, AwsSetupRequest(ROLE))
    assert run(fake_vouch, AwsSetupRequest(ROLE)).already


def test_an_existing_profile_with_other_settings_is_left_alone(fake_vouch, isolated_home):
    config = isolated_home / ".aws" / "config"
    config.write_text("[profile vouch]\nregion = us-east-1\nsso_session = corp\n")
    with pytest.raises(VouchProfileExists) as err:
        run(fake_vouch, AwsSetupRequest(ROLE))
    assert "Choose another profile name" in err.value.advice
    assert config.read_text() == "[profile vouch]\nregion = us-east-1\nsso_session = corp\n"


def test_a_configuration_error_points_to_the_dialog(fake_vouch, isolated_home):
    fake_vouch.configure(exit_code=6)
    with pytest.raises(VouchConfigError) as err:
        run(fake_vouch, AwsSetupRequest(ROLE))
    assert "Set up AWS access…" in err.value.advice
