"""A lot of a product: its number, expiry (and what that means today), date received."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from mesodesk.domain.catalogue import (
    Lot,
    LotInput,
    Product,
)
from mesodesk.services.changes import Result
from mesodesk.services.registry import Services
from mesodesk.ui.catalogue_dialog import CatalogueDialog
from mesodesk.ui.catalogue_models import expiry_words
from mesodesk.ui.form import validated
from mesodesk.ui.i18n import arg
from mesodesk.ui.jobs import JobRunner
from mesodesk.ui.labels import Formats
from mesodesk.ui.tables import (
    ALERT,
    CAUTION,
)
from mesodesk.ui.widgets import DateField


class LotDialog(CatalogueDialog):
    def __init__(
        self,
        services: Services,
        runner: JobRunner,
        formats: Formats,
        product: Product,
        lot: Lot | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(services, runner, formats, parent)
        self.product = product
        self.lot = lot
        self.setWindowTitle(
            arg(self.tr("New lot of %1"), product.name)
            if lot is None
            else arg(self.tr("Edit lot %1"), lot.lot_number)
        )
        product_label = QLabel(product.name)
        product_label.setTextFormat(Qt.TextFormat.PlainText)
        product_label.setStyleSheet("font-weight: bold;")
        self.lot_number = QLineEdit()
        self.lot_number.setMaxLength(60)
        self.lot_number.setPlaceholderText(self.tr("As printed on the box, e.g. HA-2411-A"))
        self.expiry_date = DateField(formats)
        self.expiry_state = QLabel()
        self.expiry_state.setWordWrap(True)
        self.received_on = DateField(formats)
        self.notes = QPlainTextEdit()
        self.notes.setTabChangesFocus(True)
        self.notes.setMinimumHeight(60)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.addRow(self.tr("Product"), product_label)
        self.add_row(form, self.tr("Lot number *"), "lot_number", self.lot_number)
        self.add_row(
            form, self.tr("Expiry date *"), "expiry_date", self.expiry_date, note=self.expiry_state
        )
        self.add_row(form, self.tr("Received on"), "received_on", self.received_on)
        self.add_row(form, self.tr("Notes"), "notes", self.notes)
        self.finish_layout(form)
        self.resize(560, 320)
        self.expiry_date.changed.connect(self._show_expiry)
        if lot is not None:
            self.lot_number.setText(lot.lot_number)
            self.expiry_date.set_value(lot.expiry_date)
            self.received_on.set_value(lot.received_on)
            self.notes.setPlainText(lot.notes)
        else:
            self.received_on.set_value(services.clock.today())
        self._show_expiry()

    def _show_expiry(self) -> None:
        try:
            expiry = self.expiry_date.value()
        except ValueError:
            expiry = None
        if expiry is None or expiry.year < 2000:
            self.expiry_state.hide()
            return
        text, urgency = expiry_words(expiry, self.services.clock.today())
        if urgency == 2:
            text = self.tr("Expired: this lot is kept on record but cannot be used in a session.")
        self.expiry_state.setText(text)
        color = {2: ALERT, 1: CAUTION}.get(urgency)
        self.expiry_state.setStyleSheet(
            f"color: {color.name()}; font-weight: bold;" if color else "color: #2e6b30;"
        )
        self.expiry_state.show()

    def collect(self) -> LotInput:
        problems: dict[str, str] = {}
        expiry = self.date_of(self.expiry_date, "expiry_date", problems, self.tr("The expiry"))
        received = self.date_of(
            self.received_on, "received_on", problems, self.tr("The date received")
        )
        data = LotInput(
            product_id=self.product.id,
            lot_number=self.lot_number.text(),
            expiry_date=expiry,
            received_on=received,
            notes=self.notes.toPlainText(),
        )
        return validated(problems, lambda: data.validated(self.services.clock.today()))

    def operation(self, data: LotInput) -> Callable[[], Result[Any]]:
        catalogue = self.services.catalogue
        lot = self.lot
        if lot is None:
            return lambda: catalogue.create_lot(data)
        return lambda: catalogue.update_lot(lot.id, data)

    @classmethod
    def ask(
        cls,
        parent: QWidget,
        services: Services,
        runner: JobRunner,
        formats: Formats,
        product: Product,
        lot: Lot | None = None,
    ) -> Result[Lot] | None:
        """Open the dialog; the service's Result once saved, None when cancelled."""
        return cls(services, runner, formats, product, lot, parent).result_if_saved()
