"""Shared fixtures: every test gets its own data folder, settings and database."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from mesodesk.domain.clock import FixedClock
from mesodesk.domain.enums import Sex
from mesodesk.domain.patients import PatientInput

NOW = datetime(2026, 11, 24, 10, 30)


@pytest.fixture(scope="session", autouse=True)
def shared_keys(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Clinic keys kept for the whole run: a database a module fixture makes stays usable in
    the next test, as on one computer. Module fixtures run under a home of the session (never
    the real config folder)."""
    keys = tmp_path_factory.mktemp("keys")
    home = tmp_path_factory.mktemp("session-home")
    (home / "config").mkdir()
    (home / "config" / "keys").symlink_to(keys)
    before = os.environ.get("MESODESK_HOME")
    os.environ["MESODESK_HOME"] = str(home)
    yield keys
    if before is None:
        os.environ.pop("MESODESK_HOME", None)
    else:
        os.environ["MESODESK_HOME"] = before


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared_keys: Path
) -> Iterator[None]:
    from mesodesk import logs

    home = tmp_path / "home"
    (home / "config").mkdir(parents=True)
    (home / "config" / "keys").symlink_to(shared_keys)
    monkeypatch.setenv("MESODESK_HOME", str(home))
    monkeypatch.delenv("MESODESK_DB", raising=False)
    yield
    logs.shutdown()  # a command a test ran logged into this test's folder: let it go


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "clinic.sqlite3"


@pytest.fixture
def services(db_path: Path, clock: FixedClock) -> Iterator[object]:
    from mesodesk.services.registry import Services

    s = Services.open(db_path, clock=clock)
    yield s
    s.close()


def patient_input(**changes: object) -> PatientInput:
    base: dict[str, object] = {
        "first_name": "José",
        "last_name": "Müller",
        "birth_date": date(1985, 3, 24),
        "sex": Sex.MALE,
        "phone": "+1 (555) 123-4567",
        "email": "jose@example.com",
    }
    base.update(changes)
    return PatientInput(**base)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def cups_server() -> Iterator[object]:
    """A private CUPS scheduler with a cups-pdf printer, for the whole session (started on first
    use, stopped at the end). A machine that cannot run one fails here, saying why: printing is
    tested against a real print server or not at all, never skipped."""
    from tests.cups_server import CupsUnavailable, PrivateCups

    server = PrivateCups()
    try:
        server.start()
    except CupsUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)
    yield server
    server.stop()


@pytest.fixture
def cups(cups_server: object, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """The private print server, with this test's CUPS clients pointed at it: lp and lpstat
    through CUPS_SERVER, and Qt's print support (libcups in this process, which reads
    CUPS_SERVER once per thread) through cupsSetServer."""
    from tests.cups_server import point_libcups_at

    for name, value in cups_server.env.items():  # type: ignore[attr-defined]
        monkeypatch.setenv(name, value)
    point_libcups_at(cups_server.socket)  # type: ignore[attr-defined]
    yield cups_server
    point_libcups_at(None)


@pytest.fixture(scope="session")
def seven_page_summary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The summary of a patient with 60 sessions and 150 side effects, without its sessions
    table: 7 pages, made once."""
    from mesodesk.services.registry import Services
    from tests.bench.bench_treatment import _busy_patient, seven_page_options

    folder = tmp_path_factory.mktemp("seven")
    services = Services.open(folder / "busy.sqlite3", clock=FixedClock(NOW))
    try:
        patient_id = _busy_patient(services)
        out = folder / "summary.pdf"
        written = services.summaries.write(patient_id, out, seven_page_options(services))  # type: ignore[attr-defined]
    finally:
        services.close()  # type: ignore[attr-defined]
    assert written.pages == 7, written.pages
    return out


@pytest.fixture(scope="session")
def demo1500(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 1,500-patient demo clinic as of NOW's day, made once per test session. Tests that
    change it must leave what other tests read as it was."""
    from mesodesk.services.demo import generate_demo
    from mesodesk.services.registry import Services

    path = tmp_path_factory.mktemp("demo1500") / "demo.sqlite3"
    services = Services.open(path, clock=FixedClock(NOW))
    generate_demo(services._db, 1500, 1, today=NOW.date())
    services.close()
    return path
