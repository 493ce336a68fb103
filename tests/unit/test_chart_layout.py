"""The clinic dashboard's charts at the sizes a screen gives them: nothing written falls off
the figure and the title collides with nothing (issue 15 item 3: "95 % inter…" cut, the lot
chart's title over "all lots 14.0 %", the GAIS chart's title and legend cut at every size)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from datetime import date

import matplotlib

matplotlib.use("Agg")

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.legend import Legend
from matplotlib.text import Text

from mesodesk.reports import dashboard as clinic_charts
from mesodesk.reports import style, timeline
from tests.chart_data import busy_dashboard

# a chart's place: half the dashboard at 1024 x 768 and at 1366 x 768, and one chart across
# the window of a 1920 x 1080 screen at 1.5x (1280 logical pixels wide)
SIZES = ((4.4, 4.0), (6.4, 4.0), (9.4, 5.0))


@pytest.fixture(scope="module", autouse=True)
def _collect_figures() -> Iterator[None]:
    yield
    gc.collect()


def written(figure: object) -> list[tuple[str, object]]:
    """Every text drawn (tick labels of ticks outside the plot are not drawn), and legends."""
    canvas = FigureCanvasAgg(figure)  # type: ignore[arg-type]
    canvas.draw()
    renderer = canvas.get_renderer()
    hidden: set[int] = set()
    for ax in figure.axes:  # type: ignore[attr-defined]
        for axis in (ax.xaxis, ax.yaxis):
            low, high = sorted(axis.get_view_interval())
            slack = (high - low) * 1e-6
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if not low - slack <= tick.get_loc() <= high + slack:
                    hidden.update({id(tick.label1), id(tick.label2)})
    found: list[tuple[str, object]] = []
    for text in figure.findobj(Text):  # type: ignore[attr-defined]
        if text.get_visible() and text.get_text().strip() and id(text) not in hidden:
            found.append((text.get_text(), text.get_window_extent(renderer)))
    for legend in figure.findobj(Legend):  # type: ignore[attr-defined]
        found.append(("<legend>", legend.get_window_extent(renderer)))
    return found


def outlined(figure: object) -> list[tuple[str, object, object]]:
    """The words drawn as outlines (the counts beside bars, the shares in them), each with its
    box on the canvas and the box that clips it."""
    from matplotlib.transforms import Bbox

    found = []
    for collection, words in style._WORDS.items():
        if collection.figure is not figure and collection.get_figure(root=True) is not figure:
            continue
        offsets = collection.get_offset_transform().transform(collection.get_offsets())
        clip = collection.get_clip_box() if collection.get_clip_on() else None
        for path, (x, y), word in zip(collection.get_paths(), offsets, words, strict=True):
            box = path.get_extents(collection.get_transform())
            found.append((word, Bbox([[box.x0 + x, box.y0 + y], [box.x1 + x, box.y1 + y]]), clip))
    return found


def layout_problems(figure: object) -> list[str]:
    box = figure.bbox  # type: ignore[attr-defined]
    texts = written(figure)
    problems = [
        f"cut: {text!r}"
        for text, b in texts
        if b.x0 < box.x0 - 1 or b.y0 < box.y0 - 1 or b.x1 > box.x1 + 1 or b.y1 > box.y1 + 1  # type: ignore[attr-defined]
    ]
    legends = [b for text, b in texts if text == "<legend>"]
    for word, b, clip in outlined(figure):
        inside = clip if clip is not None else box
        if (
            b.x0 < inside.x0 - 1
            or b.x1 > inside.x1 + 1
            or b.y0 < inside.y0 - 1
            or b.y1 > inside.y1 + 1
        ):  # type: ignore[attr-defined]
            problems.append(f"cut: {word!r}")
        if any(legend.overlaps(b) for legend in legends):  # type: ignore[attr-defined]
            problems.append(f"{word!r} under the legend")
    # the title: the figure's, or (as the charts had it) the plot's
    ax = figure.axes[0]  # type: ignore[attr-defined]
    heading = figure._suptitle or ax._left_title  # type: ignore[attr-defined]
    title = heading.get_text()
    title_box = next(b for text, b in texts if text == title)
    for text, b in texts:
        if text != title and title_box.overlaps(b):  # type: ignore[attr-defined]
            problems.append(f"{text!r} under the title")
    return problems


@pytest.mark.parametrize("width,height", SIZES)
def test_every_dashboard_chart_fits_its_place(width: float, height: float) -> None:
    dashboard = busy_dashboard()
    for name, _title, build in clinic_charts.DASHBOARD_FIGURES:
        figure = build(dashboard, width=width, height=height)  # type: ignore[operator]
        assert layout_problems(figure) == [], (name, width, height)


def test_the_checker_sees_a_cut_label_and_a_title_over_a_text() -> None:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(3, 2), layout="constrained")
    ax = figure.add_subplot()
    figure.suptitle("A title", x=0.01, ha="left")
    ax.set_xlabel("a label far wider than the three inches of this figure, cut at both ends")
    ax.text(0.0, 1.2, "over the title", transform=figure.transFigure)
    problems = layout_problems(figure)
    assert any(p.startswith("cut: 'a label") for p in problems)


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def first_date_label(figure: object) -> str:
    """The first date written under the lowest plot, left to right."""
    FigureCanvasAgg(figure).draw()  # type: ignore[arg-type]
    ax = figure.axes[-1]  # type: ignore[attr-defined]
    low, high = sorted(ax.get_xlim())
    shown = [
        (t.get_position()[0], t.get_text())
        for t in ax.get_xticklabels()
        if t.get_text() and low <= t.get_position()[0] <= high
    ]
    return min(shown)[1]


def test_the_date_axis_starts_with_a_month_name() -> None:
    from tests import chart_data as data

    # four years of months: ticks on the years; the first is "Jan 2023", not a bare "2023"
    months = clinic_charts.monthly_rates_figure(busy_dashboard(), width=6.4, height=4.0)
    assert first_date_label(months) == "Jan 2023"
    # a patient's weeks: ticks on days; the first says its month ("13 Jan", not "13")
    weeks = timeline.patient_timeline(data.record(4, 2), date(2025, 2, 10), width=8, height=5)
    first = first_date_label(weeks)
    assert first[-3:] in MONTHS, first
