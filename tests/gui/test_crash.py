"""An error nobody handled: the person sees a dialog in words, the log gets the type and the
code lines, and neither gets the error's text (which may quote a record)."""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from mesodesk import logs
from mesodesk.ui import crash

SECRET = "Müller, José MD-000123"


@pytest.fixture
def hooked(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # put back after the test
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    path = logs.setup(tmp_path)
    assert path is not None
    crash.install()
    return path


def close_the_dialog_when_shown(seen: list[QMessageBox]) -> None:
    def look() -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, QMessageBox):
            seen.append(dialog)
            # what it says, read before it goes
            dialog.setProperty("said", [dialog.text(), dialog.informativeText()])
            dialog.setProperty("details", dialog.detailedText())
            dialog.accept()
        else:
            QTimer.singleShot(20, look)

    QTimer.singleShot(20, look)


@pytest.mark.qt_no_exception_capture
def test_an_error_in_a_slot_shows_a_dialog_and_is_logged(qtbot: Any, hooked: Path) -> None:
    def slot() -> None:
        raise ValueError(SECRET)

    seen: list[QMessageBox] = []
    close_the_dialog_when_shown(seen)
    QTimer.singleShot(0, slot)
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    (dialog,) = seen
    text, informative = dialog.property("said")
    assert "ValueError" in text and "may not have been saved" in informative
    assert str(hooked) in informative  # where the log is
    assert "in slot" in dialog.property("details")
    log = hooked.read_text(encoding="utf-8")
    assert "unhandled error" in log and "builtins.ValueError" in log and "in slot" in log
    for shown in (text, informative, dialog.property("details"), log):
        assert "Müller" not in shown and "MD-000123" not in shown


@pytest.mark.qt_no_exception_capture
def test_an_error_in_a_thread_is_logged_without_a_dialog(qtbot: Any, hooked: Path) -> None:
    def work() -> None:
        raise KeyError(SECRET)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    log = hooked.read_text(encoding="utf-8")
    assert "unhandled error in a thread" in log and "builtins.KeyError" in log
    assert "Müller" not in log
    assert QApplication.activeModalWidget() is None


def test_a_failed_job_is_logged_without_its_text(
    qtbot: Any, window: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = logs.setup(tmp_path)
    assert path is not None
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: shown.append(text))

    def fails() -> None:
        raise RuntimeError(SECRET)

    window.runner.run(fails)
    qtbot.waitUntil(lambda: bool(shown))
    assert "RuntimeError" in shown[0] and "Müller" not in shown[0]
    log = path.read_text(encoding="utf-8")
    assert "a job failed" in log and "builtins.RuntimeError" in log and "in fails" in log
    assert "Müller" not in log
