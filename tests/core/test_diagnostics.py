"""Diagnostics: each failure produced for real (no plugin on PATH, fake SSM errors, not logged in)."""

from __future__ import annotations

import asyncio
import os
import sys

from vouch_desktop.core.aws.sessions import AwsSessions
from vouch_desktop.core.aws.ssm_commands import ToolPaths, find_tools
from vouch_desktop.core.connect.diagnostics import Diagnostics
from vouch_desktop.core.connect.ssh_config import SshConfigEditor
from vouch_desktop.core.vouch.client import VouchClient
from vouch_desktop.demo.seed import seed_demo_world


def diagnostics(fake_vouch, profile, tools, home):
    return Diagnostics(VouchClient(fake_vouch.path), AwsSessions(), lambda: tools, profile, "eu-west-1",
                       SshConfigEditor(home / ".ssh" / "config"))


def by_name(results):
    return {r.name: r for r in results}


def test_everything_fine_in_the_demo_world(vouch_profile, fake_vouch, fake_aws, isolated_home, demo_plugin_path):
    inventory = seed_demo_world(fake_aws)
    fake_vouch.log_in(3600)
    diag = diagnostics(fake_vouch, vouch_profile, ToolPaths(aws=None, plugin=demo_plugin_path), isolated_home)
    results = by_name(asyncio.run(diag.run_all(inventory.instance_named("web-1"))))
    for name in ("Vouch login", "AWS profile", "AWS access", "Session Manager plugin"):
        assert results[name].ok, results[name]
    assert results["Session Manager plugin"].message.startswith("Version 1.2.650.0")
    assert not results["AWS CLI"].ok and not results["AWS CLI"].blocking
    assert [r for r in results.values() if r.name.startswith("Instance")][0].ok


def test_each_failure_has_its_message(vouch_profile, fake_vouch, fake_aws, isolated_home, monkeypatch):
    inventory = seed_demo_world(fake_aws)
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable))  # python for the fake vouch, no plugin, no aws
    diag = diagnostics(fake_vouch, vouch_profile, find_tools(), isolated_home)
    results = by_name(asyncio.run(diag.run_all()))
    assert results["Vouch login"].message == "You are not logged in to Vouch."
    assert results["AWS access"].message.startswith("You are not logged in to Vouch")
    assert results["Session Manager plugin"].message == "SessionManagerPlugin is not found."
    assert not results["SSH over SSM"].ok
    fake_vouch.log_in(3600)
    stopped = asyncio.run(diag.target(inventory.instance_named("web-3")))
    assert stopped.message.endswith("is stopped.")
    unmanaged = asyncio.run(diag.target(inventory.instance_named("api-2")))
    assert "TargetNotConnected" in unmanaged.message and "amazon-ssm-agent" not in unmanaged.advice
    assert "AmazonSSMManagedInstanceCore" in unmanaged.advice
    blockers = asyncio.run(diag.before_connect(inventory.instance_named("web-1"), "eu-west-1"))
    assert [b.message for b in blockers] == ["SessionManagerPlugin is not found."]  # logged in, target fine
    missing_profile = diagnostics(fake_vouch, "nope", find_tools(), isolated_home)
    assert "vouch setup aws" in asyncio.run(missing_profile.aws_profile()).advice
