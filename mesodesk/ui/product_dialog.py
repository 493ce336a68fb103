"""A product: its name, category, ingredients in order, unit and whether it numbs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QCompleter,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mesodesk.domain.catalogue import (
    MAX_INGREDIENTS,
    UNITS,
    Product,
    ProductInput,
)
from mesodesk.services.changes import Result
from mesodesk.services.registry import Services
from mesodesk.ui.catalogue_dialog import CatalogueDialog
from mesodesk.ui.i18n import arg
from mesodesk.ui.jobs import JobRunner
from mesodesk.ui.labels import Formats


class IngredientList(QWidget):
    """Ingredients in order: type one and press Enter (or Add); double-click one to edit it."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entry = QLineEdit()
        self.entry.setMaxLength(120)
        self.entry.setPlaceholderText(self.tr("Type an ingredient and press Enter"))
        self.entry.installEventFilter(self)
        self.add_button = QPushButton(self.tr("Add"))
        self.add_button.setAutoDefault(False)
        self.add_button.clicked.connect(self.add_entry)
        self.list = QListWidget()
        self.list.setObjectName("ingredients")
        self.list.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        self.list.setMinimumHeight(110)
        self.list.itemChanged.connect(lambda _item: self.changed.emit())
        self.list.currentRowChanged.connect(lambda _row: self._update_buttons())
        self.up_button = QPushButton(self.tr("Up"))
        self.down_button = QPushButton(self.tr("Down"))
        self.remove_button = QPushButton(self.tr("Remove"))
        for button in (self.up_button, self.down_button, self.remove_button):
            button.setAutoDefault(False)
        self.up_button.clicked.connect(lambda: self._move(-1))
        self.down_button.clicked.connect(lambda: self._move(1))
        self.remove_button.clicked.connect(self.remove_current)
        self.entry.textChanged.connect(lambda _text: self.changed.emit())

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.entry, 1)
        top.addWidget(self.add_button)
        side = QVBoxLayout()
        side.setContentsMargins(0, 0, 0, 0)
        side.addWidget(self.up_button)
        side.addWidget(self.down_button)
        side.addWidget(self.remove_button)
        side.addStretch(1)
        bottom = QHBoxLayout()
        bottom.setContentsMargins(0, 0, 0, 0)
        bottom.addWidget(self.list, 1)
        bottom.addLayout(side)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addLayout(bottom)
        self.setFocusProxy(self.entry)
        self._update_buttons()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Enter in the entry adds the ingredient instead of saving the whole dialog.
        if (
            watched is self.entry
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and self.entry.text().strip()
        ):
            self.add_entry()
            return True
        return super().eventFilter(watched, event)

    def values(self) -> tuple[str, ...]:
        """The list, plus what is typed in the entry and not added yet (it is meant)."""
        items = [self.list.item(i).text() for i in range(self.list.count())]
        pending = self.entry.text().strip()
        if pending:
            items.append(pending)
        return tuple(items)

    def set_values(self, names: Sequence[str]) -> None:
        self.list.clear()
        for name in names:
            self._append(name)
        self._update_buttons()

    def _append(self, name: str) -> None:
        item = QListWidgetItem(name)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
        self.list.addItem(item)

    def add_entry(self) -> None:
        name = " ".join(self.entry.text().split())
        if not name:
            return
        self._append(name)
        self.list.setCurrentRow(self.list.count() - 1)
        self.entry.clear()
        self.changed.emit()

    def remove_current(self) -> None:
        row = self.list.currentRow()
        if row >= 0:
            self.list.takeItem(row)
            self.changed.emit()
        self._update_buttons()

    def _move(self, step: int) -> None:
        row = self.list.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < self.list.count():
            return
        item = self.list.takeItem(row)
        self.list.insertItem(target, item)
        self.list.setCurrentRow(target)
        self.changed.emit()

    def _update_buttons(self) -> None:
        row = self.list.currentRow()
        self.remove_button.setEnabled(row >= 0)
        self.up_button.setEnabled(row > 0)
        self.down_button.setEnabled(0 <= row < self.list.count() - 1)


