"""Logging a session in under a minute: most fields come from the course and the last session,
the blend is one click away, and an allergy or an expired lot is caught before anything is saved."""

from __future__ import annotations

import contextlib
from datetime import date, datetime, time
from typing import Any, cast

from PySide6.QtCore import QSize, QTime
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from mesodesk.domain.allergy import allergy_matches
from mesodesk.domain.catalogue import Lot, Practitioner, Product, first_expiry_first_out
from mesodesk.domain.enums import CourseStatus, Gais, NumbingAgent, Technique
from mesodesk.domain.safety import MIN_OVERRIDE_REASON, Finding, Level, volume_findings
from mesodesk.domain.treatment import (
    BlendInput,
    Course,
    PatientRecord,
    Session,
    SessionInput,
)
from mesodesk.services.treatment import AllergyWarning, SafetyQuestions
from mesodesk.ui.context import AppContext
from mesodesk.ui.course_dialog import area_list, checked_areas
from mesodesk.ui.form import FormDialog, fit_screen, validated
from mesodesk.ui.i18n import arg
from mesodesk.ui.labels import Formats, label, safety_text
from mesodesk.ui.numbing_picker import NumbingPicker
from mesodesk.ui.widgets import (
    NOTE_STYLE,
    DateField,
    EnumCombo,
    ShortTextEdit,
    compact_combo,
    parse_money,
    warning_banner,
)

NONE = "—"


def score_combo(low: int, high: int, labels: dict[int, str] | None = None) -> QComboBox:
    """A choice of a score, or none recorded."""
    combo = QComboBox()
    combo.addItem(NONE, None)
    for value in range(low, high + 1):
        combo.addItem(labels.get(value, str(value)) if labels else str(value), value)
    return combo


def set_combo(combo: QComboBox, value: object) -> None:
    index = combo.findData(value)
    combo.setCurrentIndex(max(0, index))


