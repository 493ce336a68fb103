"""The patient's timeline of side effects and outcomes, as a matplotlib Figure (never pyplot).

The same Figure serves the window (FigureCanvasQTAgg), the PDF summary and the command line's
PNG/SVG/PDF. Each reads in black and white: what colour tells apart, a hatch pattern and a text
label tell apart too. matplotlib is imported inside the functions.

The timeline keeps where each side-effect bar is: ``timeline_bars(figure).at(x, y)`` gives the
bar (and its side effect's id) under a point of the canvas, for a view that shows details on
hover and opens the side effect on a click.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from mesodesk.domain.enums import Grade, SideEffectKind
from mesodesk.domain.treatment import PatientRecord, SideEffect

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
from mesodesk.reports.style import (
    ALERT,
    GRADE_STYLE,
    GRADE_WORDS,
    INK,
    MUTED,
    _date_axis,
    _date_number,
    _day_axis,
    _gapped_vlines,
    _glyphs,
    _grade_patch_kwargs,
    _kind_title,
    _Label,
    _note,
    _path_labels,
    _style,
    _wrap,
)


@dataclass(frozen=True)
class TimelineBar:
    """Where one side effect's bar is, in the data coordinates of the timeline's upper axes."""

    effect_id: int
    x0: float
    x1: float
    y0: float
    y1: float


class TimelineBars:
    """The side-effect bars of a timeline, found by a point on the canvas: what a view needs to
    show a bar's details on hover and open its side effect on a click."""

    def __init__(self, axes: Axes, bars: tuple[TimelineBar, ...]) -> None:
        self.axes = axes
        self.bars = bars
        self.by_id = {bar.effect_id: bar for bar in bars}

    def at(self, x: float, y: float, tolerance: float = 2.0) -> TimelineBar | None:
        """The bar under a point of the canvas (display pixels), or None."""
        if not self.bars:
            return None
        inverse = self.axes.transData.inverted()
        (dx, dy), (ex, ey) = inverse.transform([(x, y), (x + tolerance, y + tolerance)])
        tx, ty = abs(ex - dx), abs(ey - dy)
        hits = [
            b
            for b in self.bars
            if b.x0 - tx <= dx <= b.x1 + tx and min(b.y0, b.y1) - ty <= dy <= max(b.y0, b.y1) + ty
        ]
        if not hits:
            return None
        # the narrowest bar wins: a short episode drawn over a long one stays reachable
        return min(hits, key=lambda b: (b.x1 - b.x0, b.effect_id))

    def display_box(self, effect_id: int) -> tuple[float, float, float, float]:
        """A bar's corners on the canvas (x0, y0, x1, y1, display pixels)."""
        bar = self.by_id[effect_id]
        (x0, y0), (x1, y1) = self.axes.transData.transform([(bar.x0, bar.y0), (bar.x1, bar.y1)])
        return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


_BARS: WeakKeyDictionary[Any, TimelineBars] = WeakKeyDictionary()


def timeline_bars(figure: Figure) -> TimelineBars:
    """The side-effect bars of a figure made by ``patient_timeline`` (none for another)."""
    found = _BARS.get(figure)
    if found is None:
        return TimelineBars(figure.axes[0] if figure.axes else None, ())  # type: ignore[arg-type]
    return found


@dataclass(frozen=True)
class _Bar:
    effect: SideEffect
    start: float
    end: float
    lane: int


def _lanes(bars: list[tuple[SideEffect, float, float]], limit: int) -> tuple[list[_Bar], int]:
    """Side effects of one kind that overlap in time go in lanes one under the other."""
    ends: list[float] = []
    placed = []
    for effect, start, end in sorted(bars, key=lambda b: (b[1], b[2], b[0].id)):
        for lane, lane_end in enumerate(ends):
            if start >= lane_end:
                ends[lane] = end
                break
        else:
            if len(ends) < limit:
                ends.append(end)
                lane = len(ends) - 1
            else:  # more overlaps than lanes: share the lane that frees first
                lane = min(range(len(ends)), key=ends.__getitem__)
                ends[lane] = max(ends[lane], end)
        placed.append(_Bar(effect, start, end, lane))
    return placed, max(1, len(ends))


