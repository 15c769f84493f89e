"""AWS's real session-manager-plugin against the fake world (issue #17).

The plugin is found beside the project (``../shared/tools/session-manager-plugin/``) or at
``$SESSION_MANAGER_PLUGIN``. Without it these tests are skipped, except in CI (``CI`` set), where a
missing plugin is a failure: the real peer is what these tests are for.
"""

from __future__ import annotations

import socket

import pytest

from tests.fixtures.fake_aws import TEST_REGION
from tests.fixtures.real_peers import peer_missing
from tests.realplugin.aws_cli import PLUGIN_ENV, AwsCli, find_real_plugin
from vouch_desktop.demo.fake_aws import AGENT_VERSION_TAG, MANAGED_TAG

# SSM agent versions with the behaviours that matter here (see vouch_desktop/demo/ssm_agent/facts.py)
CURRENT_AGENT = "3.3.1142.0"  # multiplexes; smux keep-alive decided by the client's version
KEEPALIVE_AGENT = "3.1.1446.0"  # multiplexes with smux keep-alives both ways (before 3.1.1511.0)
SINGLE_AGENT = "3.0.161.0"  # one connection at a time, dialled at the handshake
OLD_AGENT = "2.3.672.0"  # one connection, and no TerminateSession flag: the plugin calls the API


@pytest.fixture(scope="session")
def real_plugin() -> str:
    path, looked_at = find_real_plugin()
    if path is None:
        peer_missing(f"AWS's session-manager-plugin is not at {looked_at} (set {PLUGIN_ENV} to its path)")
    return path


@pytest.fixture
def aws_cli(real_plugin, aws_env, fake_aws):
    cli = AwsCli(real_plugin, aws_env, TEST_REGION)
    yield cli
    cli.stop_all()


def managed_instance(fake_aws, agent_version: str = "", name: str = "bastion") -> str:
    """An EC2 instance with an SSM agent (of this version) online."""
    tags = [{"Key": MANAGED_TAG, "Value": "online"}, {"Key": "Name", "Value": name}]
    if agent_version:
        tags.append({"Key": AGENT_VERSION_TAG, "Value": agent_version})
    return fake_aws.client("ec2", TEST_REGION).run_instances(
        ImageId="ami-12345678", MinCount=1, MaxCount=1,
        TagSpecifications=[{"ResourceType": "instance", "Tags": tags}])["Instances"][0]["InstanceId"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
