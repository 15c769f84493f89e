"""The fake session-manager-plugin: the real argv, real bytes forwarded, exits with its session."""

from __future__ import annotations

import os
import socket
import subprocess
import time

import pytest

from vouch_desktop.core.aws.ssm_commands import SessionRequest, plugin_argv
from vouch_desktop.demo.fake_aws import MANAGED_TAG


def managed_instance(fake_aws, region="eu-west-1", name="bastion"):
    ec2 = fake_aws.client("ec2", region)
    tags = [{"Key": MANAGED_TAG, "Value": "online"}, {"Key": "Name", "Value": name}]
    launched = ec2.run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1,
                                 TagSpecifications=[{"ResourceType": "instance", "Tags": tags}])
    return launched["Instances"][0]["InstanceId"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_until(stream, text, timeout=10):
    deadline = time.monotonic() + timeout
    seen = ""
    while text not in seen:
        if time.monotonic() > deadline:
            raise AssertionError(f"{text!r} not seen; got {seen!r}")
        line = stream.readline()
        if not line:
            raise AssertionError(f"stream closed before {text!r}; got {seen!r}")
        seen += line
    return seen


def start(fake_aws, request, plugin, use_env):
    ssm = fake_aws.client("ssm", request.region)
    response = ssm.start_session(Target=request.target, DocumentName=request.document, Parameters=request.parameters)
    argv, env = plugin_argv(plugin, {k: response[k] for k in ("SessionId", "TokenValue", "StreamUrl")},
                            request, fake_aws.endpoint_url, use_env=use_env)
    proc = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    return response, proc, argv


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
    proc.communicate(timeout=10)


def test_without_arguments_and_version(demo_plugin_path):
    out = subprocess.run([demo_plugin_path], capture_output=True, text=True, timeout=10).stdout
    assert "The Session Manager plugin was installed successfully" in out
    assert subprocess.run([demo_plugin_path, "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
    bad = subprocess.run([demo_plugin_path, "x", "y"], capture_output=True, text=True, timeout=10)
    assert bad.returncode == 1 and "Invalid arguments" in bad.stderr


@pytest.mark.parametrize("use_env", [True, False])
def test_port_forwarding_carries_real_bytes(fake_aws, echo_server, demo_plugin_path, use_env):
    target = managed_instance(fake_aws)
    fake_aws.add_route("orders.db.internal", 5432, echo_server.address)
    local = free_port()
    request = SessionRequest(target, "eu-west-1", "test", "AWS-StartPortForwardingSessionToRemoteHost",
                             {"host": ["orders.db.internal"], "portNumber": ["5432"], "localPortNumber": [str(local)]})
    response, proc, argv = start(fake_aws, request, demo_plugin_path, use_env)
    try:
        assert (response["TokenValue"] in " ".join(argv)) is (not use_env)
        read_until(proc.stdout, "Waiting for connections...")
        for size in (1, 1000, 300_000):
            payload = os.urandom(size)
            with socket.create_connection(("127.0.0.1", local), timeout=5) as conn:
                conn.sendall(payload)
                got = b""
                while len(got) < size:
                    chunk = conn.recv(65536)
                    assert chunk, "connection closed early"
                    got += chunk
            assert got == payload
    finally:
        stop(proc)


def test_plugin_exits_when_the_session_is_dropped(fake_aws, echo_server, demo_plugin_path):
    target = managed_instance(fake_aws)
    request = SessionRequest(target, "eu-west-1", "test", "AWS-StartPortForwardingSession",
                             {"portNumber": ["80"], "localPortNumber": ["0"]})
    response, proc, _ = start(fake_aws, request, demo_plugin_path, True)
    out = read_until(proc.stdout, "Waiting for connections...")
    assert f"Starting session with SessionId: {response['SessionId']}" in out
    fake_aws.drop_session(response["SessionId"])
    assert proc.wait(timeout=10) == 1
    assert "session terminated" in proc.stderr.read()
    proc.stdout.close(), proc.stderr.close(), proc.stdin.close()


def test_shell_session_answers_commands(fake_aws, demo_plugin_path):
    target = managed_instance(fake_aws, name="web-1")
    request = SessionRequest(target, "eu-west-1", "test")
    response, proc, _ = start(fake_aws, request, demo_plugin_path, True)
    out, _ = proc.communicate("hostname\nwhoami\necho hello there\nrm -rf /\nexit\n", timeout=10)
    assert "Starting session with SessionId" in out
    assert "web-1\n" in out and "ssm-user\n" in out and "hello there\n" in out
    assert "sh: rm: command not found" in out
    assert f"Exiting session with sessionId: {response['SessionId']}." in out
    assert proc.returncode == 0