def _thin(xs: Sequence[float], min_gap: float) -> list[bool]:
    """Which of the sorted positions can carry a label without touching the last one kept."""
    keep = []
    last: float | None = None
    for x in xs:
        ok = last is None or x - last >= min_gap
        keep.append(ok)
        if ok:
            last = x
    return keep


def _text_lanes(items: Sequence[tuple[float, float]], lanes: int) -> list[int | None]:
    """For labels centred at x with a width (both in pixels): the lane of each, or None when
    every lane is still taken there."""
    ends = [float("-inf")] * lanes
    out: list[int | None] = []
    for x, w in items:
        for lane in range(lanes):
            if x - w / 2 >= ends[lane]:
                ends[lane] = x + w / 2 + 4
                out.append(lane)
                break
        else:
            out.append(None)
    return out


@dataclass(frozen=True)
class _LotChange:
    x: float
    lots: str


def _lot_changes(sessions: Sequence[Any], xs: Sequence[float]) -> list[_LotChange]:
    """Sessions where a product was given from a different lot than the last time it was used."""
    last_lot: dict[int, str] = {}
    changes = []
    for s, x in zip(sessions, xs, strict=True):
        new = []
        for b in s.blend:
            before = last_lot.get(b.product_id)
            if before is not None and before != b.lot_number:
                new.append(b.lot_number)
            last_lot[b.product_id] = b.lot_number
        if new:
            changes.append(_LotChange(x, ", ".join(new)))
    return changes


GAIS_TICKS = ("1 very much improved", "2 much improved", "3 improved", "4 no change", "5 worse")
PAIN_COLOUR = "#b0261b"
GAIS_COLOUR = "#21406b"

# -- text as outlines ----------------------------------------------------------------------------
# A long timeline has hundreds of small labels. Drawn as Text artists, they are most of its drawing
# time (each one is laid out and rasterised by FreeType at every draw); as outlines made once and
# drawn together in one collection they cost next to nothing.


# -- a layout that needs no measuring -------------------------------------------------------------


@dataclass
class _Key:
    """One entry of the timeline's legend: a patch or a line/marker, and its words."""

    label: str
    patch: dict[str, Any] | None = None
    line: dict[str, Any] | None = None


_ENGINES: dict[str, Any] = {}
KEY_HEIGHT = 0.2  # inches per row of the legend


