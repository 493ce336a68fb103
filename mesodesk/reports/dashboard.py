"""The clinic dashboard's charts (rates by month, lot, indication and area; grades; GAIS), as
matplotlib Figures (never pyplot), for the window, the command line and the PDF alike."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mesodesk.domain.analytics import (
    GAIS_VALUES,
    GRADES,
    ClinicDashboard,
    GroupRate,
    LotRate,
)
from mesodesk.domain.enums import GAIS_LABELS, SideEffectKind
from mesodesk.domain.signals import Signal

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure
from mesodesk.reports.style import (
    ALERT,
    GAIS_STYLE,
    GRADE_STYLE,
    GRADE_WORDS,
    INK,
    KIND_STYLE,
    MUTED,
    _chart_title,
    _date_axis,
    _date_number,
    _figure,
    _fit,
    _kind_title,
    _Label,
    _note,
    _path_labels,
    _style,
    _width_of,
    _wrap,
)


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
