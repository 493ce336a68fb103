"""Charts in the window: export and copy, the patient's timeline (hover and click a bar), and the
clinic dashboard opened from the View menu."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QGuiApplication, QMouseEvent
from PySide6.QtWidgets import QApplication, QToolTip

from mesodesk.reports import dashboard as clinic_charts
from mesodesk.reports import timeline
from mesodesk.services.demo import BAD_LOT_NUMBER, INFECTION_LOT_NUMBER, generate_demo
from mesodesk.ui.charts import ChartView, PatientTimelineView
from mesodesk.ui.dashboard import (
    ClinicDashboardView,
    LotRatesDialog,
    SignalTableModel,
    open_dashboard,
)
from tests import chart_data as data
from tests.gui.conftest import wait_jobs

TODAY = date(2026, 11, 24)  # the test clock's day


@pytest.fixture(autouse=True)
def _collect_figures(qtbot: Any) -> Iterator[None]:
    """Figures are cycles of many objects: collect them here, while no job runs, rather than
    in whichever later test the garbage collector happens to run (see ui/jobs.py's runnables,
    deleted in the pool's thread)."""
    yield
    qtbot.wait(10)
    gc.collect()


def test_chart_view_exports_and_copies(
    qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = ChartView(name="months")
    qtbot.addWidget(view)
    view.resize(700, 450)
    view.show()
    assert not view.export_button.isEnabled()
    view.set_figure(clinic_charts.monthly_rates_figure(data.dashboard()))
    assert view.export_button.isEnabled() and view.copy_button.isEnabled()
    for suffix, start in ((".svg", b"<?xml"), (".png", b"\x89PNG"), (".pdf", b"%PDF")):
        target = str(tmp_path / f"months{suffix}")
        monkeypatch.setattr(
            ChartView, "ask_export_path", classmethod(lambda cls, p, s, t=target: t)
        )
        view.export_button.click()
        assert Path(target).read_bytes().startswith(start)
    monkeypatch.setattr(ChartView, "ask_export_path", classmethod(lambda cls, p, s: None))
    view.export_button.click()  # cancelled: nothing happens
    QGuiApplication.clipboard().clear()
    view.copy_button.click()
    image = QGuiApplication.clipboard().image()
    assert not image.isNull() and image.width() > 300
    view.show_message("Nothing to show")
    assert view.figure() is None and not view.export_button.isEnabled()


def shown_timeline(qtbot: Any, record: Any) -> PatientTimelineView:
    view = PatientTimelineView()
    qtbot.addWidget(view)
    view.resize(1000, 640)
    view.show()
    qtbot.waitExposed(view)
    view.show_record(record, data.TODAY)
    view.chart.draw_now()
    return view


def test_clicking_a_bar_gives_its_side_effect(qtbot: Any) -> None:
    record = data.record(sessions=10, effects=6, ongoing=1, lot_change_at=4)
    view = shown_timeline(qtbot, record)
    canvas = view.chart.canvas
    for effect in record.side_effects:
        with qtbot.waitSignal(view.side_effect_clicked, timeout=2000) as signal:
            qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=view.bar_center(effect.id))
        assert signal.args == [effect.id]
    # a click beside every bar opens nothing
    with qtbot.assertNotEmitted(view.side_effect_clicked):
        qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(5, 5))


