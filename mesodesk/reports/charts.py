"""The charts of side effects and outcomes, as matplotlib Figures (never pyplot).

The same Figure serves the window (FigureCanvasQTAgg), the PDF summary and the command line's
PNG/SVG/PDF. Each reads in black and white: what colour tells apart, a hatch pattern and a text
label tell apart too. matplotlib is imported inside the functions, so that importing this module
costs nothing until a chart is drawn.

The patient timeline keeps where each side-effect bar is: ``timeline_bars(figure).at(x, y)``
gives the bar (and its side effect's id) under a point of the canvas, for a view that shows
details on hover and opens the side effect on a click.
"""

from __future__ import annotations

import textwrap
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import IO, TYPE_CHECKING, Any, cast
from weakref import WeakKeyDictionary

from mesodesk.domain.analytics import (
    GAIS_VALUES,
    GRADES,
    ClinicDashboard,
    GroupRate,
    LotRate,
)
from mesodesk.domain.enums import GAIS_LABELS, Grade, SideEffectKind
from mesodesk.domain.signals import Signal
from mesodesk.domain.treatment import PatientRecord, SideEffect

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure


# Colours whose lightness falls with the grade, so that grey levels keep the order, and a hatch
# for every grade above 1 (white on the dark fills).
GRADE_STYLE = {
    Grade.MILD: ("#fde3c8", "", "#7a5230"),
    Grade.MODERATE: ("#f0a35e", "////", "#5a3210"),
    Grade.SEVERE: ("#c0392b", "xxx", "#ffffff"),
    Grade.LIFE_THREATENING: ("#5e1220", "...", "#ffffff"),
    Grade.DEATH: ("#111111", "oo", "#ffffff"),
}
GRADE_WORDS = {
    Grade.MILD: "mild",
    Grade.MODERATE: "moderate",
    Grade.SEVERE: "severe",
    Grade.LIFE_THREATENING: "life-threatening",
    Grade.DEATH: "death",
}
# GAIS 1 (very much improved) to 5 (worse): greens that lighten towards "no change", and a dark,
# cross-hatched "worse".
GAIS_STYLE = (
    ("#1b7837", "", "#ffffff"),
    ("#5aae61", "", "#000000"),
    ("#b7e0b0", "", "#000000"),
    ("#ececec", "...", "#000000"),
    ("#6a2c70", "xx", "#ffffff"),
)
# The five most frequent kinds of the period, then all others together.
KIND_STYLE = (
    ("#21406b", ""),
    ("#e08a3c", "////"),
    ("#9ecae1", "...."),
    ("#3f7f3a", "xx"),
    ("#f4e58a", "\\\\\\\\"),
    ("#b3b3b3", "--"),
)
INK = "#222222"
MUTED = "#6b6b6b"
ALERT = "#b0261b"
STYLE = {
    "font.size": 9,
    "axes.titlesize": 10.5,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 9,
    "axes.labelcolor": INK,
    "axes.edgecolor": "#8a8a8a",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5,
    "xtick.color": INK,
    "ytick.color": INK,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "hatch.linewidth": 0.6,
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "figure.facecolor": "white",
}


# rc_context changes matplotlib's global settings while a figure is built; the PDF summary builds
# its figures off the GUI thread, so builds take turns.
_BUILDING = threading.RLock()


@contextmanager
def _style() -> Iterator[None]:
    import matplotlib

    with _BUILDING, matplotlib.rc_context(cast(Any, STYLE)):
        yield


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")
    engine: Any = figure.get_layout_engine()
    engine.set(h_pad=0.06, w_pad=0.06)
    return figure


def _note(ax: Axes, message: str) -> None:
    ax.text(
        0.5,
        0.5,
        message,
        transform=ax.transAxes,
        ha="center",
        va="center",
        color=MUTED,
        fontsize=10,
        wrap=True,
        in_layout=False,  # a wrapped text measures as wide as the figure: keep it out of layout
    )


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


def _width_of(target: Figure | SubFigure) -> float:
    """The width in inches a chart has: its figure's, or its part of a figure."""
    if hasattr(target, "get_figwidth"):
        return float(target.get_figwidth())
    return float(target.bbox.width / target.figure.dpi)


