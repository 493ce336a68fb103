import csv
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from mesodesk.domain.enums import AEOutcome, Grade, SideEffectKind
from mesodesk.domain.treatment import RecallSideEffect
from mesodesk.ui.recall_view import (
    NUMBER_ROLE,
    PRODUCT_ROLE,
    RecallTableModel,
    RecallView,
    open_recall,
)
from mesodesk.ui.tables import ALERT
from tests.gui import treatment_seed as seed
from tests.gui.conftest import wait_jobs


@pytest.fixture
def clinic(services: Any) -> dict[str, Any]:
    """Lot PC-24 given to two patients (three sessions); one of them reported two side effects
    after it, one of grade 3. Another lot, PC-25, nobody had."""
    p = seed.product(services, "Phosphatidylcholine 5%", "Phosphatidylcholine")
    bad = seed.lot(services, p.id, "PC-24", date(2027, 6, 30))
    seed.lot(services, p.id, "PC-25", date(2027, 9, 30))
    other = seed.product(services, "Caffeine 20%", "Caffeine")
    seed.lot(services, other.id, "PCX-9", date(2025, 1, 31))
    ana = seed.patient(services, "Ana", "=HYPERLINK(1)", "+34 600 123 456")
    c = seed.course(services, ana.id, date(2026, 10, 1))
    s1 = seed.session(services, ana.id, c.id, datetime(2026, 10, 1, 9, 0), bad.id)
    s2 = seed.session(services, ana.id, c.id, datetime(2026, 10, 8, 9, 0), bad.id)
    seed.side_effect(services, ana.id, s1.id, date(2026, 10, 2), grade=1, lot_id=bad.id)
    seed.side_effect(
        services, ana.id, s2.id, date(2026, 10, 9), grade=3, kind=SideEffectKind.INFECTION
    )
    ben = seed.patient(services, "Ben", "Okafor", "555 0101")
    c2 = seed.course(services, ben.id, date(2026, 10, 5))
    seed.session(services, ben.id, c2.id, datetime(2026, 10, 5, 14, 30), bad.id)
    return {"ana": ana, "ben": ben}


def test_model_passes_the_model_tester(
    qtmodeltester: Any, services: Any, formats: Any, clinic: Any
) -> None:
    model = RecallTableModel(formats)
    model.set_entries(services.recall.recall("pc-24").entries)
    qtmodeltester.check(model)
    assert model.rowCount() == 3
    rows = {
        model.data(model.index(r, 3)): (
            model.data(model.index(r, 5)),
            model.data(model.index(r, 6)),
        )
        for r in range(model.rowCount())
    }
    # Ana's swelling names the lot; her infection after the second session names none
    assert rows["01/10/2026 09:00"] == ("Swelling, grade 1, from 02/10/2026 (ongoing)", "")
    assert rows["08/10/2026 09:00"] == ("None", "Infection, grade 3, from 09/10/2026 (ongoing)")
    assert rows["05/10/2026 14:30"] == ("None", "")
    severe = next(r for r in range(3) if model.data(model.index(r, 3)).startswith("08/10"))
    assert model.data(model.index(severe, 6), Qt.ItemDataRole.ForegroundRole).color() == ALERT
    assert model.data(model.index(severe, 5), Qt.ItemDataRole.ForegroundRole) is None
    assert model.data(model.index(severe, 6), Qt.ItemDataRole.ToolTipRole).endswith(
        "; no lot suspected"
    )
    resolved = RecallSideEffect(
        9,
        SideEffectKind.SWELLING,
        Grade.MODERATE,
        date(2024, 3, 20),
        date(2024, 3, 31),
        AEOutcome.RESOLVED,
        "PC-25",
        False,
    )
    assert model._effect_line(resolved) == "Swelling, grade 2, 20/03/2024 to 31/03/2024"
    assert model._effect_line(resolved, detail=True).endswith(
        "31/03/2024 (resolved); suspected lot PC-25"
    )


@pytest.fixture
def view(qtbot: Any, window: Any, clinic: Any) -> RecallView:
    action = next(a for a in window.menus["tools"].actions() if a.objectName() == "open_recall")
    action.trigger()
    v = window.tabs.currentWidget()
    assert isinstance(v, RecallView)
    return v


def test_recall_separates_the_side_effects_suspecting_the_lot_from_the_others(
    qtbot: Any, view: RecallView, window: Any
) -> None:
    view.lot.setText("pc-24")
    qtbot.keyClick(view.lot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: view.recall is not None)
    assert view.proxy.rowCount() == 3
    assert view.summary.text() == (
        "3 sessions, 2 patients; 1 side effect suspecting this lot, in 1 patient."
    )
    assert view.others.text() == (
        "Other side effects since (not suspecting this lot): 1, in 1 patient "
        "(1 of grade 3 or above)."
    )
    assert view.lot_info.text().startswith("Lot PC-24 of Phosphatidylcholine 5% (expires")
    assert view.product.isHidden()  # one product has this number: nothing to ask
    assert window.tabs.tabText(window.tabs.indexOf(view)) == "Recall PC-24"
    view.filter.setCurrentIndex(1)  # a side effect suspecting the lot
    assert view.proxy.rowCount() == 1
    view.filter.setCurrentIndex(2)  # any side effect
    assert view.proxy.rowCount() == 2
    view.filter.setCurrentIndex(0)
    assert view.proxy.rowCount() == 3
    assert open_recall(window) is view


