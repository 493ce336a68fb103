"""Running services off the GUI thread (Anki's CollectionOp, Orange's concurrent helpers).

Widgets never touch the database themselves: they hand a plain function to the ``JobRunner``,
which runs it on a pool of one thread (database work happens one job at a time) and routes the
result or the error back to the GUI thread. Long work takes a ``Progress`` and checks
``cancelled()``; the runner turns its reports into a signal for a progress bar.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

T = TypeVar("T")


class Progress:
    """Handed to long work: ``report(done, total, message)`` and ``cancelled()``."""

    def __init__(self, emit: Callable[[int, int, str], None], event: threading.Event) -> None:
        self._emit = emit
        self._event = event

    def report(self, done: int, total: int, message: str = "") -> None:
        self._emit(done, total, message)

    def cancelled(self) -> bool:
        return self._event.is_set()


class _Signals(QObject):
    succeeded = Signal(object)
    failed = Signal(object)
    progressed = Signal(int, int, str)


class _Runnable(QRunnable):
    def __init__(self, fn: Callable[[], Any], signals: _Signals) -> None:
        super().__init__()
        self.fn = fn
        self.signals = signals
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            value = self.fn()
        except BaseException as exc:
            self.signals.failed.emit(exc)
        else:
            self.signals.succeeded.emit(value)


class Job(QObject, Generic[T]):
    """A job under way. Lives in the GUI thread, so its callbacks run there."""

    finished = Signal()
    progressed = Signal(int, int, str)

    def __init__(self, runner: JobRunner) -> None:
        super().__init__(runner)
        self._runner = runner
        self.done = False
        self.value: Any = None
        self.error: BaseException | None = None
        self._cancel = threading.Event()
        self._on_success: list[Callable[[Any], None]] = []
        self._on_failure: list[Callable[[BaseException], None]] = []
        self._signals = _Signals()
        self._signals.succeeded.connect(self._succeeded)
        self._signals.failed.connect(self._failed)
        self._signals.progressed.connect(self.progressed)

    def success(self, callback: Callable[[T], None]) -> Job[T]:
        self._on_success.append(callback)
        return self

    def failure(self, callback: Callable[[BaseException], None]) -> Job[T]:
        self._on_failure.append(callback)
        return self

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    @Slot(object)
    def _succeeded(self, value: Any) -> None:
        self.value = value
        self._finish()
        for callback in self._on_success:
            callback(value)

    @Slot(object)
    def _failed(self, error: BaseException) -> None:
        self.error = error
        self._finish()
        handlers = self._on_failure or [self._runner.report_error]
        for callback in handlers:
            callback(error)

    def _finish(self) -> None:
        self.done = True
        self.finished.emit()
        self.deleteLater()


class JobRunner(QObject):
    """One worker thread for database work; every job's outcome comes back as a signal."""

    error = Signal(object)  # an error no job handled itself
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self._running = 0

    def run(self, fn: Callable[[], T]) -> Job[T]:
        """Run ``fn()`` off the GUI thread."""
        job: Job[T] = Job(self)
        self._start(job, fn)
        return job

    def run_long(self, fn: Callable[[Progress], T]) -> Job[T]:
        """Run ``fn(progress)``; its reports arrive as ``job.progressed``."""
        job: Job[T] = Job(self)
        progress = Progress(job._signals.progressed.emit, job._cancel)
        self._start(job, lambda: fn(progress))
        return job

    def _start(self, job: Job[Any], fn: Callable[[], Any]) -> None:
        self._running += 1
        if self._running == 1:
            self.busy_changed.emit(True)
        job.finished.connect(self._job_finished)
        self.pool.start(_Runnable(fn, job._signals))

    @Slot()
    def _job_finished(self) -> None:
        self._running -= 1
        if self._running == 0:
            self.busy_changed.emit(False)

    def report_error(self, error: BaseException) -> None:
        self.error.emit(error)

    def wait(self, msecs: int = -1) -> bool:
        """Block until every job has run (shutting down, tests)."""
        return self.pool.waitForDone(msecs)
