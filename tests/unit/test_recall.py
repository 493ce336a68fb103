"""Lot recall by product and lot: a number is found case- and accent-blind in any script, a
number that several products have asks which, and each side effect says whether it suspects the
recalled lot. Checked against the raw tables of a demo clinic with plain SQL."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from mesodesk.domain.catalogue import LotInput, ProductInput
from mesodesk.domain.enums import BodyArea, Indication, ReportChannel, SideEffectKind
from mesodesk.domain.errors import NotFoundError, ValidationError
from mesodesk.domain.treatment import (
    BlendInput,
    CourseInput,
    LotInSeveralProducts,
    SessionInput,
    SideEffectInput,
)
from mesodesk.services.registry import Services
from mesodesk.store.derived import fold_lot_number
from tests.conftest import NOW, patient_input


class Clinic:
    """Two products share the lot number "ÅB-12ç"; Ana had the HA one twice and Ben the
    lidocaine one. Ana reported swelling suspecting her lot, and later bruising suspecting
    another lot; Ben reported pain suspecting his (lidocaine) lot."""

    def __init__(self, services: Any) -> None:
        s = self.s = services
        c = services.catalogue
        ha = c.create_product(ProductInput("Hyaluronic acid 1%", ("Hyaluronan",))).value
        lido = c.create_product(ProductInput("Lidocaine 2%", ("Lidocaine",))).value
        self.ha_lot = c.create_lot(LotInput(ha.id, "ÅB-12ç", date(2028, 1, 1))).value
        self.other_lot = c.create_lot(LotInput(ha.id, "HA-9", date(2028, 1, 1))).value
        self.lido_lot = c.create_lot(LotInput(lido.id, "åb-12Ç", date(2028, 1, 1))).value
        self.ana = s.patients.create(patient_input(first_name="Ana")).value
        self.ben = s.patients.create(patient_input(first_name="Ben")).value
        ana_course = self.course(self.ana.id)
        first = self.session(self.ana.id, ana_course, datetime(2026, 10, 1, 9), self.ha_lot.id)
        self.session(self.ana.id, ana_course, datetime(2026, 10, 8, 9), self.ha_lot.id)
        third = self.session(self.ana.id, ana_course, datetime(2026, 10, 15, 9), self.other_lot.id)
        self.swelling = self.effect(self.ana.id, first, date(2026, 10, 2), self.ha_lot.id)
        self.bruising = self.effect(
            self.ana.id, third, date(2026, 10, 16), self.other_lot.id, SideEffectKind.BRUISING
        )
        ben_course = self.course(self.ben.id)
        ben_session = self.session(
            self.ben.id, ben_course, datetime(2026, 10, 3, 9), self.lido_lot.id
        )
        self.pain = self.effect(
            self.ben.id, ben_session, date(2026, 10, 3), self.lido_lot.id, SideEffectKind.PAIN
        )

    def course(self, patient_id: int) -> int:
        data = CourseInput(Indication.WRINKLES, date(2026, 10, 1), (BodyArea.FACE,))
        return int(self.s.courses.create_course(patient_id, data).value.id)

    def session(self, patient_id: int, course_id: int, when: datetime, lot_id: int) -> int:
        data = SessionInput(course_id, when, (BodyArea.FACE,), 1.5, (BlendInput(lot_id, 2.0),))
        return int(self.s.sessions.log_session(patient_id, data).value.id)

    def effect(
        self,
        patient_id: int,
        session_id: int,
        onset: date,
        lot_id: int,
        kind: SideEffectKind = SideEffectKind.SWELLING,
    ) -> int:
        data = SideEffectInput(
            kind=kind,
            onset_on=onset,
            grade=1,
            body_area=BodyArea.FACE,
            session_id=session_id,
            lot_ids=(lot_id,),
            reported_via=ReportChannel.PHONE,
            reported_at=datetime.combine(onset, datetime.min.time()).replace(hour=18),
        )
        return int(self.s.side_effects.record_side_effect(patient_id, data).value.id)


@pytest.fixture
def clinic(services: Any) -> Clinic:
    return Clinic(services)


def test_the_folded_key_is_case_and_accent_blind_in_every_script() -> None:
    assert fold_lot_number("ÅB-12ç") == fold_lot_number("ab-12C") == "ab-12c"
    assert fold_lot_number("  ÅB-12Ç ") == "ab-12c"
    assert fold_lot_number("ЛОТ-Ё7") == fold_lot_number("лот-е7")
    assert fold_lot_number("ΑΒΓ-ά1") == fold_lot_number("αβγ-Α1")
    assert fold_lot_number("Straße-1") == fold_lot_number("STRASSE-1")
    assert fold_lot_number("Ø-ŁÆ") == "o-lae"


def test_a_number_of_several_products_asks_which(clinic: Clinic) -> None:
    with pytest.raises(LotInSeveralProducts) as asked:
        clinic.s.recall.recall("ab-12C")
    assert asked.value.products == ("Hyaluronic acid 1%", "Lidocaine 2%")
    assert asked.value.errors["product"] == (
        "Lot ab-12C exists for 2 products (Hyaluronic acid 1%, Lidocaine 2%): choose which."
    )
    for typed in ("ab-12C", "ÅB-12ç", "  åb-12ç ", "AB-12c"):
        recall = clinic.s.recall.recall(typed, "hyaluronic acid 1%")
        assert recall.product == "Hyaluronic acid 1%" and recall.lot_number == "ÅB-12ç"
        assert recall.also_in == ("Lidocaine 2%",)
    assert clinic.s.recall.recall("ab-12c", "LIDO").product == "Lidocaine 2%"
    with pytest.raises(ValidationError) as wrong:
        clinic.s.recall.recall("ab-12c", "Vitamin C")
    assert wrong.value.errors["product"] == (
        "Lot ab-12c is a lot of Hyaluronic acid 1%, Lidocaine 2%, not of Vitamin C."
    )
    with pytest.raises(NotFoundError):
        clinic.s.recall.recall("ab-12d")


def test_a_recall_lists_only_the_products_lot_and_says_what_suspects_it(clinic: Clinic) -> None:
    ha = clinic.s.recall.recall("ab-12c", "Hyaluronic")
    assert [(e.patient_id, e.started_at.day) for e in ha.entries] == [
        (clinic.ana.id, 1),
        (clinic.ana.id, 8),
    ]  # Ben had the lidocaine lot of that number: not listed
    listed = {x.id: (e.started_at.day, x.suspected) for e in ha.entries for x in e.side_effects}
    # the swelling suspects this lot; the bruising (after her last exposure) suspects another
    assert listed == {clinic.swelling: (1, True), clinic.bruising: (8, False)}
    assert [x.id for _e, x in ha.side_effects(suspected=True)] == [clinic.swelling]
    other = next(x for _e, x in ha.side_effects(suspected=False))
    assert other.suspected_lot == "HA-9"
    lido = clinic.s.recall.recall("ÅB-12Ç", "Lidocaine 2%")
    assert [e.patient_id for e in lido.entries] == [clinic.ben.id]
    assert [(x.id, x.suspected) for e in lido.entries for x in e.side_effects] == [
        (clinic.pain, True)
    ]


def test_a_suspected_side_effect_goes_with_its_own_session(clinic: Clinic) -> None:
    """Ana's second exposure (8 Oct) came before a side effect that names the first session's
    lot... it stays with the session it suspects, not the latest exposure before its onset."""
    s = clinic.s
    record = s.treatment.record(clinic.ana.id)
    first = record.sessions[0]
    late = clinic.effect(clinic.ana.id, first.id, date(2026, 10, 10), clinic.ha_lot.id)
    recall = s.recall.recall("ab-12c", "Hyaluronic acid 1%")
    by_day = {e.started_at.day: [x.id for x in e.side_effects] for e in recall.entries}
    assert late in by_day[1] and late not in by_day[8]


def test_a_suspecting_side_effect_dated_before_the_exposure_is_still_listed(
    clinic: Clinic, db_path: Path
) -> None:
    """An onset typed wrong (before the session it suspects), as the sqlite3 shell or an old
    import could leave it: listed with its session, not lost."""
    con = sqlite3.connect(db_path)
    con.execute("UPDATE side_effect SET onset_on = '2026-09-01' WHERE id = ?", (clinic.swelling,))
    con.commit()
    con.close()
    recall = clinic.s.recall.recall("ab-12c", "Hyaluronic acid 1%")
    first = next(e for e in recall.entries if e.started_at.day == 1)
    assert [(x.id, x.suspected, x.onset_on) for x in first.side_effects] == [
        (clinic.swelling, True, date(2026, 9, 1))
    ]


def test_the_catalogue_keeps_one_lot_per_folded_number_and_product(clinic: Clinic) -> None:
    ha = clinic.ha_lot.product_id
    with pytest.raises(ValidationError) as refused:
        clinic.s.catalogue.create_lot(LotInput(ha, "ab-12c", date(2028, 1, 1)))
    assert "already exists" in refused.value.errors["lot_number"]
    found = clinic.s.catalogue.lots(number_prefix="åB-1")
    assert sorted(lot.product for lot in found) == ["Hyaluronic acid 1%", "Lidocaine 2%"]
    # renaming a lot refolds it
    renamed = clinic.s.catalogue.update_lot(
        clinic.other_lot.id, LotInput(ha, "Ωμέγα-3", date(2028, 1, 1))
    ).value
    assert renamed.lot_number == "Ωμέγα-3"
    assert clinic.s.recall.recall("ΩΜΕΓΑ-3").lot_number == "Ωμέγα-3"


# -- against the raw tables of a demo clinic ------------------------------------------------------


def raw_recall(path: Path, number: str, product: str) -> dict[str, Any]:
    """A recall recomputed with plain SQL: the sessions that used a lot of that folded number
    in that product (in their blend or as their numbing product); the side effects naming one
    of those lots; and every other side effect the exposed patients reported from their first
    exposure on."""
    con = sqlite3.connect(path)
    try:
        lots = {
            lot_id
            for (lot_id,) in con.execute(
                "SELECT l.id FROM product_lot l JOIN product p ON p.id = l.product_id "
                "WHERE l.lot_folded = ? AND p.name = ?",
                (fold_lot_number(number), product),
            )
        }
        marks = ",".join("?" * len(lots))
        sessions = (
            con.execute(
                f"SELECT s.id, s.patient_id, substr(min(s.started_at), 1, 10) FROM blend_item b "
                f"JOIN treatment_session s ON s.id = b.session_id WHERE b.lot_id IN ({marks}) "
                "GROUP BY s.id",
                sorted(lots),
            ).fetchall()
            + con.execute(
                "SELECT id, patient_id, substr(started_at, 1, 10) FROM treatment_session "
                f"WHERE numbing_lot_id IN ({marks})",
                sorted(lots),
            ).fetchall()
        )
        first: dict[int, str] = {}
        for _sid, pid, day in sessions:
            first[pid] = min(first.get(pid, day), day)
        suspected = {
            fid
            for (fid,) in con.execute(
                f"SELECT DISTINCT side_effect_id FROM side_effect_lot WHERE lot_id IN ({marks})",
                sorted(lots),
            )
        }
        others = set()
        for fid, pid, onset in con.execute("SELECT id, patient_id, onset_on FROM side_effect"):
            if fid not in suspected and pid in first and onset >= first[pid]:
                others.add(fid)
        products = {
            name
            for (name,) in con.execute(
                "SELECT p.name FROM product_lot l JOIN product p ON p.id = l.product_id "
                "WHERE l.lot_folded = ?",
                (fold_lot_number(number),),
            )
        }
    finally:
        con.close()
    return {
        "sessions": {sid for sid, _pid, _day in sessions},
        "patients": set(first),
        "suspected": suspected,
        "others": others,
        "products": products,
    }


def shared_number(path: Path) -> tuple[str, list[str]]:
    con = sqlite3.connect(path)
    try:
        number, names = con.execute(
            "SELECT min(l.lot_number), group_concat(p.name, '|') FROM product_lot l "
            "JOIN product p ON p.id = l.product_id GROUP BY l.lot_folded "
            "HAVING count(DISTINCT l.product_id) > 1 ORDER BY l.lot_folded LIMIT 1"
        ).fetchone()
    finally:
        con.close()
    return number, sorted(names.split("|"))


def test_recalls_of_the_demo_match_a_recount_in_sql(demo1500: Path) -> None:
    from mesodesk.services.demo import BAD_LOT_NUMBER

    services = Services.open(demo1500, read_only=True)
    try:
        number, products = shared_number(demo1500)
        with pytest.raises(LotInSeveralProducts):
            services.recall.recall(number.lower())
        con = sqlite3.connect(demo1500)
        (cream,) = con.execute(
            "SELECT l.lot_number FROM treatment_session s JOIN product_lot l "
            "ON l.id = s.numbing_lot_id GROUP BY l.id ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()
        con.close()
        asked = [(BAD_LOT_NUMBER.lower(), None), (cream.lower(), None)]
        asked += [(number.lower(), p) for p in products]
        for typed, product in asked:
            recall = services.recall.recall(typed, product)
            raw = raw_recall(demo1500, typed, recall.product)
            assert {e.session_id for e in recall.entries} == raw["sessions"]
            assert {e.patient_id for e in recall.entries} == raw["patients"]
            assert {x.id for _e, x in recall.side_effects(suspected=True)} == raw["suspected"]
            assert {x.id for _e, x in recall.side_effects(suspected=False)} == raw["others"]
            assert {recall.product, *recall.also_in} == raw["products"]
            # every session once, every side effect once
            ids = [x.id for e in recall.entries for x in e.side_effects]
            assert len(ids) == len(set(ids))
        bad = services.recall.recall(BAD_LOT_NUMBER)
        assert len(bad.side_effects(suspected=True)) > 20
    finally:
        services.close()


@pytest.mark.parametrize("numbing", [False, True], ids=["blend lot", "numbing lot"])
def test_the_side_effects_of_each_exposure_in_the_demo(demo1500: Path, numbing: bool) -> None:
    """Per session: the side effects suspecting its lot, and the others whose onset falls from
    that session up to the patient's next session with the lot (the demo's bad lot, and a
    numbing cream's lot)."""
    from mesodesk.services.demo import BAD_LOT_NUMBER

    number = BAD_LOT_NUMBER
    if numbing:
        con = sqlite3.connect(demo1500)
        (number,) = con.execute(
            "SELECT l.lot_number FROM treatment_session s JOIN product_lot l "
            "ON l.id = s.numbing_lot_id WHERE s.started_at >= '2026-06-01' "
            "GROUP BY l.id ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()
        con.close()
    services = Services.open(demo1500, clock=clock_now(), read_only=True)
    try:
        recall = services.recall.recall(number)
        assert recall.entries and all(e.numbing is numbing for e in recall.entries)
        lot_ids = {lot_id for lot_id, _p, _e in recall.lots}
        expected: dict[int, set[int]] = defaultdict(set)
        for patient_id in sorted({e.patient_id for e in recall.entries}):
            record = services.treatment.record(patient_id)
            exposed = [s for s in record.sessions if lot_ids & set(s.used_lot_ids)]
            for i, session in enumerate(exposed):
                start = session.started_at.date()
                end = exposed[i + 1].started_at.date() if i + 1 < len(exposed) else None
                for e in record.side_effects:
                    if any(x.lot_id in lot_ids for x in e.lots):
                        if e.session_id == session.id:
                            expected[session.id].add(e.id)
                    elif e.onset_on >= start and (end is None or e.onset_on < end):
                        expected[session.id].add(e.id)
        got = {e.session_id: {x.id for x in e.side_effects} for e in recall.entries}
        assert {k: v for k, v in got.items() if v} == dict(expected)
    finally:
        services.close()


def clock_now() -> Any:
    from mesodesk.domain.clock import FixedClock

    return FixedClock(NOW)


def test_a_side_effect_naming_several_lots_is_one_row() -> None:
    """Ready for side effects that suspect several lots (a row per lot from the query piece):
    one row each, suspecting the recalled lot when it is among them."""
    from mesodesk.services.recall import _one_row_per_effect

    base = (7, 1, 3, "pain", 1, "2026-10-02", None, "resolved")
    rows = [(*base, "A-1", 11), (*base, "R-9", 99), (*base[:1], *base[1:], "B-2", 12)]
    assert _one_row_per_effect(rows, {99}) == [(*base, "R-9", 99)]
    assert _one_row_per_effect(rows, {50}) == [(*base, "A-1, R-9, B-2", 11)]
    single = [(*base, None, None)]
    assert _one_row_per_effect(single, {99}) is single