def _fit(text: str, width_inches: float, fontsize: float, *, bold: bool = False) -> str:
    """Text wrapped to lines that fit a width (by the average advance of DejaVu Sans, the
    charts' font: about 0.55 of the size a character, 0.62 in bold)."""
    per_char = fontsize * (0.62 if bold else 0.55) / 72
    chars = max(12, int(width_inches / per_char))
    return "\n".join(
        "\n".join(textwrap.wrap(line, chars, break_on_hyphens=False)) or line
        for line in text.split("\n")
    )


def _chart_title(target: Figure | SubFigure, title: str) -> None:
    """The chart's title at the top left of the figure, above everything the axes hold (an
    axes title starts where the plot starts, after the row names, and collides with the texts
    written above the plot): constrained layout keeps room for it."""
    width = _width_of(target) - 0.1
    target.suptitle(
        _fit(title, width, 10.5, bold=True),
        x=0.01,
        ha="left",
        fontsize=10.5,
        fontweight="bold",
        color=INK,
    )


def _date_axis(ax: Axes, width_inches: float) -> None:
    import matplotlib.dates as mdates

    # matplotlib.dates leaves these two untyped
    locator = mdates.AutoDateLocator(  # type: ignore[no-untyped-call]
        minticks=3, maxticks=max(4, int(width_inches * 1.1))
    )
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(_month_first_formatter()(locator))


@cache
def _month_first_formatter() -> Any:
    """The date formatter of the charts' time axes (a class made on first use: this module
    does not import matplotlib until a chart is drawn)."""
    import matplotlib.dates as mdates

    class MonthFirst(mdates.ConciseDateFormatter):
        """Matplotlib's concise dates ("2024", "Apr", "Jul"...), except that the first date
        shown names its month: "Jan 2023", not a bare "2023" a reader takes for the whole
        year, and "08 Mar", not "08"."""

        def format_ticks(self, values: Any) -> list[str]:
            labels = list(super().format_ticks(values))  # type: ignore[no-untyped-call]
            if self.axis is None:
                return labels
            low, high = sorted(self.axis.get_view_interval())
            slack = (high - low) * 1e-6
            for i, value in enumerate(values):
                if low - slack <= value <= high + slack:
                    day = mdates.num2date(value)  # type: ignore[no-untyped-call]
                    labels[i] = day.strftime("%b %Y") if day.day == 1 else day.strftime("%d %b")
                    break
            return labels

    return MonthFirst


def _day_axis(ax: Axes, width_inches: float, zero: float, x_min: float, x_max: float) -> None:
    """The axis in days from ``zero`` ("day 0", "day 28"...), with no calendar date on it."""
    import math

    from matplotlib.ticker import FixedLocator, FuncFormatter

    most = max(4, int(width_inches * 1.1))
    steps = (1, 2, 5, 7, 14, 28, 50, 100, 200, 500, 1000, 2000, 5000)
    step = next((s for s in steps if (x_max - x_min) / s <= most), steps[-1])
    first = math.ceil((x_min - zero) / step)
    last = math.floor((x_max - zero) / step)
    ax.xaxis.set_major_locator(FixedLocator([zero + k * step for k in range(first, last + 1)]))
    ax.xaxis.set_minor_locator(FixedLocator([]))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"day {round(x - zero)}"))


def _gapped_vlines(
    ax: Axes, xs: list[float], y0: float, y1: float, gap: tuple[float, float], **style: Any
) -> None:
    """Vertical lines from y0 to y1 with a gap where the session numbers are."""
    low, high = sorted((y0, y1))
    segments = [(low, min(high, gap[0])), (max(low, gap[1]), high)]
    for a, b in segments:
        if b > a:
            ax.vlines(xs, a, b, **style)


def _grade_patch_kwargs(grade: Grade) -> dict[str, Any]:
    face, hatch, hatch_colour = GRADE_STYLE[grade]
    return {
        "facecolor": face,
        "hatch": hatch or None,
        "edgecolor": "#3a3a3a",
        "hatchcolor": hatch_colour,
        "linewidth": 0.8,
    }


# -- the patient's timeline ---------------------------------------------------------------------


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


def _kind_title(kind: SideEffectKind) -> str:
    if kind is SideEffectKind.HYPERPIGMENTATION:
        return "Dark skin patches"
    if kind is SideEffectKind.REDNESS_BUMPS:
        return "Redness and bumps"
    return kind.label


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

_GLYPHS: dict[tuple[str, float, bool, str], Any] = {}


