from datetime import date
from typing import Any

import pytest

from mesodesk.domain.enums import Contraindication
from mesodesk.ui.patient_dialog import PatientDialog
from tests.conftest import patient_input
from tests.gui.conftest import settle


@pytest.fixture
def dialog(qtbot: Any, services: Any, runner: Any, formats: Any) -> PatientDialog:
    d = PatientDialog(services, runner, formats)
    qtbot.addWidget(d)
    d.show()
    return d


# a right value for each field the test below gets wrong
FIXED = {
    "first_name": "Ana",
    "last_name": "García",
    "birth_date": "24/03/1985",
    "email": "ana@example.com",
    "phone": "+34 600 123 456",
}


def fill(d: PatientDialog, **values: str) -> None:
    defaults = {
        "first_name": "Ana",
        "last_name": "García",
        "birth_date": "24/03/1985",
        "phone": "+34 600 123 456",
        "email": "ana@example.com",
    }
    defaults.update(values)
    d.first_name.setText(defaults["first_name"])
    d.last_name.setText(defaults["last_name"])
    d.birth_date.edit.setText(defaults["birth_date"])
    d.phone.setText(defaults["phone"])
    d.email.setText(defaults["email"])


def test_happy_path_saves_everything(qtbot: Any, dialog: PatientDialog, services: Any) -> None:
    fill(dialog)
    dialog.allergies.setText("Lidocaine; latex")
    dialog.checks[Contraindication.ANTICOAGULANT].setChecked(True)
    dialog.contraindication_note.setPlainText("Warfarin")
    dialog.medical_notes.setPlainText("Thyroid, treated.")
    dialog.consent_date.edit.setText("20.11.2026")
    dialog.save()
    qtbot.waitUntil(lambda: dialog.saved is not None)
    saved = services.patients.get(dialog.saved.id)
    assert saved.last_name == "García" and saved.birth_date == date(1985, 3, 24)
    assert saved.allergies == ("Lidocaine", "latex")
    assert saved.contraindications == frozenset({Contraindication.ANTICOAGULANT})
    assert saved.consent_date == date(2026, 11, 20)
    assert saved.medical_notes == "Thyroid, treated."


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"first_name": "   "}, "first_name", "required"),
        ({"last_name": ""}, "last_name", "required"),
        ({"birth_date": ""}, "birth_date", "required"),
        (
            {"birth_date": "31/02/1990"},
            "birth_date",
            "31/02/1990 does not exist: February 1990 has 28 days",
        ),
        ({"birth_date": "29/02/1991"}, "birth_date", "February 1991 has 28 days"),
        ({"birth_date": "12/13/1990"}, "birth_date", "there is no month 13"),
        ({"birth_date": "1990-31-02"}, "birth_date", "there is no month 31"),
        ({"birth_date": "3l/02/1990"}, "birth_date", "not a date; write it as dd/mm/yyyy"),
        ({"birth_date": "01/01/2030"}, "birth_date", "future"),
        ({"birth_date": "01/01/1890"}, "birth_date", "1900"),
        ({"email": "ana@"}, "email", "valid"),
        ({"phone": "12"}, "phone", "digits"),
        ({"phone": "call me"}, "phone", "digits"),
    ],
)
def test_each_error_shows_beside_its_field_and_nothing_is_stored(
    qtbot: Any, dialog: PatientDialog, services: Any, values: dict[str, str], field: str, words: str
) -> None:
    fill(dialog, **values)
    dialog.save()
    label = dialog.errors[field]
    assert label.isVisibleTo(dialog)
    assert words in label.text()
    settle(qtbot, dialog.runner)
    assert dialog.saved is None
    assert services.patients.count() == 0
    # Fixing the field clears its message at once (before Save), and then it saves.
    widget = dialog.birth_date.edit if field == "birth_date" else getattr(dialog, field)
    assert widget.styleSheet()  # marked in red
    widget.setText(FIXED[field])
    assert not label.isVisibleTo(dialog) and not widget.styleSheet()
    assert dialog.buttons.isEnabled()
    dialog.save()
    qtbot.waitUntil(lambda: dialog.saved is not None)
    assert services.patients.count() == 1


def test_second_record_for_the_same_person_asks_first(
    qtbot: Any, dialog: PatientDialog, services: Any, monkeypatch: Any
) -> None:
    services.patients.create(
        patient_input(first_name="Ana", last_name="Garcia", birth_date=date(1985, 3, 24))
    )
    asked: list[str] = []
    monkeypatch.setattr(
        dialog, "confirm_second_record", lambda numbers: asked.append(numbers) or False
    )
    fill(dialog)
    dialog.save()
    qtbot.waitUntil(lambda: bool(asked))
    assert asked == ["MD-000001"]
    assert services.patients.count() == 1
    assert dialog.buttons.isEnabled()


def test_edit_loads_and_updates(qtbot: Any, services: Any, runner: Any, formats: Any) -> None:
    patient = services.patients.create(patient_input(allergies=("Procaine",))).value
    d = PatientDialog(services, runner, formats, patient)
    qtbot.addWidget(d)
    assert d.first_name.text() == "José" and d.allergies.text() == "Procaine"
    assert d.birth_date.text() == "24/03/1985"
    d.phone.setText("+1 555 000 1111")
    d.save()
    qtbot.waitUntil(lambda: d.saved is not None)
    assert services.patients.get(patient.id).phone == "+1 555 000 1111"


def test_new_patient_from_the_window_opens_it(qtbot: Any, window: Any, monkeypatch: Any) -> None:
    from mesodesk.ui.record_view import PatientRecordView

    # another patient first, so that opening "a" record is not enough
    window.services.patients.create(patient_input(first_name="Ana", last_name="Other"))
    created: list[Any] = []

    def fake_ask(parent: Any, services: Any, runner: Any, formats: Any, patient: Any = None) -> Any:
        result = services.patients.create(patient_input())
        created.append(result.value)
        return result

    monkeypatch.setattr(PatientDialog, "ask", staticmethod(fake_ask))
    window.new_action.trigger()
    (patient,) = created
    # the list shows the new patient, the record opens in a tab of its own, in front
    qtbot.waitUntil(lambda: window.model.rowCount() == 2)
    assert patient.id in {window.model.patient_id(row) for row in range(2)}
    qtbot.waitUntil(lambda: window.tabs.count() == 2)
    view = window.tabs.currentWidget()
    assert isinstance(view, PatientRecordView) and view.patient_id == patient.id
    qtbot.waitUntil(lambda: view.record is not None)
    assert view.header.title.text() == "Müller, José"
    assert patient.record_no in window.statusBar().currentMessage()
