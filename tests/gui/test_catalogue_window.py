from datetime import date, datetime
from typing import Any

import pytest
from PySide6.QtCore import Qt

from mesodesk.domain.catalogue import PractitionerInput, ProductInput
from mesodesk.ui.catalogue_models import LotTableModel, PractitionerTableModel, ProductTableModel
from mesodesk.ui.catalogue_window import CatalogueWindow, open_catalogue
from mesodesk.ui.lot_dialog import LotDialog
from mesodesk.ui.practitioner_dialog import PractitionerDialog
from mesodesk.ui.product_dialog import ProductDialog
from mesodesk.ui.tables import ALERT
from tests.gui import treatment_seed as seed
from tests.gui.conftest import wait_jobs

TODAY = date(2026, 11, 24)  # the test clock's day


# -- item models ----------------------------------------------------------------------------------


def test_models_pass_the_model_tester(qtmodeltester: Any, services: Any, formats: Any) -> None:
    p = seed.product(services, "Biotin 5 mg/ml", "Biotin", "Water")
    seed.lot(services, p.id, "B-1", date(2027, 1, 3))
    seed.lot(services, p.id, "B-0", date(2025, 1, 31))
    services.catalogue.create_practitioner(PractitionerInput("Dr. Hart", "Dermatologist"))

    products = ProductTableModel()
    products.set_products(services.catalogue.products())
    qtmodeltester.check(products)
    assert products.data(products.index(0, 2)) == "Biotin, Water"
    assert products.data(products.index(0, 3)) == "2"

    lots = LotTableModel(formats)
    lots.set_lots(services.catalogue.lots(p.id), TODAY)
    qtmodeltester.check(lots)
    assert [lots.data(lots.index(r, 0)) for r in range(2)] == ["B-1", "B-0"]
    assert lots.data(lots.index(0, 2)) == "Expires in 40 days"
    assert lots.data(lots.index(1, 2)) == "EXPIRED: do not use"
    assert lots.data(lots.index(1, 2), Qt.ItemDataRole.ForegroundRole).color() == ALERT

    people = PractitionerTableModel()
    people.set_practitioners(services.catalogue.practitioners())
    qtmodeltester.check(people)
    assert people.data(people.index(0, 1)) == "Dermatologist"


# -- the product dialog ---------------------------------------------------------------------------


@pytest.fixture
def product_dialog(qtbot: Any, services: Any, runner: Any, formats: Any) -> ProductDialog:
    d = ProductDialog(services, runner, formats)
    qtbot.addWidget(d)
    d.show()
    return d


def add_ingredient(qtbot: Any, d: ProductDialog, name: str) -> None:
    d.ingredients.entry.setText(name)
    qtbot.keyClick(d.ingredients.entry, Qt.Key.Key_Return)


def test_product_happy_path(qtbot: Any, product_dialog: ProductDialog, services: Any) -> None:
    d = product_dialog
    d.name.setText("Hair growth-factor complex")
    d.manufacturer.setText("Demo Labs")
    d.category.setText("Peptides")
    add_ingredient(qtbot, d, "Biotinoyl tripeptide-1")
    add_ingredient(qtbot, d, "Copper tripeptide-1")
    assert d.isVisible()  # Enter in the ingredient entry adds it, it does not save the dialog
    d.ingredients.list.setCurrentRow(1)
    d.ingredients.up_button.click()
    d.ingredients.entry.setText("Zinc gluconate")  # typed, not added: still meant
    d.notes.setPlainText("Keep cold.")
    d.save()
    qtbot.waitUntil(lambda: d.saved is not None)
    saved = services.catalogue.product(d.saved.id)
    assert saved.name == "Hair growth-factor complex" and saved.unit == "ml" and saved.active
    assert saved.ingredients == ("Copper tripeptide-1", "Biotinoyl tripeptide-1", "Zinc gluconate")
    assert saved.manufacturer == "Demo Labs" and saved.notes == "Keep cold."


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"name": ""}, "name", "required"),
        ({"unit": ""}, "unit", "required"),
        ({"ingredients": ()}, "ingredients", "at least one ingredient"),
        ({"category": "x" * 61}, "category", "too long"),
        ({"name": "vitamin c 20%"}, "name", "already exists"),  # refused by the service
    ],
)
def test_product_errors_show_beside_their_field_and_nothing_is_stored(
    qtbot: Any,
    product_dialog: ProductDialog,
    services: Any,
    change: dict[str, Any],
    field: str,
    words: str,
) -> None:
    seed.product(services, "Vitamin C 20%")
    d = product_dialog
    d.category.setMaxLength(100)  # the widget caps it; the rule still has to hold
    values = {"name": "Biotin", "unit": "ml", "ingredients": ("Biotin",), "category": ""}
    values.update(change)
    d.name.setText(values["name"])
    d.unit.setCurrentText(values["unit"])
    d.category.setText(values["category"])
    d.ingredients.set_values(values["ingredients"])
    d.save()
    label = d.errors[field]
    qtbot.waitUntil(lambda: label.isVisibleTo(d))
    assert words in label.text()
    wait_jobs(qtbot, d.runner)
    assert d.saved is None and d.isVisible() and d.buttons.isEnabled()
    assert [p.name for p in services.catalogue.products()] == ["Vitamin C 20%"]
    # changing the field clears its message
    if field == "ingredients":
        add_ingredient(qtbot, d, "Biotin")
    else:
        getattr(d, field).setText("Biotin") if field != "unit" else d.unit.setCurrentText("mg")
    assert not label.isVisibleTo(d)


