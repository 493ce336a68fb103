"""The catalogue: products with their ingredients, their lots with expiry, and the practitioners.

A window of its own (Tools ▸ Products and lots…), so that a clinician can keep it open beside a
patient's record while a delivery is booked in. Every change goes through the catalogue service
off the GUI thread and is announced to the main window, so that the lot pickers of the other
dialogs follow.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QCompleter,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from mesodesk.domain.catalogue import (
    MAX_INGREDIENTS,
    Lot,
    LotInput,
    Practitioner,
    PractitionerInput,
    Product,
    ProductInput,
)
from mesodesk.domain.errors import MesodeskError
from mesodesk.services.changes import Changes, Result
from mesodesk.services.registry import Services
from mesodesk.ui.context import Host
from mesodesk.ui.form import FormDialog, fit_screen, validated
from mesodesk.ui.i18n import arg
from mesodesk.ui.jobs import JobRunner
from mesodesk.ui.labels import Formats
from mesodesk.ui.tables import (
    ALERT,
    CAUTION,
    MUTED,
    RIGHT,
    ListTableModel,
    SortProxy,
    bold,
    brush,
    make_table,
    select_id,
    selected_id,
    source_row,
    while_alive,
)
from mesodesk.ui.widgets import DateField, ask_yes_no

EXPIRING_DAYS = 60  # a lot this close to its expiry is flagged, so that it is used first
UNITS = ("ml", "mg", "g", "vial", "ampoule", "IU")
TITLES = ("Dermatologist", "Aesthetic physician", "Aesthetic nurse", "Nurse")


def expiry_status(expiry: date, today: date) -> tuple[str, int]:
    """A lot's state in words, and how urgent it is: 2 expired, 1 expiring soon, 0 in date."""
    days = (expiry - today).days
    if days < 0:
        return QCoreApplication.translate("Catalogue", "EXPIRED: do not use"), 2
    if days == 0:
        return QCoreApplication.translate("Catalogue", "Expires today"), 1
    if days <= EXPIRING_DAYS:
        text = QCoreApplication.translate("Catalogue", "Expires in %1 days")
        return arg(text, str(days)), 1
    return QCoreApplication.translate("Catalogue", "In date"), 0


# -- item models ----------------------------------------------------------------------------------


