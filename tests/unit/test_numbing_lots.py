"""A numbing cream's lot is a lot the session used, like each lot of its blend (one rule,
mesodesk.store.session_lots): a side effect may suspect it ("every lot of the session" takes it
too), a recall finds its sessions, the dashboard rates it and the signals watch it. Checked on
small clinics and against the raw tables of a demo clinic with plain SQL."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from mesodesk.domain.catalogue import LotInput, ProductInput
from mesodesk.domain.enums import NumbingAgent, SideEffectKind
from mesodesk.domain.errors import ConflictError
from mesodesk.services.registry import Services
from mesodesk.store.session_lots import session_lots, session_lots_sql
from tests.conftest import NOW
from tests.unit.test_safety_service import Clinic, block


class Numbed(Clinic):
    """The safety clinic (a blend of hyaluronic acid and vitamin C) with a numbing cream of two
    lots."""

    def __init__(self, services: Any, **patient: Any) -> None:
        super().__init__(services, **patient)
        if not hasattr(services, "_cream"):
            c = services.catalogue
            cream = c.create_product(
                ProductInput("Lidocaine cream 4%", ("Lidocaine",), numbing=True)
            ).value
            services._cream = (
                c.create_lot(LotInput(cream.id, "NC-2610-A", date(2027, 6, 30))).value.id,
                c.create_lot(LotInput(cream.id, "NC-2611-B", date(2027, 6, 30))).value.id,
            )
        self.cream, self.cream2 = services._cream

    def numbed(self, when: datetime, lot: int | None = None, **kw: Any) -> Any:
        return self.session(
            when,
            numbing_agent=NumbingAgent.TOPICAL_ANAESTHETIC,
            numbing_lot_id=lot or self.cream,
            **kw,
        )

    def numbed_data(self, when: datetime, lot: int | None) -> Any:
        if lot is None:
            return self.data(when, numbing_agent=NumbingAgent.COLD)
        return self.data(when, numbing_agent=NumbingAgent.TOPICAL_ANAESTHETIC, numbing_lot_id=lot)


@pytest.fixture
def clinic(services: Any) -> Numbed:
    return Numbed(services)


def in_step(clinic: Clinic) -> None:
    """The dashboard's running totals equal a recount from the tables."""
    assert set(clinic.s.analytics.drift().values()) == {0}


def test_a_side_effect_may_suspect_the_numbing_lot_and_every_lot_includes_it(
    clinic: Numbed,
) -> None:
    session = clinic.numbed(datetime(2026, 10, 1, 10))
    assert session.used_lot_ids == (clinic.ha, clinic.vit, clinic.cream)
    one = clinic.s.side_effects.record_side_effect(
        clinic.patient.id, clinic.effect_data(session_id=session.id, lot_ids=(clinic.cream,))
    ).value
    assert one.lot_ids == (clinic.cream,)
    assert one.lots_text == "NC-2610-A (Lidocaine cream 4%)"
    whole = clinic.s.side_effects.record_side_effect(
        clinic.patient.id, clinic.effect_data(session_id=session.id, suspects_blend=True)
    ).value
    assert set(whole.lot_ids) == {clinic.ha, clinic.vit, clinic.cream}
    in_step(clinic)
    # a lot of the cream that this session did not use is refused, nothing stored
    block(
        clinic,
        lambda: clinic.s.side_effects.record_side_effect(
            clinic.patient.id, clinic.effect_data(session_id=session.id, lot_ids=(clinic.cream2,))
        ),
        "lot_ids",
        "not one that session used (its blend or its numbing product)",
    )
    # the session changes its cream's lot: the old lot is no longer suspected; "every lot"
    # follows the new one
    clinic.s.sessions.update_session(
        session.id, clinic.numbed_data(datetime(2026, 10, 1, 10), clinic.cream2)
    )
    assert clinic.s.side_effects.side_effect(one.id).lot_ids == ()
    assert set(clinic.s.side_effects.side_effect(whole.id).lot_ids) == {
        clinic.ha,
        clinic.vit,
        clinic.cream2,
    }
    in_step(clinic)
    # ice instead of the cream: the session used its blend only
    clinic.s.sessions.update_session(
        session.id, clinic.numbed_data(datetime(2026, 10, 1, 10), None)
    )
    assert set(clinic.s.side_effects.side_effect(whole.id).lot_ids) == {clinic.ha, clinic.vit}
    in_step(clinic)


