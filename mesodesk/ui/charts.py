"""Charts in the window: a matplotlib Figure in a canvas, with export and copy, and the patient's
timeline with the details of a side effect on hover and a signal on click.

The figures come from mesodesk.reports.timeline and mesodesk.reports.dashboard, the same ones
the PDF and the command line use.
matplotlib (and its Qt canvas) is imported when the first chart widget is made, never at start-up.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPoint, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from mesodesk.domain.treatment import PatientRecord, SideEffect
from mesodesk.ui.i18n import arg
from mesodesk.ui.labels import Formats, label, suspected_lots

if TYPE_CHECKING:
    from matplotlib.backend_bases import MouseEvent
    from matplotlib.figure import Figure

EXPORT_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}
REBUILD_DELAY_MS = 180  # a timeline is drawn again for its new size once resizing pauses
FIGURE_DPI = 100  # the charts' figure.dpi (mesodesk.reports.style.STYLE): pixels an inch


class ChartView(QWidget):
    """One Figure on a canvas, with Export… (PNG, SVG or PDF) and Copy (to the clipboard)."""

    canvas_changed = Signal(object)  # the new FigureCanvasQTAgg, for views that use its events
    drawn = Signal()  # the figure was drawn on the canvas

    def __init__(self, parent: QWidget | None = None, *, name: str = "chart") -> None:
        super().__init__(parent)
        from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg

        self._canvas_class = FigureCanvasQTAgg
        self.name = name
        self.canvas: Any = None
        self.export_button = QPushButton(self.tr("Export…"))
        self.export_button.setToolTip(self.tr("Save this chart as a PNG picture, SVG or PDF"))
        self.export_button.clicked.connect(self.export)
        self.copy_button = QPushButton(self.tr("Copy"))
        self.copy_button.setToolTip(self.tr("Copy this chart to the clipboard, as a picture"))
        self.copy_button.clicked.connect(self.copy_to_clipboard)
        for button in (self.export_button, self.copy_button):
            button.setEnabled(False)
            button.setFlat(True)
            button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.message = QLabel()
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #666666; padding: 24px;")
        tools = QHBoxLayout()
        tools.setContentsMargins(0, 0, 0, 0)
        tools.addStretch(1)
        tools.addWidget(self.export_button)
        tools.addWidget(self.copy_button)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(0)
        self._layout.addLayout(tools)
        self._layout.addWidget(self.message, 1)
        self._tools = tools
        # a chart made for its place (set_builder): made again for a new size
        self._builder: Callable[[float, float], Figure] | None = None
        self._built_size = QSize()
        self._rebuild_timer = QTimer(self)
        self._rebuild_timer.setSingleShot(True)
        self._rebuild_timer.setInterval(REBUILD_DELAY_MS)
        self._rebuild_timer.timeout.connect(self._rebuild_if_resized)

    def add_tool(self, button: QPushButton) -> None:
        """A button of the chart's own, before Export… and Copy."""
        self._tools.insertWidget(1, button)

    # -- what it shows ---------------------------------------------------------------------

    def figure(self) -> Figure | None:
        return self.canvas.figure if self.canvas is not None else None

    def set_figure(self, figure: Figure) -> None:
        """Show a figure (the canvas takes its size from the widget).

        The canvas is given the size of the place it takes before it is laid out, so that it
        is drawn once, when it is painted, not once more for a resize."""
        old = self.canvas
        place = old if old is not None else self.message
        size = place.size() if place.isVisible() and not place.size().isEmpty() else None
        self.canvas = self._canvas_class(figure)
        self.canvas.setParent(self)
        self.canvas.setMinimumSize(200, 150)
        if size is not None:
            self.canvas.resize(size)
        self.canvas.mpl_connect("draw_event", lambda _event: self.drawn.emit())
        self._layout.addWidget(self.canvas, 1)
        if old is not None:
            self._layout.removeWidget(old)
            old.hide()
            old.deleteLater()
        self.message.hide()
        self.canvas.show()
        for button in (self.export_button, self.copy_button):
            button.setEnabled(True)
        self.canvas_changed.emit(self.canvas)

    def set_builder(self, build: Callable[[float, float], Figure]) -> None:
        """Show the figure ``build(width, height)`` makes for the place the chart has (in
        inches), and have it made again for a new size once resizing pauses: the charts choose
        where lines wrap, how many legend entries go on a row and the room for the labels
        from their size, and a figure merely stretched to a new size would cut them."""
        self._builder = build
        self._build()

    def _place(self) -> QSize:
        """The size the figure has (or will have) on screen, in pixels."""
        for place in (self.canvas, self.message):
            if place is not None and place.isVisible() and not place.size().isEmpty():
                return QSize(place.size())
        tools = self._tools.sizeHint().height()
        return QSize(self.width(), max(0, self.height() - tools))

    def _build(self) -> None:
        if self._builder is None:
            return
        size = self._place()
        if size.width() < 200 or size.height() < 150:  # not laid out yet: a usual size
            size = QSize(750, 480)
        self._built_size = size
        self.set_figure(self._builder(size.width() / FIGURE_DPI, size.height() / FIGURE_DPI))

    def _rebuild_if_resized(self) -> None:
        if self._builder is None or self.canvas is None:
            return
        size = self.canvas.size()
        grown = size - self._built_size
        if abs(grown.width()) > 4 or abs(grown.height()) > 4:
            self._build()

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        if self._builder is not None:
            self._rebuild_timer.start()

    def show_message(self, text: str) -> None:
        """Words in place of a chart: loading, nothing to show, an error."""
        self._builder = None
        if self.canvas is not None:
            self._layout.removeWidget(self.canvas)
            self.canvas.hide()
            self.canvas.deleteLater()
            self.canvas = None
        for button in (self.export_button, self.copy_button):
            button.setEnabled(False)
        self.message.setText(text)
        self.message.show()

    def draw_now(self) -> None:
        """Draw the figure at once (normally it is drawn when the canvas is painted)."""
        if self.canvas is not None:
            self.canvas.draw()

    # -- export and copy ---------------------------------------------------------------------

    @classmethod
    def ask_export_path(cls, parent: QWidget, suggested: str) -> str | None:
        """Where to save (tests replace this rather than driving a file dialog)."""
        filters = ";;".join(
            (
                parent.tr("PNG picture (*.png)"),
                parent.tr("SVG drawing (*.svg)"),
                parent.tr("PDF document (*.pdf)"),
            )
        )
        path, chosen = QFileDialog.getSaveFileName(
            parent, parent.tr("Export chart"), suggested, filters
        )
        if not path:
            return None
        if Path(path).suffix.lower() not in EXPORT_FORMATS:
            path += ".svg" if "svg" in chosen else ".pdf" if "pdf" in chosen else ".png"
        return path

    def export(self) -> None:
        figure = self.figure()
        if figure is None:
            return
        from mesodesk.ui.files import remember, start_in

        path = self.ask_export_path(self, start_in(f"{self.name}.png"))
        if path is not None:
            remember(path)
            self.save_to(path)

    def save_to(self, path: str) -> None:
        from mesodesk.reports.style import save

        figure = self.figure()
        suffix = Path(path).suffix.lower()
        if figure is None or suffix not in EXPORT_FORMATS:
            raise ValueError("Export to .png, .svg or .pdf")
        from mesodesk.files import write_atomically

        write_atomically(Path(path), lambda fh: save(figure, fh, EXPORT_FORMATS[suffix]))

    def copy_to_clipboard(self) -> None:
        if self.canvas is None:
            return
        self.canvas.draw()
        QGuiApplication.clipboard().setPixmap(self.canvas.grab())