class BlendTable(QTableWidget):
    """The blend: a product, one of its lots and the amount, per row."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, 3, parent)
        self.setHorizontalHeaderLabels(
            [self.tr("Product"), self.tr("Lot (expiry)"), self.tr("Amount (ml)")]
        )
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(1, 210)
        header.resizeSection(2, 100)
        self.verticalHeader().setVisible(False)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setMinimumHeight(140)
        self.products: list[Product] = []
        self.lots: list[Lot] = []
        self.on: date = date.today()
        self.keep_lots: set[int] = set()  # lots already in the session being edited
        self.formats = Formats()  # the clinic's, set by the dialog
        self.changed_callbacks: list[Any] = []

    def sizeHint(self) -> QSize:
        # room for the header and a few lines asked for, not Qt's 192 px: with the allergy
        # banner and the outcome box under it the dialog would ask for more than 768 px
        hint = super().sizeHint()
        return QSize(hint.width(), self.minimumHeight())

    def set_catalogue(self, products: list[Product], lots: list[Lot]) -> None:
        self.products = products
        self.lots = lots

    def usable(self, product_id: int) -> list[Lot]:
        """The product's lots in date on the session's day (and those the session already
        used), soonest to expire first: the first one is pre-filled (first-expiry-first-out,
        mesodesk.domain.catalogue)."""
        mine = [lot for lot in self.lots if lot.product_id == product_id]
        in_date = first_expiry_first_out(mine, self.on)
        kept = [lot for lot in mine if lot.id in self.keep_lots and lot not in in_date]
        return in_date + kept

    def add_line(
        self, product_id: int | None = None, lot_id: int | None = None, amount: float = 1.0
    ) -> None:
        row = self.rowCount()
        self.insertRow(row)
        product = compact_combo(QComboBox())
        for p in self.products:
            product.addItem(p.name, p.id)
        lot = compact_combo(QComboBox())
        ml = QDoubleSpinBox()
        ml.setRange(0.0, 100.0)
        ml.setDecimals(2)
        ml.setSingleStep(0.5)
        ml.setValue(amount)
        self.setCellWidget(row, 0, product)
        self.setCellWidget(row, 1, lot)
        self.setCellWidget(row, 2, ml)
        if product_id is not None:
            set_combo(product, product_id)
        self._fill_lots(lot, product.currentData(), lot_id)
        product.currentIndexChanged.connect(
            lambda _i, p=product, lo=lot: self._product_changed(p, lo)
        )
        lot.currentIndexChanged.connect(lambda _i: self._changed())
        ml.valueChanged.connect(lambda _v: self._changed())
        self._changed()

    def _product_changed(self, product: QComboBox, lot: QComboBox) -> None:
        self._fill_lots(lot, product.currentData(), None)
        self._changed()

    def _fill_lots(self, combo: QComboBox, product_id: int | None, wanted: int | None) -> None:
        combo.blockSignals(True)
        combo.clear()
        if product_id is not None:
            lots = self.usable(product_id)
            for lot in lots:
                combo.addItem(
                    arg(
                        self.tr("%1 (exp. %2)"), lot.lot_number, self.formats.date(lot.expiry_date)
                    ),
                    lot.id,
                )
            if wanted is not None and combo.findData(wanted) < 0:
                # a lot from another session that is no longer usable: shown, and refused on save
                known = next((x for x in self.lots if x.id == wanted), None)
                text = (
                    arg(
                        self.tr("%1 (expired %2)"),
                        known.lot_number,
                        self.formats.date(known.expiry_date),
                    )
                    if known
                    else "?"
                )
                combo.addItem(text, wanted)
            if wanted is not None:
                set_combo(combo, wanted)
            if combo.count() == 0:
                combo.addItem(self.tr("no lot in date: add one in Products and lots"), None)
        combo.blockSignals(False)

    def refresh_lots(self, on: date) -> None:
        """The session date changed: offer the lots that are in date on it."""
        self.on = on
        for row in range(self.rowCount()):
            product = cast(QComboBox, self.cellWidget(row, 0))
            lot = cast(QComboBox, self.cellWidget(row, 1))
            self._fill_lots(lot, product.currentData(), lot.currentData())
        self._changed()

    def remove_selected(self) -> None:
        rows = sorted({i.row() for i in self.selectedIndexes()}, reverse=True) or (
            [self.rowCount() - 1] if self.rowCount() else []
        )
        for row in rows:
            self.removeRow(row)
        self._changed()

    def clear_lines(self) -> None:
        self.setRowCount(0)
        self._changed()

    def lines(self) -> list[tuple[int | None, int | None, float]]:
        """(product id, lot id, amount) per row."""
        found = []
        for row in range(self.rowCount()):
            product = self.cellWidget(row, 0).currentData()  # type: ignore[attr-defined]
            lot = self.cellWidget(row, 1).currentData()  # type: ignore[attr-defined]
            amount = self.cellWidget(row, 2).value()  # type: ignore[attr-defined]
            found.append((product, lot, float(amount)))
        return found

    def _changed(self) -> None:
        for callback in self.changed_callbacks:
            callback()


class SessionDialog(FormDialog):
    def __init__(
        self,
        context: AppContext,
        record: PatientRecord,
        session: Session | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.record = record
        self.session = session
        patient = record.patient
        self.patient = patient
        self.loaded = False
        self.setWindowTitle(
            (self.tr("Log a session") if session is None else self.tr("Edit session"))
            + f" · {patient.last_name}, {patient.first_name} · {patient.record_no}"
        )
        self._make_session_fields(record, session)
        self._make_blend()
        self._make_outcome_fields()
        safety = self._safety_box()
        left = self._session_group()
        blend_box = self._blend_group()
        scores = self._outcome_group()
        right = QVBoxLayout()
        right.addWidget(blend_box, 3)
        right.addWidget(scores, 2)
        columns = QHBoxLayout()
        columns.addWidget(left, 1)
        columns.addLayout(right, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(safety)
        layout.addLayout(columns, 1)
        layout.addWidget(self.form_error)
        layout.addWidget(self.buttons)
        fit_screen(self, 1000, 700)

        self.buttons.setEnabled(False)
        self.day.changed.connect(self._date_changed)
        self.course.currentIndexChanged.connect(self._course_changed)
        self._fill_defaults()
        self._load_catalogue()

    def _make_session_fields(self, record: PatientRecord, session: Session | None) -> None:
        """The session's own fields: course, when, who, where, how deep, the numbing agent and
        the technique."""
        formats = self.context.formats
        self.course = compact_combo(QComboBox(), 24)
        for c in reversed(record.courses):
            if c.status is not CourseStatus.STOPPED or (session and session.course_id == c.id):
                self.course.addItem(f"{c.title} · {label(c.status)} · {c.progress}", c.id)
        self.day = DateField(formats)
        self.at = QTimeEdit()
        self.at.setDisplayFormat("HH:mm")
        self.practitioner = compact_combo(QComboBox(), 24)
        self.practitioner.addItem(NONE, None)
        self.areas = area_list()
        self.areas.setMinimumHeight(100)
        self.depth_mm = QDoubleSpinBox()
        self.depth_mm.setRange(0.0, 10.0)
        self.depth_mm.setDecimals(1)
        self.depth_mm.setSingleStep(0.5)
        self.depth_mm.setSuffix(" mm")
        self.depth_mm.setToolTip(self.tr("Between 1 and 4 mm"))
        self.depth_mm.setValue(1.5)
        self.numbing = NumbingPicker(formats.date)
        if session is not None:
            self.numbing.keep_lot = session.numbing.lot_id if session.numbing else None
            self.numbing.legacy = session.numbing is None and (
                session.numbing_agent.value == "topical"
            )
        self.numbing_hint = QLabel(
            self.tr(
                "No numbing cream or spray in the catalogue yet: add one in Tools ▸ Products "
                "and lots, marked as a numbing product."
            )
        )
        self.numbing_hint.setWordWrap(True)
        self.numbing_hint.setStyleSheet("color: #555555;")
        self.numbing_hint.hide()
        self.technique = EnumCombo(Technique)
        self.points = QLineEdit()
        self.points.setPlaceholderText(self.tr("e.g. 120"))
        self.points.setMaxLength(6)
        self.volume = QLineEdit()
        self.volume.setPlaceholderText(self.tr("e.g. 4.5"))
        self.volume.setMaxLength(8)

    def _make_blend(self) -> None:
        """The blend table, its buttons, and the lines under it (lots, allergy)."""
        formats = self.context.formats
        self.blend = BlendTable()
        self.blend.formats = formats
        self.blend.changed_callbacks.append(self._blend_changed)
        self.numbing.changed.connect(self._blend_changed)  # the allergy check reads it too
        self.add_button = QPushButton(self.tr("Add product"))
        self.add_button.clicked.connect(lambda: self.blend.add_line())
        self.remove_button = QPushButton(self.tr("Remove"))
        self.remove_button.clicked.connect(self.blend.remove_selected)
        self.same_button = QPushButton(self.tr("Same blend as last session"))
        self.same_button.clicked.connect(self.same_blend)
        self.blend_info = QLabel()
        self.blend_info.setWordWrap(True)
        self.blend_info.setStyleSheet("color: #555555;")
        self.allergy = warning_banner("")
        self.allergy.hide()

    def _make_outcome_fields(self) -> None:
        """Pain, GAIS, satisfaction, price and notes."""
        self.pain = score_combo(0, 10)
        self.gais = score_combo(1, 5, {g.value: label(g) for g in Gais})
        self.satisfaction = score_combo(0, 10)
        self.price = QLineEdit()
        self.price.setMaxLength(12)
        self.notes = ShortTextEdit(4)
        self.notes.setTabChangesFocus(True)
        self.notes.setMinimumHeight(50)

    def _safety_box(self) -> QWidget:
        """The safety rules (mesodesk.domain.safety): what they say about the patient, the offer
        to extend a course, and why a contraindication is overridden."""
        # the safety rules (mesodesk.domain.safety): what they say about the patient, the offer
        # to extend a course, and why a contraindication is overridden
        self.extend = QCheckBox(self.tr("Extend the course's plan to take this session"))
        self.extend.hide()
        self.override = QPlainTextEdit()
        self.override.setTabChangesFocus(True)
        self.override.setFixedHeight(48)
        self.override.setPlaceholderText(
            self.tr("Why the session goes ahead despite the contraindication (kept and printed)")
        )
        self.override_box = QWidget()
        override_form = QFormLayout(self.override_box)
        override_form.setContentsMargins(0, 0, 0, 0)
        self.add_row(override_form, self.tr("Override reason"), "override_reason", self.override)
        self.override_box.hide()
        safety = QWidget()
        safety_layout = QVBoxLayout(safety)
        safety_layout.setContentsMargins(0, 0, 0, 0)
        self.add_error_for("patient", safety, safety_layout)
        safety_layout.addWidget(self.override_box)
        return safety

    def _session_group(self) -> QGroupBox:
        """The session's fields in a form."""
        left = QGroupBox(self.tr("Session"))
        form = QFormLayout(left)
        self.add_row(form, self.tr("Course *"), "course_id", self.course, note=self.extend)
        when = QWidget()
        row = QHBoxLayout(when)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.day, 1)
        row.addWidget(self.at)
        self.add_row(form, self.tr("Date and time *"), "started_at", when)
        self.add_row(form, self.tr("Practitioner"), "practitioner_id", self.practitioner)
        self.add_row(form, self.tr("Treated areas *"), "areas", self.areas)
        self.add_row(form, self.tr("Depth *"), "depth_mm", self.depth_mm)
        self.add_row(
            form,
            self.tr("Numbing"),
            "numbing_agent",
            self.numbing,
            changed=self.numbing.changed,
            note=self.numbing_hint,
        )
        # the lot shares the row's message line (show_errors joins them)
        self.errors["numbing_lot_id"] = self.errors["numbing_agent"]
        self.fields["numbing_lot_id"] = self.numbing.lot
        self.add_row(form, self.tr("Technique"), "technique", self.technique)
        self.add_row(form, self.tr("Injection points"), "injection_points", self.points)
        self.add_row(form, self.tr("Total volume (ml)"), "total_volume_ml", self.volume)
        self.volume.textChanged.connect(lambda _t: self._volume_changed())
        return left

    def _blend_group(self) -> QGroupBox:
        """The blend, with its buttons and its error line."""
        blend_box = QGroupBox(self.tr("Blend *"))
        blend_layout = QVBoxLayout(blend_box)
        blend_layout.addWidget(self.blend, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        buttons.addWidget(self.same_button)
        blend_layout.addLayout(buttons)
        blend_layout.addWidget(self.blend_info)
        blend_layout.addWidget(self.allergy)
        self.add_error_for("blend", self.blend, blend_layout)
        return blend_box

    def _outcome_group(self) -> QGroupBox:
        """The outcome and price fields in a form."""
        formats = self.context.formats
        scores = QGroupBox(self.tr("Outcome and price"))
        score_form = QFormLayout(scores)
        self.add_row(score_form, self.tr("Pain during session (NRS 0–10)"), "pain_nrs", self.pain)
        self.add_row(score_form, self.tr("GAIS"), "gais", self.gais)
        self.add_row(
            score_form, self.tr("Patient satisfaction (0–10)"), "satisfaction", self.satisfaction
        )
        self.add_row(
            score_form,
            arg(self.tr("Price (%1)"), formats.currency),
            "price_cents",
            self.price,
        )
        self.add_row(score_form, self.tr("Notes"), "notes", self.notes)
        return scores

    # -- defaults and catalogue ----------------------------------------------------------------

    def _courses(self) -> dict[int, Course]:
        return {c.id: c for c in self.record.courses}

    def _last_session(self, course_id: int | None = None) -> Session | None:
        sessions = [
            s
            for s in self.record.sessions
            if (course_id is None or s.course_id == course_id)
            and (self.session is None or s.id != self.session.id)
        ]
        return sessions[-1] if sessions else None

    def _fill_defaults(self) -> None:
        s = self.session
        if s is not None:
            set_combo(self.course, s.course_id)
            self.day.set_value(s.started_at.date())
            self.at.setTime(QTime(s.started_at.hour, s.started_at.minute))
            self._check_areas(s.areas)
            self.depth_mm.setValue(s.depth_mm)
            self._set_numbing(s)
            self.technique.set_value(s.technique)
            self.points.setText("" if s.injection_points is None else str(s.injection_points))
            self.volume.setText("" if s.total_volume_ml is None else f"{s.total_volume_ml:g}")
            set_combo(self.pain, s.pain_nrs)
            set_combo(self.gais, s.gais)
            set_combo(self.satisfaction, s.satisfaction)
            self.price.setText("" if s.price_cents is None else f"{s.price_cents / 100:.2f}")
            self.notes.setPlainText(s.notes)
            self.blend.keep_lots = {b.lot_id for b in s.blend}
            self.override.setPlainText(s.override_reason)
            self.safety_seen = set(s.safety_confirmed)
            return
        # a new session: the course due soonest, now, and what the last session of it used
        courses = self._courses()
        due = [c for c in courses.values() if c.status is not CourseStatus.STOPPED and c.next_due]
        if due:
            set_combo(self.course, min(due, key=lambda c: c.next_due.on).id)  # type: ignore[union-attr]
        now = self.context.services.clock.now()
        self.day.set_value(now.date())
        self.at.setTime(QTime(now.hour, now.minute - now.minute % 5))
        self._course_changed()

    def _course_changed(self) -> None:
        if self.session is not None:
            return
        course = self._courses().get(self.course.currentData())
        if course is None:
            return
        self._check_areas(course.areas)
        last = self._last_session(course.id) or self._last_session()
        self.depth_mm.setValue(last.depth_mm if last else 1.5)
        if last is not None:
            self._set_numbing(last)
            self.technique.set_value(last.technique)
        price = course.price_per_session_cents
        self.price.setText("" if price is None else f"{price / 100:.2f}")
        self.same_button.setEnabled(last is not None)

    def _set_numbing(self, session: Session) -> None:
        lot = session.numbing
        self.numbing.set_choice(
            session.numbing_agent,
            lot.lot_id if lot else None,
            lot.product_id if lot else None,
        )

    def _check_areas(self, areas: tuple[Any, ...]) -> None:
        from PySide6.QtCore import Qt

        first = list(areas)
        for i in range(self.areas.count()):
            item = self.areas.item(i)
            value = item.data(Qt.ItemDataRole.UserRole)
            item.setCheckState(Qt.CheckState.Checked if value in first else Qt.CheckState.Unchecked)
        # the course's areas first
        for value in reversed(first):
            for i in range(self.areas.count()):
                if self.areas.item(i).data(Qt.ItemDataRole.UserRole) == value:
                    self.areas.insertItem(0, self.areas.takeItem(i))
                    break

    def _load_catalogue(self) -> None:
        catalogue = self.context.services.catalogue

        def load() -> tuple[list[Product], list[Lot], list[Practitioner]]:
            return catalogue.products(), catalogue.lots(), catalogue.practitioners()

        self.blend_info.setText(self.tr("Loading the product catalogue…"))
        self.context.runner.run(load).success(self._catalogue_loaded).failure(self.failed)

    def _catalogue_loaded(
        self, loaded: tuple[list[Product], list[Lot], list[Practitioner]]
    ) -> None:
        products, lots, practitioners = loaded
        keep = self.blend.keep_lots
        used_products = {lot.product_id for lot in lots if lot.id in keep}
        # numbing creams and sprays go on the skin: they are not offered for the blend
        self.blend.set_catalogue(
            [p for p in products if (p.active or p.id in used_products) and not p.numbing], lots
        )
        self.ingredients = {p.id: p for p in products}
        on = date.today()
        with contextlib.suppress(ValueError):
            on = self.day.value() or on
        self.numbing.set_catalogue(products, lots, on)
        self.numbing_hint.setVisible(not self.numbing.products)
        chosen = self.session.practitioner_id if self.session else None
        if chosen is None:
            last = self._last_session()
            chosen = last.practitioner_id if last else None
        for p in practitioners:
            if p.active or p.id == chosen:
                self.practitioner.addItem(p.display, p.id)
        set_combo(self.practitioner, chosen)
        with contextlib.suppress(ValueError):
            self.blend.on = self.day.value() or date.today()
        if self.session is not None:
            for line in self.session.blend:
                self.blend.add_line(line.product_id, line.lot_id, line.amount_ml)
        self.blend_info.setText(
            ""
            if products
            else self.tr(
                "The catalogue has no products yet: add them in Tools ▸ Products and lots."
            )
        )
        self.loaded = True
        self.mark_unchanged()
        self.buttons.setEnabled(True)
        self._blend_changed()

    # -- the blend ----------------------------------------------------------------------------

    def _date_changed(self) -> None:
        try:
            day = self.day.value()
        except ValueError:
            return
        if day is not None and self.loaded:
            self.blend.refresh_lots(day)
            self.numbing.refresh(day)

    def same_blend(self) -> None:
        """The blend of the last session of the course: the same lots while they are in date,
        otherwise the lot of the same product to use first (the soonest-expiring in date)."""
        course_id = self.course.currentData()
        last = self._last_session(course_id) or self._last_session()
        if last is None or not self.loaded:
            return
        self.blend.clear_lines()
        replaced = []
        for line in last.blend:
            lot_id = line.lot_id
            usable = self.blend.usable(line.product_id)
            if lot_id not in {lot.id for lot in usable} and usable:
                first = usable[0]
                replaced.append(
                    arg(
                        self.tr("lot %1 has expired: %2 instead"),
                        line.lot_number,
                        first.lot_number,
                    )
                )
                lot_id = first.id
            self.blend.add_line(line.product_id, lot_id, line.amount_ml)
        when = self.context.formats.date(last.started_at.date())
        text = arg(self.tr("Copied from the session of %1."), when)
        if replaced:
            joined = "; ".join(replaced)
            text += " " + joined[:1].upper() + joined[1:] + "."
        self.blend_info.setText(text)

    def _blend_changed(self) -> None:
        if not self.loaded:
            return
        names = {}
        for product_id, _lot, _amount in self.blend.lines():
            product = self.ingredients.get(product_id) if product_id is not None else None
            if product is not None:
                names[product.name] = list(product.ingredients)
        numbing = self.numbing.product()
        if numbing is not None:
            names[numbing.name] = list(numbing.ingredients)
        matches = allergy_matches(self.patient.allergies, names)
        if matches:
            parts = []
            for m in matches:
                text = (
                    arg(
                        self.tr("%1 in %2 matches the recorded allergy to %3"),
                        m.ingredient,
                        m.product,
                        m.allergy,
                    )
                    if m.ingredient
                    else arg(self.tr("%1 matches the recorded allergy to %2"), m.product, m.allergy)
                )
                if m.why:
                    text += f" ({safety_text(m.why)})"
                parts.append(text)
            self.allergy.setText(arg(self.tr("Allergy: %1"), "; ".join(parts)))
        self.allergy.setVisible(bool(matches))
        self._volume_changed()

    def _volume_changed(self) -> None:
        """The total volume against the blend's amounts as they are typed: the safety rule's
        question (domain.safety, rule session.volume) beside the total, before Save asks it."""
        if not self.loaded:
            return
        error = self.errors["total_volume_ml"]
        if error.text() and error.styleSheet() != NOTE_STYLE:
            return  # an error in what was typed comes first
        text = self.volume.text().strip().replace(",", ".")
        try:
            total = float(text) if text else None
        except ValueError:
            return
        found = volume_findings(total, [amount for _p, _l, amount in self.blend.lines()])
        error.show_message(
            "\n".join(arg(self.tr("Confirm: %1"), self.safety_text(f)) for f in found),
            note=True,
        )

    # -- saving -------------------------------------------------------------------------------

    def collect(self) -> SessionInput:
        problems: dict[str, str] = {}
        started: datetime | None = None
        day = self.date_of(self.day, "started_at", problems)
        if day is not None:
            t = self.at.time()
            started = datetime.combine(day, time(t.hour(), t.minute()))
        points: int | None = None
        if self.points.text().strip():
            try:
                points = int(self.points.text().strip())
            except ValueError:
                problems["injection_points"] = self.tr(
                    "Write the number of injection points as a whole number."
                )
        volume: float | None = None
        if self.volume.text().strip():
            try:
                volume = float(self.volume.text().strip().replace(",", "."))
            except ValueError:
                problems["total_volume_ml"] = self.tr(
                    "Write the volume in ml as a number, such as 4.5."
                )
        try:
            price = parse_money(self.price.text())
        except ValueError:
            price = None
            problems["price_cents"] = self.tr("Write the price as a number, such as 350 or 350.00.")
        try:
            numbing_agent, numbing_lot = self.numbing.value()
        except ValueError as exc:
            numbing_agent, numbing_lot = NumbingAgent.TOPICAL_ANAESTHETIC, None
            problems["numbing_agent"] = str(exc)
        blend = []
        for _product, lot, amount in self.blend.lines():
            if lot is None:
                problems["blend"] = self.tr("Each product of the blend needs a lot in date.")
                continue
            blend.append(BlendInput(lot, amount))
        data = SessionInput(
            course_id=self.course.currentData(),
            started_at=started,
            areas=checked_areas(self.areas),
            depth_mm=self.depth_mm.value(),
            blend=tuple(blend),
            practitioner_id=self.practitioner.currentData(),
            numbing_agent=numbing_agent,
            numbing_lot_id=numbing_lot,
            technique=self.technique.value(),
            injection_points=points,
            total_volume_ml=volume,
            pain_nrs=self.pain.currentData(),
            gais=self.gais.currentData(),
            satisfaction=self.satisfaction.currentData(),
            price_cents=price,
            notes=self.notes.toPlainText(),
        )
        if data.course_id is None:
            problems["course_id"] = self.tr("Open a course first: sessions belong to a course.")
        return validated(problems, lambda: data.validated(self.context.services.clock.now()))

    def save(self, allergy_confirmed: bool = False) -> None:
        """Save once the safety rules are answered: the first Save shows what they say beside
        the fields (and asks for an override reason when a contraindication blocks); a Save
        with nothing new to show confirms it."""
        data = self.checked_input()
        if data is None:
            return
        service = self.context.services.sessions
        patient_id = self.patient.id
        session_id = self.session.id if self.session else None
        self.context.runner.run(
            lambda: service.session_findings(patient_id, data, session_id)
        ).success(lambda findings: self._reviewed(data, findings, allergy_confirmed)).failure(
            self.failed
        )

    def _reviewed(
        self, data: SessionInput, findings: list[Finding], allergy_confirmed: bool
    ) -> None:
        self.buttons.setEnabled(True)
        beyond = any(f.rule == "session.beyond_plan" for f in findings)
        self.extend.setVisible(beyond or self.extend.isChecked())
        overrides = [f for f in findings if f.level is Level.BLOCK and f.overridable]
        self.override_box.setVisible(bool(overrides) or bool(self.override.toPlainText()))
        if not self.review_findings(findings):
            return
        reason = self.override.toPlainText()
        if overrides and len(" ".join(reason.split())) < MIN_OVERRIDE_REASON:
            self.show_findings(
                findings,
                {
                    "override_reason": arg(
                        self.tr(
                            "Say why the session goes ahead despite the contraindication "
                            "(at least %1 characters)."
                        ),
                        str(MIN_OVERRIDE_REASON),
                    )
                },
            )
            self.override.setFocus()
            return
        confirmed = [f.rule for f in findings if f.level is Level.ASK]
        extend = not self.extend.isHidden() and self.extend.isChecked()
        service = self.context.services.sessions
        patient_id = self.patient.id
        session = self.session
        if session is None:
            job = self.context.runner.run(
                lambda: service.log_session(
                    patient_id,
                    data,
                    allergy_confirmed=allergy_confirmed,
                    confirmed=confirmed,
                    override_reason=reason,
                    extend_course=extend,
                )
            )
        else:
            job = self.context.runner.run(
                lambda: service.update_session(
                    session.id,
                    data,
                    allergy_confirmed=allergy_confirmed,
                    confirmed=confirmed,
                    override_reason=reason,
                    extend_course=extend,
                )
            )
        self.buttons.setEnabled(False)
        job.success(self.saved_result).failure(self._save_failed)

    def _save_failed(self, error: BaseException) -> None:
        if isinstance(error, AllergyWarning):
            self.buttons.setEnabled(True)
            if self.confirm_allergy(str(error)):
                self.save(allergy_confirmed=True)
            return
        if isinstance(error, SafetyQuestions):  # the record changed meanwhile: ask again
            self.buttons.setEnabled(True)
            self.safety_seen -= {f.rule for f in error.questions}
            self.review_findings(error.findings)
            return
        self.failed(error)

    def confirm_allergy(self, text: str) -> bool:
        answer = QMessageBox.warning(
            self,
            self.tr("Allergy"),
            text + "\n\n" + self.tr("Save the session with these products anyway?"),
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Save

    @classmethod
    def ask(
        cls, parent: QWidget, context: AppContext, record: PatientRecord, session: Session | None
    ) -> Any:
        """The service's Result once saved; None when cancelled."""
        dialog = cls(context, record, session, parent)
        dialog.exec()
        return dialog.saved
