"""RDS databases to tunnel to: instances and Aurora clusters (writer and reader endpoints)."""

from __future__ import annotations

from dataclasses import dataclass

from vouch_desktop.core.aws.discovery import Progress, RegionFailure, across_regions, pages
from vouch_desktop.core.aws.sessions import AwsSessions

DEFAULT_PORTS = {
    "postgres": 5432, "aurora-postgresql": 5432,
    "mysql": 3306, "mariadb": 3306, "aurora-mysql": 3306, "aurora": 3306,
    "oracle": 1521, "sqlserver": 1433, "db2": 50000,
}


def default_port(engine: str) -> int:
    for prefix, port in DEFAULT_PORTS.items():
        if engine == prefix or engine.startswith(prefix + "-"):
            return port
    return 5432 if "postgres" in engine else 3306


@dataclass(frozen=True)
class DatabaseEndpoint:
    identifier: str
    region: str
    engine: str
    host: str
    port: int
    role: str  # "instance", "writer" or "reader"

    @property
    def label(self) -> str:
        suffix = "" if self.role == "instance" else f" ({self.role})"
        return f"{self.identifier}{suffix} · {self.engine} · {self.region}"


def endpoints_from(region: str, instances: list[dict], clusters: list[dict]) -> list[DatabaseEndpoint]:
    found: list[DatabaseEndpoint] = []
    for cluster in clusters:
        engine = cluster.get("Engine", "")
        port = int(cluster.get("Port") or default_port(engine))
        ident = cluster.get("DBClusterIdentifier", "")
        if cluster.get("Endpoint"):
            found.append(DatabaseEndpoint(ident, region, engine, cluster["Endpoint"], port, "writer"))
        if cluster.get("ReaderEndpoint"):
            found.append(DatabaseEndpoint(ident, region, engine, cluster["ReaderEndpoint"], port, "reader"))
    for db in instances:
        endpoint = db.get("Endpoint") or {}
        if not endpoint.get("Address") or db.get("DBClusterIdentifier"):
            continue  # still being created, or reached through its cluster's endpoints
        engine = db.get("Engine", "")
        found.append(DatabaseEndpoint(db.get("DBInstanceIdentifier", ""), region, engine, endpoint["Address"],
                                      int(endpoint.get("Port") or default_port(engine)), "instance"))
    return found


class DatabaseDiscovery:
    def __init__(self, aws: AwsSessions) -> None:
        self.aws = aws

    def _region(self, profile: str, region: str, progress: Progress) -> list[DatabaseEndpoint]:
        rds = self.aws.client("rds", profile, region, quick=True)
        instances = pages(rds.get_paginator("describe_db_instances"), "DBInstances", progress)
        clusters = pages(rds.get_paginator("describe_db_clusters"), "DBClusters", progress)
        return endpoints_from(region, instances, clusters)

    async def discover(self, profile: str, regions: list[str]) -> tuple[list[DatabaseEndpoint], list[RegionFailure]]:
        return await across_regions(profile, regions, lambda r, p: self._region(profile, r, p), "databases")
