"""Tunnel profiles that lead to a database (issue 22): the fields, their checks, the format 1 → 2 migration,
and exports that carry the user, database and method but never a password."""

from __future__ import annotations

import json
import tomllib

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from vouch_desktop.core.databases.engines import DatabaseEngine, SignIn, engine_of
from vouch_desktop.core.errors import ValidationErrors
from vouch_desktop.core.storage.profile_io import apply_import, export_profiles, plan_import
from vouch_desktop.core.storage.profiles import SCHEMA_VERSION, ProfileBook, TunnelProfile, migrate_v1_to_v2
from vouch_desktop.core.system.paths import AppPaths

BASTION = "i-0123456789abcdef0"
HOST = "orders.cluster-abc.eu-west-1.rds.amazonaws.com"


@pytest.fixture
def paths(tmp_path):
    return AppPaths.under(tmp_path).ensure()


def db_tunnel(name="orders", **fields) -> TunnelProfile:
    values = {"engine": "postgresql", "db_user": "app", "db_name": "orders", "sign_in": "keyring", **fields}
    return TunnelProfile(name, BASTION, 5432, "eu-west-1", remote_host=HOST, **values)


def test_rds_engine_names_map_to_the_client_family():
    assert {name: engine_of(name) for name in ("postgres", "aurora-postgresql", "mysql", "mariadb", "aurora-mysql",
                                               "aurora", "oracle-ee", "sqlserver-se")} == {
        "postgres": DatabaseEngine.POSTGRESQL, "aurora-postgresql": DatabaseEngine.POSTGRESQL,
        "mysql": DatabaseEngine.MYSQL, "mariadb": DatabaseEngine.MYSQL, "aurora-mysql": DatabaseEngine.MYSQL,
        "aurora": DatabaseEngine.MYSQL, "oracle-ee": DatabaseEngine.NONE, "sqlserver-se": DatabaseEngine.NONE}


def test_text_from_a_file_becomes_the_choice_and_bad_text_is_named():
    profile = db_tunnel(sign_in="iam")
    assert profile.engine is DatabaseEngine.POSTGRESQL and profile.sign_in is SignIn.IAM and profile.validate() == []
    errors = {e.field: e.message for e in TunnelProfile("x", BASTION, 5432, "eu-west-1", remote_host=HOST,
                                                          engine="oracle", sign_in="magic").validate()}  # type: ignore[arg-type]
    assert errors == {"engine": "The engine must be postgresql, mysql or empty.",
                      "sign_in": "Sign in must be one of keyring, iam, prompt."}


@pytest.mark.parametrize(("fields", "field", "says"), [
    ({"sign_in": "iam", "db_user": ""}, "db_user", "needs the database user's name"),
    ({"engine": "", "sign_in": "iam"}, "sign_in", "Choose the database engine"),
    ({"db_user": "app\nuser"}, "db_user", "without control characters"),
    ({"db_user": " app"}, "db_user", "surrounding spaces"),
    ({"db_user": "x" * 64}, "db_user", "at most 63 bytes"),
    ({"db_user": "-W"}, "db_user", "starting with '-'"),
    ({"db_name": "-c DROP"}, "db_name", "starting with '-'"),
])
def test_database_fields_are_checked_with_specific_messages(fields, field, says):
    errors = {e.field: e.message for e in db_tunnel(**fields).validate()}
    assert says in errors[field], errors


def test_a_mysql_user_may_be_longer_than_a_postgres_one():
    assert db_tunnel(engine="mysql", db_user="x" * 80).validate() == []


def test_format_1_file_is_migrated_with_a_backup_and_guesses_the_engine_from_the_port(paths):
    tunnel = {"target": BASTION, "region": "eu-west-1", "remote_host": HOST}
    paths.profiles_file.write_text(json.dumps({"kind": "profiles", "schema_version": 1, "instances": [], "tunnels": [
        {**tunnel, "name": "pg", "remote_port": 5432}, {**tunnel, "name": "my", "remote_port": 3306},
        {**tunnel, "name": "redis", "remote_port": 6379}]}))
    book = ProfileBook(paths)
    [problem] = book.load()
    assert "upgraded from format 1 to 2" in problem.message and problem.backup and problem.backup.exists()
    assert json.loads(problem.backup.read_text())["schema_version"] == 1
    assert [(t.name, t.engine, t.sign_in) for t in book.tunnels] == [
        ("pg", DatabaseEngine.POSTGRESQL, SignIn.PROMPT), ("my", DatabaseEngine.MYSQL, SignIn.PROMPT),
        ("redis", DatabaseEngine.NONE, SignIn.PROMPT)]
    saved = json.loads(paths.profiles_file.read_text())
    assert saved["schema_version"] == SCHEMA_VERSION == 2
    assert saved["tunnels"][0]["engine"] == "postgresql" and saved["tunnels"][0]["sign_in"] == "prompt"
    assert ProfileBook(paths).load() == []  # the second start reads format 2 as it is


@hsettings(max_examples=200, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                    max_leaves=12))
def test_the_migration_takes_any_document_without_raising(tunnels):
    document = {"tunnels": tunnels} if not isinstance(tunnels, dict) else tunnels
    migrated = migrate_v1_to_v2(dict(document))
    assert isinstance(migrated, dict)


def test_export_carries_user_database_and_method_never_a_password(paths, tmp_path):
    book = ProfileBook(paths)
    book.load()
    book.add(db_tunnel(sign_in="iam"))
    book.add(TunnelProfile("cache", BASTION, 6379, "eu-west-1", remote_host="cache.example.com"))
    out = tmp_path / "team.toml"
    export_profiles(book, out)
    text = out.read_text()
    document = tomllib.loads(text)
    assert document["format"] == 2
    orders, cache = document["tunnel"]
    assert {k: orders[k] for k in ("engine", "db_user", "db_name", "sign_in")} == {
        "engine": "postgresql", "db_user": "app", "db_name": "orders", "sign_in": "iam"}
    assert not {"engine", "db_user", "db_name", "sign_in"} & set(cache)  # not a database: nothing about one
    assert "password" not in text.lower()

    other = ProfileBook(AppPaths.under(tmp_path / "teammate").ensure())
    other.load()
    apply_import(other, plan_import(other, out))
    assert other.tunnels == book.tunnels


def test_a_file_without_databases_stays_format_1_for_earlier_versions(paths, tmp_path):
    book = ProfileBook(paths)
    book.load()
    book.add(TunnelProfile("cache", BASTION, 6379, "eu-west-1", remote_host="cache.example.com"))
    out = tmp_path / "team.toml"
    export_profiles(book, out)
    assert tomllib.loads(out.read_text())["format"] == 1


def test_an_import_with_a_bad_sign_in_method_changes_nothing(paths, tmp_path):
    book = ProfileBook(paths)
    book.load()
    source = tmp_path / "team.toml"
    source.write_text(f'format = 2\n[[tunnel]]\nname = "x"\ntarget = "{BASTION}"\nremote_port = 5432\n'
                      f'region = "eu-west-1"\nremote_host = "{HOST}"\nengine = "postgresql"\nsign_in = "plaintext"\n')
    plan = plan_import(book, source)
    assert plan.invalid and "sign_in" in plan.invalid[0]
    with pytest.raises(Exception, match="Nothing was imported"):
        apply_import(book, plan)
    with pytest.raises(ValidationErrors):
        book.add(db_tunnel(sign_in="plaintext"))
    assert book.tunnels == []
