"""The catalogue: products with their ingredients, their lots with expiry, and the practitioners.

A window of its own (Tools ▸ Products and lots…), so that a clinician can keep it open beside a
patient's record while a delivery is booked in. Every change goes through the catalogue service
off the GUI thread and is announced to the main window, so that the lot pickers of the other
dialogs follow.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QAction, QShowEvent
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from mesodesk.domain.catalogue import (
    Lot,
    Practitioner,
    PractitionerInput,
    Product,
)
from mesodesk.domain.errors import MesodeskError
from mesodesk.services.changes import Changes, Result
from mesodesk.services.registry import Services
from mesodesk.ui.catalogue_models import LotTableModel, PractitionerTableModel, ProductTableModel
from mesodesk.ui.context import Host
from mesodesk.ui.form import fit_screen
from mesodesk.ui.i18n import arg
from mesodesk.ui.jobs import JobRunner
from mesodesk.ui.labels import Formats
from mesodesk.ui.lot_dialog import LotDialog
from mesodesk.ui.practitioner_dialog import PractitionerDialog
from mesodesk.ui.product_dialog import ProductDialog
from mesodesk.ui.tables import (
    SortProxy,
    make_table,
    select_id,
    selected_id,
    source_row,
    while_alive,
)
from mesodesk.ui.widgets import ask_yes_no

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
