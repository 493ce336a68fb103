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
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared_keys: Path) -> None:
    home = tmp_path / "home"
    (home / "config").mkdir(parents=True)
    (home / "config" / "keys").symlink_to(shared_keys)
    monkeypatch.setenv("MESODESK_HOME", str(home))
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
