"""The part of AWS's service models the app uses, read by botocore before its own.

botocore describes every operation of a service in one model (EC2: 830 operations, 4,421 shapes, 15 MB
once parsed; SSM, RDS: 11 MB more), and parses every field of every answer: an EC2 instance has ~60, with
nested devices, interfaces and dates, so listing 5,000 instances cost 3.8 s of CPU. The app calls a handful
of operations and reads a handful of an instance's fields. The models in ``service_models/`` hold only
those operations, the shapes they reach and, where the app reads few fields of a large answer
(``PROJECTIONS``), only those fields: botocore skips the rest of the XML without walking it (listing costs
~5× less CPU) and the four models take < 1 MB. botocore reads them first because their folder is first on
its loader's search path (``extend``), as it reads ~/.aws/models: everything else (endpoint rules,
paginators) still comes from botocore.

The files are made from the installed botocore by ``scripts/trim-aws-models``; tests/core/test_trimmed_models.py
checks that they still agree with it, and that the app calls no operation left out (``OPERATIONS``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

MODELS = Path(__file__).with_name("service_models")
OPERATIONS: dict[str, tuple[str, ...]] = {
    "ec2": ("DescribeInstances",),
    "ssm": ("DescribeInstanceInformation", "StartSession", "ResumeSession", "TerminateSession", "DescribeSessions"),
    "rds": ("DescribeDBInstances", "DescribeDBClusters"),
    "sts": ("GetCallerIdentity",),
}
# structure → the members kept (the fields core/aws/discovery.py and core/connect/diagnostics.py read)
PROJECTIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "ec2": {"Reservation": ("Instances",),
            "Instance": ("InstanceId", "State", "PrivateIpAddress", "PlatformDetails", "Platform", "Tags")},
    "ssm": {"InstanceInformation": ("InstanceId", "PingStatus", "AgentVersion", "IPAddress", "PlatformName",
                                    "ComputerName")},
}


def extend(loader: Any) -> Any:
    """Put the trimmed models first on a botocore loader's search path."""
    if str(MODELS) not in loader.search_paths:
        loader.search_paths.insert(0, str(MODELS))
    return loader


def trim(model: dict[str, Any], operations: tuple[str, ...],
         projections: dict[str, tuple[str, ...]] | None = None) -> dict[str, Any]:
    """A service model with only ``operations``, the shapes they reach (through the members kept) and no
    documentation; ``projections`` names the members kept of some structures."""
    projections = projections or {}
    shapes = model["shapes"]
    kept: dict[str, Any] = {}

    def reach(name: str) -> None:
        if name in kept:
            return
        shape = dict(shapes[name])
        if name in projections:
            shape["members"] = {k: v for k, v in shape["members"].items() if k in projections[name]}
        kept[name] = shape
        for key in ("member", "key", "value"):
            if key in shape:
                reach(shape[key]["shape"])
        for member in shape.get("members", {}).values():
            reach(member["shape"])

    chosen = {}
    for name in operations:
        operation = model["operations"][name]
        chosen[name] = operation
        for key in ("input", "output"):
            if key in operation:
                reach(operation[key]["shape"])
        for error in operation.get("errors", []):
            reach(error["shape"])
    trimmed = {key: value for key, value in model.items() if key not in ("operations", "shapes", "documentation")}
    trimmed["operations"] = chosen
    trimmed["shapes"] = {name: kept[name] for name in sorted(kept)}
    return _without_documentation(trimmed)


DOCUMENTATION = ("documentation", "documentationUrl")


def _without_documentation(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_documentation(v) for k, v in value.items() if k not in DOCUMENTATION}
    if isinstance(value, list):
        return [_without_documentation(v) for v in value]
    return value