def move(widget: Any, at: QPoint) -> None:
    """A mouse move straight to the canvas (QTest's moves the system pointer, which a popup
    left open by another test can hold)."""
    event = QMouseEvent(
        QEvent.Type.MouseMove,
        QPointF(at),
        QPointF(widget.mapToGlobal(at)),
        Qt.MouseButton.NoButton,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(widget, event)


def test_hovering_a_bar_outlines_it_and_tells_its_details(qtbot: Any) -> None:
    record = data.record(sessions=6, effects=3, ongoing=1)
    view = shown_timeline(qtbot, record)
    ongoing = next(e for e in record.side_effects if e.resolved_on is None)
    move(view.chart.canvas, view.bar_center(ongoing.id))
    qtbot.waitUntil(view.highlight.isVisible, timeout=2000)
    assert view._hovered == ongoing.id
    text = view.details(ongoing)
    assert "ongoing" in text and "Grade" in text and "Click to open" in text
    qtbot.waitUntil(lambda: QToolTip.isVisible() and "ongoing" in QToolTip.text(), timeout=2000)
    move(view.chart.canvas, QPoint(3, 3))
    qtbot.waitUntil(lambda: not view.highlight.isVisible(), timeout=2000)


def test_timeline_edges_in_the_view(qtbot: Any) -> None:
    view = shown_timeline(qtbot, data.record())
    assert view.chart.figure() is not None and not view.hint.isVisible()
    view.show_record(data.record(effects=2), data.TODAY)  # side effects, no session
    assert view.hint.isVisible()
    assert len(timeline.timeline_bars(view.chart.figure()).bars) == 2


@pytest.fixture
def demo_window(qtbot: Any, services: Any) -> Any:
    from mesodesk.ui.main_window import MainWindow
    from mesodesk.ui.settings import Settings

    # the first-start demo's size: enough exposed patients for both of its signals to show
    generate_demo(services._db, 1000, 1, today=TODAY)
    window = MainWindow(services, Settings())
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitUntil(lambda: not window.model.loading)
    yield window
    window.runner.wait(10_000)


def test_dashboard_from_the_view_menu_lists_the_signals_and_checks_its_period(
    qtbot: Any, demo_window: Any
) -> None:
    action = next(
        a for a in demo_window.menus["view"].actions() if a.objectName() == "open_dashboard"
    )
    action.trigger()
    view = demo_window.tabs.currentWidget()
    assert isinstance(view, ClinicDashboardView)
    assert view.start.text() == ""  # the whole history, by default
    wait_jobs(qtbot, demo_window.runner)
    qtbot.waitUntil(lambda: not view.loading and not view.signals_loading, timeout=20_000)
    assert "sessions" in view.headline.text()
    for name, chart in view.charts.items():
        assert chart.figure() is not None, name
    lots = view.charts["lots"].figure().axes[0].get_yticklabels()
    assert lots[0].get_text().startswith(BAD_LOT_NUMBER)
    # each chart is made for its place (its wrapping, legend rows and margins chosen for that
    # size), and made again when the window is resized rather than stretched
    chart = view.charts["lots"]

    def made_for_its_place() -> bool:
        figure = chart.figure()
        return figure is not None and (
            abs(figure.get_figwidth() * 100 - chart.canvas.width()) <= 5
            and abs(figure.get_figheight() * 100 - chart.canvas.height()) <= 5
        )

    qtbot.waitUntil(made_for_its_place, timeout=5_000)
    before = chart.figure()
    demo_window.resize(1024, 700)
    qtbot.waitUntil(lambda: chart.figure() is not before and made_for_its_place(), timeout=5_000)
    # the chart has room for the highest rates: every lot is in a table, a click away
    shown = len(chart.figure().axes[0].get_yticklabels())
    every = len(view.data.lots)
    assert shown < every
    assert view.all_lots_button.isEnabled()
    assert view.all_lots_button.text() == f"Every lot ({every:,})…"
    view.all_lots_button.click()
    dialog = view.findChild(LotRatesDialog)
    assert dialog is not None and dialog.isVisible()
    assert dialog.proxy.rowCount() == every
    assert dialog.proxy.index(0, 0).data() == BAD_LOT_NUMBER  # sorted by the interval
    dialog.filter.setText(INFECTION_LOT_NUMBER)
    assert dialog.proxy.rowCount() >= 1
    assert all(
        dialog.proxy.index(r, 0).data() == INFECTION_LOT_NUMBER
        for r in range(dialog.proxy.rowCount())
    )
    dialog.table.selectRow(0)
    with qtbot.waitSignal(view.recall_requested, timeout=2_000) as asked:
        dialog.recall_button.click()
    assert asked.args == [INFECTION_LOT_NUMBER]
    wait_jobs(qtbot, demo_window.runner)
    demo_window.tabs.setCurrentWidget(view)
    # the signals: the infection cluster first (serious, in red), the bad lot's nodules
    table, model = view.signal_table, view.signal_model
    assert table.isVisible() and view.recall_button.isVisible()
    assert "Signals: " in view.signals_title.text()
    first = model.rows[0]
    assert (first.lot_number, first.kind.value, first.serious) == (
        INFECTION_LOT_NUMBER,
        "infection",
        True,
    )
    assert any(s.lot_number == BAD_LOT_NUMBER and not s.serious for s in model.rows)
    assert model.data(model.index(0, 0)) == f"{INFECTION_LOT_NUMBER} — L-carnitine 20%"
    assert model.data(model.index(0, 1)) == "Infection"
    assert model.data(model.index(0, 6)) == "Serious"
    assert model.data(model.index(0, 7)) == "The clinic's other lots"
    assert model.data(model.index(0, 2), Qt.ItemDataRole.ForegroundRole).color().name() == (
        "#b00020"
    )
    tooltip = model.data(model.index(0, 3), Qt.ItemDataRole.ToolTipRole)
    assert f"patients who received lot {INFECTION_LOT_NUMBER} had infection within 90" in tooltip
    # every row fits: the table shows them all without a vertical scroll bar (up to five)
    assert table.verticalScrollBar().maximum() == 0 or len(model.rows) > 5
    # the lot recall from a signal
    assert not view.recall_button.isEnabled()
    table.selectRow(0)
    assert view.recall_button.isEnabled()
    with qtbot.waitSignal(view.recall_requested, timeout=2_000) as blocker:
        view.recall_button.click()
    assert blocker.args == [INFECTION_LOT_NUMBER]
    wait_jobs(qtbot, demo_window.runner)
    demo_window.tabs.setCurrentWidget(view)
    # opening it again shows the same tab
    assert open_dashboard(demo_window) is view
    # a date that is not one, a period with no session, a period that ends before it starts
    view.start.edit.setText("31/31/2020")
    view.reload()
    assert "31/31/2020 does not exist: there is no month 31" in view.headline.text()
    view.start.edit.setText("last spring")
    view.reload()
    assert "Not a date; write it as dd/mm/yyyy" in view.headline.text()
    view.start.edit.setText("01/01/2010")
    view.end.edit.setText("31/03/2010")
    view.reload()
    wait_jobs(qtbot, demo_window.runner)
    qtbot.waitUntil(lambda: not view.loading and not view.signals_loading, timeout=10_000)
    assert "no sessions in this period" in view.headline.text()
    assert not table.isVisible() and model.rowCount() == 0
    assert "Signals: none" in view.signals_title.text()
    view.end.edit.setText("01/01/2009")
    view.reload()
    assert "starts after it ends" in view.headline.text()


def test_signal_table_model_passes_qt_s_model_tests(qtmodeltester: Any) -> None:
    from mesodesk.domain.enums import SideEffectKind as K
    from mesodesk.domain.signals import Comparison, LotInfo, Signal

    model = SignalTableModel()
    model.set_rows(
        [
            Signal(
                lot=LotInfo(lot, 1, "Caffeine 20%", f"C-{lot}"),
                kind=kind,
                serious=serious,
                cases=3 + lot,
                exposed_patients=40,
                expected=0.5,
                ic=2.0,
                score=0.9,
                comparison=Comparison.CLINIC if serious else Comparison.PRODUCT,
                comparison_patients=300,
                only_lot_of_product=False,
                window_days=7,
                shares_cases_with=(LotInfo(9, 2, "Procaine 2%", "P-9"),) if lot == 1 else (),
            )
            for lot, kind, serious in ((1, K.INFECTION, True), (2, K.NODULES, False))
        ]
    )
    qtmodeltester.check(model)
    assert model.rowCount() == 2 and model.columnCount() == 8
    assert "P-9" in model.data(model.index(0, 0), Qt.ItemDataRole.ToolTipRole)
    assert model.data(model.index(1, 6)) == "All grades"
    assert model.data(model.index(1, 7)) == "Other lots of the product"


def test_the_side_effect_dialog_offers_numbness(qtbot: Any) -> None:
    from mesodesk.domain.enums import SideEffectKind
    from mesodesk.ui.widgets import EnumCombo

    combo = EnumCombo(SideEffectKind)
    qtbot.addWidget(combo)
    index = combo.findData("numbness")
    assert index >= 0 and combo.itemText(index) == "Numbness"
    combo.setCurrentIndex(index)
    assert combo.value() is SideEffectKind.NUMBNESS
