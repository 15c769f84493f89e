"""Messages that wrap get the height their text needs: measured against the text itself (font
metrics, word wrap at the label's own width) at several window widths and font sizes, in the
windows where people met clipped messages (the login dialog, the New-tunnel dialog)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from vouch_desktop.core.errors import ValidationError, ValidationErrors, VouchDesktopError
from vouch_desktop.core.storage.profiles import TunnelProfile
from vouch_desktop.ui.windows.labels import WrappingLabel
from vouch_desktop.ui.windows.login_dialog import LoginDialog
from vouch_desktop.ui.windows.profile_dialogs import TunnelProfileDialog

LONG = ("vouch could not log you in: the PIN is incorrect (7 attempts remaining). Type the PIN of your YubiKey "
        "again; after 8 wrong PINs in a row the key blocks it and only a reset of its FIDO application helps.")
WIDTHS = (380, 520, 900)
FONT_SCALES = (1.0, 1.5, 2.0)


def text_height(label: QLabel) -> int:
    """What the label's text needs, word-wrapped at the width the label has for it."""
    width = label.contentsRect().width() - 2 * max(label.margin(), 0)
    bound = QFontMetrics(label.font()).boundingRect(QRect(0, 0, width, 100_000),
                                                    int(Qt.TextFlag.TextWordWrap), label.text())
    return bound.height()


def assert_whole(label: QLabel, window: QWidget) -> None:
    __tracebackhide__ = True
    assert label.isVisible()
    assert label.height() >= text_height(label), (label.height(), text_height(label), label.width())
    top_left = label.mapTo(window, QPoint(0, 0))
    assert window.rect().contains(QRect(top_left, label.size())), "the label reaches outside its window"


@pytest.fixture
def font_scale(qapp, request):
    font = QApplication.font()
    scaled = QFont(font)
    scaled.setPointSizeF(font.pointSizeF() * request.param)
    QApplication.setFont(scaled)
    yield request.param
    QApplication.setFont(font)


def settle(qtbot, window: QWidget) -> None:
    for _ in range(3):  # the label's minimum height follows its width: a layout pass or two
        qtbot.wait(10)
        QApplication.processEvents()


@pytest.mark.parametrize("font_scale", FONT_SCALES, indirect=True)
def test_the_login_dialogs_error_is_never_clipped(qtbot, font_scale):
    dialog = LoginDialog(lambda: None)  # type: ignore[arg-type,return-value]
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.show_error(LONG)
    for width in WIDTHS:
        dialog.resize(width, dialog.height())
        settle(qtbot, dialog)
        assert_whole(dialog.error_label, dialog)


@pytest.mark.parametrize("font_scale", FONT_SCALES, indirect=True)
def test_the_new_tunnel_dialogs_messages_are_never_clipped(qtbot, font_scale):
    def save(profile):
        raise ValidationErrors([ValidationError("remote_host", LONG), ValidationError("elsewhere", LONG)])

    dialog = TunnelProfileDialog(TunnelProfile("", "", 5432, "eu-west-1"), ["eu-west-1"], save, title="New tunnel")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.try_save()
    for width in WIDTHS:
        dialog.resize(width, dialog.height())
        settle(qtbot, dialog)
        assert_whole(dialog.errors["remote_host"], dialog)
        assert_whole(dialog.fields.general, dialog)


def test_a_save_failure_is_shown_whole(qtbot):
    def save(profile):
        raise VouchDesktopError("Cannot save /home/someone/.config/vouch-desktop/profiles.json: no space left on "
                                "the device.", advice="Free some space and save again; the dialog keeps what you "
                                                      "typed.")

    dialog = TunnelProfileDialog(TunnelProfile("db", "i-0123456789abcdef0", 5432, "eu-west-1", "db.internal"),
                                 ["eu-west-1"], save)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.try_save()
    settle(qtbot, dialog)
    assert_whole(dialog.fields.general, dialog)


def test_a_label_shrinks_back_when_its_window_widens_and_its_text_shortens(qtbot):
    holder = QWidget()
    qtbot.addWidget(holder)
    from PySide6.QtWidgets import QVBoxLayout

    label = WrappingLabel(LONG)
    QVBoxLayout(holder).addWidget(label)
    holder.resize(300, 100)
    holder.show()
    qtbot.waitExposed(holder)
    settle(qtbot, holder)
    narrow = label.height()
    assert narrow >= text_height(label)
    holder.resize(900, holder.height())
    settle(qtbot, holder)
    assert label.minimumHeight() < narrow and label.minimumHeight() >= text_height(label)
    label.setText("Short.")
    settle(qtbot, holder)
    assert label.minimumHeight() == label.heightForWidth(label.width())