def test_a_numbing_lot_is_recalled_like_a_blend_lot(clinic: Numbed, db_path: Path) -> None:
    first = clinic.numbed(datetime(2026, 10, 1, 10))
    second = clinic.numbed(datetime(2026, 10, 8, 10))
    clinic.session(datetime(2026, 10, 15, 10))  # no cream
    swelling = clinic.s.side_effects.record_side_effect(
        clinic.patient.id, clinic.effect_data(session_id=first.id, lot_ids=(clinic.cream,))
    ).value
    bruising = clinic.s.side_effects.record_side_effect(
        clinic.patient.id,
        clinic.effect_data(
            kind=SideEffectKind.BRUISING,
            onset_on=date(2026, 10, 9),
            reported_at=datetime(2026, 10, 9, 18),
            session_id=second.id,
            lot_ids=(clinic.ha,),
        ),
    ).value
    ben = Numbed(clinic.s, first_name="Ben")
    other = ben.numbed(datetime(2026, 10, 2, 10), clinic.cream2)  # the other lot of the cream
    assert other.numbing is not None

    recall = clinic.s.recall.recall("nc-2610-a")
    assert recall.product == "Lidocaine cream 4%"
    assert [(e.session_id, e.numbing, e.amount_ml) for e in recall.entries] == [
        (first.id, True, None),
        (second.id, True, None),
    ]
    assert [(x.id, x.suspected) for _e, x in recall.side_effects(suspected=True)] == [
        (swelling.id, True)
    ]
    (other_effect,) = [x for _e, x in recall.side_effects(suspected=False)]
    assert (other_effect.id, other_effect.suspected_lot) == (bruising.id, "HA-2601-A")
    # the same sessions, recomputed with plain SQL from the tables
    con = sqlite3.connect(db_path)
    try:
        raw = {
            sid
            for (sid,) in con.execute(
                "SELECT s.id FROM treatment_session s JOIN product_lot l "
                "ON l.id = s.numbing_lot_id WHERE l.lot_folded = 'nc-2610-a'"
            )
        }
    finally:
        con.close()
    assert {e.session_id for e in recall.entries} == raw
    # the blend's lot still lists every session that had it, cream or not
    assert len(clinic.s.recall.recall("HA-2601-A").entries) == 4


