"""`mesodesk chart`: a patient's timeline or the clinic dashboard as PNG, SVG or PDF."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mesodesk.cli import main
from mesodesk.domain.clock import FixedClock
from mesodesk.services.demo import generate_demo
from mesodesk.services.registry import Services
from tests.conftest import NOW

MAGIC = {".png": b"\x89PNG", ".svg": b"<?xml", ".pdf": b"%PDF"}


@pytest.fixture(scope="module", autouse=True)
def _collect_figures() -> Iterator[None]:
    """The figures of this module are collected before the next module runs (the GUI tests'
    jobs race the garbage collector: see tests/gui/test_charts_gui.py)."""
    yield
    gc.collect()


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("clinic") / "c.sqlite3"
    services = Services.open(path, clock=FixedClock(NOW))
    generate_demo(services._db, 40, 1, today=NOW.date())
    services.close()
    return str(path)


def run(capsys: Any, *args: str) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("suffix", [".png", ".svg", ".pdf"])
def test_a_patients_timeline_in_each_format(
    capsys: Any, clinic: str, tmp_path: Path, suffix: str
) -> None:
    out = tmp_path / f"timeline{suffix}"
    code, stdout, err = run(capsys, "--db", clinic, "chart", "MD-000001", "--out", str(out))
    assert (code, err) == (0, "")
    assert "MD-000001" in stdout and str(out) in stdout
    assert out.read_bytes().startswith(MAGIC[suffix])


def test_the_clinic_dashboard_over_a_period(capsys: Any, clinic: str, tmp_path: Path) -> None:
    out = tmp_path / "clinic.PDF"  # the extension in any case
    code, stdout, _ = run(
        capsys,
        "chart",
        "--clinic",
        "--from",
        "2025-01-01",
        "--to",
        "2025-12-31",
        "--out",
        str(out),
        "--db",
        clinic,
    )
    assert code == 0 and "2025-01-01 to 2025-12-31" in stdout
    assert out.read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["MD-000001", "--out", "x.gif"], "must end in .png, .svg or .pdf"),
        (["MD-000001", "--out", "x"], "must end in .png, .svg or .pdf"),
        (["--out", "x.png"], "give a RECORD_NO, or --clinic"),
        (["MD-000001", "--clinic", "--out", "x.png"], "not both"),
        (["MD-000001", "--from", "2025-01-01", "--out", "x.png"], "go with --clinic"),
        (["--clinic", "--from", "2025-02-01", "--to", "2025-01-01", "--out", "x.png"], "before"),
        (["--clinic", "--from", "1/2/2025", "--out", "x.png"], "is not a date"),
        (["MD-000001"], "--out"),
    ],
)
def test_usage_errors_exit_2(
    capsys: Any, clinic: str, tmp_path: Path, args: list[str], message: str
) -> None:
    code, _, err = run(capsys, "--db", clinic, "chart", *args)
    assert code == 2
    assert message in err and "Traceback" not in err
    # no chart written anywhere: the only file may be mesodesk's log, which notes the run
    written = {p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file()}
    assert written <= {Path("home/data/logs/mesodesk.log")}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["MD-999999"], "no patient"),
        (["not-a-number"], "is not a record number"),
    ],
)
def test_data_errors_exit_1(
    capsys: Any, clinic: str, tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "x.png"
    code, _, err = run(capsys, "--db", clinic, "chart", *args, "--out", str(out))
    assert code == 1
    assert message in err.lower() and "Traceback" not in err
    assert not out.exists()


def test_a_missing_folder_is_a_data_error(capsys: Any, clinic: str, tmp_path: Path) -> None:
    code, _, err = run(
        capsys, "--db", clinic, "chart", "MD-000001", "--out", str(tmp_path / "no" / "x.png")
    )
    assert code == 1 and "does not exist" in err


def test_an_empty_clinic_still_draws(capsys: Any, tmp_path: Path) -> None:
    db = str(tmp_path / "empty.sqlite3")
    out = tmp_path / "clinic.svg"
    code, stdout, _ = run(capsys, "--db", db, "--create", "chart", "--clinic", "--out", str(out))
    assert code == 0 and out.read_bytes().startswith(b"<?xml")
    assert "the clinic dashboard" in stdout