def _glyphs(text: str, size: float, bold: bool, ha: str) -> tuple[Any, float, float]:
    """The outline of a text (points; several lines aligned by ``ha``), placed so that (0, 0) is
    its anchor: the left, centre or right (``ha``) of its box, halfway up. Made once per text."""
    key = (text, size, bold, ha)
    found = _GLYPHS.get(key)
    if found is None:
        from matplotlib.font_manager import FontProperties
        from matplotlib.path import Path
        from matplotlib.textpath import TextPath
        from matplotlib.transforms import Affine2D

        prop = FontProperties(family="DejaVu Sans", weight="bold" if bold else "normal")
        lines = [TextPath((0, 0), line or " ", size=size, prop=prop) for line in text.split("\n")]
        widths = [line.get_extents().x1 for line in lines]
        block = max(widths)
        lead = size * 1.22
        placed = []
        for i, (line, w) in enumerate(zip(lines, widths, strict=True)):
            shift = {"left": 0.0, "center": (block - w) / 2, "right": block - w}[ha]
            placed.append(line.transformed(Affine2D().translate(shift, -i * lead)))
        path = Path.make_compound_path(*placed)
        cap = size * 0.72  # the height of a capital: centre on letters, not on descenders
        top, bottom = cap, -(len(lines) - 1) * lead
        x0 = {"left": 0.0, "center": -block / 2, "right": -block}[ha]
        path = path.transformed(Affine2D().translate(x0, -(top + bottom) / 2))
        found = _GLYPHS[key] = (path, block, top - bottom)
    return found


@dataclass(frozen=True)
class _Label:
    x: float
    y: float
    text: str
    colour: str = INK
    box: str | None = None  # a background behind the text, for text over a hatch
    ha: str = "center"


def _path_labels(
    parent: Any,
    labels: Sequence[_Label],
    size: float,
    *,
    bold: bool = False,
    offset_transform: Any = None,
    dx: float = 0.0,
    zorder: float = 6,
) -> Any:
    """Labels drawn as one collection of outlines, anchored at (x, y) in ``offset_transform``
    (default: the axes' data) and moved ``dx`` points sideways."""
    from matplotlib.collections import PathCollection
    from matplotlib.path import Path
    from matplotlib.transforms import Affine2D

    if not labels:
        return None
    figure = parent.get_figure() if hasattr(parent, "get_figure") else parent
    figure = getattr(figure, "figure", figure) or figure
    points = Affine2D().scale(1 / 72).translate(dx / 72, 0) + figure.dpi_scale_trans
    offsets = offset_transform if offset_transform is not None else parent.transData
    paths, boxes, box_colours, box_at = [], [], [], []
    for label in labels:
        path, w, h = _glyphs(label.text, size, bold, label.ha)
        paths.append(path)
        if label.box is not None:
            pad = size * 0.18
            x0 = {"left": 0.0, "center": -w / 2, "right": -w}[label.ha] - pad
            boxes.append(
                Path.unit_rectangle().transformed(
                    Affine2D().scale(w + 2 * pad, h + 2 * pad).translate(x0, -h / 2 - pad)
                )
            )
            box_colours.append(label.box)
            box_at.append((label.x, label.y))
    add = parent.add_collection if hasattr(parent, "add_collection") else parent.add_artist
    kwargs: dict[str, Any] = {"autolim": False} if hasattr(parent, "add_collection") else {}
    if boxes:
        add(
            PathCollection(
                boxes,
                offsets=box_at,
                offset_transform=offsets,
                transform=points,
                facecolors=box_colours,
                edgecolors="none",
                zorder=zorder - 0.5,
            ),
            **kwargs,
        )
    collection = PathCollection(
        paths,
        offsets=[(label.x, label.y) for label in labels],
        offset_transform=offsets,
        transform=points,
        facecolors=[label.colour for label in labels],
        edgecolors="none",
        zorder=zorder,
    )
    add(collection, **kwargs)
    if offset_transform is not None:  # labels in the margins: not clipped to the plot
        collection.set_clip_on(False)
    _WORDS[collection] = tuple(label.text for label in labels)
    return collection


_WORDS: WeakKeyDictionary[Any, tuple[str, ...]] = WeakKeyDictionary()


def outline_words(figure: Figure) -> list[str]:
    """Every text a figure draws as outlines (which Figure.texts does not list)."""
    from matplotlib.collections import PathCollection

    words: list[str] = []
    for collection in figure.findobj(PathCollection):
        words += _WORDS.get(collection, ())
    return words


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


