"""History keeps what happened and nothing secret; the log masks secrets that slip through."""

from __future__ import annotations

import logging

from vouch_desktop.core.storage.history import History
from vouch_desktop.core.system.logging_setup import configure_logging, redact


def test_history_recent_and_allow_list(tmp_path):
    history = History(tmp_path / "history.jsonl")
    history.add("connect", profile="web", target="i-0123456789abcdef0", region="eu-west-1",
                TokenValue="SECRET-TOKEN", SecretAccessKey="SECRET-KEY")
    history.add("tunnel_start", profile="orders", local_port=5432)
    history.add("connect", target="i-0aaaaaaaaaaaaaaaa", region="us-east-1")
    history.add("connect", target="i-0123456789abcdef0", region="eu-west-1")
    text = (tmp_path / "history.jsonl").read_text()
    assert "SECRET" not in text
    assert [e.kind for e in history.recent()] == ["connect", "connect", "tunnel_start", "connect"]
    assert [e.target for e in history.recent_connections()] == ["i-0123456789abcdef0", "i-0aaaaaaaaaaaaaaaa"]


def test_history_skips_a_torn_line_and_compacts(tmp_path):
    path = tmp_path / "history.jsonl"
    history = History(path, max_entries=20)
    history.add("login")
    with open(path, "a") as handle:
        handle.write('{"time": "2026-01-01T00:00:00+00:00", "ki')  # torn by a crash
        handle.write("\n")
    for n in range(60):
        history.add("connect", target=f"i-{n:017x}", region="eu-west-1", message="x" * 200)
    entries = history.recent(limit=1000)
    assert len(entries) <= 24 and entries[0].target == f"i-{59:017x}"


def test_redaction_of_each_secret_form():
    samples = {
        'creds {"AccessKeyId": "ASIAABCDEFGHIJKLMNOP", "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG", '
        '"SessionToken": "IQoJb3JpZ2luX2Vj"}':
            ["ASIAABCDEFGHIJKLMNOP", "wJalrXUtnFEMI/K7MDENG", "IQoJb3JpZ2luX2Vj"],
        '{"SessionId": "s-1", "TokenValue": "AAEAAZ6f3", "StreamUrl": "wss://x"}': ["AAEAAZ6f3"],
        "aws_secret_access_key = abc123XYZ": ["abc123XYZ"],
        "login with pin=123456 failed": ["123456"],
    }
    for text, secrets in samples.items():
        cleaned = redact(text)
        for secret in secrets:
            assert secret not in cleaned, cleaned
    assert redact("tunnel orders up on localhost:5432") == "tunnel orders up on localhost:5432"


def test_configured_log_file_gets_redacted_lines_once(tmp_path):
    log_file = tmp_path / "log" / "app.log"
    configure_logging(log_file, "INFO", stderr=False)
    configure_logging(log_file, "INFO", stderr=False)  # idempotent
    logging.getLogger("vouch_desktop.test").info("credential_process said %s", '{"SecretAccessKey": "TOPSECRET"}')
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = log_file.read_text()
    assert "TOPSECRET" not in text and text.count("credential_process said") == 1
    configure_logging(log_file, "WARNING", stderr=False)
    for handler in [h for h in logging.getLogger().handlers if getattr(h, "_vouch_desktop_handler", False)]:
        logging.getLogger().removeHandler(handler)
        handler.close()
