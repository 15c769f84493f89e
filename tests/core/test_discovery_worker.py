"""Discovery in its worker process (core/aws/discovery_worker.py), against the fake AWS: the same list as
in the app's own process, region by region; and whatever befalls the worker (it cannot start, speaks
another protocol, is killed mid-list, is stopped dead), the list still comes, no process is left behind,
and the next list gets a new worker. A new login reaches the worker (it reads credentials again)."""

from __future__ import annotations

import asyncio
import os
import signal
import stat
import sys

import pytest

from vouch_desktop.core.aws.discovery import InstanceDiscovery
from vouch_desktop.core.aws.discovery_worker import DiscoveryWorker
from vouch_desktop.core.aws.sessions import AwsSessions
from vouch_desktop.core.system.processes import ProcessRegistry
from vouch_desktop.demo.seed import INSTANCES, REGIONS, seed_demo_world

WORKER = [sys.executable, "-m", "vouch_desktop", "discovery-worker"]
# the same worker, its regions after the first listed 2 s late: a fault at the first region always finds it
# owing the others (at full speed it could have sent every region before the fault took effect)
LATE_AFTER_THE_FIRST = [sys.executable, "-c", f"""
import sys, time
from vouch_desktop.core.aws import discovery
listed = discovery.InstanceDiscovery._region
def late(self, profile, region, *rest):
    if region != {REGIONS[0]!r}:
        time.sleep(2)
    return listed(self, profile, region, *rest)
discovery.InstanceDiscovery._region = late
from vouch_desktop.core.aws.discovery_worker import serve
sys.exit(serve())
"""]


def identity(instances):
    return [(i.region, i.instance_id, i.name, i.state, i.private_ip, i.platform, i.managed, i.ping_status, i.tags)
            for i in instances]


async def listed(discovery: InstanceDiscovery, profile: str, regions: list[str]):
    reported: list[tuple[str, int]] = []
    result = await discovery.discover(profile, regions, lambda r, found, failure: reported.append((r, len(found))))
    return result, reported


def test_the_worker_lists_what_the_app_would_list_itself(aws_env, fake_aws):
    seed_demo_world(fake_aws)

    async def scenario():
        registry = ProcessRegistry()
        worker = DiscoveryWorker(registry, WORKER)
        remote, reported = await listed(InstanceDiscovery(AwsSessions(), worker), aws_env, [*REGIONS, "xx-nowhere-9"])
        assert worker.process is not None and registry.pids() == [worker.process.pid]  # it served the list
        local, _ = await listed(InstanceDiscovery(AwsSessions()), aws_env, [*REGIONS, "xx-nowhere-9"])
        await worker.stop()
        return remote, reported, local, registry

    remote, reported, local, registry = asyncio.run(scenario())
    assert identity(remote.instances) == identity(local.instances) and len(remote.instances) == len(INSTANCES)
    assert sorted(r for r, _ in reported) == sorted([*REGIONS, "xx-nowhere-9"])  # each region once, as it came
    assert [(f.region, f.message, f.advice) for f in remote.failures] == [
        (f.region, f.message, f.advice) for f in local.failures]  # the same words for a region that failed
    assert registry.pids() == []


