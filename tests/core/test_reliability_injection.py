"""Injection through what a profile carries (saved by hand or imported from a teammate's TOML file):
AWS profile names, instance ids, regions, remote hosts, document parameters. Validation refuses
anything that could pass for an option or break a line; what it accepts reaches every command line
we build (the AWS CLI's, our own `ssm-session` helper's, the plugin's) as exactly one argument each,
and a real process started the app's way receives exactly that list: no shell in between."""

from __future__ import annotations

import asyncio
import json
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from vouch_desktop.core.aws.ssm_commands import SessionRequest, ToolPaths, aws_cli_argv, plugin_argv, session_command
from vouch_desktop.core.errors import ValidationError
from vouch_desktop.core.storage.profiles import REMOTE_HOST_DOCUMENT, TunnelProfile
from vouch_desktop.core.storage.validation import (
    INSTANCE_ID_RE,
    check_aws_profile,
    check_host,
    check_region,
    check_target,
    is_tag_filter,
)
from vouch_desktop.core.system.processes import ProcessRegistry, run

NASTY = ["$(rm -rf ~)", "`id`", "; ls", "a b", "--profile", "-e", "--endpoint-url=https://evil.example", "'\"",
         "\\", "&&", "|", "x\n", "\n--debug", "%h", "{command}", "fe80::1%\n-x", "fe80::1%eth0 -x", "\x00", "-"]
HOSTILE = st.one_of(
    st.text(max_size=40),
    st.sampled_from(NASTY),
    st.builds(lambda good, bad: good + bad,
              st.sampled_from(["vouch", "i-0123456789abcdef0", "eu-west-1", "db.example.com", "10.0.0.1",
                               "fe80::1%eth0"]),
              st.sampled_from(["\n", " ", "\t", "; id", "\x00", "\r\n-x", " --debug"])),
)
CHECKS = {"aws_profile": check_aws_profile, "target": check_target, "region": check_region, "remote_host": check_host}


def one_word(value: str) -> bool:
    """Cannot be read as an option, and is one line and one word."""
    return bool(value) and not value.startswith("-") and value.isprintable() and not any(c.isspace() for c in value)


def test_validation_refuses_what_could_pass_for_an_option_or_break_a_line(reliability):
    seen = {"examples": 0, "accepted": 0, "refused": 0}

    @settings(max_examples=500, deadline=None)
    @given(value=HOSTILE)
    def check(value):
        seen["examples"] += 1
        for field, checker in CHECKS.items():
            try:
                checker(field, value)
            except ValidationError as exc:
                seen["refused"] += 1
                assert exc.field == field and exc.message
                continue
            seen["accepted"] += 1
            # a tag filter is resolved to an instance id before any command line is built
            assert one_word(value) or (field == "target" and is_tag_filter(value)), (field, value)

    check()
    # shell characters may stay (no shell ever reads these values): what looks like an option may not
    profile = TunnelProfile("orders", "i-0123456789abcdef0", 5432, "eu-west-1", "db.example.com",
                            aws_profile="--endpoint-url=https://evil.example")
    assert [e.field for e in profile.validate()] == ["aws_profile"]  # an imported profile is checked too
    reliability(examples=seen["examples"], values_checked=seen["accepted"] + seen["refused"],
                accepted=seen["accepted"], refused=seen["refused"], option_like_or_multiline_accepted=0)


def _accepted(checker, value: str) -> bool:
    try:
        checker("x", value)
    except ValidationError:
        return False
    return True


# what validation lets through, with the parameter values free (they travel inside JSON)
ACCEPTED = st.fixed_dictionaries({
    "profile": st.text(min_size=1, max_size=30).filter(lambda name: _accepted(check_aws_profile, name)),
    "target": st.from_regex(INSTANCE_ID_RE, fullmatch=True),
    "region": st.sampled_from(["eu-west-1", "us-east-1", "ap-southeast-2", "us-gov-west-1"]),
    "host": st.one_of(st.sampled_from(["db.example.com", "10.0.0.1", "fe80::1%eth0"]),
                      st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?(\.[a-z0-9]{1,10}){0,3}", fullmatch=True)),
    "free": HOSTILE,
})


def request(values: dict) -> SessionRequest:
    return SessionRequest(values["target"], values["region"], values["profile"], REMOTE_HOST_DOCUMENT,
                          {"host": [values["host"]], "portNumber": ["5432"], "localPortNumber": ["0"],
                           "comment": [values["free"]]})


def test_accepted_values_are_one_argument_each_on_every_command_line(reliability):
    examples = 0

    @settings(max_examples=500, deadline=None)
    @given(values=ACCEPTED)
    def check(values):
        nonlocal examples
        examples += 1
        assert all(_accepted(CHECKS[f], values[k]) for f, k in
                   (("aws_profile", "profile"), ("target", "target"), ("region", "region"), ("remote_host", "host")))
        req = request(values)
        parameters = json.dumps(req.parameters, separators=(",", ":"))
        assert aws_cli_argv(req) == ["aws", "ssm", "start-session", "--target", req.target, "--region", req.region,
                                     "--profile", req.profile, "--document-name", req.document,
                                     "--parameters", parameters]
        assert session_command(req, ToolPaths(aws=None, plugin=None))[3:] == [
            "ssm-session", "--target", req.target, "--region", req.region, "--profile", req.profile,
            "--document-name", req.document, "--parameters", parameters]
        response = {"SessionId": "s-1", "TokenValue": "token", "StreamUrl": "wss://x"}
        argv, env = plugin_argv("session-manager-plugin", response, req, "https://ssm.eu-west-1.amazonaws.com")
        assert argv[:5] == ["session-manager-plugin", "AWS_SSM_START_SESSION_RESPONSE", req.region, "StartSession",
                            req.profile] and len(argv) == 7
        assert json.loads(argv[5]) == req.api_arguments() and json.loads(parameters) == req.parameters
        assert all("\x00" not in a for a in argv)  # a NUL in a value is escaped inside the JSON

    check()
    reliability(examples=examples, command_lines_per_example=3, extra_arguments=0)


PROBE = "import json, sys; print(json.dumps(sys.argv[1:]))"


def test_a_real_process_receives_exactly_the_argument_list(reliability):
    """The app's own spawner (core.system.processes.run) against a program that prints the argv it got."""
    examples = 0

    @settings(max_examples=40, deadline=None)
    @given(values=ACCEPTED)
    def check(values):
        nonlocal examples
        examples += 1
        argv = aws_cli_argv(request(values))[1:]
        result = asyncio.run(run([sys.executable, "-c", PROBE, *argv], timeout=30, registry=ProcessRegistry()))
        assert result.returncode == 0 and json.loads(result.stdout) == argv

    check()
    reliability(processes_started=examples, arguments_changed=0)
