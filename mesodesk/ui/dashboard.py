"""The clinic dashboard: side effects and outcomes across the clinic over a period.

A tab of the main window (View ▸ Clinic dashboard). The figures are summed in SQL off the GUI
thread (AnalyticsService through the JobRunner); the charts are then built and drawn one at a
time, so that the window keeps answering while they appear. Above the charts, a table lists the
lot signals of the period (SignalService: each lot and kind of side effect judged against its
comparison group), serious ones first and in red.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, QTimer
from PySide6.QtCore import Signal as QtSignal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from mesodesk.domain.analytics import ClinicDashboard, LotRate
from mesodesk.domain.errors import MesodeskError
from mesodesk.domain.signals import Comparison, Signal, SignalReport
from mesodesk.services.changes import Changes
from mesodesk.services.registry import Services
from mesodesk.ui.charts import ChartView
from mesodesk.ui.context import Host
from mesodesk.ui.form import fit_screen
from mesodesk.ui.i18n import arg
from mesodesk.ui.jobs import JobRunner
from mesodesk.ui.labels import Formats, label
from mesodesk.ui.tables import (
    ALERT,
    RIGHT,
    ListTableModel,
    SortProxy,
    bold,
    brush,
    make_table,
    source_row,
    while_alive,
)
from mesodesk.ui.widgets import DateField, date_problem, mark_invalid

CHART_HEIGHT = 400
RELOAD_DELAY_MS = 600  # changes elsewhere are gathered before the dashboard is summed again
SIGNAL_ROWS_SHOWN = 5  # the table's height, in rows: the rest scroll


class SignalTableModel(ListTableModel[Signal]):
    """The lot signals of a period: the lot (product and number), the kind of side effect, the
    cases among the exposed patients against the expected, the score (IC025), whether it is the
    serious family, and what the lot was compared with. Serious signals in red and bold."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent=parent)
        self.headers = [
            self.tr("Lot"),
            self.tr("Side effect"),
            self.tr("Cases"),
            self.tr("Exposed patients"),
            self.tr("Expected"),
            self.tr("Score (IC025)"),
            self.tr("Serious"),
            self.tr("Compared with"),
        ]

    def display(self, signal: Signal, column: int) -> str:
        if column == 0:
            return f"{signal.lot_number} — {signal.product}"
        if column == 1:
            return label(signal.kind)
        if column == 2:
            return f"{signal.cases:,}"
        if column == 3:
            return f"{signal.exposed_patients:,}"
        if column == 4:
            return f"{signal.expected:.2f}"
        if column == 5:
            return f"{signal.score:.2f}"
        if column == 6:
            return self.tr("Serious") if signal.serious else self.tr("All grades")
        if column == 7:
            return comparison_text(signal)
        return ""

    def sort_key(self, signal: Signal, column: int) -> Any:
        numbers = {
            2: signal.cases,
            3: signal.exposed_patients,
            4: signal.expected,
            5: signal.score,
        }
        return numbers.get(column, super().sort_key(signal, column))

    def id_of(self, signal: Signal) -> int | None:
        return signal.lot.lot_id

    def role_data(self, signal: Signal, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.TextAlignmentRole and 2 <= column <= 5:
            return RIGHT
        if role == Qt.ItemDataRole.ForegroundRole and signal.serious:
            return brush(ALERT)
        if role == Qt.ItemDataRole.FontRole and signal.serious:
            return bold()
        if role == Qt.ItemDataRole.ToolTipRole:
            return signal_tooltip(signal)
        return None


def comparison_text(signal: Signal) -> str:
    tr = QCoreApplication.translate
    if signal.comparison is Comparison.PRODUCT:
        return tr("Dashboard", "Other lots of the product")
    if signal.clinic_fallback:
        return tr("Dashboard", "The clinic's other lots (too few patients on the product's others)")
    return tr("Dashboard", "The clinic's other lots")


def signal_tooltip(signal: Signal) -> str:
    tr = QCoreApplication.translate
    text = arg(
        tr(
            "Dashboard",
            "%1 of the %2 patients who received lot %3 had %4 within %5 days of a session with "
            "it; %6 were expected from %7. Score: the lower end of the 95 % credibility "
            "interval of log2(cases / expected) (IC025).",
        ),
        f"{signal.cases:,}",
        f"{signal.exposed_patients:,}",
        signal.lot_number,
        label(signal.kind).lower(),
        str(signal.window_days),
        f"{signal.expected:.2f}",
        comparison_text(signal).lower(),
    )
    if signal.shares_cases_with:
        text += " " + arg(
            tr(
                "Dashboard",
                "The same patients also had lot %1: the records cannot tell the two apart.",
            ),
            ", ".join(lot.lot_number for lot in signal.shares_cases_with),
        )
    return text


class LotRateTableModel(ListTableModel[LotRate]):
    """Every lot used in the period with its reaction rate (what the lot chart draws for the
    highest ones): the lot, its product, its sessions, those with a side effect suspecting it,
    the rate with its 95 % Wilson interval, and the rate it is compared with."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent=parent)
        self.headers = [
            self.tr("Lot"),
            self.tr("Product"),
            self.tr("Sessions"),
            self.tr("With a side effect"),
            self.tr("Rate"),
            self.tr("95 % interval"),
            self.tr("Compared with"),
        ]

    def display(self, lot: LotRate, column: int) -> str:
        if column == 0:
            return lot.lot_number
        if column == 1:
            return lot.product
        if column == 2:
            return f"{lot.rate.total:,}"
        if column == 3:
            return f"{lot.rate.events:,}"
        if column == 4:
            return f"{100 * lot.rate.rate:.1f} %"
        if column == 5:
            return f"{100 * lot.rate.low:.1f} – {100 * lot.rate.high:.1f} %"
        if column == 6:
            whom = (
                self.tr("the product's other lots %1 %")
                if lot.product_comparison
                else self.tr("every other lot %1 % (no other lot of the product)")
            )
            return arg(whom, f"{100 * lot.comparison.rate:.1f}")
        return ""

    def sort_key(self, lot: LotRate, column: int) -> Any:
        numbers = {
            2: lot.rate.total,
            3: lot.rate.events,
            4: lot.rate.rate,
            5: lot.rate.low,
            6: lot.comparison.rate,
        }
        return numbers.get(column, super().sort_key(lot, column))

    def id_of(self, lot: LotRate) -> int | None:
        return lot.lot_id

    def role_data(self, lot: LotRate, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.TextAlignmentRole and 2 <= column <= 5:
            return RIGHT
        return None


class LotRatesDialog(QDialog):
    """Every lot of the period, not only the highest the chart has room for: sortable by any
    column, filtered by what is typed, and each lot's recall a double-click away."""

    def __init__(
        self,
        data: ClinicDashboard,
        formats: Formats,
        recall: Any,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.recall = recall
        period = arg(self.tr("%1 to %2"), formats.date(data.start), formats.date(data.end))
        self.setWindowTitle(
            arg(self.tr("Reactions by product lot · %1 · %2 lots"), period, f"{len(data.lots):,}")
        )
        intro = QLabel(
            arg(
                self.tr(
                    "The share of each lot's sessions with a side effect suspecting it, every kind "
                    "pooled, with its 95 % interval (Wilson score); all lots: %1 %. Rates to look "
                    "at, not signals (the signals table judges each kind per exposed patient)."
                ),
                f"{100 * data.all_lots.rate:.1f}",
            )
        )
        intro.setWordWrap(True)
        self.filter = QLineEdit()
        self.filter.setObjectName("lot_rates_filter")
        self.filter.setPlaceholderText(self.tr("Find a lot or a product"))
        self.filter.setClearButtonEnabled(True)
        self.model = LotRateTableModel(self)
        self.model.set_rows(data.lots)
        self.proxy = SortProxy(self.model, self)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.table = make_table(
            self.proxy, "lot_rates", self, stretch=1, sort=(5, Qt.SortOrder.DescendingOrder)
        )
        header = self.table.horizontalHeader()
        for column in (0, 2, 3, 4, 5, 6):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.doubleClicked.connect(lambda _index: self.recall_selected())
        self.recall_button = QPushButton(self.tr("Every patient who received the lot…"))
        self.recall_button.setEnabled(False)
        self.recall_button.clicked.connect(lambda _checked=False: self.recall_selected())
        self.table.selectionModel().selectionChanged.connect(
            lambda *_: self.recall_button.setEnabled(source_row(self.table) >= 0)
        )
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.recall_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.filter)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        fit_screen(self, 900, 640)

    def recall_selected(self) -> None:
        lot = self.model.item(source_row(self.table))
        if lot is not None:
            self.recall(lot.lot_number)
            self.accept()


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
    """The period, the headline figures, the lot signals, six charts."""

    recall_requested = QtSignal(str)  # a lot number

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
        self.report: SignalReport | None = None
        self.loading = False
        self.signals_loading = False
        self._pending: list[str] = []
        self._generation = 0

        top = self._period_row(formats)

        signals_top = self._signals_row()

        scroll = self._chart_grid()

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.headline)
        layout.addLayout(signals_top)
        layout.addWidget(self.signal_table)
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

    def _period_row(self, formats: Formats) -> QHBoxLayout:
        """The period: from, to, Show, and the presets (3 months, 12 months, all)."""
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
        return top

    def _signals_row(self) -> QHBoxLayout:
        """The headline figures and the lots that stand out (domain.signals), with the way to
        their recall."""
        self.headline = QLabel()
        self.headline.setObjectName("dashboard_headline")
        self.headline.setTextFormat(Qt.TextFormat.RichText)
        self.headline.setWordWrap(True)
        self.signals_title = QLabel()
        self.signals_title.setObjectName("dashboard_signals_title")
        self.signals_title.setTextFormat(Qt.TextFormat.PlainText)
        self.signals_title.setWordWrap(True)
        self.signal_model = SignalTableModel(self)
        self.signal_table = make_table(self.signal_model, "dashboard_signals", self, stretch=7)
        header = self.signal_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        for column in range(2, 7):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.signal_table.doubleClicked.connect(lambda _index: self.recall_selected())
        self.signal_table.hide()
        self.recall_button = QPushButton(self.tr("Every patient who received the lot…"))
        self.recall_button.setObjectName("dashboard_signal_recall")
        self.recall_button.setEnabled(False)
        self.recall_button.clicked.connect(lambda _checked=False: self.recall_selected())
        self.signal_table.selectionModel().selectionChanged.connect(
            lambda *_: self.recall_button.setEnabled(source_row(self.signal_table) >= 0)
        )
        signals_top = QHBoxLayout()
        signals_top.addWidget(self.signals_title, 1)
        signals_top.addWidget(self.recall_button)
        self.note = QLabel()
        self.note.setStyleSheet("color: #666666;")
        self.note.setWordWrap(True)
        return signals_top

    def _chart_grid(self) -> QScrollArea:
        """The charts, two a row, in a scroll area; the lot chart opens the table of every lot."""
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
        # the lot chart has room for the highest rates: every lot is a click away
        self.all_lots_button = QPushButton(self.tr("Every lot…"))
        self.all_lots_button.setObjectName("dashboard_every_lot")
        self.all_lots_button.setFlat(True)
        self.all_lots_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.all_lots_button.setToolTip(
            self.tr("Every lot of the period with its rate, in a table to sort and search")
        )
        self.all_lots_button.setEnabled(False)
        self.all_lots_button.clicked.connect(lambda _checked=False: self.show_every_lot())
        self.charts["lots"].add_tool(self.all_lots_button)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(grid_host)
        return scroll

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
            except ValueError as exc:
                mark_invalid(field.edit, True)
                self.headline.setText(date_problem(exc, self.formats))
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
        self.signals_loading = True
        self.signals_title.setText(self.tr("Signals: counting…"))
        signals = self.services.signals
        signal_job = self.runner.run(lambda: signals.signals(start, end))
        signal_job.success(
            while_alive(self, lambda report: self._signals_loaded(report, generation))
        )
        signal_job.failure(while_alive(self, lambda error: self._signals_failed(error, generation)))

    def _loaded(self, data: ClinicDashboard, generation: int) -> None:
        if generation != self._generation:
            return  # a newer period was asked for meanwhile
        self.data = data
        self.refresh_button.setEnabled(True)
        self.all_lots_button.setEnabled(bool(data.lots))
        self.all_lots_button.setText(
            arg(self.tr("Every lot (%1)…"), f"{len(data.lots):,}")
            if data.lots
            else self.tr("Every lot…")
        )
        self._show_headline(data)
        self._pending = list(self.charts)
        self._draw_timer.start()

    def _draw_next(self) -> None:
        """Build one chart and let it be painted before the next one is built, so that the
        window keeps answering while the charts appear."""
        from mesodesk.reports.dashboard import DASHBOARD_FIGURES

        if not self._pending or self.data is None:
            self.loading = False
            return
        name = self._pending.pop(0)
        build = {n: b for n, _, b in DASHBOARD_FIGURES}[name]
        view = self.charts[name]
        data = self.data
        # made for the chart's place, and again when the window is resized
        view.set_builder(lambda w, h: build(data, width=w, height=h))
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
        period = arg(
            self.tr("%1 to %2"), self.formats.date(data.start), self.formats.date(data.end)
        )
        if data.empty:
            self.headline.setText(arg(self.tr("<b>%1</b>: no sessions in this period."), period))
        else:
            self.headline.setText(
                arg(
                    self.tr(
                        "<b>%1</b>: %2 sessions, %3 side effects (<b>%4 per 100 sessions</b>), "
                        "%5 of grade 3 or above."
                    ),
                    period,
                    f"{data.sessions:,}",
                    f"{data.effects:,}",
                    f"{data.rate:.1f}",
                    f"{data.severe:,}",
                )
            )
        notes = []
        if data.unlinked_effects:
            notes.append(
                arg(
                    self.tr(
                        "%1 side effect(s) of the period name no suspected session and are not in "
                        "these charts."
                    ),
                    f"{data.unlinked_effects:,}",
                )
            )
        notes.append(
            self.tr(
                "A period counts the sessions given in it, and the side effects that followed "
                "them. GAIS: at course review. Signals: each lot and kind of side effect against "
                "the product's other lots (infections: the clinic's), exposed patients as units, "
                "BCPNN IC025 (see the tooltips and docs/signals.md)."
            )
        )
        self.note.setText(" ".join(notes))

    # -- the signals -----------------------------------------------------------------------------

    def _signals_loaded(self, report: SignalReport, generation: int) -> None:
        if generation != self._generation:
            return
        self.signals_loading = False
        self.report = report
        self.signal_model.set_rows(report.signals)
        self._fit_signal_table(len(report.signals))
        self.signal_table.setVisible(bool(report.signals))
        self.recall_button.setVisible(bool(report.signals))
        self.recall_button.setEnabled(False)
        if not report.signals:
            self.signals_title.setText(
                arg(
                    self.tr(
                        "Signals: none. No lot's rate of any kind of side effect stands out "
                        "(%1 lots used)."
                    ),
                    f"{report.lots_examined:,}",
                )
            )
            self.signals_title.setStyleSheet("")
            return
        serious = len(report.serious)
        title = arg(
            self.tr("Signals: %1 lot(s) with a disproportionate rate of a kind of side effect"),
            f"{len(report.signals):,}",
        )
        if serious:
            title += arg(self.tr(", %1 of serious events or infections"), f"{serious:,}")
        self.signals_title.setText(
            title + self.tr(". Double-click one for every patient who received the lot.")
        )
        self.signals_title.setStyleSheet(
            f"color: {ALERT.name()}; font-weight: bold;" if serious else "font-weight: bold;"
        )

    def _fit_signal_table(self, rows: int) -> None:
        """As tall as its rows, up to SIGNAL_ROWS_SHOWN (the rest scroll), so that the charts
        keep the room."""
        table = self.signal_table
        row_height = table.verticalHeader().defaultSectionSize()
        shown = max(1, min(rows, SIGNAL_ROWS_SHOWN))
        frame = 2 * table.frameWidth()
        scroll = table.horizontalScrollBar().sizeHint().height()
        table.setFixedHeight(
            table.horizontalHeader().sizeHint().height() + shown * row_height + frame + scroll
        )

    def _signals_failed(self, error: BaseException, generation: int) -> None:
        if generation != self._generation:
            return
        self.signals_loading = False
        self.signal_model.set_rows([])
        self.signal_table.hide()
        self.recall_button.hide()
        if isinstance(error, MesodeskError):
            self.signals_title.setText(str(error))
        else:
            self.signals_title.setText(self.tr("The signals could not be computed."))
            self.runner.report_error(error)

    def show_every_lot(self) -> LotRatesDialog | None:
        """Every lot of the period in a table (the chart shows the highest rates)."""
        if self.data is None:
            return None
        dialog = LotRatesDialog(self.data, self.formats, self.recall_requested.emit, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def recall_selected(self) -> None:
        """Open the lot recall of the selected signal's lot."""
        signal = self.signal_model.item(source_row(self.signal_table))
        if signal is not None:
            self.recall_requested.emit(signal.lot_number)

    def apply_changes(self, changes: Changes) -> None:
        if changes.treatment or changes.catalogue or changes.settings:
            self._reload_timer.start()


# -- installing -----------------------------------------------------------------------------------


def open_dashboard(host: Host) -> ClinicDashboardView:
    """Show the clinic dashboard's tab, opening it (and counting) when it is not open yet."""
    view = host.find_view(ClinicDashboardView)
    if view is not None:
        host.show_view(view, "")
        return view
    context = host.context
    view = ClinicDashboardView(context.services, context.runner, context.formats)
    context.changes_applied.connect(view.apply_changes)
    view.recall_requested.connect(lambda lot: _open_recall(host, lot))
    host.show_view(view, QCoreApplication.translate("Dashboard", "Clinic dashboard"))
    view.reload()
    return view


def _open_recall(host: Host, lot_number: str) -> None:
    from mesodesk.ui.recall_view import open_recall

    open_recall(host, lot_number)


def install(host: Host) -> None:
    window = host.window()
    action = QAction(QCoreApplication.translate("Dashboard", "Clinic &dashboard"), window)
    action.setObjectName("open_dashboard")
    action.setShortcut(QKeySequence("Ctrl+Shift+G"))
    action.triggered.connect(lambda _checked=False: open_dashboard(host))
    host.menu("view").addAction(action)
