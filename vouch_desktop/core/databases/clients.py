"""The database clients the app opens (psql and pgcli; mysql/mariadb and mycli), as argument lists, with
the file each reads its password from.

- psql, pgcli (libpq): ``PGPASSFILE`` names a file of ``host:port:database:user:password`` lines (``:``
  and ``\\`` escaped with ``\\``); libpq ignores one that others may read. The connection is given as
  one conninfo string (values quoted the libpq way), which is also how ``sslmode=require`` travels for
  an IAM token (RDS takes tokens over TLS only).
- mysql (MySQL's or MariaDB's), mycli: ``--defaults-extra-file=FILE`` (the first option) with
  ``[client] password="…"``, escaped as MySQL's option-file reader unescapes (``\\\\``, ``\\"``,
  ``\\n``…). An IAM token also needs TLS and the cleartext plugin, spelled differently by MariaDB's
  client (``--ssl``) and MySQL's (``--ssl-mode=REQUIRED``).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from vouch_desktop.core.databases.engines import DatabaseEngine
from vouch_desktop.core.databases.errors import DatabaseError

LOCAL_HOST = "127.0.0.1"  # the tunnel's listener (not "localhost": that may try ::1 first, or a Unix socket)


class NoClient(DatabaseError):
    """The database client is not installed."""


@dataclass(frozen=True)
class ClientTool:
    id: str
    name: str
    engine: DatabaseEngine
    executables: tuple[str, ...]  # the first one found on PATH is used
    package_hint: str

    def find(self) -> str | None:
        return next((found for name in self.executables if (found := shutil.which(name))), None)


PSQL = ClientTool("psql", "psql", DatabaseEngine.POSTGRESQL, ("psql",), "postgresql-client")
PGCLI = ClientTool("pgcli", "pgcli", DatabaseEngine.POSTGRESQL, ("pgcli",), "pgcli")
MYSQL = ClientTool("mysql", "mysql", DatabaseEngine.MYSQL, ("mysql", "mariadb"), "mariadb-client or mysql-client")
MYCLI = ClientTool("mycli", "mycli", DatabaseEngine.MYSQL, ("mycli",), "mycli")
CLIENTS = (PSQL, PGCLI, MYSQL, MYCLI)


def clients_for(engine: DatabaseEngine, *, iam: bool = False) -> list[ClientTool]:
    """The engine's clients, the standard one first. With an IAM token, not mycli: it has no option for
    the cleartext plugin the token needs."""
    return [tool for tool in CLIENTS if tool.engine is engine and not (iam and tool is MYCLI)]


def client_named(tool_id: str) -> ClientTool:
    return next(tool for tool in CLIENTS if tool.id == tool_id)


@dataclass(frozen=True)
class Target:
    """Where the client connects (the tunnel's local end) and as whom."""

    port: int
    user: str = ""
    database: str = ""
    tls: bool = False  # an IAM token: RDS accepts it over TLS only
    cleartext: bool = False  # an IAM token on MySQL: sent with the cleartext plugin (inside TLS)
    host: str = LOCAL_HOST


@dataclass(frozen=True)
class ClientCommand:
    argv: list[str]
    env_var: str  # names the secret file to the client ("" when its path is in argv)


# ---- PostgreSQL (libpq)
def pgpass_field(value: str) -> str:
    return value.replace("\\", "\\\\").replace(":", "\\:")


def pgpass_line(target: Target, password: str) -> str:
    """One line for ``target`` on the tunnel's address; any database (``\\c other`` reconnects with it)."""
    fields = [target.host, str(target.port), "*", target.user or "*"]
    return ":".join(pgpass_field(f) if f != "*" else f for f in fields) + ":" + pgpass_field(password) + "\n"


def conninfo_value(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def conninfo(target: Target) -> str:
    parts = {"host": target.host, "port": str(target.port), "user": target.user, "dbname": target.database,
             "sslmode": "require" if target.tls else ""}
    return " ".join(f"{key}={conninfo_value(value)}" for key, value in parts.items() if value)


# ---- MySQL / MariaDB
def option_value(value: str) -> str:
    escaped = (value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
               .replace("\t", "\\t").replace("\b", "\\b"))
    return f'"{escaped}"'


def option_file(password: str) -> str:
    return f"[client]\npassword={option_value(password)}\n"


def is_mariadb_client(executable: str) -> bool:
    """MariaDB's client spells TLS ``--ssl``; MySQL 8's has only ``--ssl-mode`` (and MariaDB's lacks it)."""
    if Path(executable).name.startswith("mariadb"):
        return True
    try:
        version = subprocess.run([executable, "--version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return "mariadb" in version.lower()


def command(tool: ClientTool, executable: str, target: Target, secret: Path | None) -> ClientCommand:
    """The client's argv; ``secret`` is the password file (None: the client asks for the password)."""
    if tool.engine is DatabaseEngine.POSTGRESQL:
        if tool is PGCLI:
            argv = [executable, *(["--no-password"] if secret else []), conninfo(target)]
        else:
            argv = [executable, *(["--no-password"] if secret else []), "--dbname", conninfo(target)]
        return ClientCommand(argv, "PGPASSFILE" if secret else "")
    if tool is MYCLI:
        argv = [executable, *(["--defaults-file", str(secret)] if secret else ["--password"]),
                "--host", target.host, "--port", str(target.port)]
        argv += ["--user", target.user] if target.user else []
        argv += ["--database", target.database] if target.database else []
        return ClientCommand(argv, "")
    argv = [executable, *([f"--defaults-extra-file={secret}"] if secret else []), f"--host={target.host}",
            f"--port={target.port}", "--protocol=TCP"]
    argv += [f"--user={target.user}"] if target.user else []
    argv += [] if secret else ["--password"]  # no value: the client asks
    if target.tls:
        argv += ["--ssl"] if is_mariadb_client(executable) else ["--ssl-mode=REQUIRED"]
    if target.cleartext:
        argv += ["--enable-cleartext-plugin"]  # MariaDB's client accepts it for compatibility
    argv += [f"--database={target.database}"] if target.database else []
    return ClientCommand(argv, "")


def secret_text(tool: ClientTool, target: Target, password: str) -> tuple[str, str]:
    """The file's content and name suffix."""
    if tool.engine is DatabaseEngine.POSTGRESQL:
        if "\n" in password or "\r" in password:  # libpq reads its password file line by line
            raise DatabaseError("This password holds a line break, which a PostgreSQL password file cannot carry.",
                                advice="Choose \"The client asks for the password\" in the tunnel's profile, and "
                                       "paste it at psql's prompt.")
        return pgpass_line(target, password), ".pgpass"
    return option_file(password), ".cnf"


def connection_url(engine: DatabaseEngine, target: Target) -> str:
    """A URL for other tools (DBeaver, an app's DATABASE_URL), without the password."""
    scheme = "postgresql" if engine is DatabaseEngine.POSTGRESQL else "mysql"
    user = quote(target.user, safe="") + "@" if target.user else ""
    path = "/" + quote(target.database, safe="") if target.database else ""
    query = ""
    if target.tls:
        query = "?sslmode=require" if engine is DatabaseEngine.POSTGRESQL else "?ssl-mode=REQUIRED"
    return f"{scheme}://{user}{target.host}:{target.port}{path}{query}"