class ProductDialog(CatalogueDialog):
    def __init__(
        self,
        services: Services,
        runner: JobRunner,
        formats: Formats,
        product: Product | None = None,
        categories: Sequence[str] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(services, runner, formats, parent)
        self.product = product
        self.setWindowTitle(
            self.tr("New product")
            if product is None
            else arg(self.tr("Edit product: %1"), product.name)
        )
        self._make_fields(categories)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.add_row(form, self.tr("Name *"), "name", self.name)
        self.add_row(form, self.tr("Manufacturer"), "manufacturer", self.manufacturer)
        self.add_row(form, self.tr("Category"), "category", self.category)
        self.add_row(form, self.tr("Unit *"), "unit", self.unit, changed=self.unit.editTextChanged)
        self.add_row(
            form,
            self.tr("Ingredients *"),
            "ingredients",
            self.ingredients,
            marked=self.ingredients.list,
            changed=self.ingredients.changed,
        )
        self.add_row(form, self.tr("Notes"), "notes", self.notes, tight=True)
        self.add_row(form, "", "active", self.active, changed=self.active.toggled)
        self.add_row(form, "", "numbing", self.numbing, changed=self.numbing.toggled)
        hint = QLabel(
            arg(
                self.tr(
                    "Ingredients are checked against each patient's allergies before a session is "
                    "saved: list every active ingredient and any anaesthetic (at most %1)."
                ),
                str(MAX_INGREDIENTS),
            )
        )
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #555555;")
        self.finish_layout(form, hint)
        self.resize(620, 600)
        if product is not None:
            self._load(product)

    def _make_fields(self, categories: Sequence[str]) -> None:
        """The product's fields: name, manufacturer, category (completed from those in use),
        unit, ingredients, notes, active and numbing."""
        self.name = QLineEdit()
        self.name.setMaxLength(120)
        self.manufacturer = QLineEdit()
        self.manufacturer.setMaxLength(120)
        self.category = QLineEdit()
        self.category.setMaxLength(60)
        self.category.setPlaceholderText(self.tr("e.g. Vitamin, Lipolytic, Hyaluronic acid"))
        if categories:
            completer = QCompleter(sorted(set(categories), key=str.casefold), self.category)
            completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
            self.category.setCompleter(completer)
        self.unit = QComboBox()
        self.unit.setEditable(True)
        self.unit.addItems(list(UNITS))
        line = self.unit.lineEdit()
        if line is not None:
            line.setMaxLength(16)
        self.ingredients = IngredientList()
        self.notes = QPlainTextEdit()
        self.notes.setTabChangesFocus(True)
        self.notes.setFixedHeight(64)
        self.active = QCheckBox(self.tr("Active: offered when a session is logged"))
        self.active.setChecked(True)
        self.numbing = QCheckBox(
            self.tr("Numbing product: a cream or spray put on before the session, not injected")
        )
        self.numbing.setToolTip(
            self.tr(
                "Offered as the session's numbing agent, with its lot, instead of in the blend; "
                "its ingredients are checked against the patient's allergies too."
            )
        )

    def _load(self, p: Product) -> None:
        self.name.setText(p.name)
        self.manufacturer.setText(p.manufacturer)
        self.category.setText(p.category)
        self.unit.setCurrentText(p.unit)
        self.ingredients.set_values(p.ingredients)
        self.notes.setPlainText(p.notes)
        self.active.setChecked(p.active)
        self.numbing.setChecked(p.numbing)

    def collect(self) -> ProductInput:
        return ProductInput(
            name=self.name.text(),
            ingredients=self.ingredients.values(),
            manufacturer=self.manufacturer.text(),
            category=self.category.text(),
            unit=self.unit.currentText(),
            notes=self.notes.toPlainText(),
            active=self.active.isChecked(),
            numbing=self.numbing.isChecked(),
        ).validated()

    def operation(self, data: ProductInput) -> Callable[[], Result[Any]]:
        catalogue = self.services.catalogue
        product = self.product
        if product is None:
            return lambda: catalogue.create_product(data)
        return lambda: catalogue.update_product(product.id, data)

    @classmethod
    def ask(
        cls,
        parent: QWidget,
        services: Services,
        runner: JobRunner,
        formats: Formats,
        product: Product | None = None,
        categories: Sequence[str] = (),
    ) -> Result[Product] | None:
        """Open the dialog; the service's Result once saved, None when cancelled."""
        return cls(services, runner, formats, product, categories, parent).result_if_saved()
