"""Which database a tunnel leads to, and how to sign in to it: the choices a tunnel profile stores."""

from __future__ import annotations

import enum


class DatabaseEngine(enum.StrEnum):
    NONE = ""  # not a database (or not said): no client items in the menu
    POSTGRESQL = "postgresql"
    MYSQL = "mysql"  # MySQL and MariaDB: the same clients, options and sign-in

    @property
    def label(self) -> str:
        return {"": "Not a database", "postgresql": "PostgreSQL", "mysql": "MySQL / MariaDB"}[self.value]

    @property
    def default_port(self) -> int:
        return {"": 0, "postgresql": 5432, "mysql": 3306}[self.value]

    @property
    def user_limit(self) -> int:
        """The longest user name the server accepts (PostgreSQL's identifiers: 63 bytes; MariaDB: 80)."""
        return 63 if self is DatabaseEngine.POSTGRESQL else 80


class SignIn(enum.StrEnum):
    KEYRING = "keyring"  # a password kept in the OS keyring (asked for, and offered to keep, when there is none)
    IAM = "iam"  # an RDS IAM authentication token, made fresh for each sign-in from the profile's AWS credentials
    PROMPT = "prompt"  # the client asks in the terminal; the app never sees the password

    @property
    def label(self) -> str:
        return {"keyring": "Password in the OS keyring", "iam": "RDS IAM authentication token",
                "prompt": "The client asks for the password"}[self.value]


def engine_of(rds_engine: str) -> DatabaseEngine:
    """The engine family of an RDS engine name (DescribeDBInstances/DescribeDBClusters ``Engine``)."""
    name = rds_engine.lower()
    if "postgres" in name:  # postgres, aurora-postgresql
        return DatabaseEngine.POSTGRESQL
    if name in ("mysql", "mariadb", "aurora", "aurora-mysql") or name.startswith(("mysql", "mariadb", "aurora-mysql")):
        return DatabaseEngine.MYSQL
    return DatabaseEngine.NONE  # Oracle, SQL Server, Db2: no client of ours


def engine_for_port(port: int) -> DatabaseEngine:
    """A guess from the remote port alone, as the tray's "Copy connection string" has always made it."""
    if port == 5432:
        return DatabaseEngine.POSTGRESQL
    if port in (3306, 33060):
        return DatabaseEngine.MYSQL
    return DatabaseEngine.NONE
