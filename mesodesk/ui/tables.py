"""What every table of the GUI shares: the roles, the colours, a model over a list of records, a
sorting proxy, the view, and finding a record's row again after a reload."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractProxyModel,
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

ID_ROLE = Qt.ItemDataRole.UserRole + 1  # the id of the row's record (patient, product, ...)
SORT_ROLE = Qt.ItemDataRole.UserRole + 2  # a value that sorts as a person expects (dates, numbers)

Index = QModelIndex | QPersistentModelIndex
T = TypeVar("T")

ALERT = QColor("#b00020")  # expired, overdue, severe: the same red as error messages
CAUTION = QColor("#8a5300")  # due today, expiring soon, side effects reported: dark amber
MUTED = QColor("#6b6b6b")  # inactive, archived


def brush(color: QColor) -> QBrush:
    return QBrush(color)


def bold() -> QFont:
    font = QFont()
    font.setBold(True)
    return font


RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


def while_alive(owner: QObject, callback: Callable[..., None]) -> Callable[..., None]:
    """A job's callback that does nothing once its widget is gone (a tab closed meanwhile)."""
    from shiboken6 import isValid

    def call(*args: Any) -> None:
        if isValid(owner):
            callback(*args)

    return call


# -- item models ----------------------------------------------------------------------------------


class ListTableModel(QAbstractTableModel, Generic[T]):
    """A read-only table over a list of records, one a row.

    Subclasses set ``headers`` and say what a cell holds: ``display`` its text, ``sort_key`` what
    it sorts by (the text, case-blind, unless they say otherwise), ``id_of`` the record's id (for
    ID_ROLE, the id of the record a row opens) and ``role_data`` anything else (colours, fonts,
    tooltips, alignment).
    """

    def __init__(self, headers: Sequence[str] = (), parent: Any = None) -> None:
        super().__init__(parent)
        self.headers = list(headers)
        self.rows: list[T] = []

    def set_rows(self, rows: Iterable[T]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def item(self, row: int) -> T | None:
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def row_of(self, item_id: int) -> int | None:
        return next((i for i, item in enumerate(self.rows) if self.id_of(item) == item_id), None)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal
        if horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(self.headers):
            return self.headers[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        item = self.item(index.row()) if index.isValid() else None
        if item is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.display(item, column)
        if role == SORT_ROLE:
            return self.sort_key(item, column)
        if role == ID_ROLE:
            return self.id_of(item)
        return self.role_data(item, column, role)

    def display(self, item: T, column: int) -> str:
        raise NotImplementedError

    def sort_key(self, item: T, column: int) -> Any:
        return self.display(item, column).casefold()

    def id_of(self, item: T) -> int | None:
        return getattr(item, "id", None)

    def role_data(self, item: T, column: int, role: int) -> Any:
        return None


@dataclass
class Row:
    """A row built once as display texts (the record's tables), with the id it stands for."""

    id: int
    cells: Sequence[str]
    sort_keys: Sequence[Any] = ()
    tooltip: str = ""
    colour: str = ""  # a text colour for the whole row (the meaning is always in words too)
    bold: bool = False


class RowsModel(ListTableModel[Row]):
    """Rows that carry their own texts, sort keys, tooltip and colour."""

    def display(self, row: Row, column: int) -> str:
        return row.cells[column] if column < len(row.cells) else ""

    def sort_key(self, row: Row, column: int) -> Any:
        key = row.sort_keys[column] if column < len(row.sort_keys) else None
        if key is None:
            return self.display(row, column).casefold()
        return key.isoformat() if isinstance(key, date) else key  # Qt compares dates as text

    def role_data(self, row: Row, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole and row.tooltip:
            return row.tooltip
        if role == Qt.ItemDataRole.ForegroundRole and row.colour:
            return brush(QColor(row.colour))
        if role == Qt.ItemDataRole.FontRole and row.bold:
            return bold()
        return None


class SortProxy(QSortFilterProxyModel):
    """Sorts by SORT_ROLE and filters on the text of every column, case-blind."""

    def __init__(self, model: QAbstractItemModel, parent: Any = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.setSortCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setFilterKeyColumn(-1)
        self.setSourceModel(model)


# -- the view -------------------------------------------------------------------------------------


def make_table(
    model: QAbstractItemModel,
    name: str,
    parent: QWidget | None = None,
    *,
    widths: Sequence[int] = (),
    stretch: int | None = None,
    sort: tuple[int, Qt.SortOrder] | None = None,
    qt_header: bool = False,
) -> QTableView:
    """A read-only table of whole rows, one selected at a time.

    ``widths`` are the first columns' widths, ``stretch`` the column that takes the room left and
    ``sort`` the column and order it is sorted by at first (sorting by header click is on when
    given). Captions are left-aligned and Tab leaves the table; ``qt_header`` keeps Qt's own way
    instead (centred captions that light up with the selected row, Tab from cell to cell), as
    the patient list, the record and the audit trail have it.
    """
    table = QTableView(parent)
    table.setObjectName(name)
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    if not qt_header:
        table.setTabKeyNavigation(False)
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    for column, width in enumerate(widths):
        header.resizeSection(column, width)
    if stretch is not None:
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    if sort is not None:
        # the indicator first: turning sorting on then sorts once, by that column
        header.setSortIndicator(*sort)
        table.setSortingEnabled(True)
    return table


def fit_columns_once(table: QTableView, model: QAbstractItemModel) -> None:
    """Columns fit their contents the first time rows arrive (judged on the first rows only, so
    that a long list still opens at once); after that the widths are the user's."""
    table.horizontalHeader().setResizeContentsPrecision(40)

    def fit_once() -> None:
        if model.rowCount() and not table.property("fitted"):
            table.setProperty("fitted", True)
            table.resizeColumnsToContents()

    model.modelReset.connect(fit_once)


# -- selection ------------------------------------------------------------------------------------


def selected_id(table: QTableView) -> int | None:
    """The id (ID_ROLE) of the selected row's record."""
    rows = table.selectionModel().selectedRows() if table.selectionModel() else []
    if not rows:
        return None
    value = rows[0].data(ID_ROLE)
    return int(value) if value is not None else None


def source_row(table: QTableView) -> int:
    """The row of the table's model (behind its proxy) that is selected; -1 when none is."""
    rows = table.selectionModel().selectedRows()
    if not rows:
        return -1
    model = table.model()
    index = model.mapToSource(rows[0]) if isinstance(model, QAbstractProxyModel) else rows[0]
    return index.row()


def select_id(table: QTableView, record_id: int | None, *, first: bool = False) -> None:
    """Select the row of a record (a ListTableModel's, behind a proxy or not) and bring it into
    view, after a reload; when the record is not in the list, the first row (``first``) or none.
    A record that is in the list but filtered out of the table is not selected."""
    model = table.model()
    proxy = model if isinstance(model, QAbstractProxyModel) else None
    source = proxy.sourceModel() if proxy is not None else model
    assert isinstance(source, ListTableModel)
    row = source.row_of(record_id) if record_id is not None else None
    if row is not None:
        index = source.index(row, 0)
        if proxy is not None:
            index = proxy.mapFromSource(index)
    else:
        index = model.index(0, 0) if first else QModelIndex()
    if index.isValid():
        table.selectRow(index.row())
        table.scrollTo(index)
    else:
        table.clearSelection()
