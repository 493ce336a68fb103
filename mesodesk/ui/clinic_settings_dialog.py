"""The clinic's own settings, shared by every workstation: the header of the PDF summary, how
dates are written, the currency and the paper."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

from mesodesk.domain.dates import DateOrder
from mesodesk.domain.settings import ClinicSettings, Paper
from mesodesk.ui.context import AppContext
from mesodesk.ui.files import remember, start_in
from mesodesk.ui.form import FormDialog


class ClinicSettingsDialog(FormDialog):
    def __init__(
        self, context: AppContext, current: ClinicSettings, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.setWindowTitle(self.tr("Clinic settings"))
        self.name = QLineEdit(current.clinic_name)
        self.name.setMaxLength(120)
        self.address = QPlainTextEdit(current.clinic_address)
        self.address.setTabChangesFocus(True)
        self.address.setFixedHeight(70)
        self.phone = QLineEdit(current.clinic_phone)
        self.phone.setMaxLength(40)
        self.logo = QLineEdit(current.logo_path)
        self.logo.setPlaceholderText(self.tr("A PNG or JPEG printed at the top of summaries"))
        browse = QPushButton(self.tr("Choose…"))
        browse.clicked.connect(self._choose_logo)
        logo_row = QWidget()
        row = QHBoxLayout(logo_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.logo, 1)
        row.addWidget(browse)
        self.date_order = QComboBox()
        for order, text in (
            (DateOrder.DMY, self.tr("Day/month/year (24/03/1985)")),
            (DateOrder.MDY, self.tr("Month/day/year (03/24/1985)")),
            (DateOrder.YMD, self.tr("Year-month-day (1985-03-24)")),
        ):
            self.date_order.addItem(text, order.value)
        self.date_order.setCurrentIndex(max(0, self.date_order.findData(current.date_order.value)))
        self.currency = QLineEdit(current.currency)
        self.currency.setMaxLength(3)
        self.currency.setMaximumWidth(80)
        self.paper = QComboBox()
        self.paper.addItem(self.tr("A4"), Paper.A4.value)
        self.paper.addItem(self.tr("US Letter"), Paper.LETTER.value)
        self.paper.setCurrentIndex(max(0, self.paper.findData(current.paper.value)))

        form = QFormLayout()
        self.add_row(form, self.tr("Clinic name"), "clinic_name", self.name)
        self.add_row(form, self.tr("Address"), "clinic_address", self.address)
        self.add_row(form, self.tr("Phone"), "clinic_phone", self.phone)
        self.add_row(form, self.tr("Logo"), "logo_path", logo_row)
        self.add_row(form, self.tr("Dates are written"), "date_order", self.date_order)
        self.add_row(form, self.tr("Currency"), "currency", self.currency)
        self.add_row(form, self.tr("Paper for summaries"), "paper", self.paper)
        self.finish_layout(form, stretch=True)
        self.resize(640, 400)

    def _choose_logo(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            self.tr("Clinic logo"),
            self.logo.text() or start_in(),
            self.tr("Images (*.png *.jpg *.jpeg)"),
        )
        if path:
            remember(path)
            self.logo.setText(path)

    def collect(self) -> ClinicSettings:
        data = ClinicSettings(
            clinic_name=self.name.text(),
            clinic_address=self.address.toPlainText(),
            clinic_phone=self.phone.text(),
            logo_path=self.logo.text().strip(),
            date_order=DateOrder(self.date_order.currentData()),
            currency=self.currency.text(),
            paper=Paper(self.paper.currentData()),
        )
        return data.validated()

    def save(self) -> None:
        data = self.checked_input()
        if data is None:
            return
        settings = self.context.services.settings
        self.context.runner.run(lambda: settings.update(data)).success(self.saved_result).failure(
            self.failed
        )

    @classmethod
    def ask(cls, context: AppContext, parent: QWidget) -> Any:
        dialog = cls(context, context.services.settings.get(), parent)
        dialog.exec()
        return dialog.saved