@pytest.mark.parametrize("how", ["cannot start", "another protocol", "says nothing"])
def test_a_worker_that_does_not_start_leaves_the_list_to_the_app(aws_env, fake_aws, tmp_path, how):
    seed_demo_world(fake_aws)
    fake = tmp_path / "worker"
    if how == "another protocol":  # an older or newer app's worker, left installed under the same name
        fake.write_text("#!/bin/sh\nprintf '\\000\\000\\000\\015{\"hello\": 99}'\nsleep 60\n")
    else:
        fake.write_text("#!/bin/sh\nsleep 60\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    command = [str(tmp_path / "missing")] if how == "cannot start" else [str(fake)]

    async def scenario():
        registry = ProcessRegistry()
        worker = DiscoveryWorker(registry, command, start_limit=2.0)
        result, reported = await listed(InstanceDiscovery(AwsSessions(), worker), aws_env, list(REGIONS))
        return result, reported, registry.pids()

    result, reported, left = asyncio.run(scenario())
    assert len(result.instances) == len(INSTANCES) and result.failures == []
    assert sorted(r for r, _ in reported) == sorted(REGIONS)
    assert left == []  # the one that never said hello was stopped


@pytest.mark.parametrize("fault", ["killed", "stopped dead"])
def test_a_worker_lost_mid_list_is_replaced_and_the_rest_listed_by_the_app(aws_env, fake_aws, fault):
    """After the first region comes, the worker is killed (SIGKILL) or frozen (SIGSTOP: it says nothing more,
    not even that it is alive); the regions it had not reported are listed in the app's process."""
    seed_demo_world(fake_aws)

    async def scenario():
        registry = ProcessRegistry()
        worker = DiscoveryWorker(registry, LATE_AFTER_THE_FIRST, answer_limit=3.0)
        discovery = InstanceDiscovery(AwsSessions(), worker)
        reported: list[str] = []

        def on_region(region, found, failure):
            if not reported:
                os.kill(worker.process.pid, signal.SIGKILL if fault == "killed" else signal.SIGSTOP)
            reported.append(region)

        result = await discovery.discover(aws_env, list(REGIONS), on_region)
        first = worker.process
        again, _ = await listed(discovery, aws_env, list(REGIONS))  # a new worker serves the next list
        second = worker.process
        await worker.stop()
        return result, reported, first, second, registry.pids()

    result, reported, first, second, left = asyncio.run(scenario())
    assert len(result.instances) == len(INSTANCES) and result.failures == []
    assert sorted(reported) == sorted(REGIONS)
    assert first is None and second is not None and left == []


def test_the_worker_is_kept_while_held_and_goes_after_the_last_release(aws_env, fake_aws):
    async def scenario():
        registry = ProcessRegistry()
        worker = DiscoveryWorker(registry, WORKER, linger=0.5)
        worker.warm()  # the submenu opened
        await asyncio.wait_for(worker._start(), 30)
        warmed = worker.process.pid
        worker.hold()  # the window opened in time: the same worker, kept
        await asyncio.sleep(1.0)
        held = worker.process.pid if worker.process is not None else None
        worker.release()  # the window closed
        await asyncio.sleep(1.5)
        gone = worker.process is None and registry.pids() == []
        worker.warm()  # the submenu again, and nobody follows: it goes after the linger
        await asyncio.wait_for(worker._start(), 30)
        await asyncio.sleep(1.5)
        return warmed, held, gone, worker.process, registry.pids()

    warmed, held, gone, process, left = asyncio.run(scenario())
    assert held == warmed and gone and process is None and left == []


def test_a_new_login_reaches_the_worker(isolated_home, fake_aws, tmp_path, monkeypatch):
    """credential_process is run once and its answer cached, in the worker as in the app; after
    ``AwsSessions.forget`` (what a login does) the worker runs it again."""
    calls = tmp_path / "calls"
    program = tmp_path / "credentials"
    program.write_text(f"#!/bin/sh\necho run >> {calls}\n"
                       'echo \'{"Version": 1, "AccessKeyId": "testing", "SecretAccessKey": "testing"}\'\n')
    program.chmod(program.stat().st_mode | stat.S_IEXEC)
    (isolated_home / ".aws" / "config").write_text(f"[profile p]\nregion = eu-west-1\ncredential_process = {program}\n")
    monkeypatch.setenv("AWS_ENDPOINT_URL", fake_aws.endpoint_url)
    seed_demo_world(fake_aws)

    async def scenario():
        registry = ProcessRegistry()
        aws = AwsSessions()
        worker = DiscoveryWorker(registry, WORKER)
        discovery = InstanceDiscovery(aws, worker)
        counts = []
        for forget in (False, False, True):
            if forget:
                aws.forget()
            await listed(discovery, "p", ["eu-west-1"])
            counts.append(len(calls.read_text().splitlines()))
        await worker.stop()
        return counts

    assert asyncio.run(scenario()) == [1, 1, 2]