def test_product_edit_loads_and_updates(
    qtbot: Any, services: Any, runner: Any, formats: Any
) -> None:
    p = seed.product(services, "Caffeine 20%", "Caffeine", "Sodium benzoate")
    d = ProductDialog(services, runner, formats, p)
    qtbot.addWidget(d)
    assert d.name.text() == "Caffeine 20%"
    assert d.ingredients.values() == ("Caffeine", "Sodium benzoate")
    d.ingredients.list.setCurrentRow(1)
    d.ingredients.remove_button.click()
    d.active.setChecked(False)
    d.save()
    qtbot.waitUntil(lambda: d.saved is not None)
    saved = services.catalogue.product(p.id)
    assert saved.ingredients == ("Caffeine",) and not saved.active


# -- the lot dialog -------------------------------------------------------------------------------


@pytest.fixture
def lot_dialog(qtbot: Any, services: Any, runner: Any, formats: Any) -> LotDialog:
    p = seed.product(services)
    d = LotDialog(services, runner, formats, p)
    qtbot.addWidget(d)
    d.show()
    return d


def test_lot_happy_path(qtbot: Any, lot_dialog: LotDialog, services: Any) -> None:
    d = lot_dialog
    assert d.received_on.value() == TODAY  # a delivery is usually booked in the day it comes
    d.lot_number.setText("VC-2611-A")
    d.expiry_date.edit.setText("30/11/2028")
    assert d.expiry_state.isVisibleTo(d) and "In date" in d.expiry_state.text()
    d.notes.setPlainText("Box 3 of 4")
    d.save()
    qtbot.waitUntil(lambda: d.saved is not None)
    lot = services.catalogue.lot(d.saved.id)
    assert (lot.lot_number, lot.expiry_date, lot.received_on) == (
        "VC-2611-A",
        date(2028, 11, 30),
        TODAY,
    )
    assert lot.notes == "Box 3 of 4"


def test_an_expired_expiry_says_so_in_words(lot_dialog: LotDialog) -> None:
    lot_dialog.expiry_date.edit.setText("01/11/2026")
    assert "Expired" in lot_dialog.expiry_state.text()


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"lot_number": "  "}, "lot_number", "required"),
        ({"expiry": ""}, "expiry_date", "required"),
        ({"expiry": "31/02/2028"}, "expiry_date", "February 2028 has 29 days"),
        ({"expiry": "31-02-2O28"}, "expiry_date", "not a date"),
        ({"received": "01/12/2026"}, "received_on", "future"),
        ({"expiry": "01/01/2026", "received": "02/01/2026"}, "received_on", "after it expired"),
        ({"lot_number": "vc-1"}, "lot_number", "already exists"),  # refused by the service
    ],
)
def test_lot_errors_show_beside_their_field_and_nothing_is_stored(
    qtbot: Any,
    lot_dialog: LotDialog,
    services: Any,
    values: dict[str, str],
    field: str,
    words: str,
) -> None:
    d = lot_dialog
    seed.lot(services, d.product.id, "VC-1", date(2028, 1, 1))
    d.lot_number.setText(values.get("lot_number", "VC-2"))
    d.expiry_date.edit.setText(values.get("expiry", "30/11/2028"))
    d.received_on.edit.setText(values.get("received", "20/11/2026"))
    d.save()
    label = d.errors[field]
    qtbot.waitUntil(lambda: label.isVisibleTo(d))
    assert words in label.text()
    wait_jobs(qtbot, d.runner)
    assert d.saved is None
    assert [lot.lot_number for lot in services.catalogue.lots(d.product.id)] == ["VC-1"]


