"""The clients' command lines and password files: a MySQL option file read back by the real MariaDB client
as the app wrote it (whatever the password holds), psql's conninfo quoting, the URL without a password."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from tests.fixtures.real_peers import peer_missing
from vouch_desktop.core.databases.clients import (
    MYCLI,
    MYSQL,
    PGCLI,
    PSQL,
    Target,
    clients_for,
    command,
    connection_url,
    option_file,
    pgpass_line,
    secret_text,
)
from vouch_desktop.core.databases.engines import DatabaseEngine
from vouch_desktop.core.databases.errors import DatabaseError


def require_mysql_client() -> str:
    found = shutil.which("mariadb") or shutil.which("mysql")
    if found is None:
        peer_missing("the MySQL/MariaDB client is not installed (apt package mariadb-client-core)")
    return found


PASSWORDS = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=40)


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(password=PASSWORDS)
def test_the_real_mysql_client_reads_the_option_file_back_as_the_password(tmp_path, password):
    client = require_mysql_client()
    path = tmp_path / "signin.cnf"
    path.write_text(option_file(password), encoding="utf-8")
    path.chmod(0o600)
    out = subprocess.run([client, f"--defaults-extra-file={path}", "--print-defaults"], capture_output=True,
                         timeout=20).stdout
    # the options it would start with, each followed by a space, the last one ours; then a new line
    assert out.split(b"--password=", 1)[1] == password.encode() + b" \n"


@hsettings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(password=st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\n\r"), min_size=1,
                        max_size=40))
def test_the_real_psql_signs_in_with_the_password_file_as_written(postgres, tmp_path, password):
    """Whatever the password holds (but a line break, refused with advice), libpq reads our line back."""
    role = "pgpass_check"
    postgres.psql("-c", f"DROP ROLE IF EXISTS {role}")
    postgres.psql("-c", f"CREATE ROLE {role} LOGIN PASSWORD " + "'" + password.replace("'", "''") + "'")
    target = Target(postgres.port, role, "postgres")
    text, suffix = secret_text(PSQL, target, password)
    path = tmp_path / f"signin{suffix}"
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    env = {k: v for k, v in postgres.client_env().items() if k not in ("PGPASSWORD", "PGUSER", "PGDATABASE")}
    result = subprocess.run(command(PSQL, str(postgres.bin_dir / "psql"), target, path).argv
                            + ["-XAtc", "SELECT current_user"], capture_output=True, text=True, timeout=30,
                            env={**env, "PGPASSFILE": str(path)})
    assert (result.returncode, result.stdout) == (0, f"{role}\n"), result.stderr


def test_a_line_break_cannot_go_into_a_password_file():
    with pytest.raises(DatabaseError, match="line break"):
        secret_text(PSQL, Target(5432, "app"), "two\nlines")
    assert secret_text(MYSQL, Target(3306, "app"), "two\nlines")[0] == '[client]\npassword="two\\nlines"\n'


def test_argv_for_each_client_holds_no_password_and_names_the_file():
    secret = Path("/run/user/1000/vouch-desktop/db-sign-in/signin-x.pgpass")
    target = Target(15432, "app", "orders")
    info = "host='127.0.0.1' port='15432' user='app' dbname='orders'"
    assert command(PSQL, "/usr/bin/psql", target, secret).argv == ["/usr/bin/psql", "--no-password", "--dbname", info]
    assert command(PSQL, "psql", target, secret).env_var == "PGPASSFILE"
    assert command(PGCLI, "pgcli", target, secret).argv[-1] == info
    cnf = Path("/run/x/signin-y.cnf")
    mysql = command(MYSQL, "mariadb", Target(13306, "app", "orders", tls=True, cleartext=True), cnf)
    assert mysql.argv == ["mariadb", f"--defaults-extra-file={cnf}", "--host=127.0.0.1", "--port=13306",
                          "--protocol=TCP", "--user=app", "--ssl", "--enable-cleartext-plugin", "--database=orders"]
    assert mysql.env_var == ""
    asks = command(MYSQL, "mariadb", Target(13306, "app"), None).argv
    assert "--password" in asks and not any(a.startswith("--defaults-extra-file") for a in asks)
    assert command(MYCLI, "mycli", target, cnf).argv[:3] == ["mycli", "--defaults-file", str(cnf)]
    assert [t.id for t in clients_for(DatabaseEngine.MYSQL, iam=True)] == ["mysql"]  # mycli has no cleartext plugin
    assert [t.id for t in clients_for(DatabaseEngine.POSTGRESQL)] == ["psql", "pgcli"]


def test_conninfo_and_pgpass_quote_what_they_must():
    weird = Target(5432, "o'neil\\x", "db name:1")
    info = command(PSQL, "psql", weird, None).argv[-1]
    assert info == "host='127.0.0.1' port='5432' user='o\\'neil\\\\x' dbname='db name:1'"
    assert pgpass_line(weird, "a:b\\c") == "127.0.0.1:5432:*:o'neil\\\\x:a\\:b\\\\c\n"


def test_the_url_carries_no_password_and_quotes_names():
    assert connection_url(DatabaseEngine.POSTGRESQL, Target(15432, "app@corp", "orders/eu")) == \
        "postgresql://app%40corp@127.0.0.1:15432/orders%2Feu"
    assert connection_url(DatabaseEngine.MYSQL, Target(13306, "", "", tls=True)) == \
        "mysql://127.0.0.1:13306?ssl-mode=REQUIRED"
