"""The demo inventory: ~20 instances over three regions, RDS databases and an Aurora cluster."""

from __future__ import annotations

from dataclasses import dataclass, field

from vouch_desktop.demo.fake_aws import MANAGED_TAG, FakeAws

REGIONS = ("eu-west-1", "us-east-1", "eu-central-1")
AMI = "ami-0123456789abcdef0"

# (region, Name tag or None for untagged, state, SSM agent: "online" or None)
INSTANCES = [
    ("eu-west-1", "bastion-eu", "running", "online"),
    ("eu-west-1", "web-1", "running", "online"),
    ("eu-west-1", "web-2", "running", "online"),
    ("eu-west-1", "web-3", "stopped", "online"),
    ("eu-west-1", "api-1", "running", "online"),
    ("eu-west-1", "api-2", "running", None),
    ("eu-west-1", None, "running", "online"),
    ("eu-west-1", "batch-nightly", "stopped", None),
    ("us-east-1", "bastion-us", "running", "online"),
    ("us-east-1", "web-us-1", "running", "online"),
    ("us-east-1", "web-us-2", "running", "online"),
    ("us-east-1", "reporting", "running", "online"),
    ("us-east-1", None, "running", None),
    ("us-east-1", "legacy-ftp", "running", None),
    ("us-east-1", "ml-training", "stopped", "online"),
    ("eu-central-1", "bastion-fra", "running", "online"),
    ("eu-central-1", "kafka-1", "running", "online"),
    ("eu-central-1", "kafka-2", "running", "online"),
    ("eu-central-1", None, "stopped", None),
    ("eu-central-1", "grafana", "running", "online"),
]

# (region, identifier, engine, port)
DATABASES = [
    ("eu-west-1", "orders-db", "postgres", 5432),
    ("eu-west-1", "customers-db", "mysql", 3306),
    ("us-east-1", "analytics-db", "postgres", 5432),
]
AURORA = ("eu-central-1", "payments-aurora", "aurora-postgresql", 5432)


@dataclass
class DemoInventory:
    instances: dict[str, tuple[str, str]] = field(default_factory=dict)  # id → (region, name)
    db_endpoints: list[tuple[str, str, int]] = field(default_factory=list)  # (region, host, port)

    def instance_named(self, name: str) -> str:
        return next(i for i, (_, n) in self.instances.items() if n == name)


def seed_demo_world(fake: FakeAws) -> DemoInventory:
    inventory = DemoInventory()
    for region, name, state, agent in INSTANCES:
        tags = [{"Key": "Name", "Value": name}] if name else []
        if agent:
            tags.append({"Key": MANAGED_TAG, "Value": agent})
        ec2 = fake.client("ec2", region)
        spec = {"ResourceType": "instance", "Tags": tags} if tags else None
        reply = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, InstanceType="t3.micro",
                                  **({"TagSpecifications": [spec]} if spec else {}))
        instance_id = reply["Instances"][0]["InstanceId"]
        if state == "stopped":
            ec2.stop_instances(InstanceIds=[instance_id])
        inventory.instances[instance_id] = (region, name or "")
    for region, ident, engine, port in DATABASES:
        rds = fake.client("rds", region)
        db = rds.create_db_instance(DBInstanceIdentifier=ident, Engine=engine, DBInstanceClass="db.t3.micro",
                                    MasterUsername="demo", MasterUserPassword="demo-password-1",
                                    AllocatedStorage=20, Port=port)["DBInstance"]
        inventory.db_endpoints.append((region, db["Endpoint"]["Address"], db["Endpoint"]["Port"]))
    region, ident, engine, port = AURORA
    rds = fake.client("rds", region)
    cluster = rds.create_db_cluster(DBClusterIdentifier=ident, Engine=engine, MasterUsername="demo",
                                    MasterUserPassword="demo-password-1", Port=port)["DBCluster"]
    rds.create_db_instance(DBInstanceIdentifier=f"{ident}-1", DBClusterIdentifier=ident, Engine=engine,
                           DBInstanceClass="db.r6g.large")
    inventory.db_endpoints.append((region, cluster["Endpoint"], port))
    if cluster.get("ReaderEndpoint"):
        inventory.db_endpoints.append((region, cluster["ReaderEndpoint"], port))
    return inventory