# -- the practitioner dialog ----------------------------------------------------------------------


def test_practitioner_happy_path_and_error(
    qtbot: Any, services: Any, runner: Any, formats: Any
) -> None:
    d = PractitionerDialog(services, runner, formats)
    qtbot.addWidget(d)
    d.show()
    d.save()
    assert d.errors["name"].isVisibleTo(d) and "required" in d.errors["name"].text()
    wait_jobs(qtbot, runner)
    assert services.catalogue.practitioners() == []
    d.title.lineEdit().setMaxLength(100)  # the widget caps it; the rule still has to hold
    d.title.setCurrentText("x" * 61)
    d.name.setText("Dr. Lena Vogt")
    assert not d.errors["name"].isVisibleTo(d)
    d.save()
    assert "too long" in d.errors["title"].text()
    d.title.setCurrentText("Aesthetic physician")
    d.save()
    qtbot.waitUntil(lambda: d.saved is not None)
    [saved] = services.catalogue.practitioners()
    assert (saved.name, saved.title, saved.active) == ("Dr. Lena Vogt", "Aesthetic physician", True)


# -- the window -----------------------------------------------------------------------------------


@pytest.fixture
def catalogue(qtbot: Any, window: Any, services: Any) -> CatalogueWindow:
    p = seed.product(services, "Vitamin C 20%", "Ascorbic acid")
    seed.lot(services, p.id, "VC-NEW", date(2028, 1, 31))
    seed.lot(services, p.id, "VC-OLD", date(2026, 1, 31))
    seed.product(services, "Artichoke extract", "Cynara scolymus extract")
    services.catalogue.create_practitioner(PractitionerInput("Dr. Hart", "Dermatologist"))
    action = next(a for a in window.menus["tools"].actions() if a.objectName() == "open_catalogue")
    action.trigger()
    w = window.findChild(CatalogueWindow)
    assert w is not None and w.isVisible()
    qtbot.waitUntil(lambda: w.product_model.rowCount() == 2)
    wait_jobs(qtbot, w.runner)
    return w  # type: ignore[no-any-return]


def select_product(qtbot: Any, w: CatalogueWindow, name: str) -> None:
    for row in range(w.product_proxy.rowCount()):
        if w.product_proxy.index(row, 0).data() == name:
            w.product_table.selectRow(row)
    qtbot.waitUntil(lambda: w.lots_box.title().endswith(name))
    wait_jobs(qtbot, w.runner)


def select_lot(w: CatalogueWindow, number: str) -> None:
    for row in range(w.lot_proxy.rowCount()):
        if w.lot_proxy.index(row, 0).data() == number:
            w.lot_table.selectRow(row)


def test_window_lists_products_and_the_lots_of_the_selected_one(
    qtbot: Any, catalogue: CatalogueWindow, window: Any
) -> None:
    w = catalogue
    assert w.product_proxy.index(0, 0).data() == "Artichoke extract"  # by name
    select_product(qtbot, w, "Vitamin C 20%")
    assert [w.lot_proxy.index(r, 0).data() for r in range(2)] == ["VC-NEW", "VC-OLD"]
    assert w.lot_proxy.index(1, 2).data() == "EXPIRED: do not use"
    assert "1 expired" in w.lots_title.text()
    assert open_catalogue(window) is w  # one window, brought forward
    w.filter.setText("cynara")
    assert w.product_proxy.rowCount() == 1


