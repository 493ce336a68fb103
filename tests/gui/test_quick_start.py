"""The first window: the real first page of patients before the rest of mesodesk loads."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from mesodesk.domain.dates import DateOrder
from mesodesk.store.quick import first_page
from mesodesk.ui.labels import Formats
from mesodesk.ui.quick_start import QuickWindow
from mesodesk.ui.settings import Settings
from tests.conftest import patient_input


def test_first_page_reads_the_list_as_the_service_does(services: Any, db_path: Path) -> None:
    for name in ("Zoë", "Ana", "Marta"):
        services.patients.create(patient_input(first_name=name, last_name=name + "son"))
    archived = services.patients.create(patient_input(first_name="Old", last_name="Aaron")).value
    services.patients.archive(archived.id)
    quick = first_page(db_path)
    assert quick is not None and quick.date_order is DateOrder.DMY
    from mesodesk.domain.search import PatientQuery, PatientSort

    expected = services.patients.search(PatientQuery(sort=PatientSort.NAME))
    assert quick.page.total == expected.total == 3
    assert quick.page.rows == expected.rows


def test_first_page_gives_up_on_anything_unusual(
    services: Any, db_path: Path, tmp_path: Path
) -> None:
    assert first_page(tmp_path / "missing.db") is None
    text = tmp_path / "notes.txt"
    text.write_text("not a database")
    assert first_page(text) is None
    services.close()
    con = sqlite3.connect(db_path)
    con.execute("UPDATE alembic_version SET version_num = '0001'")
    con.commit()
    con.close()
    assert first_page(db_path) is None  # an older schema: the normal start-up migrates it


def test_quick_window_shows_the_page_and_keeps_what_is_typed(
    qtbot: Any, services: Any, db_path: Path
) -> None:
    services.patients.create(patient_input())
    quick = first_page(db_path)
    assert quick is not None
    window = QuickWindow(quick.page, Formats(quick.date_order), Settings(), str(db_path))
    qtbot.addWidget(window)
    window.show()
    assert window.model.rowCount() == 1
    assert window.model.data(window.model.index(0, 1)) == "Müller, José"
    assert window.count_label.text() == "1 patient"
    assert window.matches_first_order()
    qtbot.keyClicks(window.list_view.search, "mul")
    qtbot.wait(100)  # the search timer fires; the first window does not search
    assert window.typed == "mul" and window.model.rowCount() == 1


def test_start_up_shows_the_first_page_then_the_main_window(
    services: Any, db_path: Path, tmp_path: Path
) -> None:
    services.patients.create(patient_input())
    services.close()
    env = {
        "QT_QPA_PLATFORM": "offscreen",
        "MESODESK_HOME": str(tmp_path / "home"),
        "MESODESK_PROBE_STARTUP": "0",
        "PATH": "/usr/bin:/bin",
    }
    out = subprocess.run(
        [sys.executable, "-m", "mesodesk", "--db", str(db_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert "shown " in out and "ready " in out
    assert out.index("shown ") < out.index("ready ")


def test_start_up_resolves_the_database_once_and_holds_one_lock(
    qapp: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    from mesodesk.app import StartUp

    path = tmp_path / "clinic.sqlite3"
    path.write_bytes(b"")  # exists: no question asked
    for typed in (str(path), f"sqlite:///{path}"):
        start = StartUp.resolve(typed)
        assert start.path == path.resolve() and start.target.url == f"sqlite:///{path.resolve()}"
    told: list[str] = []
    monkeypatch.setattr(
        "mesodesk.app.QMessageBox.information", lambda _p, _t, text: told.append(text)
    )
    first = StartUp.resolve(str(path))
    assert first.confirm_new() and first.take_lock() and first.lock is not None
    second = StartUp.resolve(str(path))
    assert not second.take_lock() and second.lock is None and len(told) == 1
    first.release()
    assert second.take_lock()
    second.release()
    assert StartUp.resolve("postgresql://u@host/clinic").path is None
