import sys
from typing import Any

from PySide6.QtWidgets import QLabel


def test_many_void_qt_calls_do_not_exhaust_none(qtbot: Any) -> None:
    """PySide6 6.12.0 on CPython 3.11 loses a reference to None per void call; mesodesk.ui
    compensates (see mesodesk/ui/__init__.py). Without it this loop aborts the interpreter."""
    import mesodesk.ui  # noqa: F401 - the guard runs on import

    label = QLabel()
    qtbot.addWidget(label)
    before = sys.getrefcount(None)
    for _ in range(300_000):
        label.setText("x")
    assert sys.getrefcount(None) > 0
    assert before > 1 << 39 or sys.version_info >= (3, 12)