def test_a_number_of_several_products_asks_which(
    qtbot: Any, services: Any, view: RecallView
) -> None:
    """Caffeine 20% has a lot PC-24 too: the view asks which, beside the number."""
    caffeine = next(p for p in services.catalogue.products() if p.name == "Caffeine 20%")
    seed.lot(services, caffeine.id, "Pc-24", date(2027, 3, 31))
    view.show_lot("PC-24")
    qtbot.waitUntil(lambda: view.lot_error.isVisibleTo(view))
    assert view.lot_error.text() == (
        "Lot PC-24 exists for 2 products: choose which in the list beside it."
    )
    assert view.recall is None and not view.product.isHidden()
    names = [view.product.itemText(i) for i in range(view.product.count())]
    assert names == ["Choose the product…", "Caffeine 20%", "Phosphatidylcholine 5%"]
    view.product.setCurrentIndex(2)
    view.product.activated.emit(2)
    qtbot.waitUntil(lambda: view.recall is not None)
    assert view.recall.product == "Phosphatidylcholine 5%" and view.proxy.rowCount() == 3
    assert "Other products with a lot of this number: Caffeine 20%." in view.lot_info.text()
    view.product.setCurrentIndex(view.product.findData("Caffeine 20%"))
    view.product.activated.emit(view.product.currentIndex())
    qtbot.waitUntil(lambda: view.recall is not None and view.recall.product == "Caffeine 20%")
    assert view.proxy.rowCount() == 0
    assert "No session has used lot Pc-24 of Caffeine 20% yet." in view.empty.text()


def test_unknown_lot_shows_beside_the_field(qtbot: Any, view: RecallView) -> None:
    view.show_lot("NOPE")
    qtbot.waitUntil(lambda: view.lot_error.isVisibleTo(view))
    assert "no lot NOPE" in view.lot_error.text()
    assert not view.export_button.isEnabled()
    view.show_lot("  ")
    assert "Type the lot number" in view.lot_error.text()


def test_the_completer_offers_lots_by_prefix(qtbot: Any, view: RecallView) -> None:
    view.lot.setFocus()
    qtbot.keyClicks(view.lot, "pc")
    qtbot.waitUntil(lambda: view.completions.rowCount() == 3)
    numbers = [view.completions.item(r).data(NUMBER_ROLE) for r in range(3)]
    assert numbers == ["PC-24", "PC-25", "PCX-9"]
    assert view.completions.item(2).data(PRODUCT_ROLE) == "Caffeine 20%"
    assert "expired 31/01/2025" in view.completions.item(2).text()
    view._completion_chosen(view.completions.index(1, 0))
    qtbot.waitUntil(lambda: view.recall is not None)
    assert view.lot.text() == "PC-25"
    assert view.summary.text() == "0 sessions, 0 patients; no side effect suspecting this lot."


def test_double_click_opens_the_patient(
    qtbot: Any, window: Any, clinic: Any, monkeypatch: Any
) -> None:
    opened: list[int] = []
    monkeypatch.setattr(window, "open_patient", opened.append)
    v = open_recall(window, "PC-24")
    qtbot.waitUntil(lambda: v.proxy.rowCount() == 3)
    v.table.doubleClicked.emit(v.proxy.index(1, 1))  # by session date: Ben's is the second
    assert opened == [clinic["ben"].id]


def test_export_writes_a_csv_whose_formula_like_cells_are_neutralised(
    qtbot: Any, view: RecallView, tmp_path: Path, monkeypatch: Any
) -> None:
    view.show_lot("PC-24")
    qtbot.waitUntil(lambda: view.recall is not None)
    suggested: list[str] = []
    target = tmp_path / "recall"
    monkeypatch.setattr(view, "choose_file", lambda s: suggested.append(s) or str(target))
    view.export_button.click()
    qtbot.waitUntil(lambda: view.export_status.isVisibleTo(view))
    assert suggested[0].endswith("recall-PC-24-2026-11-24.csv")
    assert view.exported_to == str(target) + ".csv"
    text = Path(view.exported_to).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(text.splitlines()))
    assert rows[0][:4] == ["record_no", "last_name", "first_name", "phone"]
    assert len(rows) == 4
    ana = [r for r in rows if r[2] == "Ana"]
    assert {r[1] for r in ana} == {"'=HYPERLINK(1)"}
    assert {r[3] for r in ana} == {"'+34 600 123 456"}
    suspected = rows[0].index("suspected")
    assert {(r[8], r[9], r[suspected]) for r in ana} == {
        ("Swelling", "1", "true"),
        ("Infection", "3", "false"),
    }
    ben = next(r for r in rows if r[2] == "Ben")
    assert ben[3] == "555 0101"  # nothing to neutralise: left as it is
    assert not list(Path(tmp_path).glob("*.part"))


def test_a_failed_export_is_explained(
    qtbot: Any, view: RecallView, tmp_path: Path, monkeypatch: Any
) -> None:
    view.show_lot("PC-24")
    qtbot.waitUntil(lambda: view.recall is not None)
    told: list[str] = []
    monkeypatch.setattr(view, "choose_file", lambda s: str(tmp_path / "missing" / "x.csv"))
    monkeypatch.setattr(view, "tell", told.append)
    view.export_button.click()
    qtbot.waitUntil(lambda: bool(told))
    assert "could not be written" in told[0]
    wait_jobs(qtbot, view.runner)
    assert view.export_button.isEnabled()
