"""What a person sees when mesodesk meets an error nobody handled: a dialog, and a log entry.

PySide6 hands an exception raised in a slot or an event handler to ``sys.excepthook`` and
carries on; Python's default hook prints it on stderr, where nobody at a clinic looks and where
its text (which may quote a record's values) does not belong. Ours writes the type and the code
lines to mesodesk's log (mesodesk/logs.py), never the text, and tells the person in words what
to do. The job runner's failures take their own path (MainWindow.show_error), logged the same
way.
"""

from __future__ import annotations

import sys
import threading
from types import TracebackType

from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from mesodesk import logs
from mesodesk.ui.i18n import arg

log = logs.get(__name__)


class CrashDialog(QMessageBox):
    """Says that something unexpected happened, what it means for the data, and where the log
    is. The details are the log's: the error's type and the code lines, no values."""

    def __init__(self, error: BaseException, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setIcon(QMessageBox.Icon.Critical)
        self.setWindowTitle(self.tr("mesodesk: unexpected error"))
        self.setText(
            arg(
                self.tr("mesodesk met an error it did not expect (%1)."),
                type(error).__name__,
            )
        )
        advice = self.tr(
            "What you were doing when it happened may not have been saved: look at it again "
            "before you go on. If it happens again, restart mesodesk.",
        )
        path = logs.current_file()
        if path is not None:
            advice += " " + arg(
                self.tr(
                    "The log holds what happened (and no patient data), for whoever supports "
                    "your clinic: %1",
                ),
                path,
            )
        self.setInformativeText(advice)
        self.setDetailedText(logs.describe_exception(error))
        self.setStandardButtons(QMessageBox.StandardButton.Ok)


class _Hook:
    def __init__(self) -> None:
        self.previous = sys.excepthook
        self.showing = False

    def __call__(
        self, kind: type[BaseException], error: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(kind, KeyboardInterrupt):
            self.previous(kind, error, tb)
            return
        if error.__traceback__ is None:
            error = error.with_traceback(tb)
        log.error("unhandled error", exc_info=error)
        app = QApplication.instance()
        on_gui_thread = app is not None and QThread.currentThread() is app.thread()
        # one dialog at a time: an error repeated by every paint event would stack them
        if not on_gui_thread or self.showing:
            return
        self.showing = True
        try:
            CrashDialog(error, QApplication.activeWindow()).exec()
        finally:
            self.showing = False


def _thread_hook(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is not None:
        log.error("unhandled error in a thread", exc_info=args.exc_value)


def install() -> None:
    """Route unhandled errors (in the GUI thread and in Python threads) to the log and, in the
    GUI thread, to the dialog. Called once the QApplication exists."""
    if not isinstance(sys.excepthook, _Hook):
        sys.excepthook = _Hook()
    threading.excepthook = _thread_hook