def _date_number(epoch: datetime) -> Any:
    """Dates as matplotlib's numbers (days since its epoch), without date2num's cost per call."""

    def number(value: date | datetime) -> float:
        if not isinstance(value, datetime):
            value = datetime.combine(value, datetime.min.time())
        delta = value - epoch
        return delta.days + delta.seconds / 86400

    return number


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
            top.text(
                0.5,
                (first_row + 0.5) / (last_row + 1.35),
                "No side effects recorded.",
                transform=top.transAxes,
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


def _period_text(dashboard: ClinicDashboard) -> str:
    return f"{dashboard.start:%d %b %Y} – {dashboard.end:%d %b %Y}"


def _sessions_text(n: int) -> str:
    return f"{n:,} session" + ("" if n == 1 else "s")


def _bars(
    ax: Axes,
    boxes: Sequence[tuple[float, float, float, float]],
    *,
    gid: str | None = None,
    **style: Any,
) -> Any:
    """Bars (x0, y0, x1, y1 in data) drawn as one compound patch: Agg sets a hatch up once per
    patch, so a hatched bar drawn by itself costs as much as the whole rest of a chart."""
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path

    boxes = [b for b in boxes if b[2] != b[0] and b[3] != b[1]]
    if not boxes:
        return None
    vertices = [
        v for x0, y0, x1, y1 in boxes for v in ((x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0))
    ]
    codes = [Path.MOVETO, Path.LINETO, Path.LINETO, Path.LINETO, Path.CLOSEPOLY] * len(boxes)
    patch = PathPatch(Path(vertices, codes), **style)
    patch.set_gid(gid)
    ax.add_patch(patch)
    return patch


def _hatch_ink(colour: str) -> str:
    return "#ffffff" if colour in ("#21406b", "#3f7f3a", "#c0392b") else "#333333"


def draw_monthly_rates(target: Figure | SubFigure, dashboard: ClinicDashboard) -> Axes:
    """Side effects per 100 sessions, month by month, stacked by kind."""
    import matplotlib.dates as mdates
    from matplotlib.patches import Patch

    ax = target.add_subplot()
    _chart_title(target, "Side effects per 100 sessions, by month")
    months = list(dashboard.months)
    if not any(m.sessions for m in months):
        ax.set_axis_off()
        _note(ax, "No sessions in this period.")
        return ax
    totals: dict[SideEffectKind, int] = {}
    for m in months:
        for kind, n in m.effects.items():
            totals[kind] = totals.get(kind, 0) + n
    ranked = sorted(totals, key=lambda k: (-totals[k], list(SideEffectKind).index(k)))
    series: list[tuple[str, list[SideEffectKind]]] = [(k.label, [k]) for k in ranked[:5]]
    if ranked[5:]:
        series.append(("All other kinds", ranked[5:]))
    num = _date_number(datetime.fromisoformat(mdates.get_epoch()))  # type: ignore[no-untyped-call]
    x = [num(m.month) + 14 for m in months]
    half = 12.0
    bottom = [0.0] * len(months)
    handles = []
    for (label, kinds), (colour, hatch) in zip(series, KIND_STYLE, strict=False):
        values = [
            100.0 * sum(m.effects.get(k, 0) for k in kinds) / m.sessions if m.sessions else 0.0
            for m in months
        ]
        style: dict[str, Any] = {
            "facecolor": colour,
            "hatch": hatch or None,
            "hatchcolor": _hatch_ink(colour),
            "edgecolor": "#3a3a3a",
            "linewidth": 0.4,
        }
        _bars(
            ax,
            [(c - half, b, c + half, b + v) for c, b, v in zip(x, bottom, values, strict=True)],
            gid=f"kind:{label}",
            **style,
        )
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        handles.append(Patch(label=_wrap(label, 26), **style))
    ax.set_ylabel("side effects per 100 sessions")
    ax.grid(axis="y", color="#ececec", linewidth=0.6)
    ax.set_axisbelow(True)
    width_inches = target.get_figwidth() if hasattr(target, "get_figwidth") else 7.0
    _date_axis(ax, width_inches)
    ax.set_xlim(x[0] - 20, x[-1] + 20)
    ax.set_ylim(0, max(bottom) * 1.35 if max(bottom) else 1)
    ax.legend(handles=handles, loc="upper left", ncols=3, fontsize=7.5, bbox_to_anchor=(0, 1.0))
    return ax


def _lot_label(lot: LotRate) -> str:
    product = lot.product if len(lot.product) <= 26 else lot.product[:25] + "…"
    return f"{lot.lot_number}  {product}"


def draw_lot_rates(
    target: Figure | SubFigure, dashboard: ClinicDashboard, *, limit: int = 16
) -> Axes:
    """Each lot's reaction rate with its 95 % Wilson interval, highest first, each with a grey
    mark at the rate of the other lots of its product (a cross at every other lot's when the
    product has no other lot in the period). Rates to look at, not signals: the signals judge
    each kind of side effect per exposed patient (mesodesk.domain.signals)."""
    from matplotlib.collections import LineCollection

    ax = target.add_subplot()
    _chart_title(target, "Reactions by product lot")
    width = _width_of(target) - 0.2
    lots = list(dashboard.lots[:limit])
    if not lots:
        ax.set_axis_off()
        _note(ax, "No product lots used in this period.")
        return ax
    ys = list(range(len(lots)))
    spans = [
        [(100 * lot.rate.low, y), (100 * lot.rate.high, y)] for y, lot in zip(ys, lots, strict=True)
    ]
    caps = [
        [(100 * end, y - 0.18), (100 * end, y + 0.18)]
        for y, lot in zip(ys, lots, strict=True)
        for end in (lot.rate.low, lot.rate.high)
    ]
    ax.add_collection(LineCollection(spans, colors=INK, linewidths=1.6, zorder=3), autolim=False)
    ax.add_collection(LineCollection(caps, colors=INK, linewidths=1.2, zorder=3), autolim=False)
    for same_product, marker, size in ((True, "|", 130), (False, "x", 40)):
        chosen = [
            (y, lot)
            for y, lot in zip(ys, lots, strict=True)
            if lot.product_comparison is same_product
        ]
        if chosen:
            ax.scatter(
                [100 * lot.comparison.rate for _, lot in chosen],
                [y for y, _ in chosen],
                marker=marker,
                s=size,
                linewidths=1.6,
                color="#8a8a8a",
                zorder=2,
            )
    ax.scatter(
        [100 * lot.rate.rate for lot in lots],
        ys,
        marker="o",
        s=28,
        facecolors="white",
        edgecolors=INK,
        linewidths=1.2,
        zorder=4,
    )
    overall = 100 * dashboard.all_lots.rate
    ax.axvline(overall, color=MUTED, linestyle="--", linewidth=0.9, zorder=1)
    ax.set_yticks(ys, [_lot_label(lot) for lot in lots], fontsize=7.5)
    ax.set_ylim(len(lots) - 0.4, -0.6)
    right = max(100 * lot.rate.high for lot in lots)
    ax.set_xlim(0, min(100, right * 1.08 + 6))
    # the counts beside the plot, as Text: constrained layout makes room for Text only
    for y, lot in zip(ys, lots, strict=True):
        ax.annotate(
            f"{lot.rate.events:,}/{lot.rate.total:,}",
            (1.0, y),
            xycoords=("axes fraction", "data"),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=7,
            color=MUTED,
            annotation_clip=False,
        )
    ax.annotate(
        "reactions/\nsessions",
        (1.0, 1.0),
        xycoords="axes fraction",
        xytext=(4, 2),
        textcoords="offset points",
        fontsize=7,
        color=MUTED,
        va="bottom",
    )
    ax.set_xlabel(_fit("% of its sessions with a side effect suspecting it", width * 0.6, 9))
    ax.grid(axis="x", color="#ececec", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.text(
        overall,
        -0.55,
        f"all lots {overall:.1f} % ",
        fontsize=7,
        color=MUTED,
        va="bottom",
        ha="right",
    )
    shown = (
        f"the {len(lots)} highest of {len(dashboard.lots)} lots shown"
        if len(dashboard.lots) > len(lots)
        else ""
    )
    marks = ["│ grey: the other lots of the same product"]
    if any(not lot.product_comparison for lot in lots):
        marks.append("× grey: every other lot (no other lot of the product in the period)")
    marks.append("- - -  all lots")
    lines = [
        ";   ".join(marks),
        "Interval: 95 %, Wilson score" + (f";  {shown}" if shown else ""),
        "All kinds pooled, per session: rates to look at, not signals (see the signals table).",
    ]
    # a figure-level label below the chart: constrained layout makes room for its height and
    # never narrows the plot for its width (so each line is wrapped to the width)
    target.supxlabel(
        "\n".join(_fit(line, width, 7) for line in lines),
        x=0.02,
        ha="left",
        fontsize=7,
        color=MUTED,
        linespacing=1.4,
    )
    return ax


def draw_group_rates(
    target: Figure | SubFigure, groups: Sequence[GroupRate], title: str, what: str
) -> Axes:
    """Side effects per 100 sessions for each indication (or treated area), the grade 3+ part
    hatched, with the counts written beside each bar."""
    from matplotlib.patches import Patch

    ax = target.add_subplot()
    _chart_title(target, title)
    rows = [g for g in groups if g.sessions][:14]
    if not rows:
        ax.set_axis_off()
        _note(ax, "No sessions in this period.")
        return ax
    ys = list(range(len(rows)))
    rates = [g.rate for g in rows]
    severe = [100.0 * g.severe / g.sessions for g in rows]
    every: dict[str, Any] = {"facecolor": "#9ecae1", "edgecolor": "#3a3a3a", "linewidth": 0.5}
    worst: dict[str, Any] = {
        "facecolor": "#c0392b",
        "hatch": "xxx",
        "hatchcolor": "#ffffff",
        "edgecolor": "#3a3a3a",
        "linewidth": 0.5,
    }
    _bars(
        ax, [(0, y - 0.34, r, y + 0.34) for y, r in zip(ys, rates, strict=True)], gid="all", **every
    )
    _bars(
        ax,
        [(0, y - 0.34, r, y + 0.34) for y, r in zip(ys, severe, strict=True)],
        gid="severe",
        **worst,
    )
    names = [_wrap(g.label, 24) for g in rows]
    ax.set_yticks(ys, names, fontsize=7.5)
    ax.set_ylim(len(rows) - 0.4, -0.6)
    top = max(rates) if max(rates) > 0 else 1.0
    counts = [f"{g.rate:.1f}   ({g.effects:,} / {g.sessions:,})" for g in rows]
    # room on the right for the longest count beside its bar: the plot is the figure less the
    # row names (the widths by the font's average advance, as _fit)
    name_width = max(len(line) for n in names for line in n.split("\n")) * 7.5 * 0.55 / 72
    plot_width = max(1.0, _width_of(target) - name_width - 0.45)
    gap = top * 0.02
    right = top * 1.05 + 1
    for rate, text in zip(rates, counts, strict=True):
        share = min(0.8, (len(text) * 7.0 * 0.55 / 72 + 0.08) / plot_width)
        right = max(right, (rate + gap) / (1 - share))
    ax.set_xlim(0, right)
    _path_labels(
        ax,
        [
            _Label(g.rate + gap, y, text, ha="left")
            for y, g, text in zip(ys, rows, counts, strict=True)
        ],
        7.0,
    )
    ax.set_xlabel(
        _fit(
            f"side effects per 100 sessions {what}   (side effects / sessions)",
            _width_of(target) * 0.6,
            9,
        )
    )
    ax.grid(axis="x", color="#ececec", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.legend(
        handles=[
            Patch(label="all grades", **every),
            Patch(label="of which grade 3 or above", **worst),
        ],
        # above the plot: in it, it would cover the counts of the last bars
        loc="lower left",
        bbox_to_anchor=(0.0, 1.0),
        ncols=2,
        fontsize=7,
        handlelength=1.3,
        columnspacing=0.9,
        borderaxespad=0.2,
    )
    return ax


def _stacked_shares(
    ax: Axes,
    labels: Sequence[str],
    counts: Sequence[Sequence[int]],
    styles: Sequence[tuple[str, str, str]],
    names: Sequence[str],
    unit: Any,
    width: float,
) -> None:
    from matplotlib.patches import Patch

    ys = list(range(len(labels)))
    left = [0.0] * len(labels)
    shares: list[_Label] = []
    for i, (face, hatch, ink) in enumerate(styles):
        values = [100.0 * c[i] / sum(c) if sum(c) else 0.0 for c in counts]
        _bars(
            ax,
            [(x0, y - 0.33, x0 + v, y + 0.33) for y, x0, v in zip(ys, left, values, strict=True)],
            gid=names[i],
            facecolor=face,
            hatch=hatch or None,
            hatchcolor="#555555" if ink == "#000000" else "#ffffff",
            edgecolor="#3a3a3a",
            linewidth=0.4,
        )
        shares += [
            _Label(x0 + v / 2, y, f"{v:.0f}%", ink, face if hatch else None)
            for y, v, x0 in zip(ys, values, left, strict=True)
            if v >= 7
        ]
        left = [a + b for a, b in zip(left, values, strict=True)]
    _path_labels(ax, shares, 7.0)
    # the count goes under each label: beside the bar it would fall off a narrow figure
    ax.set_yticks(
        ys,
        [f"{text}\n{unit(sum(c))}" for text, c in zip(labels, counts, strict=True)],
        fontsize=7.5,
    )
    ax.set_ylim(len(labels) - 0.4, -0.6)
    ax.set_xlim(0, 100)
    ax.set_xticks([0, 25, 50, 75, 100], ["0", "25", "50", "75", "100 %"])
    ax.spines["left"].set_visible(False)
    ax.tick_params(axis="y", length=0)
    handles = [
        Patch(
            facecolor=face,
            hatch=hatch or None,
            hatchcolor="#555555" if ink == "#000000" else "#ffffff",
            edgecolor="#3a3a3a",
            label=name,
        )
        for (face, hatch, ink), name in zip(styles, names, strict=True)
    ]
    # as many entries a row as the width holds (an entry: its patch, a gap, its words)
    entry = max(1.3 + 0.8 + 0.9 + 0.55 * len(name) for name in names) * 7 / 72
    ncols = max(1, min(len(handles), int(width * 0.95 / entry)))
    ax.legend(
        handles=handles,
        loc="lower left",
        bbox_to_anchor=(0.0, 1.0),
        ncols=ncols,
        fontsize=7,
        handlelength=1.3,
        columnspacing=0.9,
        borderaxespad=0.2,
    )


def draw_grades(target: Figure | SubFigure, dashboard: ClinicDashboard) -> Axes:
    """How severe each kind of side effect was: the share of each grade, kind by kind."""
    ax = target.add_subplot()
    _chart_title(target, "Grades (CTCAE) of the side effects, by kind")
    rows = [k for k in dashboard.grades if k.total]
    if not rows:
        ax.set_axis_off()
        _note(ax, "No side effects in this period.")
        return ax
    present = [i for i in range(len(GRADES)) if any(k.counts[i] for k in rows)]
    present = list(range(max(3, max(present) + 1)))
    labels = ["All side effects"] + [_kind_title(k.kind) for k in rows[:11]]
    counts = [list(dashboard.grade_totals())] + [list(k.counts) for k in rows[:11]]
    styles = [
        (GRADE_STYLE[GRADES[i]][0], GRADE_STYLE[GRADES[i]][1], "#000000" if i < 2 else "#ffffff")
        for i in present
    ]
    names = [f"{i + 1} {GRADE_WORDS[GRADES[i]]}" for i in present]
    _stacked_shares(
        ax,
        labels,
        [[c[i] for i in present] for c in counts],
        styles,
        names,
        lambda n: f"{n:,} side effect" + ("" if n == 1 else "s"),
        _width_of(target) * 0.7,
    )
    ax.get_yticklabels()[0].set_fontweight("bold")
    ax.set_xlabel("share of the side effects of each kind")
    return ax


def draw_gais(target: Figure | SubFigure, dashboard: ClinicDashboard) -> Axes:
    """GAIS at course review, per indication, as shares of 1 (very much improved) to 5 (worse)."""
    ax = target.add_subplot()
    _chart_title(target, "Improvement at course review (GAIS), by indication")
    rows = [g for g in dashboard.gais if g.total]
    if not rows:
        ax.set_axis_off()
        _note(ax, "No course reviews with a GAIS in this period.")
        return ax
    labels = [g.indication.label for g in rows]
    names = [
        GAIS_LABELS[g].split(" ", 1)[0] + " " + GAIS_LABELS[g].split(" ", 1)[1].lower()
        for g in GAIS_VALUES
    ]
    _stacked_shares(
        ax,
        labels,
        [list(g.counts) for g in rows],
        GAIS_STYLE,
        names,
        lambda n: f"{n:,} review" + ("" if n == 1 else "s"),
        _width_of(target) * 0.7,
    )
    ax.set_xlabel("share of the course reviews")
    return ax


def monthly_rates_figure(
    dashboard: ClinicDashboard, width: float = 7.5, height: float = 4.2
) -> Figure:
    with _style():
        figure = _figure(width, height)
        draw_monthly_rates(figure, dashboard)
        return figure


def lot_rates_figure(
    dashboard: ClinicDashboard, width: float = 7.5, height: float = 4.8, limit: int = 16
) -> Figure:
    with _style():
        figure = _figure(width, height)
        draw_lot_rates(figure, dashboard, limit=limit)
        return figure


def indication_rates_figure(
    dashboard: ClinicDashboard, width: float = 7.5, height: float = 4.2
) -> Figure:
    with _style():
        figure = _figure(width, height)
        draw_group_rates(
            figure, dashboard.indications, "Side effects by indication", "of the indication"
        )
        return figure


def area_rates_figure(
    dashboard: ClinicDashboard, width: float = 7.5, height: float = 4.2
) -> Figure:
    with _style():
        figure = _figure(width, height)
        draw_group_rates(
            figure, dashboard.areas, "Side effects by treated area", "treating the area"
        )
        return figure


def grades_figure(dashboard: ClinicDashboard, width: float = 7.5, height: float = 4.2) -> Figure:
    with _style():
        figure = _figure(width, height)
        draw_grades(figure, dashboard)
        return figure


def gais_figure(dashboard: ClinicDashboard, width: float = 7.5, height: float = 4.2) -> Figure:
    with _style():
        figure = _figure(width, height)
        draw_gais(figure, dashboard)
        return figure


DASHBOARD_FIGURES = (
    ("lots", "Reactions by product lot", lot_rates_figure),
    ("months", "Side effects by month", monthly_rates_figure),
    ("indications", "By indication", indication_rates_figure),
    ("areas", "By treated area", area_rates_figure),
    ("grades", "Grades", grades_figure),
    ("gais", "GAIS by indication", gais_figure),
)


def dashboard_figures(dashboard: ClinicDashboard) -> dict[str, Figure]:
    """Every figure of the clinic dashboard, by name."""
    return {name: build(dashboard) for name, _, build in DASHBOARD_FIGURES}


def signal_sentence(signal: Signal) -> str:
    """One signal in words, for the page and the command line."""
    family = (
        "serious or grade 3+ "
        if signal.serious and signal.kind is not SideEffectKind.INFECTION
        else ""
    )
    return (
        f"Signal: lot {signal.lot_number} ({signal.product}), {family}"
        f"{signal.kind.label.lower()}: {signal.cases:,} of {signal.exposed_patients:,} exposed "
        f"patients within {signal.window_days} days of a session, {signal.expected:.2f} "
        f"expected from {signal.comparison_words}; IC025 {signal.score:.2f}."
    )


def clinic_dashboard(
    dashboard: ClinicDashboard,
    width: float = 16.0,
    height: float = 19.0,
    signals: Sequence[Signal] | None = None,
) -> Figure:
    """The whole dashboard on one page (the command line's ``chart --clinic``), with the lot
    signals of the period in words below it."""
    with _style():
        figure = _figure(width, height)
        headline = (
            f"Clinic side effects and outcomes, {_period_text(dashboard)}:  "
            f"{_sessions_text(dashboard.sessions)}, {dashboard.effects:,} side effects "
            f"({dashboard.rate:.1f} per 100 sessions), {dashboard.severe:,} of grade 3 or above"
        )
        figure.suptitle(headline, x=0.01, ha="left", fontsize=13, fontweight="bold", color=INK)
        subs: Any = figure.subfigures(3, 2, hspace=0.02, wspace=0.02)
        draw_lot_rates(subs[0][0], dashboard)
        draw_monthly_rates(subs[0][1], dashboard)
        draw_group_rates(
            subs[1][0], dashboard.indications, "Side effects by indication", "of the indication"
        )
        draw_group_rates(
            subs[1][1], dashboard.areas, "Side effects by treated area", "treating the area"
        )
        draw_grades(subs[2][0], dashboard)
        draw_gais(subs[2][1], dashboard)
        notes = []
        if dashboard.unlinked_effects:
            notes.append(
                f"{dashboard.unlinked_effects:,} side effect(s) with no suspected session are "
                "not in these charts."
            )
        for signal in signals or ():
            notes.append(signal_sentence(signal))
        if notes:  # a figure-level label, so that the layout keeps room for it
            figure.supxlabel("\n".join(notes), x=0.01, ha="left", fontsize=9, color=ALERT)
        return figure


def save(figure: Figure, path: str | IO[bytes], fmt: str | None = None) -> None:
    """Write a figure as PNG, SVG or PDF (from the file's extension unless ``fmt`` is given),
    to a file name or an open binary file."""
    figure.savefig(path, format=fmt, facecolor="white", dpi=150)


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