def _timeline_layout(
    figure: Figure,
    grid: Any,
    *,
    left: float,
    right: float,
    top: float,
    bottom: float,
    gap: float,
    keys: Sequence[_Key],
) -> None:
    """Fixed margins (inches) around the gridspec and a legend that wraps to the width, worked
    out again at every draw without measuring any text: constrained layout measures every label
    at each draw, which would be most of the drawing time of a patient's timeline."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle
    from matplotlib.transforms import Affine2D

    engine_class = _ENGINES.get("timeline")
    if engine_class is None:
        from matplotlib.layout_engine import LayoutEngine

        class TimelineLayout(LayoutEngine):
            _adjust_compatible = True
            _colorbar_gridspec = False

            def __init__(self, **kwargs: Any) -> None:
                super().__init__()
                self._params = dict(kwargs)

            def set(self, **kwargs: Any) -> None:
                self._params.update(kwargs)

            def execute(self, fig: Any) -> None:
                p = self._params
                w, h = fig.get_size_inches()
                # the legend: entries flow left to right, rows centred, from the bottom up
                rows: list[list[int]] = [[]]
                used = 0.0
                for i, width in enumerate(p["widths"]):
                    if rows[-1] and used + width > w - 0.3:
                        rows.append([])
                        used = 0.0
                    rows[-1].append(i)
                    used += width
                offsets = []
                for r, row in enumerate(rows):
                    x = (w - sum(p["widths"][i] for i in row)) / 2
                    y = 0.08 + (len(rows) - 1 - r) * KEY_HEIGHT
                    for i in row:
                        p["moves"][i].clear().translate(x, y)
                        offsets.append((i, (x + 0.36, y + 0.05)))
                        x += p["widths"][i]
                if p["words"] is not None:
                    offsets.sort()
                    p["words"].set_offsets([o for _, o in offsets])
                # the axes
                bottom_in = p["bottom"] + len(rows) * KEY_HEIGHT
                lft = min(p["left"] / w, 0.45)
                rgt = max(1 - p["right"] / w, lft + 0.1)
                btm = min(bottom_in / h, 0.5)
                tp = max(1 - p["top"] / h, btm + 0.1)
                grid = p["grid"]
                n = grid.get_geometry()[0]
                inner = (tp - btm) * h
                hspace = p["gap"] * n / max(inner - p["gap"] * (n - 1), 0.1)
                grid.update(left=lft, right=rgt, bottom=btm, top=tp, hspace=hspace)
                for ax in fig.axes:  # GridSpec.update moves the axes of pyplot figures only
                    spec = ax.get_subplotspec()
                    if spec is not None and spec.get_gridspec() is grid:
                        ax.set_position(spec.get_position(fig))

        engine_class = _ENGINES["timeline"] = TimelineLayout

    moves, widths = [], []
    for key in keys:
        move = Affine2D()
        at = move + figure.dpi_scale_trans
        if key.patch is not None:
            figure.add_artist(Rectangle((0, 0), 0.28, 0.12, transform=at, **key.patch))
        if key.line is not None:
            figure.add_artist(
                Line2D([0, 0.14, 0.28], [0.06, 0.06, 0.06], transform=at, markevery=[1], **key.line)
            )
        moves.append(move)
        widths.append(0.28 + 0.1 + _glyphs(key.label, 8.0, False, "left")[1] / 72 + 0.25)
    words = _path_labels(
        figure,
        [_Label(0, 0, key.label, INK, ha="left") for key in keys],
        8.0,
        offset_transform=figure.dpi_scale_trans,
    )
    figure.set_layout_engine(
        engine_class(
            left=left,
            right=right,
            top=top,
            bottom=bottom,
            gap=gap,
            grid=grid,
            moves=moves,
            widths=widths,
            words=words,
        )
    )


def _timeline_keys(
    changes: bool, grades: Sequence[Grade], ongoing: bool, pain: bool, gais: bool, reviews: bool
) -> list[_Key]:
    keys = []
    if changes:
        keys.append(
            _Key(
                "new lot of a product",
                line={
                    "marker": "D",
                    "markerfacecolor": "none",
                    "markeredgecolor": ALERT,
                    "linestyle": "none",
                    "markersize": 7,
                },
            )
        )
    for grade in grades:
        keys.append(_Key(f"G{int(grade)} {GRADE_WORDS[grade]}", patch=_grade_patch_kwargs(grade)))
    if ongoing:
        keys.append(
            _Key(
                "ongoing (runs to today)",
                patch={
                    "facecolor": "white",
                    "edgecolor": INK,
                    "linestyle": (0, (3, 2)),
                    "hatch": "\\\\\\\\",
                    "hatchcolor": "#7a5230",
                },
            )
        )
    if pain:
        keys.append(
            _Key(
                "pain (NRS)",
                line={"marker": "o", "color": PAIN_COLOUR, "markersize": 4, "linewidth": 1.2},
            )
        )
    if gais:
        keys.append(
            _Key(
                "GAIS at session",
                line={
                    "marker": "s",
                    "linestyle": "--",
                    "color": GAIS_COLOUR,
                    "markerfacecolor": "white",
                    "markersize": 4,
                },
            )
        )
    if reviews:
        keys.append(
            _Key(
                "GAIS at course review",
                line={"marker": "*", "color": GAIS_COLOUR, "linestyle": "none", "markersize": 9},
            )
        )
    return keys


def patient_timeline(
    record: PatientRecord,
    today: date,
    *,
    width: float = 10.0,
    height: float = 6.2,
    title: str | None = None,
    day_zero: date | None = None,
) -> Figure:
    """Sessions, side effects and outcomes of one patient along the dates (``day_zero``: the
    axis counts days from that day instead, for a de-identified summary).

    Top: a row of numbered session marks (a red diamond where a product was given from a new
    lot, with the new lot number under it), then a row per kind of side effect with a bar from
    onset to resolution; an ongoing one runs to today, hatched, dashed and with an open arrow
    end. Fill, hatch and a "G2" label give the grade. Bottom: pain during each session (NRS) and
    GAIS per session and at course review, on the same dates.
    """
    import matplotlib.dates as mdates
    from matplotlib import transforms
    from matplotlib.figure import Figure
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path

    with _style():
        figure = Figure(figsize=(width, height))
        if title is None:
            title = "Side effects and outcomes over time"
            who = [
                getattr(record.patient, "record_no", ""),
                getattr(record.patient, "full_name", ""),
            ]
            if any(who):
                title += "  ·  " + "  ".join(x for x in who if x)
        figure.suptitle(
            title, x=0.01, y=0.985, ha="left", va="top", fontsize=11.5, fontweight="bold", color=INK
        )
        sessions = sorted(record.sessions, key=lambda s: (s.started_at, s.id))
        effects = sorted(record.side_effects, key=lambda e: (e.onset_on, e.id))
        if not sessions and not effects and not record.outcomes:
            ax = figure.add_subplot()
            ax.set_axis_off()
            _note(ax, "No sessions, side effects or outcomes recorded yet.")
            return figure
        num = _date_number(datetime.fromisoformat(mdates.get_epoch()))  # type: ignore[no-untyped-call]

        # -- the dates shown
        xs = [num(s.started_at) for s in sessions]
        ongoing = [e for e in effects if e.resolved_on is None]
        points = xs + [num(e.onset_on) for e in effects]
        points += [num(e.resolved_on) + 1 for e in effects if e.resolved_on]
        points += [num(o.assessed_on) for o in record.outcomes]
        if ongoing:
            points.append(num(today) + 1)
        lo, hi = min(points), max(points)
        span = max(hi - lo, 21.0)
        centre = (lo + hi) / 2
        lo, hi = min(lo, centre - span / 2), max(hi, centre + span / 2)
        x_min = lo - max(3.0, span * 0.03)
        x_max = hi + max(3.0, span * (0.07 if ongoing else 0.03))

        kinds = [k for k in SideEffectKind if any(e.kind is k for e in effects)]
        changes = _lot_changes(sessions, xs)
        first_row = 1.55 if changes else 1.0
        rows = {kind: first_row + i for i, kind in enumerate(kinds)}
        last_row = first_row + max(len(kinds), 1) - 1
        row_names = [_Label(0.0, 0.0, "Sessions", ha="right")] + [
            _Label(0.0, rows[k], _wrap(_kind_title(k), 18), ha="right") for k in kinds
        ]

        # -- margins in inches: row names on the left, GAIS words on the right, legend below
        left = max(0.95, max(_glyphs(n.text, 8.5, False, "right")[1] for n in row_names) / 72 + 0.2)
        right = 1.45
        keys = _timeline_keys(
            bool(changes),
            sorted({e.grade for e in effects}),
            bool(ongoing),
            any(s.pain_nrs is not None for s in sessions),
            any(s.gais is not None for s in sessions),
            any(o.gais is not None for o in record.outcomes),
        )
        top_units = max(2.0, 0.55 * (last_row + 1.3))
        grid = figure.add_gridspec(2, 1, height_ratios=[top_units, max(1.7, 0.5 * top_units)])
        _timeline_layout(
            figure, grid, left=left, right=right, top=0.62, bottom=0.45, gap=0.12, keys=keys
        )
        px_per_day = (width - left - right) * figure.dpi / (x_max - x_min)

        top = figure.add_subplot(grid[0])
        bottom = figure.add_subplot(grid[1], sharex=top)
        top.set_xlim(x_min, x_max)
        top.set_ylim(last_row + 0.55, -0.8)
        top.xaxis.set_visible(False)
        top.yaxis.set_visible(False)
        top.spines["left"].set_visible(False)
        names_at = transforms.blended_transform_factory(top.transAxes, top.transData)
        _path_labels(top, row_names, 8.5, offset_transform=names_at, dx=-6)
        top.axhline(first_row - 0.5, color="#b5b5b5", linewidth=0.8, zorder=0)
        if len(kinds) > 1:
            top.hlines(
                [rows[k] - 0.5 for k in kinds[1:]],
                x_min,
                x_max,
                color="#e6e6e6",
                linewidth=0.6,
                zorder=0,
            )

        # -- one bar per side effect, in lanes when episodes of a kind overlap
        min_width = 5 / px_per_day
        label_width = 16 / px_per_day  # a "G2" label
        grade_labels: list[_Label] = []
        arrows: list[tuple[float, float, float]] = []
        drawn: dict[tuple[Grade, bool], list[TimelineBar]] = {}
        index: list[TimelineBar] = []
        for kind in kinds:
            spans = []
            for e in effects:
                if e.kind is kind:
                    start = num(e.onset_on)
                    end = num(e.resolved_on) + 1 if e.resolved_on else num(today) + 1
                    spans.append((e, start, max(end, start + min_width)))
            placed, lanes = _lanes(spans, 4)
            band = 0.74
            lane_height = band / lanes
            next_start: dict[int, float] = {}
            for bar in sorted(placed, key=lambda b: (b.lane, -b.start)):
                bar_y = rows[kind] - band / 2 + (bar.lane + 0.5) * lane_height
                e = bar.effect
                if e.resolved_on is None:
                    arrows.append((bar.end, bar_y, lane_height))
                box = TimelineBar(
                    e.id, bar.start, bar.end, bar_y - lane_height * 0.42, bar_y + lane_height * 0.42
                )
                index.append(box)
                drawn.setdefault((e.grade, e.resolved_on is None), []).append(box)
                # the grade: inside the bar, or just after it while the lane is free there
                room = next_start.get(bar.lane, x_max) - bar.end
                next_start[bar.lane] = bar.start
                if lanes > 2:
                    continue
                if bar.end - bar.start >= 1.4 * label_width:
                    dark = e.grade >= Grade.SEVERE
                    grade_labels.append(
                        _Label(
                            (bar.start + bar.end) / 2,
                            bar_y,
                            f"G{int(e.grade)}",
                            "white" if dark else INK,
                            GRADE_STYLE[e.grade][0]
                            if dark
                            else ("white" if e.grade >= Grade.MODERATE else None),
                        )
                    )
                else:
                    gap = (12 if e.resolved_on is None else 3) / px_per_day
                    if room >= gap + 1.3 * label_width:
                        grade_labels.append(
                            _Label(bar.end + gap, bar_y, f"G{int(e.grade)}", INK, ha="left")
                        )
        for (grade, open_ended), rects in drawn.items():
            style = _grade_patch_kwargs(grade)
            if open_ended:
                style["linestyle"] = (0, (3, 2))
                if not style["hatch"]:
                    style["hatch"], style["hatchcolor"] = "\\\\\\\\", "#7a5230"
            # one compound path per style: Agg sets a hatch up once per path drawn, which for a
            # collection of 150 hatched bars costs far more than everything else on the figure
            vertices = [
                v
                for b in rects
                for v in ((b.x0, b.y0), (b.x1, b.y0), (b.x1, b.y1), (b.x0, b.y1), (b.x0, b.y0))
            ]
            codes = [Path.MOVETO, Path.LINETO, Path.LINETO, Path.LINETO, Path.CLOSEPOLY] * len(
                rects
            )
            patch = PathPatch(Path(vertices, codes), zorder=3, **style)
            patch.set_gid(f"side_effects_grade{int(grade)}" + ("_ongoing" if open_ended else ""))
            top.add_artist(patch)
        if arrows:
            top.scatter(
                [a[0] for a in arrows],
                [a[1] for a in arrows],
                s=[min(70.0, 120 * a[2] ** 2) for a in arrows],
                marker=">",
                facecolors="white",
                edgecolors=INK,
                linewidths=1.0,
                zorder=4,
            )
        _path_labels(top, grade_labels, 7.0, bold=True)
        if not effects:
            # on the first side-effect row, below the sessions' marks (the y axis runs
            # downwards: a fraction of the axes counted from the bottom put it among them)
            top.text(
                0.5,
                first_row,
                "No side effects recorded.",
                transform=top.get_yaxis_transform(),
                ha="center",
                va="center",
                color=MUTED,
            )

        # -- sessions: numbered marks, course starts, lot changes. The lines that mark a course
        # start or a new lot stop short of the session numbers (at y -0.42, 7 pt): a line
        # through a number makes a 1 of a 7 and strikes out the rest
        points_per_unit = (
            top.get_position().height * figure.get_figheight() * 72 / (last_row + 1.35)
        )
        half = (7.0 * 0.5 + 1.5) / points_per_unit
        number_gap = (-0.42 - half, -0.42 + half)
        if sessions:
            top.plot(xs, [0.0] * len(xs), "v", color=INK, markersize=6, zorder=4, linestyle="none")
            _path_labels(
                top,
                [
                    _Label(x, -0.42, str(s.number))
                    for s, x, show in zip(sessions, xs, _thin(xs, 14 / px_per_day), strict=True)
                    if show
                ],
                7.0,
            )
        if changes:
            top.plot(
                [c.x for c in changes],
                [0.0] * len(changes),
                "D",
                markersize=9,
                markerfacecolor="none",
                markeredgecolor=ALERT,
                markeredgewidth=1.2,
                zorder=5,
                linestyle="none",
            )
            _gapped_vlines(
                top,
                [c.x for c in changes],
                -0.8,
                last_row + 0.55,
                number_gap,
                color=ALERT,
                linewidth=0.6,
                linestyle=(0, (4, 3)),
                alpha=0.45,
            )
            # each lot number centred under its diamond, or kept inside the plot at its ends,
            # in one of two lines so that neighbours do not run into each other
            px_per_point = figure.dpi / 72
            placements = []
            for change in changes:
                text_px = _glyphs(change.lots, 6.5, False, "center")[1] * px_per_point
                at = (change.x - x_min) * px_per_day
                plot_width = (x_max - x_min) * px_per_day
                ha = (
                    "right"
                    if at + text_px / 2 > plot_width
                    else "left"
                    if at < text_px / 2
                    else "center"
                )
                left = {"center": at - text_px / 2, "left": at, "right": at - text_px}[ha]
                placements.append((left + text_px / 2, text_px, ha))
            lanes_of = _text_lanes([(centre, size) for centre, size, _ in placements], 2)
            lot_labels = [
                _Label(change.x, 0.5 + 0.36 * lane, change.lots, ALERT, ha=ha)
                for change, lane, (_, _, ha) in zip(changes, lanes_of, placements, strict=True)
                if lane is not None
            ]
            _path_labels(top, lot_labels, 6.5)
        course_titles = {c.id: c.title for c in record.courses}
        starts: list[tuple[float, str]] = []
        last_course: int | None = None
        for s, x in zip(sessions, xs, strict=True):
            if s.course_id != last_course:
                starts.append((x, course_titles.get(s.course_id, "")))
                last_course = s.course_id
        if starts:
            _gapped_vlines(
                top,
                [x - 1.5 / px_per_day for x, _ in starts],
                -0.8,
                last_row + 0.55,
                number_gap,
                color=MUTED,
                linewidth=0.8,
                linestyle=":",
            )
            above = transforms.blended_transform_factory(top.transData, top.transAxes)
            _path_labels(
                top,
                [
                    _Label(x, 1.0, _wrap(name, 34), MUTED, ha="left")
                    for (x, name), show in zip(
                        starts, _thin([c[0] for c in starts], 170 / px_per_day), strict=True
                    )
                    if show and name
                ],
                7.5,
                offset_transform=above,
                dx=2,
            )
        if ongoing:
            for ax in (top, bottom):
                ax.axvline(num(today) + 1, color=MUTED, linewidth=0.8, linestyle="-.", zorder=1)
            _path_labels(
                bottom,
                [_Label(num(today) + 1, 0.06, "today", MUTED, ha="right")],
                7.0,
                offset_transform=transforms.blended_transform_factory(
                    bottom.transData, bottom.transAxes
                ),
                dx=-3,
            )

        # -- pain and GAIS under the same dates, on one axes (a twin axes would cost as much to
        # draw as the rest): GAIS 1 (very much improved) at the top, 5 (worse) at the bottom
        pain = [
            (x, s.pain_nrs) for s, x in zip(sessions, xs, strict=True) if s.pain_nrs is not None
        ]
        gais_y = {g: 10.0 - 2.5 * (g - 1) for g in range(1, 6)}
        gais = [(x, gais_y[s.gais]) for s, x in zip(sessions, xs, strict=True) if s.gais in gais_y]
        reviews = [
            (num(o.assessed_on), gais_y[o.gais]) for o in record.outcomes if o.gais in gais_y
        ]
        bottom.set_ylim(-0.6, 10.6)
        bottom.set_yticks([0, 2, 4, 6, 8, 10])
        bottom.set_ylabel("Pain during\nsession (NRS)", color=PAIN_COLOUR)
        bottom.grid(axis="y", color="#ececec", linewidth=0.6)
        bottom.spines["right"].set_visible(True)
        side = transforms.blended_transform_factory(bottom.transAxes, bottom.transData)
        bottom.hlines(
            list(gais_y.values()),
            1.0,
            1.008,
            transform=side,
            color="#8a8a8a",
            lw=0.8,
            clip_on=False,
        )
        _path_labels(
            bottom,
            [
                _Label(1.0, gais_y[g], t, GAIS_COLOUR, ha="left")
                for g, t in zip(gais_y, GAIS_TICKS, strict=True)
            ]
            + [_Label(1.0, 11.7, "GAIS", GAIS_COLOUR, ha="left")],
            7.5,
            offset_transform=side,
            dx=6,
        )
        if pain:
            bottom.plot(
                *zip(*pain, strict=True), "-o", color=PAIN_COLOUR, markersize=4, linewidth=1.2
            )
        if gais:
            bottom.plot(
                *zip(*gais, strict=True),
                "--s",
                color=GAIS_COLOUR,
                markersize=4,
                linewidth=1.1,
                markerfacecolor="white",
            )
        if reviews:
            bottom.plot(
                *zip(*reviews, strict=True), "*", color=GAIS_COLOUR, markersize=11, linestyle="none"
            )
        if not pain and not gais and not reviews:
            _note(bottom, "No pain scores or GAIS recorded yet.")
        if day_zero is not None:
            _day_axis(bottom, width, num(day_zero), x_min, x_max)
        else:
            _date_axis(bottom, width)
        bottom.set_xlim(x_min, x_max)
        _BARS[figure] = TimelineBars(top, tuple(index))
        return figure


# -- the clinic dashboard -----------------------------------------------------------------------


def summary_figures(
    record: PatientRecord, today: date, *, day_zero: date | None = None
) -> list[Figure]:
    """The figures of the specialist's PDF summary: the patient's timeline, sized for an A4 or
    Letter page, titled without the patient's name (the page header names the patient, or only
    the one-time code of a pseudonymised or de-identified summary); ``day_zero``: dates as
    days from that day."""
    if not record.sessions and not record.side_effects and not record.outcomes:
        return []
    kinds = len({e.kind for e in record.side_effects})
    height = min(6.8, 3.7 + 0.32 * kinds)  # no taller than its rows need: it shares a page
    return [
        patient_timeline(
            record,
            today,
            width=7.1,
            height=height,
            title="Side effects and outcomes over time",
            day_zero=day_zero,
        )
    ]
