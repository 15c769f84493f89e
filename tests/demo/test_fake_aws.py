"""The fake AWS through real boto3 clients: moto's EC2/RDS and our SSM session additions."""

from __future__ import annotations

import json
import urllib.request

import pytest
from botocore.exceptions import ClientError

from vouch_desktop.demo.fake_aws import MANAGED_TAG
from vouch_desktop.demo.seed import INSTANCES, REGIONS, seed_demo_world


def run(fake, region, count=1, tags=None, stopped=False):
    ec2 = fake.client("ec2", region)
    spec = [{"ResourceType": "instance", "Tags": tags}] if tags else []
    reply = ec2.run_instances(ImageId="ami-12345678", MinCount=count, MaxCount=count,
                              **({"TagSpecifications": spec} if spec else {}))
    ids = [i["InstanceId"] for i in reply["Instances"]]
    if stopped:
        ec2.stop_instances(InstanceIds=ids)
    return ids


MANAGED = [{"Key": MANAGED_TAG, "Value": "online"}]


def test_describe_instance_information_pages_and_filters(fake_aws):
    ids = run(fake_aws, "eu-west-1", 12, MANAGED)
    run(fake_aws, "eu-west-1", 2)  # not managed
    ssm = fake_aws.client("ssm", "eu-west-1")
    pages = list(ssm.get_paginator("describe_instance_information").paginate(PaginationConfig={"PageSize": 5}))
    assert [len(p["InstanceInformationList"]) for p in pages] == [5, 5, 2]
    seen = [i["InstanceId"] for p in pages for i in p["InstanceInformationList"]]
    assert sorted(seen) == sorted(ids)
    one = ssm.describe_instance_information(Filters=[{"Key": "InstanceIds", "Values": [ids[0]]}])
    assert [i["InstanceId"] for i in one["InstanceInformationList"]] == [ids[0]]
    assert one["InstanceInformationList"][0]["PingStatus"] == "Online"


def test_regions_are_separate_and_stopped_agents_lose_connection(fake_aws):
    eu = run(fake_aws, "eu-west-1", 1, MANAGED)
    us = run(fake_aws, "us-east-1", 1, MANAGED, stopped=True)
    eu_info = fake_aws.client("ssm", "eu-west-1").describe_instance_information()["InstanceInformationList"]
    us_info = fake_aws.client("ssm", "us-east-1").describe_instance_information()["InstanceInformationList"]
    assert [i["InstanceId"] for i in eu_info] == eu
    assert [(i["InstanceId"], i["PingStatus"]) for i in us_info] == [(us[0], "ConnectionLost")]


def test_start_session_errors_are_real_client_errors(fake_aws):
    online = run(fake_aws, "eu-west-1", 1, MANAGED)[0]
    unmanaged = run(fake_aws, "eu-west-1", 1)[0]
    stopped = run(fake_aws, "eu-west-1", 1, MANAGED, stopped=True)[0]
    ssm = fake_aws.client("ssm", "eu-west-1")
    for target in (unmanaged, stopped, "i-0000000000000000"):
        with pytest.raises(ClientError) as err:
            ssm.start_session(Target=target)
        assert err.value.response["Error"]["Code"] == "TargetNotConnected"
    with pytest.raises(ClientError) as err:
        ssm.start_session(Target=online, DocumentName="No-Such-Document")
    assert err.value.response["Error"]["Code"] == "InvalidDocument"
    fake_aws.deny_start_session(online)
    with pytest.raises(ClientError) as err:
        ssm.start_session(Target=online)
    assert err.value.response["Error"]["Code"] == "AccessDeniedException"


def test_session_life_cycle_and_control_endpoint(fake_aws):
    target = run(fake_aws, "eu-west-1", 1, MANAGED + [{"Key": "Name", "Value": "bastion"}])[0]
    fake_aws.add_route("db.example.internal", 5432, ("127.0.0.1", 6543))
    ssm = fake_aws.client("ssm", "eu-west-1")
    started = ssm.start_session(Target=target, DocumentName="AWS-StartPortForwardingSessionToRemoteHost",
                                Parameters={"host": ["db.example.internal"], "portNumber": ["5432"],
                                            "localPortNumber": ["15432"]})
    assert started["StreamUrl"] == fake_aws.agent.url_for(started["SessionId"])
    assert len(started["TokenValue"]) > 20
    with urllib.request.urlopen(f"{fake_aws.endpoint_url}/_vouch_demo/sessions/{started['SessionId']}") as reply:
        info = json.loads(reply.read())
    assert info["route"] == ["127.0.0.1", 6543]
    assert info["instance_name"] == "bastion"
    assert "token" not in info  # the control endpoint never hands out the token
    active = ssm.describe_sessions(State="Active")["Sessions"]
    assert [s["SessionId"] for s in active] == [started["SessionId"]]
    resumed = ssm.resume_session(SessionId=started["SessionId"])
    assert resumed["TokenValue"] != started["TokenValue"]
    ssm.terminate_session(SessionId=started["SessionId"])
    assert ssm.describe_sessions(State="Active")["Sessions"] == []
    assert [s["SessionId"] for s in ssm.describe_sessions(State="History")["Sessions"]] == [started["SessionId"]]
    with pytest.raises(ClientError):
        ssm.resume_session(SessionId=started["SessionId"])


def test_seeded_demo_world_has_the_promised_variety(fake_aws):
    inventory = seed_demo_world(fake_aws)
    assert len(inventory.instances) == len(INSTANCES) >= 20
    assert {region for region, _ in inventory.instances.values()} == set(REGIONS)
    assert any(name == "" for _, name in inventory.instances.values())  # untagged ones
    managed = sum(len(fake_aws.client("ssm", r).describe_instance_information()["InstanceInformationList"])
                  for r in REGIONS)
    assert 0 < managed < len(INSTANCES)
    clusters = fake_aws.client("rds", "eu-central-1").describe_db_clusters()["DBClusters"]
    assert clusters[0]["Engine"] == "aurora-postgresql" and clusters[0]["Endpoint"]
    assert len(inventory.db_endpoints) >= 4