class PatientTimelineView(QWidget):
    """A patient's side effects and outcomes over time (a tab of the patient record).

    ``show_record(record, today)`` draws it; hovering a side effect's bar shows its details and
    outlines it; clicking it emits ``side_effect_clicked`` with the side effect's id.
    """

    side_effect_clicked = Signal(int)

    def __init__(self, formats: Formats | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.formats = formats or Formats()
        self.record: PatientRecord | None = None
        self.today: date | None = None
        self.chart = ChartView(self, name="timeline")
        self.chart.canvas_changed.connect(self._listen)
        self.hint = QLabel(self.tr("Point at a side effect for its details; click it to open it."))
        self.hint.setStyleSheet("color: #666666;")
        self.highlight = QFrame(self.chart)
        self.highlight.setStyleSheet("border: 2px solid #111111; background: transparent;")
        self.highlight.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.highlight.hide()
        self._hovered: int | None = None
        self._effects: dict[int, SideEffect] = {}
        self._built_for: tuple[int, int] | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.chart, 1)
        layout.addWidget(self.hint)
        self.chart.show_message(self.tr("No record shown yet."))
        self._resize_timer = QTimer(self)
        self._resize_timer.setSingleShot(True)
        self._resize_timer.setInterval(REBUILD_DELAY_MS)
        self._resize_timer.timeout.connect(self._rebuild_for_size)

    def show_record(self, record: PatientRecord, today: date) -> None:
        """Draw this record's timeline (again), as of ``today``."""
        self.record = record
        self.today = today
        self._effects = {e.id: e for e in record.side_effects}
        self._build()

    def _size_inches(self) -> tuple[float, float]:
        dpi = 100.0
        width = max(self.chart.width(), 480) / dpi
        height = max(self.chart.height() - 30, 320) / dpi
        return width, height

    def _build(self) -> None:
        from mesodesk.reports.timeline import patient_timeline

        if self.record is None or self.today is None:
            return
        width, height = self._size_inches()
        figure = patient_timeline(self.record, self.today, width=width, height=height)
        self._built_for = (self.chart.width(), self.chart.height())
        self._set_hovered(None)
        self.chart.set_figure(figure)
        self.hint.setVisible(bool(self.record.side_effects))

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        if self.record is not None:
            self._resize_timer.start()

    def _rebuild_for_size(self) -> None:
        size = (self.chart.width(), self.chart.height())
        if (
            self._built_for is None
            or max(abs(size[0] - self._built_for[0]), abs(size[1] - self._built_for[1])) > 24
        ):
            self._build()

    # -- hover and click -----------------------------------------------------------------------

    def _listen(self, canvas: Any) -> None:
        canvas.setMouseTracking(True)
        canvas.mpl_connect("motion_notify_event", self._moved)
        canvas.mpl_connect("button_press_event", self._pressed)
        canvas.mpl_connect("figure_leave_event", lambda _event: self._set_hovered(None))
        self.highlight.hide()

    def side_effect_at(self, x: float, y: float) -> int | None:
        """The side effect whose bar is at a point of the canvas (matplotlib display pixels)."""
        from mesodesk.reports.timeline import timeline_bars

        figure = self.chart.figure()
        if figure is None:
            return None
        bar = timeline_bars(figure).at(x, y)
        return bar.effect_id if bar is not None else None

    def bar_center(self, effect_id: int) -> QPoint:
        """Where a side effect's bar is on the canvas widget (logical pixels), for tests and
        for the outline."""
        rect = self._bar_rect(effect_id)
        return rect.center()

    def _bar_rect(self, effect_id: int) -> QRect:
        from mesodesk.reports.timeline import timeline_bars

        canvas = self.chart.canvas
        figure = self.chart.figure()
        assert canvas is not None and figure is not None
        x0, y0, x1, y1 = timeline_bars(figure).display_box(effect_id)
        ratio = canvas.device_pixel_ratio
        height = canvas.figure.bbox.height
        left, right = x0 / ratio, x1 / ratio
        top, bottom = (height - y1) / ratio, (height - y0) / ratio
        return QRect(int(left) - 2, int(top) - 2, int(right - left) + 5, int(bottom - top) + 5)

    def _moved(self, event: MouseEvent) -> None:
        effect_id = None if event.x is None else self.side_effect_at(event.x, event.y)
        self._set_hovered(effect_id)

    def _set_hovered(self, effect_id: int | None) -> None:
        canvas = self.chart.canvas
        if effect_id == self._hovered:
            return
        self._hovered = effect_id
        if canvas is None:
            return
        if effect_id is None:
            self.highlight.hide()
            canvas.unsetCursor()
            QToolTip.hideText()
            return
        self.highlight.setGeometry(self._bar_rect(effect_id).translated(canvas.pos()))
        self.highlight.show()
        self.highlight.raise_()
        canvas.setCursor(Qt.CursorShape.PointingHandCursor)
        effect = self._effects.get(effect_id)
        if effect is not None:
            rect = self._bar_rect(effect_id)
            QToolTip.showText(
                canvas.mapToGlobal(QPoint(rect.right() + 4, rect.center().y())),
                self.details(effect),
                canvas,
            )

    def _pressed(self, event: MouseEvent) -> None:
        if event.button != 1 or event.x is None:
            return
        effect_id = self.side_effect_at(event.x, event.y)
        if effect_id is not None:
            self.side_effect_clicked.emit(effect_id)

    def details(self, effect: SideEffect) -> str:
        """A side effect in a few lines, for the tooltip (rich text)."""
        today = self.today or date.today()
        lines = [f"<b>{_escape(effect.title or label(effect.kind))}</b>"]
        lines.append(
            arg(
                self.tr("Grade %1: %2"),
                str(int(effect.grade)),
                _escape(label_text(effect.grade.definition)),
            )
        )
        onset = self.formats.date(effect.onset_on)
        if effect.resolved_on is None:
            days = effect.duration_days(today)
            lines.append(arg(self.tr("From %1, ongoing (%2 days so far)"), onset, str(days)))
        else:
            lines.append(
                arg(
                    self.tr("%1 to %2 (%3 days)"),
                    onset,
                    self.formats.date(effect.resolved_on),
                    str(effect.duration_days(today)),
                )
            )
        lines.append(
            arg(
                self.tr("Outcome: %1 · causality: %2"),
                _escape(label(effect.outcome)),
                _escape(label(effect.causality)),
            )
        )
        if effect.body_area is not None:
            lines.append(arg(self.tr("Area: %1"), _escape(label(effect.body_area))))
        if effect.session_started_at is not None:
            lines.append(
                arg(
                    self.tr("Suspected session: %1"),
                    self.formats.datetime(effect.session_started_at),
                )
            )
        if effect.lots or effect.suspects_blend:
            lines.append(arg(self.tr("Suspected: %1"), _escape(suspected_lots(effect))))
        if effect.serious:
            lines.append(f"<b>{self.tr('Serious')}</b>")
        lines.append(f"<i>{self.tr('Click to open')}</i>")
        return "<br>".join(lines)


def label_text(text: str) -> str:
    """A domain sentence through Qt's translation (the "Values" context, like labels)."""
    from PySide6.QtCore import QCoreApplication

    return QCoreApplication.translate("Values", text)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