def test_the_command_line_recall_says_the_lot_was_the_numbing_product(
    clinic: Numbed, db_path: Path, capsys: Any
) -> None:
    from mesodesk.cli import main

    clinic.numbed(datetime(2026, 10, 1, 10))
    assert main(["--db", str(db_path), "recall", "NC-2610-A", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [(s["used_as"], s["amount"]) for s in out["sessions"]] == [("numbing", None)]
    assert main(["--db", str(db_path), "recall", "NC-2610-A", "--csv"]) == 0
    header, first = list(csv.reader(io.StringIO(capsys.readouterr().out)))[:2]
    row = dict(zip(header, first, strict=True))
    assert (row["amount_ml"], row["used_as"]) == ("", "numbing")
    assert main(["--db", str(db_path), "recall", "NC-2610-A"]) == 0
    assert "numbing" in capsys.readouterr().out


def test_the_dashboard_rates_a_numbing_lot_and_its_totals_follow_every_change(
    clinic: Numbed,
) -> None:
    analytics = clinic.s.analytics
    session = clinic.numbed(datetime(2026, 10, 1, 10))
    clinic.numbed(datetime(2026, 10, 8, 10))
    clinic.s.side_effects.record_side_effect(
        clinic.patient.id, clinic.effect_data(session_id=session.id, lot_ids=(clinic.cream,))
    )

    def rates() -> dict[str, tuple[int, int]]:
        dash = analytics.dashboard(date(2026, 10, 1), date(2026, 10, 31))
        return {lot.lot_number: (lot.rate.events, lot.rate.total) for lot in dash.lots}

    assert rates()["NC-2610-A"] == (1, 2)  # 1 session with a reaction of the 2 that used it
    in_step(clinic)
    # another day, then another lot of the cream: the totals move with the session
    closer = ["session.interval"]  # 6 days before the next one
    clinic.s.sessions.update_session(
        session.id, clinic.numbed_data(datetime(2026, 10, 2, 10), clinic.cream), confirmed=closer
    )
    in_step(clinic)
    clinic.s.sessions.update_session(
        session.id, clinic.numbed_data(datetime(2026, 10, 2, 10), clinic.cream2), confirmed=closer
    )
    assert rates()["NC-2610-A"] == (0, 1) and rates()["NC-2611-B"] == (0, 1)
    in_step(clinic)
    clinic.s.sessions.delete_session(session.id)
    assert "NC-2611-B" not in rates()
    in_step(clinic)


def test_the_catalogue_counts_and_keeps_a_used_numbing_lot(clinic: Numbed) -> None:
    clinic.numbed(datetime(2026, 10, 1, 10))
    clinic.numbed(datetime(2026, 10, 8, 10))
    assert clinic.s.catalogue.lot(clinic.cream).uses == 2
    assert clinic.s.catalogue.lot(clinic.cream2).uses == 0
    with pytest.raises(ConflictError, match="used in 2 session"):
        clinic.s.catalogue.delete_lot(clinic.cream)


# -- against the raw tables of a demo clinic ------------------------------------------------------


def own_pairs(path: Path) -> Counter[tuple[int, int]]:
    """(session, lot) for every lot each session used, counted here from the tables."""
    con = sqlite3.connect(path)
    try:
        pairs: Counter[tuple[int, int]] = Counter(
            con.execute("SELECT session_id, lot_id FROM blend_item").fetchall()
        )
        pairs.update(
            con.execute(
                "SELECT id, numbing_lot_id FROM treatment_session WHERE numbing_lot_id NOT NULL"
            ).fetchall()
        )
        return pairs
    finally:
        con.close()


def test_the_rule_is_one_in_sqlalchemy_in_sql_text_and_in_the_dashboard_view(
    demo1500: Path,
) -> None:
    want = own_pairs(demo1500)
    con = sqlite3.connect(demo1500)
    try:
        numbing = con.execute(
            "SELECT count(*) FROM treatment_session WHERE numbing_lot_id IS NOT NULL"
        ).fetchone()[0]
        text = Counter(con.execute(session_lots_sql("s.id, {lot}")).fetchall())
        view = Counter(
            (sid, int(code))
            for sid, code in con.execute("SELECT session_id, code FROM stats_blend_rows")
        )
    finally:
        con.close()
    assert numbing > 1000  # the demo numbs many of its sessions with a cream's lot
    services = Services.open(demo1500, read_only=True)
    try:
        with services._db.read() as s:
            used = session_lots().subquery()
            built = Counter(
                tuple(r) for r in s.execute(select(used.c.session_id, used.c.lot_id)).all()
            )
    finally:
        services.close()
    assert built == text == view == want


def busiest_numbing_lot(path: Path) -> tuple[str, int]:
    con = sqlite3.connect(path)
    try:
        number, lot_id = con.execute(
            "SELECT l.lot_number, l.id FROM treatment_session s "
            "JOIN product_lot l ON l.id = s.numbing_lot_id "
            "GROUP BY l.id ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()
    finally:
        con.close()
    return number, lot_id


def test_a_cluster_of_infections_after_one_cream_lot_raises_its_signal(
    demo1500: Path, tmp_path: Path
) -> None:
    """Four patients numbed with one cream lot in the same weeks get a serious infection three
    weeks later (the outbreak pattern, DOMAIN.md): the signals name that lot, kind infection."""
    path = tmp_path / "outbreak.sqlite3"
    shutil.copyfile(demo1500, path)
    number, lot_id = busiest_numbing_lot(path)
    con = sqlite3.connect(path)
    try:
        last = con.execute(
            "SELECT max(substr(started_at, 1, 10)) FROM treatment_session "
            "WHERE numbing_lot_id = ? AND started_at < ?",
            (lot_id, (NOW - timedelta(days=40)).isoformat()),
        ).fetchone()[0]
        chosen: dict[int, tuple[int, str]] = {}
        for sid, pid, started in con.execute(
            "SELECT id, patient_id, started_at FROM treatment_session "
            "WHERE numbing_lot_id = ? AND started_at <= ? ORDER BY started_at DESC",
            (lot_id, last + "T23:59"),
        ):
            chosen.setdefault(pid, (sid, started[:10]))
            if len(chosen) == 4:
                break
        assert len(chosen) == 4
        for pid, (sid, day) in chosen.items():
            onset = (date.fromisoformat(day) + timedelta(days=21)).isoformat()
            con.execute(
                "INSERT INTO side_effect (patient_id, session_id, suspects_blend, kind, kind_note, "
                "onset_on, grade, serious, outcome, causality, body_area, body_area_note, "
                "action_taken, action_note, reported_via, reported_at, notes, safety_confirmed, "
                "created_at, updated_at) VALUES (?, ?, 0, 'infection', '', ?, 3, 1, 'ongoing', "
                "'possible', 'face', '', 'antibiotic', '', 'phone', ?, '', '[]', ?, ?)",
                (pid, sid, onset, onset + " 10:00:00", onset, onset),
            )
        con.commit()
    finally:
        con.close()
    services = Services.open(path, clock=_clock())
    try:
        report = services.signals.signals()
    finally:
        services.close()
    flagged = {(s.lot.lot_number, s.kind) for s in report.signals}
    assert (number, SideEffectKind.INFECTION) in flagged, flagged


def _clock() -> Any:
    from mesodesk.domain.clock import FixedClock

    return FixedClock(NOW)
