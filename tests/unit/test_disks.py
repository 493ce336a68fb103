"""The disk under the database: full (issue 12, item 4) and read-only (item 7), on small
tmpfs mounts. Mounting needs root (or CAP_SYS_ADMIN); where that is refused the tests are
skipped with that reason."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from mesodesk.domain.errors import DatabaseError
from mesodesk.domain.patients import PatientInput
from mesodesk.services.registry import Services
from tests.unit.test_cli import run


def _mount(point: Path, size: str) -> None:
    point.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip() or 'not permitted'})")


def _umount(point: Path) -> None:
    subprocess.run(["umount", "-l", str(point)], capture_output=True, check=False)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    point = tmp_path / "disk"
    _mount(point, "1200k")
    yield point
    _umount(point)


def _fill(path: Path) -> None:
    """Every byte of the disk taken."""
    with path.open("wb", buffering=0) as fh:
        try:
            while True:
                fh.write(b"\0" * 4096)
        except OSError:
            pass


def _patient(i: int) -> PatientInput:
    return PatientInput(
        first_name=f"Anna{i}",
        last_name="Müller",
        birth_date=date(1980, 1, 1),
        medical_notes="x" * 3000,  # fills the disk in a few dozen saves
    )


def test_a_full_disk_loses_nothing_and_the_database_goes_on(capsys: Any, small_disk: Path) -> None:
    filler = small_disk / "filler"
    filler.write_bytes(b"\0" * 250_000)
    db = small_disk / "clinic.sqlite3"
    services = Services.open(db)
    acknowledged = []
    with pytest.raises(DatabaseError) as full:
        for i in range(10_000):
            acknowledged.append(services.patients.create(_patient(i)).value.record_no)
    assert "disk holding" in str(full.value) and "is full" in str(full.value)
    assert acknowledged  # some were saved before the disk filled
    services.close()
    # Full, the database is not called damaged: SQLite reads what the log holds.
    code, out, _ = run(capsys, "--db", str(db), "check", "--quick")
    assert code == 0 and "cut off" not in out, out
    # Space freed: saving goes on, and everything acknowledged is there.
    filler.unlink()
    services = Services.open(db)
    later = services.patients.create(_patient(99_999)).value.record_no
    services.close()
    import sqlite3

    con = sqlite3.connect(db)
    stored = {f"MD-{n:06d}" for (n,) in con.execute("SELECT record_number FROM patient")}
    con.close()
    assert set(acknowledged) <= stored and later in stored
    code, out, _ = run(capsys, "--db", str(db), "check", "--quick")
    assert code == 0, out


def test_exports_on_a_full_disk_say_so_and_leave_nothing(capsys: Any, small_disk: Path) -> None:
    db = small_disk.parent / "clinic.sqlite3"
    services = Services.open(db)
    services.patients.create(_patient(1))
    services.close()
    _fill(small_disk / "filler")
    for command in (
        ["chart", "MD-000001", "--out", str(small_disk / "c.png")],
        ["report", "MD-000001", "--out", str(small_disk / "r.pdf")],
        ["audit", "list", "--csv", str(small_disk / "a.csv")],
    ):
        code, _, err = run(capsys, "--db", str(db), *command)
        assert code == 1 and "disk is full" in err and "internal error" not in err, err
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler"]  # no partial file


def test_a_read_only_folder_is_not_damage(capsys: Any, tmp_path: Path) -> None:
    point = tmp_path / "ro"
    _mount(point, "8m")
    try:
        db = point / "clinic.sqlite3"
        services = Services.open(db)
        services.patients.create(_patient(1))
        services.close()
        done = subprocess.run(
            ["mount", "-o", "remount,ro", str(point)], capture_output=True, check=False
        )
        if done.returncode != 0:
            pytest.skip("cannot remount read-only here")
        code, out, err = run(capsys, "--db", str(db), "patients")
        assert code == 0 and "MD-000001" in out and "read-only disk" in err
        assert "damage" not in err.lower() and "restore" not in err.lower()
        code, out, _ = run(capsys, "--db", str(db), "check", "--quick")
        assert code == 0, out
        services = Services.open(db)
        try:
            with pytest.raises(DatabaseError, match="read-only disk"):
                services.patients.create(_patient(2))
        finally:
            services.close()
        code, _, err = run(
            capsys, "--db", str(db), "backup", "--out", str(tmp_path / "copy.sqlite3")
        )
        assert code == 0 and (tmp_path / "copy.sqlite3").exists()
    finally:
        _umount(point)
