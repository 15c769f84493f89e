"""No secret from a child's output reaches a person or a file (issue 15.3): a plugin that prints its
session token, its stream URL and the profile's AWS keys, on the real TunnelManager with a real
history file and the app's log handlers."""

from __future__ import annotations

import asyncio
import logging

from tests.core import test_tunnels
from tests.core.test_tunnels import Spec, make_manager, wait_state
from tests.fixtures.plugins import PRINTS_ITS_SECRETS, plugin_variant
from tests.fixtures.waiting import until
from vouch_desktop.core.storage.history import History
from vouch_desktop.core.system.logging_setup import configure_logging, redact_known_secrets
from vouch_desktop.core.system.redaction import MASK, KnownSecrets
from vouch_desktop.core.tunnels.manager import Backoff
from vouch_desktop.core.tunnels.state import TunnelState

tunnel_world = test_tunnels.tunnel_world  # the tunnel tests' fake world (fixture), used as it is

# long enough to be taken for keys (the fixture's "testing" is not), and not shaped like an AKIA/ASIA id,
# so that only the exact-secret removal can catch them, not the log's patterns
ACCESS_KEY, SECRET_KEY = "EXAMPLEKEYID7Q2W9RTX", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"


def leaks(texts: list[str], secrets: list[str]) -> list[str]:
    return [f"{secret[:6]}… in {text[:80]!r}" for text in texts for secret in secrets if secret in text]


def test_a_plugin_that_prints_its_secrets_leaks_none(tunnel_world, tmp_path, monkeypatch, reliability):
    fake_aws, target, _ = tunnel_world
    (tmp_path / "home/.aws/credentials").write_text(
        f"[test]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\n")
    plugin = plugin_variant(tmp_path, "session-manager-plugin", PRINTS_ITS_SECRETS)
    marker = tmp_path / "fail-from-now-on"
    monkeypatch.setenv("FAIL_MARKER", str(marker))
    log_file = tmp_path / "logs/vouch-desktop.log"
    configure_logging(log_file, "DEBUG", stderr=False)
    secrets = KnownSecrets()
    redact_known_secrets(secrets.redact)
    history = History(tmp_path / "history.jsonl", redact=secrets.redact)

    async def scenario():
        manager, _ = make_manager(plugin, backoff=Backoff(first=0.1, cap=0.2, max_failures=2), secrets=secrets)
        manager._record = lambda kind, data: history.add(kind, **data)
        shown: list[str] = []  # every status as the tray and `tunnel list` render it
        manager.changed.connect(lambda s: shown.extend([s.summary, s.reason, s.advice]))
        failed: list[str] = []  # what a notification would say
        manager.failed.connect(lambda s: failed.extend([f"Tunnel {s.name} failed", f"{s.reason}\n{s.advice}"]))
        await manager.start(Spec("orders", target))
        await wait_state(manager, "orders", TunnelState.UP)
        marker.touch()  # every later start fails, printing the secrets on stderr
        fake_aws.drop_session(fake_aws.active_sessions()[0].session_id)
        await until(lambda: manager.status("orders").state is TunnelState.FAILED, 30, what="gave up")
        await manager.stop_all()
        return shown, failed

    try:
        shown, failed = asyncio.run(scenario())
    finally:
        for handler in [h for h in logging.getLogger().handlers if getattr(h, "_vouch_desktop_handler", False)]:
            logging.getLogger().removeHandler(handler)
            handler.close()
    sessions = fake_aws.sessions()
    known = [s.token for s in sessions] + [ACCESS_KEY, SECRET_KEY]
    known += [fake_aws.agent.url_for(s.session_id).split("?", 1)[1] for s in sessions]
    assert len(sessions) >= 2 and len(known) >= 6
    texts = shown + failed + [history.path.read_text(), log_file.read_text()]
    found = leaks(texts, known)
    reliability(secrets_checked=len(known), texts_checked=len(texts), hits=len(found))
    assert found == []
    # and the plugin's words did come through, masked: the check saw the real path
    assert any("Cannot continue the session: token=" + MASK in t for t in shown), shown
    assert any("gave up after 2 attempts" in t and "Cannot perform start session: token=" + MASK in t
               for t in failed), failed
    assert "TokenValue " + MASK in history.path.read_text()


def test_every_history_entry_goes_through_the_redaction(tmp_path):
    secrets = KnownSecrets()
    secrets.add_session({"TokenValue": "AAEAAHtoken-value-xyz",
                         "StreamUrl": "wss://h/v1/data-channel/s-1?sig=qwertyuiop1"})
    history = History(tmp_path / "history.jsonl", redact=secrets.redact)
    history.add("tunnel_failure", profile="orders", message="plugin said AAEAAHtoken-value-xyz at sig=qwertyuiop1")
    history.add("connect", profile="o", target="i-1", message="aws_secret_access_key = abc/def password: hunter22")
    text = history.path.read_text()
    assert "AAEAAHtoken" not in text and "qwertyuiop1" not in text and "abc/def" not in text and "hunter22" not in text
    assert [e.message for e in history.recent()] == ["aws_secret_access_key = **** password: ****",
                                                     "plugin said **** at ****"]


def test_known_secrets_keep_the_newest_and_mask_the_longest_first():
    secrets = KnownSecrets(limit=3)
    secrets.add(["short", "secret-one-1", "secret-one-1-and-more", "secret-two-2", "secret-three"])
    assert len(secrets) == 3  # "short" was never taken, the oldest was forgotten
    assert secrets.redact("x secret-one-1-and-more y secret-three") == f"x {MASK} y {MASK}"
    assert secrets.redact("secret-one-1") == "secret-one-1"  # forgotten


def test_the_log_masks_an_aws_reply_printed_as_a_python_dict():
    """Libraries log replies with repr() (qasync did, at debug level: a StartSession answer with its token)."""
    from vouch_desktop.core.system.logging_setup import redact

    reply = {"SessionId": "s-1", "TokenValue": "AAEAAHtoken'with\"quotes", "StreamUrl": "wss://h/x"}
    assert redact(f"Setting Future result: {reply}") == \
        """Setting Future result: {'SessionId': 's-1', 'TokenValue': '****', 'StreamUrl': 'wss://h/x'}"""
    assert redact('{"SecretAccessKey": "abc", "pin": "1234"}') == '{"SecretAccessKey": "****", "pin": "****"}'
