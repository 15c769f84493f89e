"""The trimmed AWS models (core/aws/trimmed_models.py): botocore reads them first, they agree with the
installed botocore, and the app calls no operation they leave out."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from botocore import xform_name
from botocore.loaders import create_loader

import vouch_desktop
from vouch_desktop.core.aws.sessions import AwsSessions
from vouch_desktop.core.aws.trimmed_models import MODELS, OPERATIONS, PROJECTIONS, trim

PACKAGE = Path(vouch_desktop.__file__).parent


def botocore_model(service: str) -> dict:
    return create_loader().load_service_model(service, "service-2", api_version=None)


def shipped(service: str) -> dict:
    (path,) = (MODELS / service).glob("*/service-2.json")
    return json.loads(path.read_text())


@pytest.mark.parametrize("service", sorted(OPERATIONS))
def test_the_shipped_model_agrees_with_botocore(service):
    """Every operation, shape and member kept is botocore's, with the same types and targets (botocore may have
    added members since: they are not read); ``scripts/trim-aws-models`` writes the files again."""
    full, ours = botocore_model(service), shipped(service)
    assert ours["metadata"]["apiVersion"] == full["metadata"]["apiVersion"]
    assert sorted(ours["operations"]) == sorted(OPERATIONS[service])
    for name, operation in ours["operations"].items():
        for key in ("input", "output"):
            assert operation.get(key) == full["operations"][name].get(key), (name, key)
    for name, shape in ours["shapes"].items():
        theirs = full["shapes"][name]
        assert shape["type"] == theirs["type"], name
        for key in ("member", "key", "value"):
            assert shape.get(key, {}).get("shape") == theirs.get(key, {}).get("shape"), (name, key)
        for member, target in shape.get("members", {}).items():
            assert target["shape"] == theirs["members"][member]["shape"], (name, member)
        if name not in PROJECTIONS.get(service, {}):
            assert set(shape.get("members", {})) <= set(theirs.get("members", {}))
    assert ours == json.loads(json.dumps(trim(ours, OPERATIONS[service], PROJECTIONS.get(service))))  # stable
    assert "documentation" not in json.dumps(ours)


def test_the_app_reads_the_trimmed_models_first(isolated_home):
    loader = AwsSessions()._loader_locked()
    assert list(loader.load_service_model("ec2", "service-2", api_version=None)["operations"]) == ["DescribeInstances"]
    instance = loader.load_service_model("ec2", "service-2", api_version=None)["shapes"]["Instance"]
    assert sorted(instance["members"]) == sorted(PROJECTIONS["ec2"]["Instance"])
    assert loader.load_service_model("ec2", "paginators-1", api_version=None)["pagination"]  # still botocore's


def test_an_instance_comes_back_with_only_the_fields_the_app_reads(aws_env, fake_aws):
    fake_aws.client("ec2", "eu-west-1").run_instances(
        ImageId="ami-12345678", MinCount=1, MaxCount=1,
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web"}]}])
    ec2 = AwsSessions().client("ec2", aws_env, "eu-west-1")
    (reservation,) = ec2.describe_instances()["Reservations"]
    (instance,) = reservation["Instances"]
    assert set(reservation) == {"Instances"}
    assert set(instance) <= set(PROJECTIONS["ec2"]["Instance"]) and instance["State"]["Name"] == "running"
    assert instance["Tags"] == [{"Key": "Name", "Value": "web"}] and instance["InstanceId"].startswith("i-")


def operations_named_in(path: Path, candidates: dict[str, str]) -> set[str]:
    """The operations (of ``candidates``: snake_case → OperationName) a source file calls or pages through."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr in candidates:
            found.add(candidates[node.attr])
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in candidates:
            found.add(candidates[node.value])  # get_paginator("describe_instances"), can_paginate(...)
    return found


def test_the_app_calls_no_operation_the_trimmed_models_leave_out():
    """A call to an operation left out would fail with AttributeError: add it to OPERATIONS and run
    scripts/trim-aws-models. (The demo's fake AWS uses boto3's own, whole models.)"""
    called: dict[str, set[str]] = {}
    for service in OPERATIONS:
        candidates = {xform_name(name): name for name in botocore_model(service)["operations"]}
        for path in PACKAGE.rglob("*.py"):
            if "demo" not in path.relative_to(PACKAGE).parts:
                called.setdefault(service, set()).update(operations_named_in(path, candidates))
    missing = {service: sorted(names - set(OPERATIONS[service])) for service, names in called.items()}
    assert {service: names for service, names in missing.items() if names} == {}
    assert "DescribeInstances" in called["ec2"] and "StartSession" in called["ssm"]  # the scan sees calls