class ProductTableModel(ListTableModel[Product]):
    """The products, all of them: a clinic has tens, not thousands."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent=parent)
        self.headers = [
            self.tr("Name"),
            self.tr("Category"),
            self.tr("Ingredients"),
            self.tr("Lots"),
            self.tr("Status"),
        ]

    def set_products(self, products: Sequence[Product]) -> None:
        self.set_rows(products)

    def display(self, p: Product, column: int) -> str:
        if column == 0:
            return p.name
        if column == 1:
            if p.numbing:
                numbing = self.tr("numbing")
                return f"{p.category} ({numbing})" if p.category else numbing
            return p.category
        if column == 2:
            return ", ".join(p.ingredients)
        if column == 3:
            return str(p.lots)
        if column == 4:
            return self.tr("Active") if p.active else self.tr("Inactive")
        return ""

    def sort_key(self, p: Product, column: int) -> Any:
        return p.lots if column == 3 else super().sort_key(p, column)

    def role_data(self, p: Product, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == 2:
                return "\n".join(p.ingredients)
            if column == 0 and p.manufacturer:
                return p.manufacturer
        if role == Qt.ItemDataRole.ForegroundRole and not p.active:
            return brush(MUTED)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 3:
            return RIGHT
        return None


class LotTableModel(ListTableModel[Lot]):
    """The lots of one product, newest expiry first; expired lots say so in red and in words."""

    def __init__(self, formats: Formats, parent: Any = None) -> None:
        super().__init__(parent=parent)
        self.formats = formats
        self.today = date.today()
        self.headers = [
            self.tr("Lot number"),
            self.tr("Expiry"),
            self.tr("Status"),
            self.tr("Received"),
            self.tr("Notes"),
        ]

    def set_lots(self, lots: Sequence[Lot], today: date) -> None:
        self.today = today
        self.set_rows(lots)

    def display(self, lot: Lot, column: int) -> str:
        if column == 0:
            return lot.lot_number
        if column == 1:
            return self.formats.date(lot.expiry_date)
        if column == 2:
            return expiry_status(lot.expiry_date, self.today)[0]
        if column == 3:
            return self.formats.date(lot.received_on)
        if column == 4:
            return " ".join(lot.notes.split())
        return ""

    def sort_key(self, lot: Lot, column: int) -> Any:
        if column in (1, 2):
            return lot.expiry_date.isoformat()
        if column == 3:
            return lot.received_on.isoformat() if lot.received_on else ""
        return super().sort_key(lot, column)

    def role_data(self, lot: Lot, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole and column == 4 and lot.notes:
            return lot.notes
        urgency = expiry_status(lot.expiry_date, self.today)[1]
        if role == Qt.ItemDataRole.ForegroundRole and column in (1, 2) and urgency:
            return brush(ALERT if urgency == 2 else CAUTION)
        if role == Qt.ItemDataRole.FontRole and column == 2 and urgency == 2:
            return bold()
        return None


class PractitionerTableModel(ListTableModel[Practitioner]):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent=parent)
        self.headers = [self.tr("Name"), self.tr("Title"), self.tr("Status")]

    def set_practitioners(self, practitioners: Sequence[Practitioner]) -> None:
        self.set_rows(practitioners)

    def display(self, p: Practitioner, column: int) -> str:
        if column == 0:
            return p.name
        if column == 1:
            return p.title
        if column == 2:
            return (
                self.tr("Active")
                if p.active
                else self.tr("Inactive (not offered for new sessions)")
            )
        return ""

    def role_data(self, p: Practitioner, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and not p.active:
            return brush(MUTED)
        return None


# -- dialogs --------------------------------------------------------------------------------------


class CatalogueDialog(FormDialog):
    """What the product, lot and practitioner dialogs share: each saves through the catalogue
    service, with the input of ``collect`` and the service call of ``operation``."""

    def __init__(
        self, services: Services, runner: JobRunner, formats: Formats, parent: QWidget | None
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.runner = runner
        self.formats = formats

    def operation(self, data: Any) -> Callable[[], Result[Any]]:
        raise NotImplementedError

    def save(self) -> None:
        data = self.checked_input()
        if data is not None:
            self.runner.run(self.operation(data)).success(self.saved_value).failure(self.failed)

    def failure_text(self, error: BaseException) -> str:
        if isinstance(error, MesodeskError):
            return str(error)
        return arg(self.tr("Something went wrong (%1). Nothing was saved."), type(error).__name__)


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
        text, urgency = expiry_status(expiry, self.services.clock.today())
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


# -- the window -----------------------------------------------------------------------------------


def _button(text: str, slot: Callable[[], None]) -> QPushButton:
    button = QPushButton(text)
    button.setAutoDefault(False)
    button.clicked.connect(lambda _checked=False: slot())
    return button


class CatalogueWindow(QMainWindow):
    """Products and their lots on the first tab, practitioners on the second."""

    def __init__(self, host: Host) -> None:
        super().__init__(host.window(), Qt.WindowType.Window)
        self.host = host
        self.context = context = host.context
        self.services: Services = context.services
        self.runner: JobRunner = context.runner
        self.formats: Formats = context.formats
        self.setObjectName("catalogue")
        self.setWindowTitle(self.tr("Products, lots and practitioners — mesodesk"))
        self._stale = False
        self._select_product: int | None = None
        self._select_lot: int | None = None
        self._select_practitioner: int | None = None
        self._lots_generation = 0

        self.tabs = QTabWidget()
        self.tabs.addTab(self._build_products(), self.tr("Products and lots"))
        self.tabs.addTab(self._build_practitioners(), self.tr("Practitioners"))
        self.setCentralWidget(self.tabs)
        fit_screen(self, 1180, 660)  # a 1366x768 laptop's room; less on a 1024x768 screen
        context.changes_applied.connect(self._changes_applied)
        self.reload()

    # -- building ------------------------------------------------------------------------------

    def _build_products(self) -> QWidget:
        self.product_model = ProductTableModel(self)
        self.product_proxy = SortProxy(self.product_model, self)
        self.product_table = make_table(
            self.product_proxy,
            "products",
            widths=(300, 150, 360, 50, 80),
            stretch=2,
            sort=(0, Qt.SortOrder.AscendingOrder),
        )
        self.product_table.selectionModel().selectionChanged.connect(
            lambda *_args: self._product_selected()
        )
        self.product_table.doubleClicked.connect(lambda _index: self.edit_product())
        self.product_table.activated.connect(lambda _index: self.edit_product())

        self.filter = QLineEdit()
        self.filter.setObjectName("product_filter")
        self.filter.setClearButtonEnabled(True)
        self.filter.setPlaceholderText(self.tr("Filter products by name, category or ingredient"))
        self.filter.textChanged.connect(self.product_proxy.setFilterFixedString)
        self.new_product_button = _button(self.tr("New product…"), self.new_product)
        self.edit_product_button = _button(self.tr("Edit…"), self.edit_product)
        self.delete_product_button = _button(self.tr("Delete…"), self.delete_product)
        top = QHBoxLayout()
        top.addWidget(self.filter, 1)
        top.addWidget(self.new_product_button)
        top.addWidget(self.edit_product_button)
        top.addWidget(self.delete_product_button)
        products_box = QGroupBox(self.tr("Products"))
        products_layout = QVBoxLayout(products_box)
        products_layout.addLayout(top)
        products_layout.addWidget(self.product_table, 1)

        self.lot_model = LotTableModel(self.formats, self)
        self.lot_proxy = SortProxy(self.lot_model, self)
        self.lot_table = make_table(
            self.lot_proxy,
            "lots",
            widths=(170, 100, 180, 100, 200),
            stretch=4,
            sort=(1, Qt.SortOrder.DescendingOrder),
        )
        self.lot_table.selectionModel().selectionChanged.connect(
            lambda *_args: self._update_buttons()
        )
        self.lot_table.doubleClicked.connect(lambda _index: self.edit_lot())
        self.lot_table.activated.connect(lambda _index: self.edit_lot())
        self.lots_title = QLabel()
        self.lots_title.setWordWrap(True)
        self.lots_title.setTextFormat(Qt.TextFormat.PlainText)
        self.new_lot_button = _button(self.tr("New lot…"), self.new_lot)
        self.edit_lot_button = _button(self.tr("Edit…"), self.edit_lot)
        self.delete_lot_button = _button(self.tr("Delete…"), self.delete_lot)
        self.recall_button = _button(self.tr("Lot recall…"), self.recall_lot)
        self.recall_button.setToolTip(
            self.tr("Every patient and session that received this lot, with their side effects")
        )
        lot_bar = QHBoxLayout()
        lot_bar.addWidget(self.lots_title, 1)
        lot_bar.addWidget(self.new_lot_button)
        lot_bar.addWidget(self.edit_lot_button)
        lot_bar.addWidget(self.delete_lot_button)
        lot_bar.addWidget(self.recall_button)
        self.lots_box = QGroupBox(self.tr("Lots"))
        lots_layout = QVBoxLayout(self.lots_box)
        lots_layout.addLayout(lot_bar)
        lots_layout.addWidget(self.lot_table, 1)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(products_box)
        splitter.addWidget(self.lots_box)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(splitter)
        return page

    def _build_practitioners(self) -> QWidget:
        self.practitioner_model = PractitionerTableModel(self)
        self.practitioner_proxy = SortProxy(self.practitioner_model, self)
        self.practitioner_table = make_table(
            self.practitioner_proxy,
            "practitioners",
            widths=(320, 260, 200),
            stretch=2,
            sort=(0, Qt.SortOrder.AscendingOrder),
        )
        self.practitioner_table.selectionModel().selectionChanged.connect(
            lambda *_args: self._update_buttons()
        )
        self.practitioner_table.doubleClicked.connect(lambda _index: self.edit_practitioner())
        self.practitioner_table.activated.connect(lambda _index: self.edit_practitioner())
        self.new_practitioner_button = _button(self.tr("New practitioner…"), self.new_practitioner)
        self.edit_practitioner_button = _button(self.tr("Edit…"), self.edit_practitioner)
        self.toggle_practitioner_button = _button(self.tr("Deactivate"), self.toggle_practitioner)
        note = QLabel(
            self.tr(
                "A practitioner stays on the sessions they gave; deactivate one who has left "
                "so that they are no longer offered for new sessions."
            )
        )
        note.setWordWrap(True)
        note.setStyleSheet("color: #555555;")
        bar = QHBoxLayout()
        bar.addWidget(note, 1)
        bar.addWidget(self.new_practitioner_button)
        bar.addWidget(self.edit_practitioner_button)
        bar.addWidget(self.toggle_practitioner_button)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addLayout(bar)
        layout.addWidget(self.practitioner_table, 1)
        return page

    # -- loading -------------------------------------------------------------------------------

    def reload(self) -> None:
        self._stale = False
        catalogue = self.services.catalogue
        self.runner.run(lambda: catalogue.products()).success(
            while_alive(self, self._products_loaded)
        )
        self.runner.run(lambda: catalogue.practitioners()).success(
            while_alive(self, self._practitioners_loaded)
        )

    def _changes_applied(self, changes: Changes) -> None:
        if changes.catalogue or changes.settings:
            if self.isVisible():
                self.reload()
            else:
                self._stale = True  # closed windows are kept; they catch up when shown

    def showEvent(self, event: QShowEvent) -> None:
        if self._stale:
            self.reload()
        super().showEvent(event)

    def _products_loaded(self, products: list[Product]) -> None:
        keep = self._select_product or selected_id(self.product_table)
        self._select_product = None
        self.product_model.set_products(products)
        select_id(self.product_table, keep, first=True)
        self._load_lots()

    def _practitioners_loaded(self, practitioners: list[Practitioner]) -> None:
        keep = self._select_practitioner or selected_id(self.practitioner_table)
        self._select_practitioner = None
        self.practitioner_model.set_practitioners(practitioners)
        select_id(self.practitioner_table, keep, first=True)
        self._update_buttons()

    def _product_selected(self) -> None:
        self._update_buttons()
        self._load_lots()

    def _load_lots(self) -> None:
        product = self.selected_product()
        self._lots_generation += 1
        generation = self._lots_generation
        if product is None:
            self.lots_box.setTitle(self.tr("Lots"))
            self.lots_title.setText(self.tr("Choose a product to see its lots."))
            self.lot_model.set_lots([], self.services.clock.today())
            self._update_buttons()
            return
        catalogue = self.services.catalogue
        product_id = product.id
        self.runner.run(lambda: catalogue.lots(product_id)).success(
            while_alive(self, lambda lots: self._lots_loaded(generation, product, lots))
        )

    def _lots_loaded(self, generation: int, product: Product, lots: list[Lot]) -> None:
        if generation != self._lots_generation:
            return
        keep = self._select_lot or selected_id(self.lot_table)
        self._select_lot = None
        today = self.services.clock.today()
        self.lot_model.set_lots(lots, today)
        self.lots_box.setTitle(arg(self.tr("Lots of %1"), product.name))
        details = [part for part in (product.manufacturer, product.category) if part]
        if product.numbing:
            details.append(self.tr("numbing product"))
        details.append(arg(self.tr("unit: %1"), product.unit))
        expired = sum(1 for lot in lots if lot.expired_on(today))
        if not lots:
            details.append(self.tr("no lots yet: add one when a delivery arrives"))
        elif expired:
            details.append(arg(self.tr("%1 lots, %2 expired"), str(len(lots)), str(expired)))
        else:
            details.append(arg(self.tr("%1 lots"), str(len(lots))))
        self.lots_title.setText(" · ".join(details))
        select_id(self.lot_table, keep)
        self._update_buttons()

    # -- selection -----------------------------------------------------------------------------

    def selected_product(self) -> Product | None:
        return self.product_model.item(source_row(self.product_table))

    def selected_lot(self) -> Lot | None:
        return self.lot_model.item(source_row(self.lot_table))

    def selected_practitioner(self) -> Practitioner | None:
        return self.practitioner_model.item(source_row(self.practitioner_table))

    def _update_buttons(self) -> None:
        product = self.selected_product()
        lot = self.selected_lot()
        self.edit_product_button.setEnabled(product is not None)
        self.delete_product_button.setEnabled(product is not None)
        self.new_lot_button.setEnabled(product is not None)
        self.edit_lot_button.setEnabled(lot is not None)
        self.delete_lot_button.setEnabled(lot is not None)
        self.recall_button.setEnabled(lot is not None)
        practitioner = self.selected_practitioner()
        self.edit_practitioner_button.setEnabled(practitioner is not None)
        self.toggle_practitioner_button.setEnabled(practitioner is not None)
        self.toggle_practitioner_button.setText(
            self.tr("Reactivate")
            if practitioner is not None and not practitioner.active
            else self.tr("Deactivate")
        )

    # -- products ------------------------------------------------------------------------------

    def _categories(self) -> list[str]:
        return [p.category for p in self.product_model.rows if p.category]

    def new_product(self) -> None:
        result = ProductDialog.ask(
            self, self.services, self.runner, self.formats, None, self._categories()
        )
        if result is not None:
            self._select_product = result.value.id
            self._done(result, arg(self.tr("Product “%1” added."), result.value.name))

    def edit_product(self) -> None:
        product = self.selected_product()
        if product is None:
            return
        result = ProductDialog.ask(
            self, self.services, self.runner, self.formats, product, self._categories()
        )
        if result is not None:
            self._done(result, arg(self.tr("Product “%1” saved."), result.value.name))

    def delete_product(self) -> None:
        product = self.selected_product()
        if product is None:
            return
        if not self.confirm(
            self.tr("Delete product"),
            arg(self.tr("Delete the product “%1” and its list of ingredients?"), product.name),
        ):
            return
        catalogue = self.services.catalogue
        product_id = product.id
        message = arg(self.tr("Product “%1” deleted."), product.name)
        self.runner.run(lambda: catalogue.delete_product(product_id)).success(
            lambda result: self._done(result, message)
        ).failure(self._refused)

    # -- lots ----------------------------------------------------------------------------------

    def new_lot(self) -> None:
        product = self.selected_product()
        if product is None:
            return
        result = LotDialog.ask(self, self.services, self.runner, self.formats, product)
        if result is not None:
            self._select_lot = result.value.id
            self._done(result, arg(self.tr("Lot %1 added."), result.value.lot_number))

    def edit_lot(self) -> None:
        product, lot = self.selected_product(), self.selected_lot()
        if product is None or lot is None:
            return
        result = LotDialog.ask(self, self.services, self.runner, self.formats, product, lot)
        if result is not None:
            self._done(result, arg(self.tr("Lot %1 saved."), result.value.lot_number))

    def delete_lot(self) -> None:
        lot = self.selected_lot()
        if lot is None:
            return
        if not self.confirm(
            self.tr("Delete lot"),
            arg(self.tr("Delete lot %1 of %2?"), lot.lot_number, lot.product),
        ):
            return
        catalogue = self.services.catalogue
        lot_id = lot.id
        message = arg(self.tr("Lot %1 deleted."), lot.lot_number)
        self.runner.run(lambda: catalogue.delete_lot(lot_id)).success(
            lambda result: self._done(result, message)
        ).failure(self._refused)

    def recall_lot(self) -> None:
        lot = self.selected_lot()
        if lot is None:
            return
        from mesodesk.ui.recall_view import open_recall

        open_recall(self.host, lot.lot_number, lot.product)

    # -- practitioners -------------------------------------------------------------------------

    def new_practitioner(self) -> None:
        result = PractitionerDialog.ask(self, self.services, self.runner, self.formats)
        if result is not None:
            self._select_practitioner = result.value.id
            self._done(result, arg(self.tr("%1 added."), result.value.name))

    def edit_practitioner(self) -> None:
        practitioner = self.selected_practitioner()
        if practitioner is None:
            return
        result = PractitionerDialog.ask(
            self, self.services, self.runner, self.formats, practitioner
        )
        if result is not None:
            self._done(result, arg(self.tr("%1 saved."), result.value.name))

    def toggle_practitioner(self) -> None:
        p = self.selected_practitioner()
        if p is None:
            return
        catalogue = self.services.catalogue
        data = PractitionerInput(name=p.name, title=p.title, active=not p.active)
        message = arg(
            self.tr("%1 is active again.") if not p.active else self.tr("%1 is deactivated."),
            p.name,
        )
        self.runner.run(lambda: catalogue.update_practitioner(p.id, data)).success(
            lambda result: self._done(result, message)
        ).failure(self._refused)

    # -- outcomes ------------------------------------------------------------------------------

    def _done(self, result: Result[Any], message: str) -> None:
        self.context.apply(result.changes)
        self.statusBar().showMessage(message, 6000)

    def _refused(self, error: BaseException) -> None:
        """A refusal the service explains (a product with lots, a used lot) is shown as such."""
        if isinstance(error, MesodeskError):
            self.tell(str(error))
            self.reload()
        else:
            self.runner.report_error(error)

    def confirm(self, title: str, text: str) -> bool:
        return ask_yes_no(self, title, text)

    def tell(self, text: str) -> None:
        QMessageBox.information(self, self.tr("Catalogue"), text)


# -- installing -----------------------------------------------------------------------------------


def open_catalogue(host: Host) -> CatalogueWindow:
    """Show the catalogue window, opening it when it is not open yet."""
    main = host.window()
    window = next(
        (w for w in main.findChildren(CatalogueWindow) if isinstance(w, CatalogueWindow)), None
    )
    if window is None:
        window = CatalogueWindow(host)
    window.show()
    window.raise_()
    window.activateWindow()
    return window


def install(host: Host) -> None:
    action = QAction(
        QCoreApplication.translate("CatalogueWindow", "&Products and lots…"), host.window()
    )
    action.setObjectName("open_catalogue")
    action.triggered.connect(lambda _checked=False: open_catalogue(host))
    host.menu("tools").addAction(action)
