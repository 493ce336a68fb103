"""Lot recall: every patient and session that received a lot of one product, with the side effects
they reported since, in seconds and offline (DOMAIN.md, traceability). The side effects that
suspect the lot stand apart from the other side effects the patients reported since.

A tab of the main window (Tools ▸ Lot recall…, or Lot recall… beside a lot in the catalogue).
A lot number is found case- and accent-blind; when several products have a lot of that number,
the view asks which (the product chooser beside the number).
The list exports as CSV for the manufacturer or the authority; cells a spreadsheet would run as a
formula are neutralised (services.export, shared with `mesodesk recall --csv`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from mesodesk.domain.catalogue import Lot
from mesodesk.domain.enums import Grade
from mesodesk.domain.errors import MesodeskError, NotFoundError, ValidationError
from mesodesk.domain.treatment import (
    LotInSeveralProducts,
    Recall,
    RecallEntry,
    RecallSideEffect,
)
from mesodesk.services.changes import Changes
from mesodesk.services.export import save_recall_csv
from mesodesk.services.registry import Services
from mesodesk.ui.context import Host
from mesodesk.ui.files import remember, start_in
from mesodesk.ui.i18n import arg
from mesodesk.ui.jobs import JobRunner
from mesodesk.ui.labels import Formats, label
from mesodesk.ui.tables import (
    ALERT,
    CAUTION,
    ID_ROLE,
    RIGHT,
    ListTableModel,
    SortProxy,
    bold,
    brush,
    make_table,
    while_alive,
)
from mesodesk.ui.widgets import ErrorLabel, mark_invalid, placeholder

COMPLETION_DELAY_MS = 120
COMPLETIONS = 50
NUMBER_ROLE = Qt.ItemDataRole.UserRole + 10  # the bare lot number of a completion
PRODUCT_ROLE = Qt.ItemDataRole.UserRole + 12  # the product of a completion
# "suspected": a session followed by a side effect suspecting the lot; "other": by other side
# effects only; "none"
EFFECTS_ROLE = Qt.ItemDataRole.UserRole + 11
SHOW_ALL, SHOW_SUSPECTED, SHOW_ANY = 0, 1, 2


SUSPECTED_COLUMN, OTHER_COLUMN = 5, 6


class RecallTableModel(ListTableModel[RecallEntry]):
    """One row per session that used the lot; the side effects that suspect the lot in one
    column, the other side effects the patient reported since in the next."""

    def __init__(self, formats: Formats, parent: Any = None) -> None:
        super().__init__(parent=parent)
        self.formats = formats
        self.headers = [
            self.tr("Record no."),
            self.tr("Name"),
            self.tr("Phone"),
            self.tr("Session"),
            self.tr("Amount"),
            self.tr("Side effects suspecting this lot"),
            self.tr("Other side effects since"),
        ]

    def set_entries(self, entries: Sequence[RecallEntry]) -> None:
        self.set_rows(entries)

    def id_of(self, e: RecallEntry) -> int:
        return e.patient_id  # a row opens the patient

    @staticmethod
    def effects(e: RecallEntry, column: int) -> list[RecallSideEffect]:
        suspected = column == SUSPECTED_COLUMN
        return [x for x in e.side_effects if x.suspected is suspected]

    def display(self, e: RecallEntry, column: int) -> str:
        if column == 0:
            return e.record_no
        if column == 1:
            return f"{e.last_name}, {e.first_name}"
        if column == 2:
            return e.phone
        if column == 3:
            return self.formats.datetime(e.started_at)
        if column == 4:
            if e.amount_ml is None:  # the session's numbing cream or spray: no amount
                return self.tr("numbing")
            return arg(self.tr("%1 ml"), f"{e.amount_ml:g}")
        if column in (SUSPECTED_COLUMN, OTHER_COLUMN):
            effects = self.effects(e, column)
            if not effects:
                return self.tr("None") if column == SUSPECTED_COLUMN else ""
            return "; ".join(self._effect_line(x) for x in effects)
        return ""

    def _effect_line(self, x: RecallSideEffect, *, detail: bool = False) -> str:
        """'Swelling, grade 2, 20/03/2024 to 31/03/2024' or 'Pain, grade 1, from 02/10/2026
        (ongoing)'; the tooltip adds the outcome of a resolved one and the lot it suspects."""
        kind, grade, onset = label(x.kind), str(int(x.grade)), self.formats.date(x.onset_on)
        if x.resolved_on is not None:
            resolved = self.formats.date(x.resolved_on)
            text = arg(self.tr("%1, grade %2, %3 to %4"), kind, grade, onset, resolved)
            if detail:
                text += " (" + label(x.outcome).lower() + ")"
        else:
            outcome = label(x.outcome).lower()
            text = arg(self.tr("%1, grade %2, from %3 (%4)"), kind, grade, onset, outcome)
        if detail and not x.suspected:
            text += (
                arg(self.tr("; suspected lot %1"), x.suspected_lot)
                if x.suspected_lot
                else self.tr("; no lot suspected")
            )
        return text

    def sort_key(self, e: RecallEntry, column: int) -> Any:
        if column == 3:
            return e.started_at.isoformat()
        if column == 4:
            return -1.0 if e.amount_ml is None else e.amount_ml
        if column in (SUSPECTED_COLUMN, OTHER_COLUMN):
            effects = self.effects(e, column)
            return max((int(x.grade) for x in effects), default=0) * 100 + len(effects)
        return super().sort_key(e, column)

    def role_data(self, e: RecallEntry, column: int, role: int) -> Any:
        if role == EFFECTS_ROLE:
            suspected = any(x.suspected for x in e.side_effects)
            return "suspected" if suspected else "other" if e.side_effects else "none"
        if column not in (SUSPECTED_COLUMN, OTHER_COLUMN):
            if role == Qt.ItemDataRole.TextAlignmentRole and column == 4:
                return RIGHT
            if role == Qt.ItemDataRole.ToolTipRole and column == 4 and e.numbing:
                return self.tr("The session's numbing cream or spray, put on the skin")
            return None
        effects = self.effects(e, column)
        worst = max((x.grade for x in effects), default=0)
        if role == Qt.ItemDataRole.ToolTipRole and effects:
            return "\n".join(self._effect_line(x, detail=True) for x in effects)
        if role == Qt.ItemDataRole.ForegroundRole and worst:
            return brush(ALERT if worst >= Grade.SEVERE else CAUTION)
        if role == Qt.ItemDataRole.FontRole and worst >= Grade.SEVERE:
            return bold()
        return None


