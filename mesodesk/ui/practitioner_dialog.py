"""A practitioner: the name and title the records and the audit trail show."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLineEdit,
    QSizePolicy,
    QWidget,
)

from mesodesk.domain.catalogue import (
    TITLES,
    Practitioner,
    PractitionerInput,
)
from mesodesk.services.changes import Result
from mesodesk.services.registry import Services
from mesodesk.ui.catalogue_dialog import CatalogueDialog
from mesodesk.ui.i18n import arg
from mesodesk.ui.jobs import JobRunner
from mesodesk.ui.labels import Formats


class PractitionerDialog(CatalogueDialog):
    def __init__(
        self,
        services: Services,
        runner: JobRunner,
        formats: Formats,
        practitioner: Practitioner | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(services, runner, formats, parent)
        self.practitioner = practitioner
        self.setWindowTitle(
            self.tr("New practitioner")
            if practitioner is None
            else arg(self.tr("Edit practitioner: %1"), practitioner.name)
        )
        self.name = QLineEdit()
        self.name.setMaxLength(120)
        self.name.setPlaceholderText(self.tr("e.g. Dr. Amelia Hart"))
        self.title = QComboBox()
        self.title.setEditable(True)
        self.title.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.title.addItems(["", *(QCoreApplication.translate("Titles", t) for t in TITLES)])
        line = self.title.lineEdit()
        if line is not None:
            line.setMaxLength(60)
        self.active = QCheckBox(self.tr("Active: can be chosen for new sessions"))
        self.active.setChecked(True)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.add_row(form, self.tr("Name *"), "name", self.name)
        self.add_row(
            form, self.tr("Title"), "title", self.title, changed=self.title.editTextChanged
        )
        self.add_row(form, "", "active", self.active, changed=self.active.toggled)
        self.finish_layout(form, stretch=True)
        self.resize(480, 190)
        if practitioner is not None:
            self.name.setText(practitioner.name)
            self.title.setCurrentText(practitioner.title)
            self.active.setChecked(practitioner.active)

    def collect(self) -> PractitionerInput:
        return PractitionerInput(
            name=self.name.text(), title=self.title.currentText(), active=self.active.isChecked()
        ).validated()

    def operation(self, data: PractitionerInput) -> Callable[[], Result[Any]]:
        catalogue = self.services.catalogue
        practitioner = self.practitioner
        if practitioner is None:
            return lambda: catalogue.create_practitioner(data)
        return lambda: catalogue.update_practitioner(practitioner.id, data)

    @classmethod
    def ask(
        cls,
        parent: QWidget,
        services: Services,
        runner: JobRunner,
        formats: Formats,
        practitioner: Practitioner | None = None,
    ) -> Result[Practitioner] | None:
        """Open the dialog; the service's Result once saved, None when cancelled."""
        return cls(services, runner, formats, practitioner, parent).result_if_saved()