def test_new_product_from_the_window_appears_selected(
    qtbot: Any, catalogue: CatalogueWindow, services: Any, monkeypatch: Any
) -> None:
    def fake_ask(parent: Any, services: Any, *args: Any) -> Any:
        return services.catalogue.create_product(ProductInput("Biotin 5 mg/ml", ("Biotin",)))

    monkeypatch.setattr(ProductDialog, "ask", staticmethod(fake_ask))
    catalogue.new_product_button.click()
    qtbot.waitUntil(lambda: catalogue.product_model.rowCount() == 3)
    wait_jobs(qtbot, catalogue.runner)
    assert catalogue.selected_product() is not None
    assert catalogue.selected_product().name == "Biotin 5 mg/ml"  # type: ignore[union-attr]


def test_deleting_a_product_with_lots_shows_the_services_refusal(
    qtbot: Any, catalogue: CatalogueWindow, services: Any, monkeypatch: Any
) -> None:
    w = catalogue
    told: list[str] = []
    monkeypatch.setattr(w, "confirm", lambda title, text: True)
    monkeypatch.setattr(w, "tell", told.append)
    select_product(qtbot, w, "Vitamin C 20%")
    w.delete_product_button.click()
    qtbot.waitUntil(lambda: bool(told))
    assert "2 lot(s)" in told[0] and "inactive" in told[0]
    assert len(services.catalogue.products()) == 2
    # a product without lots goes, after the question
    select_product(qtbot, w, "Artichoke extract")
    w.delete_product_button.click()
    qtbot.waitUntil(lambda: w.product_model.rowCount() == 1)
    assert [p.name for p in services.catalogue.products()] == ["Vitamin C 20%"]


def test_declining_the_question_deletes_nothing(
    qtbot: Any, catalogue: CatalogueWindow, services: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(catalogue, "confirm", lambda title, text: False)
    select_product(qtbot, catalogue, "Artichoke extract")
    catalogue.delete_product_button.click()
    wait_jobs(qtbot, catalogue.runner)
    assert len(services.catalogue.products()) == 2


def test_a_used_lot_cannot_be_deleted_an_unused_one_can(
    qtbot: Any, catalogue: CatalogueWindow, services: Any, monkeypatch: Any
) -> None:
    w = catalogue
    [new, _old] = services.catalogue.lots()
    p = seed.patient(services, "Ana", "García")
    c = seed.course(services, p.id, date(2026, 11, 1))
    seed.session(services, p.id, c.id, datetime(2026, 11, 2, 10, 0), new.id)
    told: list[str] = []
    monkeypatch.setattr(w, "confirm", lambda title, text: True)
    monkeypatch.setattr(w, "tell", told.append)
    select_product(qtbot, w, "Vitamin C 20%")
    select_lot(w, "VC-NEW")
    w.delete_lot_button.click()
    qtbot.waitUntil(lambda: bool(told))
    assert "used in 1 session" in told[0]
    select_lot(w, "VC-OLD")
    w.delete_lot_button.click()
    qtbot.waitUntil(lambda: w.lot_model.rowCount() == 1)
    assert [lot.lot_number for lot in services.catalogue.lots()] == ["VC-NEW"]


def test_recall_from_a_lot_opens_the_recall_tab(
    qtbot: Any, catalogue: CatalogueWindow, window: Any
) -> None:
    from mesodesk.ui.recall_view import RecallView

    select_product(qtbot, catalogue, "Vitamin C 20%")
    select_lot(catalogue, "VC-OLD")
    catalogue.recall_button.click()
    view = window.tabs.currentWidget()
    assert isinstance(view, RecallView)
    qtbot.waitUntil(lambda: view.recall is not None)
    assert view.lot.text() == "VC-OLD"
    assert view.summary.text().startswith("0 sessions, 0 patients")


def test_practitioners_can_be_deactivated_and_reactivated(
    qtbot: Any, catalogue: CatalogueWindow, services: Any
) -> None:
    w = catalogue
    w.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: w.practitioner_model.rowCount() == 1)
    w.practitioner_table.selectRow(0)
    assert w.toggle_practitioner_button.text() == "Deactivate"
    w.toggle_practitioner_button.click()
    qtbot.waitUntil(lambda: not services.catalogue.practitioners()[0].active)
    qtbot.waitUntil(lambda: w.toggle_practitioner_button.text() == "Reactivate")
    assert "Inactive" in w.practitioner_proxy.index(0, 2).data()
    w.toggle_practitioner_button.click()
    qtbot.waitUntil(lambda: services.catalogue.practitioners()[0].active)
