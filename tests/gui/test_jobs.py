import threading
from typing import Any

import pytest

from mesodesk.domain.errors import MesodeskError
from mesodesk.ui.jobs import JobRunner, Progress


def test_job_runs_off_the_gui_thread_and_answers_on_it(qtbot: Any, runner: JobRunner) -> None:
    gui_thread = threading.get_ident()
    seen: dict[str, int] = {}

    def work() -> int:
        seen["work"] = threading.get_ident()
        return 42

    job = runner.run(work).success(lambda value: seen.update(value=value, cb=threading.get_ident()))
    qtbot.waitUntil(lambda: "value" in seen)
    assert seen["work"] != gui_thread
    assert seen["cb"] == gui_thread and seen["value"] == 42
    assert job is not None


def test_failure_goes_to_the_handler(qtbot: Any, runner: JobRunner) -> None:
    errors: list[BaseException] = []

    def boom() -> None:
        raise MesodeskError("nope")

    runner.run(boom).failure(errors.append)
    qtbot.waitUntil(lambda: bool(errors))
    assert str(errors[0]) == "nope"


def test_unhandled_failure_reaches_the_runner(qtbot: Any, runner: JobRunner) -> None:
    def boom() -> None:
        raise ValueError("x")

    with qtbot.waitSignal(runner.error) as signal:
        runner.run(boom)
    assert isinstance(signal.args[0], ValueError)


def test_long_job_reports_progress_and_can_be_cancelled(qtbot: Any, runner: JobRunner) -> None:
    started = threading.Event()
    reports: list[tuple[int, int, str]] = []

    def work(progress: Progress) -> str:
        for i in range(1000):
            progress.report(i, 1000, "step")
            started.set()
            if progress.cancelled():
                return "cancelled"
            threading.Event().wait(0.005)
        return "done"

    job = runner.run_long(work)
    job.progressed.connect(lambda *args: reports.append(args))
    results: list[str] = []
    job.success(results.append)
    assert started.wait(5)
    job.cancel()
    qtbot.waitUntil(lambda: bool(results), timeout=5000)
    assert results == ["cancelled"]
    assert reports and reports[0][1] == 1000


@pytest.mark.parametrize("count", [5])
def test_jobs_run_one_at_a_time(qtbot: Any, runner: JobRunner, count: int) -> None:
    active = 0
    most = 0
    lock = threading.Lock()
    finished: list[int] = []

    def work(i: int) -> int:
        nonlocal active, most
        with lock:
            active += 1
            most = max(most, active)
        threading.Event().wait(0.01)
        with lock:
            active -= 1
        return i

    for i in range(count):
        runner.run(lambda i=i: work(i)).success(finished.append)
    qtbot.waitUntil(lambda: len(finished) == count)
    assert most == 1 and finished == list(range(count))
