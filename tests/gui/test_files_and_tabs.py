"""Where file dialogs start (the folder last used, a declared setting) and the record tabs
opened again at the next start (issue 15 item 12)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mesodesk.reports import dashboard as clinic_charts
from mesodesk.services.demo import generate_demo
from mesodesk.ui import files
from mesodesk.ui import settings as keys
from mesodesk.ui.charts import ChartView
from mesodesk.ui.settings import Settings
from tests import chart_data as data
from tests.gui.conftest import wait_jobs


def test_file_dialogs_start_in_the_folder_last_used(
    qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = ChartView(name="months")
    qtbot.addWidget(view)
    view.resize(700, 450)
    view.show()
    view.set_figure(clinic_charts.monthly_rates_figure(data.dashboard()))
    asked: list[str] = []
    exports = tmp_path / "exports"
    exports.mkdir()

    def answer(_cls: Any, _parent: Any, suggested: str) -> str:
        asked.append(suggested)
        return str(exports / "chart.png")

    monkeypatch.setattr(ChartView, "ask_export_path", classmethod(answer))
    view.export_button.click()  # nothing used yet: the documents folder
    assert Path(asked[0]) == files.documents() / "months.png"
    assert (exports / "chart.png").exists()
    view.export_button.click()  # then the folder of the last file saved
    assert Path(asked[1]) == exports / "months.png"
    assert Settings().get(keys.LAST_FOLDER) == str(exports)
    # every file dialog reads the same setting (the recall list's CSV, the summaries' folder)
    assert Path(files.start_in("recall.csv")) == exports / "recall.csv"
    # a folder deleted since is passed over
    (exports / "chart.png").unlink()
    exports.rmdir()
    assert Path(files.start_in("x.csv")) == files.documents() / "x.csv"


def test_open_record_tabs_are_opened_again_at_the_next_start(qtbot: Any, services: Any) -> None:
    from mesodesk.ui.main_window import MainWindow

    generate_demo(services._db, 12, 1, today=data.TODAY)
    first = MainWindow(services, Settings())
    qtbot.addWidget(first)
    first.show()
    qtbot.waitUntil(lambda: not first.model.loading)
    ids = [first.model.patient_id(row) for row in range(4)]
    assert all(i is not None for i in ids)
    for patient_id in ids:
        first.open_patient(patient_id)  # type: ignore[arg-type]
    first._close_tab(first.tabs.indexOf(first.pages[ids[1]]))  # type: ignore[index]
    first.tabs.setCurrentWidget(first.pages[ids[2]])  # type: ignore[index]
    wait_jobs(qtbot, first.runner)
    first.close()  # the window closing keeps what was open
    kept = [ids[0], ids[2], ids[3]]
    assert json.loads(Settings().get(keys.OPEN_RECORDS))["records"] == kept

    second = MainWindow(services, Settings())
    qtbot.addWidget(second)
    second.show()
    assert second.open_records() == []  # only when asked (at start-up, by the app)
    second.restore_records()
    qtbot.waitUntil(lambda: second.open_records() == kept)
    assert second.tabs.currentWidget() is second.pages[ids[2]]  # type: ignore[index]
    qtbot.waitUntil(lambda: all(v.record is not None for v in second.pages.values()))
    assert second.tabs.tabText(1) != "Loading…"
    wait_jobs(qtbot, second.runner)
    second.close()

    # a patient who no longer exists is left out; another database's tabs are not opened
    saved = json.loads(Settings().get(keys.OPEN_RECORDS))
    Settings().set(keys.OPEN_RECORDS, json.dumps({**saved, "records": [999_999, ids[0]]}))
    third = MainWindow(services, Settings())
    qtbot.addWidget(third)
    third.restore_records()
    qtbot.waitUntil(lambda: third.open_records() == [ids[0]])
    wait_jobs(qtbot, third.runner)
    third.close()
    Settings().set(keys.OPEN_RECORDS, json.dumps({**saved, "database": "/elsewhere.sqlite3"}))
    fourth = MainWindow(services, Settings())
    qtbot.addWidget(fourth)
    fourth.restore_records()
    wait_jobs(qtbot, fourth.runner)
    assert fourth.open_records() == []
    # a setting this version cannot read starts with the patient list alone
    Settings().set(keys.OPEN_RECORDS, "not json")
    fourth.restore_records()
    assert fourth.open_records() == []
    fourth.close()
