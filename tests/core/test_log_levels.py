"""At INFO the log holds the app's own lines; the libraries' (botocore's "Found endpoint …" for every
client) appear from WARNING up, and all of them at DEBUG, also when the level changes while running."""

from __future__ import annotations

import logging

import botocore.session
import pytest

from vouch_desktop.core.app.service import set_root_log_level
from vouch_desktop.core.system.logging_setup import configure_logging


@pytest.fixture
def log_file(tmp_path):
    path = tmp_path / "log" / "vouch-desktop.log"
    yield path
    for handler in [h for h in logging.getLogger().handlers if getattr(h, "_vouch_desktop_handler", False)]:
        logging.getLogger().removeHandler(handler)
        handler.close()
    logging.getLogger().setLevel(logging.WARNING)


def written(path) -> str:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return path.read_text()


def make_client() -> None:
    """A real botocore client, as the app makes one per profile and region: botocore says where its
    endpoint came from at INFO."""
    session = botocore.session.Session()
    session.create_client("ssm", region_name="eu-west-1", aws_access_key_id="AKIDEXAMPLE",
                          aws_secret_access_key="example")


def test_botocore_info_stays_out_at_info_and_comes_in_at_debug(log_file, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    configure_logging(log_file, "INFO", stderr=False)
    logging.getLogger("vouch_desktop.core.app").info("ready (version test)")
    make_client()
    logging.getLogger("botocore.credentials").warning("a warning of botocore's")
    text = written(log_file)
    assert "ready (version test)" in text and "a warning of botocore's" in text
    assert "Found endpoint" not in text
    set_root_log_level("DEBUG")  # what Settings → Log level does while the app runs
    make_client()
    assert "Found endpoint for ssm via: environment_global." in written(log_file)
    set_root_log_level("INFO")
    before = written(log_file).count("Found endpoint")
    make_client()
    assert written(log_file).count("Found endpoint") == before
