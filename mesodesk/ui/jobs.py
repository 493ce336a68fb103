"""Running services off the GUI thread (Anki's CollectionOp, Orange's concurrent helpers).

Widgets never touch the database themselves: they hand a plain function to the ``JobRunner``,
which runs it on a pool of one thread (database work happens one job at a time) and routes the
result or the error back to the GUI thread. Long work takes a ``Progress`` and checks
``cancelled()``; the runner turns its reports into a signal for a progress bar.

The worker thread holds no Qt object of its own: it reports through the runner's signals with
the job's number, and the runner (which lives as long as the window) finds the job in the GUI
thread. A QObject made in the GUI thread is therefore never destroyed by the worker, which
would crash Python's garbage collector.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QObject, QThreadPool, Signal, Slot

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

    def _complete(self, value: Any, error: BaseException | None) -> None:
        self.value = value
        self.error = error
        self.done = True
        self.finished.emit()
        if error is None:
            for callback in self._on_success:
                callback(value)
        else:
            for handler in self._on_failure or [self._runner.report_error]:
                handler(error)
        self._on_success.clear()
        self._on_failure.clear()
        self.deleteLater()


class JobRunner(QObject):
    """One worker thread for database work; every job's outcome comes back as a signal."""

    error = Signal(object)  # an error no job handled itself
    busy_changed = Signal(bool)
    _completed = Signal(int, object, object)  # job number, value, error
    _reported = Signal(int, int, int, str)  # job number, done, total, message

    def __init__(self, parent: QObject | None = None, *, threads: int = 1) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(threads)
        self._jobs: dict[int, Job[Any]] = {}
        self._numbers = itertools.count(1)
        self._completed.connect(self._on_completed)
        self._reported.connect(self._on_reported)

    @property
    def _running(self) -> int:
        return len(self._jobs)

    def run(self, fn: Callable[[], T]) -> Job[T]:
        """Run ``fn()`` off the GUI thread."""
        job: Job[T] = Job(self)
        self._start(job, lambda _number: fn())
        return job

    def run_long(self, fn: Callable[[Progress], T]) -> Job[T]:
        """Run ``fn(progress)``; its reports arrive as ``job.progressed``."""
        job: Job[T] = Job(self)
        event = job._cancel
        reported = self._reported

        def work(number: int) -> T:
            progress = Progress(lambda d, t, m: reported.emit(number, d, t, m), event)
            return fn(progress)

        self._start(job, work)
        return job

    def _start(self, job: Job[Any], work: Callable[[int], Any]) -> None:
        number = next(self._numbers)
        self._jobs[number] = job
        if len(self._jobs) == 1:
            self.busy_changed.emit(True)
        completed = self._completed
        holder = [work]

        def run_in_pool() -> None:
            task = holder.pop()
            try:
                value = task(number)
            except BaseException as exc:  # every failure goes back to the GUI thread
                del task
                completed.emit(number, None, exc)
            else:
                del task  # the work's captured objects are released here, before reporting
                completed.emit(number, value, None)

        self.pool.start(run_in_pool)

    @Slot(int, object, object)
    def _on_completed(self, number: int, value: Any, error: Any) -> None:
        job = self._jobs.pop(number, None)
        if not self._jobs:
            self.busy_changed.emit(False)
        if job is not None:
            job._complete(value, error)

    @Slot(int, int, int, str)
    def _on_reported(self, number: int, done: int, total: int, message: str) -> None:
        job = self._jobs.get(number)
        if job is not None:
            job.progressed.emit(done, total, message)

    def report_error(self, error: BaseException) -> None:
        self.error.emit(error)

    def wait(self, msecs: int = -1) -> bool:
        """Block until every job has run (shutting down, tests)."""
        return self.pool.waitForDone(msecs)
