"""The "Set up AWS access" dialog against the faithful fake vouch: fields checked beside themselves as they
are typed, `vouch setup aws --role … --profile …` run without a nested event loop, its outcome shown; closing the
dialog stops a vouch that hangs."""

from __future__ import annotations

import pytest

from tests.ui.conftest import until
from vouch_desktop.core.vouch.aws_setup import read_profile
from vouch_desktop.core.vouch.client import VouchClient
from vouch_desktop.ui.windows.aws_setup_dialog import AwsSetupDialog

ROLE = "arn:aws:iam::123456789012:role/Dev"


@pytest.fixture
def dialog(qtbot, qapp, fake_vouch, isolated_home):
    qapp.setQuitOnLastWindowClosed(False)
    done = []
    window = AwsSetupDialog(VouchClient(fake_vouch.path), regions=["eu-west-1", "us-east-1"], on_done=done.append)
    window.done_results = done
    qtbot.addWidget(window)
    window.show()
    yield window
    qapp.setQuitOnLastWindowClosed(True)


def label(window: AwsSetupDialog, field: str) -> str:
    widget = window.fields.labels[field]
    return "" if widget.isHidden() else widget.text()


def test_fields_are_checked_as_typed_and_vouch_is_not_run(qtbot, qloop, dialog, isolated_home):
    assert dialog.profile_edit.text() == "vouch"
    qtbot.keyClicks(dialog.role_edit, "arn:aws:iam::1:role/x")
    assert "is not an IAM role ARN" in label(dialog, "role_arn")
    qtbot.keyClicks(dialog.region_box.lineEdit(), "mars")
    assert "is not an AWS region" in label(dialog, "region")
    dialog.submit()
    assert not dialog.busy and not (isolated_home / ".aws" / "config").exists()
    dialog.role_edit.clear()
    qtbot.keyClicks(dialog.role_edit, ROLE)
    dialog.region_box.setEditText("")
    dialog.check()
    assert label(dialog, "role_arn") == "" and label(dialog, "region") == ""


def test_sets_up_the_profile_and_says_so(qtbot, qloop, dialog):
    qtbot.keyClicks(dialog.role_edit, ROLE)
    dialog.region_box.setEditText("eu-west-1")
    dialog.setup_button.click()
    qloop.run_until_complete(until(lambda: dialog.done_results))
    assert dialog.status_label.text().startswith(f"AWS profile 'vouch' now uses {ROLE}, region eu-west-1.")
    assert read_profile("vouch")["region"] == "eu-west-1"


def test_an_existing_profile_is_reported_where_the_user_acted(qtbot, qloop, dialog, isolated_home):
    (isolated_home / ".aws" / "config").write_text("[profile work]\nsso_session = corp\n")
    dialog.profile_edit.setText("work")
    qtbot.keyClicks(dialog.role_edit, ROLE)
    dialog.setup_button.click()
    qloop.run_until_complete(until(lambda: not dialog.status_label.isHidden() and not dialog.busy))
    assert "already exists with other settings" in dialog.status_label.text()
    assert dialog.setup_button.isEnabled() and dialog.isVisible() and not dialog.done_results


def test_vouch_failing_is_shown_with_advice(qtbot, qloop, dialog, fake_vouch):
    fake_vouch.configure(exit_code=6)
    qtbot.keyClicks(dialog.role_edit, ROLE)
    dialog.setup_button.click()
    qloop.run_until_complete(until(lambda: not dialog.busy and not dialog.status_label.isHidden()))
    assert "Vouch is not configured correctly" in dialog.status_label.text()


def test_closing_while_vouch_runs_stops_it(qtbot, qloop, dialog, fake_vouch, process_watch):
    fake_vouch.configure(hang=True)
    qtbot.keyClicks(dialog.role_edit, ROLE)
    dialog.setup_button.click()
    assert dialog.busy
    dialog.reject()
    qloop.run_until_complete(until(lambda: not dialog.busy, timeout=5))
    assert not dialog.isVisible()
    qloop.run_until_complete(until(lambda: process_watch.leftovers() == [], timeout=5, what="vouch stopped"))
