"""A numbing cream's lot in the windows: the Record side effect dialog offers it among the lots
the suspected session used ("Every lot of the session" takes it too), and the lot recall lists
its sessions as numbed rather than with an amount."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from PySide6.QtCore import Qt

from mesodesk.domain.catalogue import LotInput, ProductInput
from mesodesk.domain.enums import NumbingAgent, ReportChannel
from mesodesk.domain.treatment import BlendInput, SessionInput
from mesodesk.ui.recall_view import RecallTableModel
from mesodesk.ui.side_effect_dialog import WHOLE_BLEND, SideEffectDialog
from tests.gui.test_safety_dialogs import Clinic, open_record, suggested


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    dialogs: list[Any] = []

    def keep(dialog: Any) -> int:
        dialogs.append(dialog)
        return 0

    monkeypatch.setattr(SideEffectDialog, "exec", keep)
    return dialogs


def numbed_clinic(services: Any) -> tuple[Clinic, int, Any]:
    clinic = Clinic(services)
    cream = services.catalogue.create_product(
        ProductInput("Lidocaine cream 4%", ("Lidocaine",), numbing=True)
    ).value
    lot = services.catalogue.create_lot(LotInput(cream.id, "NC-2610-A", date(2027, 6, 30)))
    data = SessionInput(
        clinic.course.id,
        datetime(2026, 11, 20, 10),
        clinic.course.areas,
        1.5,
        (BlendInput(clinic.ha, 1.0), BlendInput(clinic.vit, 1.0)),
        numbing_agent=NumbingAgent.TOPICAL_ANAESTHETIC,
        numbing_lot_id=lot.value.id,
    )
    session = services.sessions.log_session(clinic.patient.id, data).value
    return clinic, lot.value.id, session


def test_the_dialog_offers_the_numbing_lot_among_the_lots_the_session_used(
    qtbot: Any, window: Any, services: Any, opened: list[Any]
) -> None:
    clinic, cream, session = numbed_clinic(services)
    view = open_record(qtbot, window, clinic.patient.id)
    qtbot.mouseClick(view.side_effect_button, Qt.MouseButton.LeftButton)
    dialog = opened[0]
    # suggested: the last session and every lot it used, the cream's too
    assert suggested(dialog) == (session.id, True, (clinic.ha, clinic.vit, cream))
    lines = [dialog.lots.item(i).text() for i in range(dialog.lots.count())]
    assert lines[0] == "Every lot of the session"
    assert lines[-1] == "Lidocaine cream 4% · lot NC-2610-A · numbing"
    # the cream alone, ticked by hand, is what is saved
    dialog.lots.tick(WHOLE_BLEND, False)
    dialog.lots.tick(clinic.ha, False)
    dialog.lots.tick(clinic.vit, False)
    assert dialog.lots.lot_ids() == (cream,)
    dialog.via.set_value(ReportChannel.PHONE)
    dialog.save()
    qtbot.waitUntil(lambda: dialog.saved is not None, timeout=15_000)
    effect = dialog.saved.value
    assert effect.lot_ids == (cream,) and not effect.suspects_blend
    assert [x.id for _e, x in services.recall.recall("NC-2610-A").side_effects(suspected=True)] == [
        effect.id
    ]


def test_the_recall_lists_a_numbed_session_without_an_amount(
    qtmodeltester: Any, services: Any, formats: Any
) -> None:
    _clinic, _cream, _session = numbed_clinic(services)
    model = RecallTableModel(formats)
    model.set_entries(services.recall.recall("nc-2610-a").entries)
    qtmodeltester.check(model)
    assert model.rowCount() == 1
    assert model.data(model.index(0, 4)) == "numbing"
    assert "numbing cream" in model.data(model.index(0, 4), Qt.ItemDataRole.ToolTipRole)
    blend = RecallTableModel(formats)
    blend.set_entries(services.recall.recall("HA-2601-A").entries)
    assert blend.data(blend.index(0, 4)) == "1 ml"
