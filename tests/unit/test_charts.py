"""The chart builders, from plain data: what is drawn, how many, with which labels, the edges."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.patches import PathPatch
from matplotlib.text import Text

from mesodesk.domain.enums import Grade, SideEffectKind
from mesodesk.reports import dashboard as clinic_charts
from mesodesk.reports import style, timeline
from tests import chart_data as data
from tests.chart_data import START, TODAY


@pytest.fixture(scope="module", autouse=True)
def _collect_figures() -> Iterator[None]:
    """The figures of this module are collected before the next module runs (the GUI tests'
    jobs race the garbage collector: see tests/gui/test_charts_gui.py)."""
    yield
    gc.collect()


def drawn(figure: object) -> object:
    FigureCanvasAgg(figure).draw()  # type: ignore[arg-type]
    return figure


def texts(figure: object) -> list[str]:
    return [t.get_text() for t in figure.findobj(Text) if t.get_text()]  # type: ignore[attr-defined]


def outline_texts(figure: object) -> list[str]:
    """The words drawn as outlines (row names, grades, session numbers, legend)."""
    return style.outline_words(figure)  # type: ignore[arg-type]


def session_marks(figure: object) -> int:
    top = figure.axes[0]  # type: ignore[attr-defined]
    return sum(len(line.get_xdata()) for line in top.get_lines() if line.get_marker() == "v")


# -- the patient's timeline ---------------------------------------------------------------------


def test_one_bar_per_side_effect_and_one_mark_per_session() -> None:
    record = data.record(sessions=12, effects=9, ongoing=1, lot_change_at=6, reviews=1)
    figure = drawn(timeline.patient_timeline(record, TODAY))
    bars = timeline.timeline_bars(figure)
    assert sorted(bar.effect_id for bar in bars.bars) == [
        e.id for e in sorted(record.side_effects, key=lambda e: e.id)
    ]
    assert session_marks(figure) == 12
    # a bar runs from its onset to the day after its resolution; the ongoing one to today
    epoch = style._date_number(
        __import__("datetime").datetime.fromisoformat(matplotlib.dates.get_epoch())
    )
    for effect in record.side_effects:
        bar = bars.by_id[effect.id]
        assert bar.x0 == pytest.approx(epoch(effect.onset_on))
        end = effect.resolved_on or TODAY
        assert bar.x1 >= epoch(end + timedelta(days=1)) - 1e-9
    words = outline_texts(figure)
    assert "Sessions" in words
    for kind in {e.kind for e in record.side_effects}:  # a row per kind, named
        assert style._wrap(style._kind_title(kind), 18) in words
    assert "HA-2507-C" in words  # the lot change, named
    assert any(w.startswith("G") and w[1:].isdigit() for w in words)  # grades, as text


def test_grade_shown_by_fill_hatch_and_legend() -> None:
    record = data.record(sessions=6, effects=30, seed=3)
    figure = drawn(timeline.patient_timeline(record, TODAY))
    patches = [
        p for p in figure.findobj(PathPatch) if (p.get_gid() or "").startswith("side_effects_grade")
    ]
    grades = {int(p.get_gid().split("grade")[1][0]) for p in patches}
    assert grades == {int(e.grade) for e in record.side_effects}
    by_gid = {p.get_gid(): p for p in patches}
    if "side_effects_grade2" in by_gid:
        assert by_gid["side_effects_grade2"].get_hatch()
    if "side_effects_grade1" in by_gid:
        assert not by_gid["side_effects_grade1"].get_hatch()
    words = outline_texts(figure)
    for grade in {e.grade for e in record.side_effects}:
        assert f"G{int(grade)} {style.GRADE_WORDS[grade]}" in words


def test_an_ongoing_side_effect_runs_to_today_and_looks_unfinished() -> None:
    record = data.record(sessions=3, effects=1, ongoing=1)
    figure = drawn(timeline.patient_timeline(record, TODAY))
    (bar,) = timeline.timeline_bars(figure).bars
    patch = next(p for p in figure.findobj(PathPatch) if (p.get_gid() or "").endswith("_ongoing"))
    assert patch.get_hatch()  # hatched
    assert patch.get_linestyle() not in ("-", "solid")  # dashed outline
    arrows = [
        c
        for c in figure.axes[0].collections
        if isinstance(c, PathCollection) and len(c.get_offsets()) == 1
    ]
    assert any(c.get_offsets()[0][0] == pytest.approx(bar.x1) for c in arrows)  # the open arrow end
    assert "ongoing (runs to today)" in outline_texts(figure)
    assert "today" in outline_texts(figure)


def test_no_sessions_and_no_side_effects() -> None:
    figure = drawn(timeline.patient_timeline(data.record(), TODAY))
    assert any("No sessions, side effects or outcomes" in t for t in texts(figure))
    assert timeline.timeline_bars(figure).bars == ()
    assert timeline.timeline_bars(figure).at(10, 10) is None


def test_one_session() -> None:
    figure = drawn(timeline.patient_timeline(data.record(sessions=1), TODAY))
    assert session_marks(figure) == 1
    assert any("No side effects recorded" in t for t in texts(figure))
    # the words sit on the side effects' row, below the line under the session marks (they
    # were drawn among the marks, over session 2 of a longer course)
    top = figure.axes[0]
    (words,) = [t for t in top.texts if "No side effects recorded" in t.get_text()]
    line = top.transData.transform((0, 0.5))[1]  # the line under the marks, in pixels
    assert words.get_window_extent().y1 < line
    low, high = figure.axes[0].get_xlim()
    assert high - low >= 21  # a single day is shown with room around it


def test_side_effects_but_no_session() -> None:
    record = data.record(effects=4)
    figure = drawn(timeline.patient_timeline(record, TODAY))
    assert len(timeline.timeline_bars(figure).bars) == 4
    assert session_marks(figure) == 0
    assert any("No pain scores or GAIS" in t for t in texts(figure))


def test_five_hundred_side_effects() -> None:
    record = data.record(sessions=40, effects=500, ongoing=10)
    figure = drawn(timeline.patient_timeline(record, TODAY))
    bars = timeline.timeline_bars(figure)
    assert len(bars.bars) == 500
    assert len({b.effect_id for b in bars.bars}) == 500
    # overlapping episodes of a kind go in lanes inside the kind's row: no bar leaves its row
    for bar in bars.bars:
        assert bar.y1 - bar.y0 > 0.05


def test_pain_and_gais_lines() -> None:
    record = data.record(sessions=5, reviews=2)
    figure = drawn(timeline.patient_timeline(record, TODAY))
    lines = [line for line in figure.axes[1].get_lines() if len(line.get_xdata()) > 0]
    pain = next(line for line in lines if line.get_marker() == "o")
    assert list(pain.get_ydata()) == [s.pain_nrs for s in record.sessions]
    gais = next(line for line in lines if line.get_marker() == "s")
    # GAIS 1 (very much improved) at the top of the panel, 5 (worse) at the bottom
    expected = [10.0 - 2.5 * (s.gais - 1) for s in record.sessions if s.gais is not None]
    assert list(gais.get_ydata()) == expected
    stars = next(line for line in lines if line.get_marker() == "*")
    assert len(stars.get_xdata()) == 2
    assert "1 very much improved" in outline_texts(figure)


def test_a_bar_is_found_where_it_is_drawn() -> None:
    record = data.record(sessions=8, effects=5)
    figure = drawn(timeline.patient_timeline(record, TODAY))
    bars = timeline.timeline_bars(figure)
    for bar in bars.bars:
        x0, y0, x1, y1 = bars.display_box(bar.effect_id)
        found = bars.at((x0 + x1) / 2, (y0 + y1) / 2)
        assert found is not None and found.effect_id == bar.effect_id
    assert bars.at(1, 1) is None


def test_a_lot_change_is_marked_only_for_a_product_given_again() -> None:
    same = data.record(sessions=4)
    changed = data.record(sessions=4, lot_change_at=2)
    sessions = list(changed.sessions)
    assert timeline._lot_changes(same.sessions, [0, 1, 2, 3]) == []
    (change,) = timeline._lot_changes(sessions, [0, 1, 2, 3])
    assert change.x == 2 and change.lots == "HA-2507-C"
    figure = drawn(timeline.patient_timeline(changed, TODAY))
    diamonds = [line for line in figure.axes[0].get_lines() if line.get_marker() == "D"]
    assert len(diamonds[0].get_xdata()) == 1


def test_title_names_the_patient_and_the_summary_does_not() -> None:
    class Patient:
        record_no = "MD-000042"
        full_name = "Ana Silva"

    record = replace(data.record(sessions=3, effects=1), patient=Patient())
    assert any("MD-000042  Ana Silva" in t for t in texts(timeline.patient_timeline(record, TODAY)))
    (figure,) = timeline.summary_figures(record, TODAY)
    assert all("Ana" not in t for t in texts(figure))
    assert timeline.summary_figures(data.record(), TODAY) == []


def test_export_formats(tmp_path: Path) -> None:
    figure = timeline.patient_timeline(data.record(sessions=4, effects=3), TODAY)
    magic = {"png": b"\x89PNG", "svg": b"<?xml", "pdf": b"%PDF"}
    for fmt, start in magic.items():
        path = tmp_path / f"t.{fmt}"
        style.save(figure, str(path))
        assert path.read_bytes().startswith(start)


def test_matplotlib_is_not_imported_by_the_app_or_the_charts_module() -> None:
    code = (
        "import sys, mesodesk.app, mesodesk.reports.timeline, mesodesk.reports.dashboard, "
        "mesodesk.ui.charts, "
        "mesodesk.ui.dashboard, mesodesk.cli.charts; print('matplotlib' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "False"


# -- the clinic dashboard ----------------------------------------------------------------------


def test_lot_chart_shows_each_lot_s_rate_beside_its_comparison() -> None:
    dashboard = data.dashboard()
    figure = drawn(clinic_charts.lot_rates_figure(dashboard))
    ax = figure.axes[0]
    labels = ax.get_yticklabels()
    assert len(labels) == len(dashboard.lots) == 5
    assert labels[0].get_text().startswith("PC-2405-B")  # the highest rate first
    assert "70/100" in texts(figure)  # the counts beside each lot
    # one interval per lot, drawn from its low to its high end (in %)
    spans = next(c for c in ax.collections if isinstance(c, LineCollection))
    segments = spans.get_segments()
    assert len(segments) == len(dashboard.lots)
    first = dashboard.lots[0]
    assert segments[0][:, 0] == pytest.approx([100 * first.rate.low, 100 * first.rate.high])
    assert list(segments[0][:, 1]) == [0, 0]
    # rates, not signals: no lot is flagged in red, and the footer says what the marks are
    assert all(label.get_color() != style.ALERT for label in labels)
    footer = " ".join(texts(figure))
    assert "rates to look at, not signals" in footer
    assert "the other lots of the same product" in footer
    # Vitamin C has one lot: its mark is every other lot's, and the footer says so
    assert "no other lot of the product in the period" in footer


def test_lot_chart_footer_names_only_the_marks_it_draws() -> None:
    dashboard = data.dashboard()
    only_pairs = replace(
        dashboard, lots=tuple(lot for lot in dashboard.lots if lot.product_comparison)
    )
    footer = " ".join(texts(drawn(clinic_charts.lot_rates_figure(only_pairs))))
    assert "no other lot of the product" not in footer


def test_monthly_chart_has_a_stack_per_month() -> None:
    dashboard = data.dashboard()
    figure = drawn(clinic_charts.monthly_rates_figure(dashboard))
    ax = figure.axes[0]
    # five kinds and "All other kinds", each one patch of a bar per month
    stacks = [p for p in ax.patches if (p.get_gid() or "").startswith("kind:")]
    assert stacks[0].get_gid() == "kind:Pain"
    assert stacks[-1].get_gid() == "kind:All other kinds"
    assert len(stacks) == 6
    assert all(len(p.get_path().vertices) == 5 * 12 for p in stacks[:-1])
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0] == "Pain" and legend[-1] == "All other kinds"
    month = dashboard.months[0]
    top = max(p.get_path().vertices[:5, 1].max() for p in stacks)  # January's stack
    assert top == pytest.approx(100 * month.total_effects / month.sessions)


def test_group_grade_and_gais_charts_label_their_counts() -> None:
    dashboard = data.dashboard()
    indications = outline_texts(drawn(clinic_charts.indication_rates_figure(dashboard)))
    assert "40.0   (120 / 300)" in indications
    grades = drawn(clinic_charts.grades_figure(dashboard))
    labels = [t.get_text() for t in grades.axes[0].get_yticklabels()]
    assert labels[0] == "All side effects\n118 side effects"
    assert "Infection\n6 side effects" in labels
    gais = drawn(clinic_charts.gais_figure(dashboard))
    first_label = gais.axes[0].get_yticklabels()[0].get_text()
    assert first_label == "Wrinkles and laughter lines\n41 reviews"


def test_an_empty_period_draws_messages_not_errors() -> None:
    dashboard = data.dashboard(empty=True)
    for name, figure in clinic_charts.dashboard_figures(dashboard).items():
        drawn(figure)
        assert texts(figure), name
    whole = drawn(clinic_charts.clinic_dashboard(dashboard))
    assert any("No sessions in this period" in t for t in texts(whole))


def test_the_whole_dashboard_names_the_signals_in_words() -> None:
    from mesodesk.domain.enums import SideEffectKind as K
    from mesodesk.domain.signals import Comparison, LotInfo, Signal

    signal = Signal(
        lot=LotInfo(9, 4, "L-carnitine 20%", "LC-2502-K"),
        kind=K.INFECTION,
        serious=True,
        cases=12,
        exposed_patients=80,
        expected=0.2,
        ic=5.0,
        score=3.1,
        comparison=Comparison.CLINIC,
        comparison_patients=4000,
        only_lot_of_product=False,
        window_days=90,
    )
    figure = drawn(clinic_charts.clinic_dashboard(data.dashboard(), signals=[signal]))
    words = texts(figure)
    assert any(
        "Signal: lot LC-2502-K (L-carnitine 20%), infection: 12 of 80 exposed patients" in t
        and "the clinic's other lots" in t
        for t in words
    )
    assert any("2 side effect(s) with no suspected session" in t for t in words)
    assert not any("stands out" in t for t in words)


def test_kind_and_grade_constants_cover_the_domain() -> None:
    assert set(style.GRADE_STYLE) == set(Grade)
    assert len(style.GAIS_STYLE) == 5
    assert style._kind_title(SideEffectKind.HYPERPIGMENTATION) == "Dark skin patches"
    assert START < TODAY
