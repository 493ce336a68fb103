"""The clinic dashboard: side effects and outcomes across the clinic over a period.

A tab of the main window (View ▸ Clinic dashboard). The figures are summed in SQL off the GUI
thread (AnalyticsService through the JobRunner); the charts are then built and drawn one at a
time, so that the window keeps answering while they appear. A product lot that stands out is
named in red above the charts.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

from PySide6.QtCore import QCoreApplication, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from mesodesk.domain.analytics import ClinicDashboard
from mesodesk.domain.errors import MesodeskError
from mesodesk.services.changes import Changes
from mesodesk.services.registry import Services
from mesodesk.ui.charts import ChartView
from mesodesk.ui.jobs import JobRunner
from mesodesk.ui.labels import Formats
from mesodesk.ui.tables import while_alive
from mesodesk.ui.widgets import DateField, mark_invalid

if TYPE_CHECKING:
    from mesodesk.ui.main_window import MainWindow

CHART_HEIGHT = 400
RELOAD_DELAY_MS = 600  # changes elsewhere are gathered before the dashboard is summed again


def chart_titles() -> dict[str, str]:
    tr = QCoreApplication.translate
    return {
        "lots": tr("Dashboard", "Reactions by product lot"),
        "months": tr("Dashboard", "Side effects by month"),
        "indications": tr("Dashboard", "Side effects by indication"),
        "areas": tr("Dashboard", "Side effects by treated area"),
        "grades": tr("Dashboard", "Grades"),
        "gais": tr("Dashboard", "GAIS by indication"),
    }


class ClinicDashboardView(QWidget):
    """The period, the headline figures, a warning for any lot that stands out, six charts."""

    recall_requested = Signal(str)  # a lot number

    def __init__(
        self,
        services: Services,
        runner: JobRunner,
        formats: Formats,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.runner = runner
        self.formats = formats
        self.data: ClinicDashboard | None = None
        self.loading = False
        self._pending: list[str] = []
        self._generation = 0

        self.start = DateField(formats)
        self.start.setObjectName("dashboard_from")
        self.end = DateField(formats)
        self.end.setObjectName("dashboard_to")
        self.refresh_button = QPushButton(self.tr("Show"))
        self.refresh_button.setDefault(True)
        self.refresh_button.clicked.connect(self.reload)
        presets = QHBoxLayout()
        for text, days in (
            (self.tr("3 months"), 91),
            (self.tr("12 months"), 365),
            (self.tr("All"), None),
        ):
            button = QPushButton(text)
            button.setFlat(True)
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            button.clicked.connect(lambda _checked=False, d=days: self.set_last(d))
            presets.addWidget(button)
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("From")))
        top.addWidget(self.start)
        top.addWidget(QLabel(self.tr("to")))
        top.addWidget(self.end)
        top.addWidget(self.refresh_button)
        top.addSpacing(12)
        top.addLayout(presets)
        top.addStretch(1)

        self.headline = QLabel()
        self.headline.setObjectName("dashboard_headline")
        self.headline.setTextFormat(Qt.TextFormat.RichText)
        self.headline.setWordWrap(True)
        self.alert = QLabel()
        self.alert.setObjectName("dashboard_alert")
        self.alert.setTextFormat(Qt.TextFormat.RichText)
        self.alert.setWordWrap(True)
        self.alert.setStyleSheet(
            "color: #8c1d13; background: #fbe3df; border: 1px solid #e0a39b;"
            " border-radius: 4px; padding: 6px 10px;"
        )
        self.alert.linkActivated.connect(self._link)
        self.alert.hide()
        self.note = QLabel()
        self.note.setStyleSheet("color: #666666;")
        self.note.setWordWrap(True)

        self.charts: dict[str, ChartView] = {}
        grid_host = QWidget()
        grid = QGridLayout(grid_host)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(14)
        for i, (name, title) in enumerate(chart_titles().items()):
            view = ChartView(name=f"clinic-{name}")
            view.setObjectName(f"chart_{name}")
            view.setMinimumHeight(CHART_HEIGHT)
            view.setToolTip(title)
            view.show_message(self.tr("Loading…"))
            self.charts[name] = view
            grid.addWidget(view, i // 2, i % 2)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(grid_host)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.headline)
        layout.addWidget(self.alert)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.note)

        self._reload_timer = QTimer(self)
        self._reload_timer.setSingleShot(True)
        self._reload_timer.setInterval(RELOAD_DELAY_MS)
        self._reload_timer.timeout.connect(self.reload)
        self._draw_timer = QTimer(self)
        self._draw_timer.setSingleShot(True)
        self._draw_timer.setInterval(0)
        self._draw_timer.timeout.connect(self._draw_next)
        # the whole history by default: a lot that stood out last year still matters today
        self.set_last(None, load=False)

    # -- the period ----------------------------------------------------------------------------

    def set_last(self, days: int | None, *, load: bool = True) -> None:
        today = self.services.clock.today()
        self.start.set_value(today - timedelta(days=days) if days is not None else None)
        self.end.set_value(today)
        if load:
            self.reload()

    def period(self) -> tuple[date | None, date | None] | None:
        """The dates typed, or None (with the field marked) when one is not a date."""
        values = []
        for field in (self.start, self.end):
            try:
                values.append(field.value())
                mark_invalid(field.edit, False)
            except ValueError:
                mark_invalid(field.edit, True)
                self.headline.setText(
                    self.tr("Type the dates as %1.").replace("%1", self.formats.date_hint)
                )
                return None
        start, end = values
        if start is not None and end is not None and start > end:
            mark_invalid(self.start.edit, True)
            self.headline.setText(self.tr("The period starts after it ends."))
            return None
        return start, end

    # -- loading and drawing -------------------------------------------------------------------

    def reload(self) -> None:
        period = self.period()
        if period is None:
            return
        start, end = period
        self.loading = True
        self._generation += 1
        generation = self._generation
        self.refresh_button.setEnabled(False)
        self.headline.setText(self.tr("Counting…"))
        analytics = self.services.analytics
        job = self.runner.run(lambda: analytics.dashboard(start, end))
        job.success(while_alive(self, lambda data: self._loaded(data, generation)))
        job.failure(while_alive(self, lambda error: self._failed(error, generation)))

    def _loaded(self, data: ClinicDashboard, generation: int) -> None:
        if generation != self._generation:
            return  # a newer period was asked for meanwhile
        self.data = data
        self.refresh_button.setEnabled(True)
        self._show_headline(data)
        self._pending = list(self.charts)
        self._draw_timer.start()

    def _draw_next(self) -> None:
        """Build one chart and let it be painted before the next one is built, so that the
        window keeps answering while the charts appear."""
        from mesodesk.reports.charts import DASHBOARD_FIGURES

        if not self._pending or self.data is None:
            self.loading = False
            return
        name = self._pending.pop(0)
        build = {n: b for n, _, b in DASHBOARD_FIGURES}[name]
        view = self.charts[name]
        view.set_figure(build(self.data))
        if not self._pending:
            self.loading = False
        elif view.isVisible():
            view.drawn.connect(self._after_draw, Qt.ConnectionType.SingleShotConnection)
        else:  # not on screen: nothing is painted, so nothing to wait for
            self._draw_timer.start()

    def _after_draw(self) -> None:
        self._draw_timer.start()

    def _failed(self, error: BaseException, generation: int) -> None:
        if generation != self._generation:
            return
        self.loading = False
        self.refresh_button.setEnabled(True)
        if isinstance(error, MesodeskError):
            self.headline.setText(str(error))
        else:
            self.headline.setText(self.tr("The dashboard could not be counted."))
            self.runner.report_error(error)

    def _show_headline(self, data: ClinicDashboard) -> None:
        period = (
            self.tr("%1 to %2")
            .replace("%1", self.formats.date(data.start))
            .replace("%2", self.formats.date(data.end))
        )
        if data.empty:
            self.headline.setText(
                self.tr("<b>%1</b>: no sessions in this period.").replace("%1", period)
            )
        else:
            self.headline.setText(
                self.tr(
                    "<b>%1</b>: %2 sessions, %3 side effects (<b>%4 per 100 sessions</b>), "
                    "%5 of grade 3 or above."
                )
                .replace("%1", period)
                .replace("%2", f"{data.sessions:,}")
                .replace("%3", f"{data.effects:,}")
                .replace("%4", f"{data.rate:.1f}")
                .replace("%5", f"{data.severe:,}")
            )
        standing_out = data.lots_standing_out
        if standing_out:
            lines = []
            for lot in standing_out:
                lines.append(
                    self.tr(
                        "⚠ <b>Lot %1</b> (%2) stands out: %3 % of its %4 sessions were followed "
                        "by a side effect suspecting it, against %5 % for the other lots of the "
                        "product."
                    )
                    .replace("%1", _escape(lot.lot_number))
                    .replace("%2", _escape(lot.product))
                    .replace("%3", f"{100 * lot.rate.rate:.0f}")
                    .replace("%4", f"{lot.rate.total:,}")
                    .replace("%5", f"{100 * lot.comparison.rate:.0f}")
                    + f'  <a href="recall:{quote(lot.lot_number)}">'
                    + self.tr("Every patient who received it…")
                    + "</a>"
                )
            self.alert.setText("<br>".join(lines))
            self.alert.show()
        else:
            self.alert.hide()
        notes = []
        if data.unlinked_effects:
            notes.append(
                self.tr(
                    "%1 side effect(s) of the period name no suspected session and are not in "
                    "these charts."
                ).replace("%1", f"{data.unlinked_effects:,}")
            )
        notes.append(
            self.tr(
                "A period counts the sessions given in it, and the side effects that followed "
                "them. GAIS: at course review."
            )
        )
        self.note.setText(" ".join(notes))

    def _link(self, href: str) -> None:
        if href.startswith("recall:"):
            self.recall_requested.emit(unquote(href[len("recall:") :]))

    def apply_changes(self, changes: Changes) -> None:
        if changes.treatment or changes.catalogue or changes.settings:
            self._reload_timer.start()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# -- installing -----------------------------------------------------------------------------------


def open_dashboard(main: MainWindow) -> ClinicDashboardView:
    """Show the clinic dashboard's tab, opening it (and counting) when it is not open yet."""
    for i in range(main.tabs.count()):
        widget = main.tabs.widget(i)
        if isinstance(widget, ClinicDashboardView):
            main.tabs.setCurrentIndex(i)
            return widget
    view = ClinicDashboardView(main.services, main.runner, main.formats)
    main.changes_applied.connect(view.apply_changes)
    view.recall_requested.connect(lambda lot: _open_recall(main, lot))
    index = main.tabs.addTab(view, QCoreApplication.translate("Dashboard", "Clinic dashboard"))
    main.tabs.setCurrentIndex(index)
    view.reload()
    return view


def _open_recall(main: MainWindow, lot_number: str) -> None:
    from mesodesk.ui.recall_view import open_recall

    open_recall(main, lot_number)


def install(main: MainWindow) -> None:
    action = QAction(QCoreApplication.translate("Dashboard", "Clinic &dashboard"), main)
    action.setObjectName("open_dashboard")
    action.setShortcut(QKeySequence("Ctrl+Shift+G"))
    action.triggered.connect(lambda _checked=False: open_dashboard(main))
    main.menus["view"].addAction(action)
