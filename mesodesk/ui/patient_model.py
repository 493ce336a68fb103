"""The patient list as a Qt model over SQL (Qt's "Fetch More" example, Anki's browser table).

The model holds only the rows fetched so far. Search and sort run in SQL, off the GUI thread;
further pages arrive as the view scrolls. While a search is under way the next one waits, and a
result that a newer search has overtaken is dropped, so typing fast never piles up work.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor

from mesodesk.domain.dates import age_on
from mesodesk.domain.patients import PatientPage, PatientRow
from mesodesk.domain.search import PatientQuery, PatientSort
from mesodesk.ui.i18n import arg
from mesodesk.ui.jobs import JobRunner
from mesodesk.ui.labels import Formats
from mesodesk.ui.tables import RIGHT, Index, ListTableModel, bold

if TYPE_CHECKING:
    from mesodesk.services.registry import Services

PAGE = 200


class PatientTableModel(ListTableModel[PatientRow]):
    SORTS = {
        0: PatientSort.RECORD_NO,
        1: PatientSort.NAME,
        2: PatientSort.BIRTH_DATE,
        3: PatientSort.BIRTH_DATE,
        4: PatientSort.PHONE,
        5: PatientSort.LAST_SESSION,
        6: PatientSort.NEXT_DUE,
    }

    total_changed = Signal(int)
    loading_changed = Signal(bool)
    search_failed = Signal(str)

    def __init__(
        self, services: Services, runner: JobRunner, formats: Formats, parent: Any = None
    ) -> None:
        super().__init__(parent=parent)
        self.services = services
        self.runner = runner
        self.formats = formats
        self.query = PatientQuery()
        self.total = 0
        self.today = services.clock.today() if services is not None else date.today()
        self._generation = 0
        self._searching = False
        self._pending: tuple[PatientQuery, int] | None = None
        self._fetching = False
        self.headers = [
            self.tr("Record no."),
            self.tr("Name"),
            self.tr("Date of birth"),
            self.tr("Age"),
            self.tr("Phone"),
            self.tr("Last session"),
            self.tr("Next due"),
        ]

    # -- loading ------------------------------------------------------------------------------

    @property
    def loading(self) -> bool:
        return self._searching

    def text_matches(self, text: str) -> bool:
        """Whether the rows shown are the finished result of this search text."""
        return not self._searching and self.query.text == text

    def set_query(self, query: PatientQuery) -> None:
        """Search again; the rows stay until the new result is there."""
        self.query = query
        self._generation += 1
        self._request(query, PAGE)

    def set_search_text(self, text: str) -> None:
        sort = self.query.sort
        if not text.strip() and sort is PatientSort.RELEVANCE:
            sort = PatientSort.NAME
        elif text.strip() and self.query.sort is PatientSort.NAME and not self.query.descending:
            sort = PatientSort.RELEVANCE
        self.set_query(
            PatientQuery(
                text=text,
                include_archived=self.query.include_archived,
                archived_only=self.query.archived_only,
                sort=sort,
                descending=self.query.descending if sort is self.query.sort else False,
            )
        )

    def refresh(self) -> None:
        """Fetch again what is shown (after a change), keeping as many rows as are loaded."""
        self._generation += 1
        self._request(self.query, max(PAGE, min(len(self.rows), 1000)))

    def _request(self, query: PatientQuery, limit: int) -> None:
        if self._searching:
            self._pending = (query, limit)
            return
        self._searching = True
        self.loading_changed.emit(True)
        generation = self._generation
        search = self.services.patients.search
        self.runner.run(lambda: search(query, limit=limit)).success(
            lambda page: self._searched(generation, page)
        ).failure(self._search_failed)

    def _searched(self, generation: int, page: PatientPage) -> None:
        self._searching = False
        if self._pending is not None:
            query, limit = self._pending
            self._pending = None
            self._request(query, limit)
            return
        self.loading_changed.emit(False)
        if generation != self._generation:
            return
        self.show_page(page)

    def show_page(self, page: PatientPage) -> None:
        """Show these rows as the result of the current query."""
        # the day the next due dates were read for (the quick first page has no services)
        self.today = self.services.clock.today() if self.services is not None else date.today()
        self.beginResetModel()
        self.rows = list(page.rows)
        self.total = page.total
        self._fetching = False
        self.endResetModel()
        self.total_changed.emit(self.total)

    def _search_failed(self, error: BaseException) -> None:
        self._searching = False
        self._pending = None
        self.loading_changed.emit(False)
        self.search_failed.emit(str(error))

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self._fetching and len(self.rows) < self.total

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if not self.canFetchMore(parent):
            return
        self._fetching = True
        generation = self._generation
        offset = len(self.rows)
        query = self.query
        search = self.services.patients.search
        self.runner.run(lambda: search(query, offset=offset, limit=PAGE, with_total=False)).success(
            lambda page: self._fetched(generation, offset, page)
        ).failure(self._fetch_failed)

    def _fetched(self, generation: int, offset: int, page: PatientPage) -> None:
        self._fetching = False
        if generation != self._generation or offset != len(self.rows) or not page.rows:
            return
        self.beginInsertRows(QModelIndex(), offset, offset + len(page.rows) - 1)
        self.rows.extend(page.rows)
        self.endInsertRows()

    def _fetch_failed(self, error: BaseException) -> None:
        self._fetching = False
        self.search_failed.emit(str(error))

    # -- the table ----------------------------------------------------------------------------

    def role_data(self, row: PatientRow, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole and column == 6 and row.next_due:
            late = (self.today - row.next_due).days
            if late > 0:
                return arg(self.tr("Overdue by %1 days"), str(late))
            if late < 0:
                return arg(self.tr("Due in %1 days"), str(-late))
            return self.tr("Due today")
        if role == Qt.ItemDataRole.ToolTipRole and column == 6 and row.only_lapsed(self.today):
            return self.tr("Maintenance lapsed (on the lapsed list, not the due list)")
        if role == Qt.ItemDataRole.ForegroundRole:
            if row.archived or (column == 6 and row.only_lapsed(self.today)):
                return QBrush(QColor("#777777"))
            if column == 6 and row.next_due and row.next_due < self.today:
                return QBrush(QColor("#b00020"))
        due = column == 6 and row.next_due is not None and row.next_due <= self.today
        if role == Qt.ItemDataRole.FontRole and due:
            return bold()
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 3:
            return RIGHT
        return None

    def display(self, row: PatientRow, column: int) -> str:
        if column == 0:
            return row.record_no
        if column == 1:
            name = row.display_name
            return arg(self.tr("%1 (archived)"), name) if row.archived else name
        if column == 2:
            return self.formats.date(row.birth_date)
        if column == 3:
            return str(age_on(row.birth_date, self.today))
        if column == 4:
            return row.phone
        if column == 5:
            return self.formats.date(row.last_session_at.date() if row.last_session_at else None)
        if column == 6:
            if row.only_lapsed(self.today):
                return self.tr("lapsed")
            return self.formats.date(row.next_due)
        return ""

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        sort = self.SORTS.get(column, PatientSort.NAME)
        descending = order == Qt.SortOrder.DescendingOrder
        if column == 3:  # older first means earlier birth dates first
            descending = not descending
        q = self.query
        if q.sort is sort and q.descending == descending:
            return
        self.set_query(
            PatientQuery(
                q.text, q.include_archived, q.archived_only, sort=sort, descending=descending
            )
        )

    def patient_id(self, row: int) -> int | None:
        return self.rows[row].id if 0 <= row < len(self.rows) else None
