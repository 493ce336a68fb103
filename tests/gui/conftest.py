"""GUI fixtures: a main window over a fresh database, and helpers that wait for jobs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication

from mesodesk.ui.jobs import JobRunner
from mesodesk.ui.labels import Formats


@pytest.fixture
def runner(qtbot: Any) -> Iterator[JobRunner]:
    r = JobRunner()
    yield r
    r.wait(10_000)


@pytest.fixture
def formats() -> Formats:
    return Formats()


@pytest.fixture
def window(qtbot: Any, services: Any) -> Iterator[Any]:
    from mesodesk.ui.main_window import MainWindow
    from mesodesk.ui.settings import Settings

    w = MainWindow(services, Settings())
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: not w.model.loading)
    yield w
    w.runner.wait(10_000)


def settle(qtbot: Any, runner: JobRunner) -> None:
    """Wait until nothing is left to happen: every job the runner was given has run, its result
    has reached the GUI thread, and the events posted meanwhile (a zero timer, a queued
    signal) have run without starting another job. Asserting that nothing was stored after a
    fixed wait passes whenever the storing is slower than the wait; after this it cannot."""
    while True:
        qtbot.waitUntil(lambda: runner._running == 0, timeout=10_000)
        QCoreApplication.processEvents()
        if runner._running == 0:
            return


def wait_jobs(qtbot: Any, runner: JobRunner) -> None:
    """Wait until the runner's queue is empty and every result has reached the GUI thread."""
    qtbot.waitUntil(lambda: runner._running == 0, timeout=10_000)


@pytest.fixture(autouse=True)
def _discard_without_asking(monkeypatch: pytest.MonkeyPatch) -> None:
    """A filled form closed at a test's end (pytest-qt closes every widget) would ask whether
    to discard its changes, in a modal box nobody answers. Tests that check the question
    replace it on their dialog (tests/gui/test_cancel_asks.py)."""
    from mesodesk.ui.form import FormDialog

    monkeypatch.setattr(FormDialog, "confirm_discard", lambda self: True)
