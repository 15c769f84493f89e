"""Discovery against the fake AWS: regions in parallel, paging, odd data, a denied region, RDS, STS."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest

from vouch_desktop.core.aws.access import check_access
from vouch_desktop.core.aws.databases import DatabaseDiscovery, default_port
from vouch_desktop.core.aws.discovery import InstanceDiscovery, join_region, slim
from vouch_desktop.core.aws.errors import ProfileMissing
from vouch_desktop.core.aws.sessions import AwsSessions
from vouch_desktop.core.vouch.errors import VouchNotLoggedIn
from vouch_desktop.demo.seed import INSTANCES, REGIONS, seed_demo_world


def test_demo_inventory_is_discovered_across_regions(aws_env, fake_aws):
    seed_demo_world(fake_aws)
    result = asyncio.run(InstanceDiscovery(AwsSessions()).discover(aws_env, list(REGIONS)))
    assert result.failures == []
    assert len(result.instances) == len(INSTANCES)
    by_name = {i.name: i for i in result.instances}
    assert by_name["web-1"].connectable and by_name["web-1"].reason == ""
    assert by_name["web-3"].reason == "instance is stopped"
    assert "not managed" in by_name["api-2"].reason
    assert [i for i in result.instances if not i.name]  # untagged ones are there, shown by id
    assert all(i.label == i.instance_id for i in result.instances if not i.name)
    connectable_first = [i.connectable for i in result.instances if i.region == "eu-west-1"]
    assert connectable_first == sorted(connectable_first, reverse=True)
    assert result.age_text(result.fetched_at + timedelta(minutes=7)) == "updated 7 min ago"


def test_many_instances_are_paginated(aws_env, fake_aws):
    ec2 = fake_aws.client("ec2", "eu-west-1")
    tags = [{"Key": "vouch-demo:ssm-agent", "Value": "online"}]
    ec2.run_instances(ImageId="ami-12345678", MinCount=120, MaxCount=120,
                      TagSpecifications=[{"ResourceType": "instance", "Tags": tags}])
    result = asyncio.run(InstanceDiscovery(AwsSessions()).discover(aws_env, ["eu-west-1"]))
    assert len(result.instances) == 120 and all(i.connectable for i in result.instances)
    assert fake_aws.calls.count("DescribeInstanceInformation") >= 3  # 50 per page


def test_a_failing_region_does_not_spoil_the_others(aws_env, fake_aws):
    seed_demo_world(fake_aws)
    result = asyncio.run(InstanceDiscovery(AwsSessions()).discover(aws_env, ["eu-west-1", "xx-nowhere-9"]))
    assert {i.region for i in result.instances} == {"eu-west-1"}
    assert [f.region for f in result.failures] == ["xx-nowhere-9"]


@pytest.mark.parametrize("cut_down", [False, True], ids=["whole", "slim"])
def test_odd_data_does_not_crash_the_join(cut_down):
    reservations = [{"Instances": [{"InstanceId": "i-1", "State": {"Name": "terminated"}},
                                   {"InstanceId": "i-2", "BlockDeviceMappings": [{"Ebs": {}}]}, {"Tags": None}]},
                    {}, {"Instances": None}]
    if cut_down:  # as discovery keeps each page: only the fields the join reads
        reservations = [slim(r) for r in reservations]
        assert reservations[0]["Instances"][1] == {"InstanceId": "i-2"}
    on_prem = {"InstanceId": "mi-0123456789abcdef0", "PingStatus": "Online", "ComputerName": "on-prem"}
    odd = join_region("eu-west-1", [on_prem, {"no": "id"}], reservations)
    assert [(i.instance_id, i.name) for i in odd] == [("mi-0123456789abcdef0", "on-prem"), ("i-2", "")]


def test_tag_filter_resolves_at_connect_time(aws_env, fake_aws):
    seed_demo_world(fake_aws)
    matches = asyncio.run(InstanceDiscovery(AwsSessions()).resolve(aws_env, "eu-west-1", "Name=web-*"))
    assert sorted(i.name for i in matches) == ["web-1", "web-2"]  # web-3 is stopped


def test_rds_instances_and_aurora_endpoints(aws_env, fake_aws):
    seed_demo_world(fake_aws)
    endpoints, failures = asyncio.run(DatabaseDiscovery(AwsSessions()).discover(aws_env, list(REGIONS)))
    assert failures == []
    roles = {(e.identifier, e.role) for e in endpoints}
    assert ("orders-db", "instance") in roles and ("payments-aurora", "writer") in roles
    assert ("payments-aurora-1", "instance") not in roles  # reached through its cluster
    assert {e.port for e in endpoints if e.engine == "mysql"} == {3306}
    assert default_port("aurora-mysql") == 3306 and default_port("postgres") == 5432


def test_check_access_through_credential_process_and_the_fake_vouch(vouch_profile, fake_vouch):
    aws = AwsSessions()
    with pytest.raises(VouchNotLoggedIn) as err:
        asyncio.run(check_access(aws, vouch_profile, "eu-west-1"))
    assert "Log in" in err.value.advice
    fake_vouch.log_in(3600)
    aws.forget()
    identity = asyncio.run(check_access(aws, vouch_profile, "eu-west-1"))
    assert identity.account == "123456789012" and identity.arn
    with pytest.raises(ProfileMissing) as err:
        asyncio.run(check_access(aws, "nope", "eu-west-1"))
    assert "vouch setup aws" in err.value.advice


def test_models_are_parsed_once_without_credentials_and_outlive_a_new_login(vouch_profile, fake_vouch, monkeypatch):
    from botocore.loaders import JSONFileLoader

    parsed: list[str] = []
    load_file = JSONFileLoader.load_file
    monkeypatch.setattr(JSONFileLoader, "load_file", lambda self, path: parsed.append(path) or load_file(self, path))
    aws = AwsSessions()
    aws.warm_up(("sts",))  # logged out: making a client would run credential_process and fail
    assert any(path.endswith("/sts/2011-06-15/service-2") for path in parsed)
    fake_vouch.log_in(3600)
    for _ in range(2):  # the second time after a new login, which drops the sessions
        parsed.clear()
        identity = asyncio.run(check_access(aws, vouch_profile, "eu-west-1"))
        assert identity.account == "123456789012"
        assert not [path for path in parsed if "/sts/" in path]  # the model was not parsed again
        aws.forget()


SILENT = "ap-southeast-2"


class OneRegionSilent(AwsSessions):
    """The app's sessions, with one region's endpoint at a socket that accepts and never answers
    (a firewall that blackholes the traffic, a dead proxy)."""

    def __init__(self, endpoint: str) -> None:
        super().__init__()
        self.endpoint = endpoint

    def _create_client(self, session, service, region, config):
        if region == SILENT:
            return session.create_client(service, region_name=region, config=config, endpoint_url=self.endpoint)
        return super()._create_client(session, service, region, config)


def test_a_silent_region_is_reported_within_ten_seconds_and_the_others_at_once(aws_env, fake_aws, reliability):
    import socket

    seed_demo_world(fake_aws)

    async def scenario(blackhole: socket.socket):
        discovery = InstanceDiscovery(OneRegionSilent(f"http://127.0.0.1:{blackhole.getsockname()[1]}"))
        loop = asyncio.get_running_loop()
        started = loop.time()
        reported: dict[str, tuple[float, int, object]] = {}
        result = await discovery.discover(aws_env, [SILENT, *REGIONS], lambda region, instances, failure: reported.
                                          __setitem__(region, (loop.time() - started, len(instances), failure)))
        blackhole.close()  # the abandoned thread's connections are reset: it ends now, not at its time-outs
        return result, reported

    with socket.socket() as blackhole:  # the kernel completes the handshakes; nobody ever reads or answers
        blackhole.bind(("127.0.0.1", 0))
        blackhole.listen(64)
        result, reported = asyncio.run(scenario(blackhole))
    others = [reported[r] for r in REGIONS]
    silent_after, silent_count, failure = reported[SILENT]
    assert all(failure is None and count > 0 for _, count, failure in others)  # each shown when it was done
    assert max(after for after, _, _ in others) < silent_after  # not held up by the silent one
    assert 9.5 <= silent_after <= 12 and silent_count == 0  # reported once silent for 10 s (was 80 s)
    assert failure.message == f"AWS did not answer within 10 s (listing instances in {SILENT})."
    assert "out of reach" in failure.advice
    assert len(result.instances) == len(INSTANCES) and [f.region for f in result.failures] == [SILENT]
    reliability(silent_region_reported_after_s=round(silent_after, 1),
                other_regions_reported_after_s=round(max(after for after, _, _ in others), 2))


def test_a_region_that_keeps_sending_pages_is_not_taken_for_silent(aws_env, fake_aws):
    """The limit is on silence, not on the whole listing: a big region whose pages keep coming is waited for."""
    from vouch_desktop.core.aws.discovery import across_regions

    def slow_pages(region, progress):
        for _ in range(6):
            time.sleep(0.1)
            progress()
        return [region]

    found, failures = asyncio.run(across_regions(aws_env, ["eu-west-1"], slow_pages, "things", silence_limit=0.3))
    assert found == ["eu-west-1"] and failures == []
