"""What every chart of mesodesk shares: colours, hatches and words per grade and kind, the
figure style, the text fitting and the date axes, and ``save``. matplotlib is imported inside
the functions, so that importing this module costs nothing until a chart is drawn."""

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

from mesodesk.domain.enums import Grade, SideEffectKind

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


def _kind_title(kind: SideEffectKind) -> str:
    if kind is SideEffectKind.HYPERPIGMENTATION:
        return "Dark skin patches"
    if kind is SideEffectKind.REDNESS_BUMPS:
        return "Redness and bumps"
    return kind.label


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


def _date_number(epoch: datetime) -> Any:
    """Dates as matplotlib's numbers (days since its epoch), without date2num's cost per call."""

    def number(value: date | datetime) -> float:
        if not isinstance(value, datetime):
            value = datetime.combine(value, datetime.min.time())
        delta = value - epoch
        return delta.days + delta.seconds / 86400

    return number


_WORDS: WeakKeyDictionary[Any, tuple[str, ...]] = WeakKeyDictionary()


def outline_words(figure: Figure) -> list[str]:
    """Every text a figure draws as outlines (which Figure.texts does not list)."""
    from matplotlib.collections import PathCollection

    words: list[str] = []
    for collection in figure.findobj(PathCollection):
        words += _WORDS.get(collection, ())
    return words


def save(figure: Figure, path: str | IO[bytes], fmt: str | None = None) -> None:
    """Write a figure as PNG, SVG or PDF (from the file's extension unless ``fmt`` is given),
    to a file name or an open binary file."""
    figure.savefig(path, format=fmt, facecolor="white", dpi=150)
