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


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MESODESK_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MESODESK_DB", raising=False)


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
def demo1500(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 1,500-patient demo clinic as of NOW's day, made once per test session. Tests that
    change it must leave what other tests read as it was."""
    from mesodesk.services.demo import generate_demo
    from mesodesk.services.registry import Services

    path = tmp_path_factory.mktemp("demo1500") / "demo.sqlite3"
    services = Services.open(path, clock=FixedClock(NOW))
    generate_demo(services.db, 1500, 1, today=NOW.date())
    services.close()
    return path