class RecallView(QWidget):
    """Type or pick a lot number (and its product, when several have it); see who received it,
    the side effects that suspect it, and what else they reported since."""

    open_requested = Signal(int)

    def __init__(
        self,
        services: Services,
        runner: JobRunner,
        formats: Formats,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("recall_view")
        self.services = services
        self.runner = runner
        self.formats = formats
        self.recall: Recall | None = None
        self.loading = False
        self._generation = 0
        self._completion_generation = 0
        self._completion_timer = QTimer(self)
        self._completion_timer.setSingleShot(True)
        self._completion_timer.setInterval(COMPLETION_DELAY_MS)
        self._completion_timer.timeout.connect(self._fetch_completions)

        top = self._lot_row()
        self._show_products([])
        self.lot_error = ErrorLabel()

        info = self._info_row()

        self._make_table(formats)

        self.hint = self.tr(
            "Type a lot number (or pick one as you type) and press Enter to see every "
            "patient and session that received it."
        )
        self.empty = placeholder(self.hint)
        self.empty.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.lot_error)
        layout.addWidget(self.lot_info)
        layout.addLayout(info)
        layout.addWidget(self.export_status)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.table)
        layout.addWidget(self.stack, 1)
        self.setFocusProxy(self.lot)

    def _lot_row(self) -> QHBoxLayout:
        """The lot number (completed as it is typed), the product when several share the number,
        Show, and Export."""
        self.lot = QLineEdit()
        self.lot.setObjectName("recall_lot")
        self.lot.setMaxLength(60)
        self.lot.setClearButtonEnabled(True)
        self.lot.setPlaceholderText(self.tr("Type the lot number printed on the box"))
        self.lot.setMinimumWidth(220)
        self.completions = QStandardItemModel(self)
        self.completer = QCompleter(self.completions, self)
        self.completer.setCompletionRole(NUMBER_ROLE)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setMaxVisibleItems(12)
        self.completer.activated[QModelIndex].connect(self._completion_chosen)  # type: ignore[index]
        popup = self.completer.popup()
        if popup is not None:
            popup.setMinimumWidth(560)  # room for the product and expiry beside each number
        self.lot.setCompleter(self.completer)
        self.lot.textEdited.connect(self._lot_edited)
        self.lot.textChanged.connect(lambda _text: self._show_lot_error(""))
        self.lot.returnPressed.connect(self._return_pressed)
        caption = QLabel(self.tr("&Lot number"))
        caption.setBuddy(self.lot)
        # The product, asked when several products have a lot of the number typed.
        self.product = QComboBox()
        self.product.setObjectName("recall_product")
        self.product.setMinimumWidth(200)
        self.product.activated.connect(self._product_chosen)
        self.product_caption = QLabel(self.tr("Pro&duct"))
        self.product_caption.setBuddy(self.product)
        self.show_button = QPushButton(self.tr("Show"))
        self.show_button.setAutoDefault(False)
        self.show_button.clicked.connect(lambda _checked=False: self.show_lot(self.lot.text()))
        self.export_button = QPushButton(self.tr("Export CSV…"))
        self.export_button.setObjectName("recall_export")
        self.export_button.setAutoDefault(False)
        self.export_button.setEnabled(False)
        self.export_button.clicked.connect(lambda _checked=False: self.export_csv())
        top = QHBoxLayout()
        top.addWidget(caption)
        top.addWidget(self.lot)
        top.addWidget(self.product_caption)
        top.addWidget(self.product)
        top.addWidget(self.show_button)
        top.addStretch(1)
        top.addWidget(self.export_button)
        return top

    def _info_row(self) -> QHBoxLayout:
        """What is known of the lot, the summary of its sessions, and the filter of the table."""
        self.lot_info = QLabel()
        self.lot_info.setObjectName("recall_lot_info")
        self.lot_info.setWordWrap(True)
        self.lot_info.setTextFormat(Qt.TextFormat.PlainText)
        self.summary = QLabel()
        self.summary.setObjectName("recall_summary")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        font = self.summary.font()
        font.setBold(True)
        self.summary.setFont(font)
        self.others = QLabel()
        self.others.setObjectName("recall_others")
        self.others.setWordWrap(True)
        self.others.setTextFormat(Qt.TextFormat.PlainText)
        self.export_status = QLabel()
        self.export_status.setObjectName("recall_export_status")
        self.export_status.setTextFormat(Qt.TextFormat.PlainText)
        self.export_status.setStyleSheet("color: #2e6b30;")
        self.export_status.hide()
        self.exported_to = ""
        self.filter = QComboBox()
        self.filter.setObjectName("recall_filter")
        self.filter.addItem(self.tr("All sessions"), "")
        self.filter.addItem(self.tr("Sessions with a side effect suspecting this lot"), "suspected")
        self.filter.addItem(self.tr("Sessions followed by any side effect"), "suspected|other")
        self.filter.setEnabled(False)
        filter_caption = QLabel(self.tr("Sho&w"))
        filter_caption.setBuddy(self.filter)
        texts = QVBoxLayout()
        texts.addWidget(self.summary)
        texts.addWidget(self.others)
        info = QHBoxLayout()
        info.addLayout(texts, 1)
        info.addWidget(filter_caption, 0, Qt.AlignmentFlag.AlignTop)
        info.addWidget(self.filter, 0, Qt.AlignmentFlag.AlignTop)
        return info

    def _make_table(self, formats: Formats) -> None:
        """The sessions that received the lot, filtered by their side effects."""
        self.model = RecallTableModel(formats, self)
        self.proxy = SortProxy(self.model, self)
        self.proxy.setFilterRole(EFFECTS_ROLE)
        self.proxy.setFilterKeyColumn(0)
        self.filter.currentIndexChanged.connect(self._filter_changed)
        self.table = make_table(
            self.proxy,
            "recall",
            widths=(90, 165, 125, 120, 65, 240, 260),
            stretch=OTHER_COLUMN,
            sort=(3, Qt.SortOrder.AscendingOrder),
        )
        self.table.doubleClicked.connect(self._open_index)
        self.table.activated.connect(self._open_index)

    # -- completing lot numbers ----------------------------------------------------------------

    def _lot_edited(self, _text: str) -> None:
        self._show_products([])  # another number: its products are not known yet
        self._completion_timer.start()

    def _fetch_completions(self) -> None:
        prefix = self.lot.text().strip()
        self._completion_generation += 1
        generation = self._completion_generation
        if not prefix:
            self.completions.clear()
            return
        catalogue = self.services.catalogue
        self.runner.run(lambda: catalogue.lots(number_prefix=prefix, limit=COMPLETIONS)).success(
            while_alive(self, lambda lots: self._completions_loaded(generation, prefix, lots))
        ).failure(self._completions_failed)

    def _completions_failed(self, error: BaseException) -> None:
        # Without completions the number can still be typed; only a real fault is reported.
        if not isinstance(error, MesodeskError):
            self.runner.report_error(error)

    def _completions_loaded(self, generation: int, prefix: str, lots: list[Lot]) -> None:
        if generation != self._completion_generation:
            return
        today = self.services.clock.today()
        self.completions.clear()
        for lot in sorted(lots, key=lambda x: (x.lot_number.casefold(), x.product.casefold())):
            expiry = self.formats.date(lot.expiry_date)
            text = (
                self.tr("%1 — %2, expired %3")
                if lot.expired_on(today)
                else self.tr("%1 — %2, expires %3")
            )
            item = QStandardItem(arg(text, lot.lot_number, lot.product, expiry))
            item.setData(lot.lot_number, NUMBER_ROLE)
            item.setData(lot.product, PRODUCT_ROLE)
            item.setEditable(False)
            self.completions.appendRow(item)
        if self.lot.hasFocus() and self.lot.text().strip() == prefix and lots:
            self.completer.setCompletionPrefix(self.lot.text())
            self.completer.complete()

    def _completion_chosen(self, index: QModelIndex | QPersistentModelIndex) -> None:
        number = index.data(NUMBER_ROLE)
        if number:
            self.lot.setText(number)
            self.show_lot(number, index.data(PRODUCT_ROLE))

    def _return_pressed(self) -> None:
        popup = self.completer.popup()
        if popup is not None and popup.isVisible():
            return  # the completer handles Enter on its list
        self.show_lot(self.lot.text(), self.chosen_product())

    # -- the product, when several have the number ---------------------------------------------

    def _show_products(self, products: Sequence[str], current: str | None = None) -> None:
        """Offer the products that have a lot of this number (hidden when there is only one)."""
        self.product.clear()
        if len(products) > 1:
            if current is None:
                self.product.addItem(self.tr("Choose the product…"), "")
            for name in products:
                self.product.addItem(name, name)
            if current is not None:
                self.product.setCurrentIndex(self.product.findData(current))
        self.product.setVisible(len(products) > 1)
        self.product_caption.setVisible(len(products) > 1)

    def chosen_product(self) -> str | None:
        if self.product.isHidden():
            return None
        return self.product.currentData() or None

    def _product_chosen(self, _index: int) -> None:
        product = self.product.currentData()
        if product:
            self.show_lot(self.lot.text(), product)

    # -- the recall ----------------------------------------------------------------------------

    def show_lot(self, number: str, product: str | None = None) -> None:
        number = " ".join(number.split())
        if self.lot.text() != number:
            self.lot.setText(number)
        if not number:
            self._show_lot_error(self.tr("Type the lot number to look up."))
            return
        self._completion_timer.stop()
        self._generation += 1
        generation = self._generation
        self.loading = True
        service = self.services.recall
        self.runner.run(lambda: service.recall(number, product)).success(
            while_alive(self, lambda recall: self._loaded(generation, recall))
        ).failure(while_alive(self, lambda error: self._failed(generation, error)))

    def refresh(self) -> None:
        if self.recall is not None:
            self.show_lot(self.recall.lot_number, self.recall.product)

    def apply_changes(self, changes: Changes) -> None:
        if changes.treatment or changes.patients or changes.catalogue or changes.settings:
            self.refresh()

    def _loaded(self, generation: int, recall: Recall) -> None:
        if generation != self._generation:
            return
        self.loading = False
        self.recall = recall
        self._show_lot_error("")
        products = sorted((recall.product, *recall.also_in), key=str.casefold)
        self._show_products(products if recall.also_in else [], recall.product)
        self.model.set_entries(recall.entries)
        today = self.services.clock.today()
        expiries = []
        for _lot_id, _product, expiry in recall.lots:
            state = self.tr("expired %1") if expiry < today else self.tr("expires %1")
            expiries.append(arg(state, self.formats.date(expiry)))
        text = arg(
            self.tr("Lot %1 of %2 (%3)"), recall.lot_number, recall.product, "; ".join(expiries)
        )
        if recall.also_in:
            text += arg(
                self.tr(". Other products with a lot of this number: %1."),
                ", ".join(recall.also_in),
            )
        self.lot_info.setText(text)
        self.summary.setText(self.summary_text(recall))
        self.others.setText(self.others_text(recall))
        self.others.setVisible(bool(recall.entries))
        self.filter.setEnabled(bool(recall.entries))
        self.export_button.setEnabled(True)
        if recall.entries:
            self.stack.setCurrentWidget(self.table)
        else:
            self.empty.setText(
                arg(
                    self.tr("No session has used lot %1 of %2 yet."),
                    recall.lot_number,
                    recall.product,
                )
            )
            self.stack.setCurrentWidget(self.empty)
        self._set_tab_title(arg(self.tr("Recall %1"), recall.lot_number))

    def summary_text(self, recall: Recall) -> str:
        """'37 sessions, 12 patients; 9 side effects suspecting this lot, in 5 patients (2 of
        grade 3 or above).'"""
        sessions = len(recall.entries)
        text = (
            (self.tr("1 session") if sessions == 1 else self.tr("%1 sessions"))
            + ", "
            + (self.tr("1 patient") if recall.patients == 1 else self.tr("%2 patients"))
        )
        text = arg(text, f"{sessions:,}", f"{recall.patients:,}")
        suspecting = recall.side_effects(suspected=True)
        if not suspecting:
            return text + self.tr("; no side effect suspecting this lot.")
        people = len({e.patient_id for e, _x in suspecting})
        severe = sum(1 for _e, x in suspecting if x.grade >= Grade.SEVERE)
        detail = (
            self.tr("; 1 side effect suspecting this lot")
            if len(suspecting) == 1
            else self.tr("; %1 side effects suspecting this lot")
        )
        text += arg(detail, f"{len(suspecting):,}")
        text += (
            self.tr(", in 1 patient")
            if people == 1
            else arg(self.tr(", in %1 patients"), f"{people:,}")
        )
        if severe:
            text += arg(self.tr(" (%1 of grade 3 or above)"), f"{severe:,}")
        return text + "."

    def others_text(self, recall: Recall) -> str:
        """'Other side effects since (not suspecting this lot): 14, in 8 patients.'"""
        others = recall.side_effects(suspected=False)
        if not others:
            return self.tr("No other side effect reported since.")
        people = len({e.patient_id for e, _x in others})
        text = arg(
            self.tr("Other side effects since (not suspecting this lot): %1"), f"{len(others):,}"
        )
        text += (
            self.tr(", in 1 patient")
            if people == 1
            else arg(self.tr(", in %1 patients"), f"{people:,}")
        )
        severe = sum(1 for _e, x in others if x.grade >= Grade.SEVERE)
        if severe:
            text += arg(self.tr(" (%1 of grade 3 or above)"), f"{severe:,}")
        return text + "."

    def _filter_changed(self, _index: int) -> None:
        pattern = self.filter.currentData() or ""
        self.proxy.setFilterRegularExpression(f"^({pattern})$" if pattern else "")

    def _failed(self, generation: int, error: BaseException) -> None:
        if generation != self._generation:
            return
        self.loading = False
        if isinstance(error, LotInSeveralProducts):
            self._show_products(error.products)
            self._show_lot_error(
                arg(
                    self.tr("Lot %1 exists for %2 products: choose which in the list beside it."),
                    error.number,
                    str(len(error.products)),
                )
            )
            self.product.setFocus()
        elif isinstance(error, ValidationError):
            self._show_lot_error(" ".join(error.errors.values()))
        elif isinstance(error, NotFoundError):
            self._show_lot_error(str(error))
        else:
            self.runner.report_error(error)
            return
        self.recall = None
        self.model.set_entries([])
        self.lot_info.clear()
        self.summary.clear()
        self.others.clear()
        self.filter.setEnabled(False)
        self.export_button.setEnabled(False)
        self.export_status.hide()
        self.empty.setText(self.hint)
        self.stack.setCurrentWidget(self.empty)
        self._set_tab_title(self.tr("Lot recall"))

    def _show_lot_error(self, message: str) -> None:
        self.lot_error.show_message(message)
        mark_invalid(self.lot, bool(message))

    def _set_tab_title(self, title: str) -> None:
        tabs = self._tab_widget()
        if tabs is not None:
            tabs.setTabText(tabs.indexOf(self), title)

    def _tab_widget(self) -> QTabWidget | None:
        parent = self.parentWidget()
        while parent is not None and not isinstance(parent, QTabWidget):
            parent = parent.parentWidget()
        return parent

    # -- opening a patient, exporting ----------------------------------------------------------

    def _open_index(self, index: QModelIndex) -> None:
        patient_id = index.data(ID_ROLE)
        if patient_id is not None:
            self.open_requested.emit(patient_id)

    def suggested_file(self, recall: Recall) -> str:
        safe = re.sub(r"[^A-Za-z0-9._-]+", "-", recall.lot_number).strip("-.") or "lot"
        day = self.services.clock.today().isoformat()
        return start_in(f"recall-{safe}-{day}.csv")

    def choose_file(self, suggested: str) -> str:
        """Where to save the CSV ('' when cancelled); tests replace this."""
        path, _filter = QFileDialog.getSaveFileName(
            self,
            self.tr("Export the recall list"),
            suggested,
            self.tr("CSV files (*.csv);;All files (*)"),
        )
        return path

    def export_csv(self) -> None:
        recall = self.recall
        if recall is None:
            return
        path = self.choose_file(self.suggested_file(recall))
        if not path:
            return
        remember(path)
        if not Path(path).suffix:
            path += ".csv"
        self.export_button.setEnabled(False)
        self.runner.run(lambda: save_recall_csv(recall, path)).success(
            while_alive(self, lambda count: self._exported(path, count))
        ).failure(while_alive(self, lambda error: self._export_failed(path, error)))

    def _exported(self, path: str, count: int) -> None:
        self.export_button.setEnabled(True)
        self.exported_to = path
        self.export_status.setText(arg(self.tr("Exported %1 sessions to %2"), f"{count:,}", path))
        self.export_status.show()

    def _export_failed(self, path: str, error: BaseException) -> None:
        self.export_button.setEnabled(True)
        if isinstance(error, MesodeskError):  # the export's own words: a missing folder, a link
            self.tell(arg(self.tr("The file %1 could not be written: %2"), path, str(error)))
        elif isinstance(error, OSError):
            self.tell(
                arg(
                    self.tr("The file %1 could not be written: %2"),
                    path,
                    error.strerror or type(error).__name__,
                )
            )
        else:
            self.runner.report_error(error)

    def tell(self, text: str) -> None:
        QMessageBox.warning(self, self.tr("Lot recall"), text)


# -- installing -----------------------------------------------------------------------------------


def open_recall(
    host: Host, lot_number: str | None = None, product: str | None = None
) -> RecallView:
    """Show the recall tab (opening it when needed); with a lot number (and its product), look
    that lot up."""
    view = host.find_view(RecallView)
    if view is None:
        context = host.context
        view = RecallView(context.services, context.runner, context.formats)
        view.open_requested.connect(context.open_patient)
        context.changes_applied.connect(view.apply_changes)
    host.show_view(view, QCoreApplication.translate("RecallView", "Lot recall"))
    if lot_number:
        view.show_lot(lot_number, product)
    window = host.window()
    window.raise_()
    window.activateWindow()
    view.lot.setFocus()
    view.lot.selectAll()
    return view


def install(host: Host) -> None:
    action = QAction(QCoreApplication.translate("RecallView", "Lot &recall…"), host.window())
    action.setObjectName("open_recall")
    action.setShortcut("Ctrl+Shift+L")
    action.triggered.connect(lambda _checked=False: open_recall(host))
    host.menu("tools").addAction(action)
