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
