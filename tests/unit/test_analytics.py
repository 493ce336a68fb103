"""The clinic dashboard's figures, checked against direct counts over the tables, and the running
totals that triggers keep, checked after every kind of change."""

from __future__ import annotations

import json
import random
import sqlite3
from collections import Counter, defaultdict
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from mesodesk.domain.catalogue import LotInput, PractitionerInput, ProductInput
from mesodesk.domain.clock import FixedClock
from mesodesk.domain.enums import BodyArea, Indication, ReportChannel, SideEffectKind
from mesodesk.domain.errors import ValidationError
from mesodesk.domain.treatment import BlendInput, CourseInput, SessionInput, SideEffectInput
from mesodesk.services.analytics import STATS_TABLES
from mesodesk.services.demo import BAD_LOT_NUMBER, generate_demo
from mesodesk.services.registry import Services
from mesodesk.store.db import create_db_engine, resolve_target
from mesodesk.store.migrate import alembic_config
from mesodesk.store.schema import HEAD_REVISION
from tests.conftest import NOW, patient_input

TODAY = NOW.date()
TRIGGERS = {
    "stats_session_insert",
    "stats_session_delete",
    "stats_session_update_before",
    "stats_session_update_after",
    "stats_course_update_before",
    "stats_course_update_after",
    "stats_blend_insert",
    "stats_blend_delete",
    "stats_blend_update_before",
    "stats_blend_update_after",
    "stats_effect_insert",
    "stats_effect_delete",
    "stats_effect_update_before",
    "stats_effect_update_after",
    "stats_suspect_insert",
    "stats_suspect_delete",
    "stats_suspect_update_before",
    "stats_suspect_update_after",
}
VIEWS = {"stats_session_rows", "stats_blend_rows", "stats_effect_rows", "stats_reaction_rows"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 400-patient demo clinic at the schema's head (its totals kept by the triggers)."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    services = Services.open(path, clock=FixedClock(NOW))
    generate_demo(services._db, 400, 1, today=TODAY)
    services.close()
    return path


@pytest.fixture
def demo_services(demo: Path) -> Any:
    services = Services.open(demo, clock=FixedClock(NOW))
    yield services
    services.close()


def direct(path: Path, start: date, end: date) -> dict[str, Any]:
    """The dashboard's numbers, counted row by row in Python from the plain tables."""
    con = sqlite3.connect(path)
    lo, hi = start.isoformat(), end.isoformat()
    sessions = {
        sid: (day, indication, json.loads(areas))
        for sid, day, indication, areas in con.execute(
            "SELECT s.id, substr(s.started_at, 1, 10), c.indication, s.areas "
            "FROM treatment_session s JOIN course c ON c.id = s.course_id"
        )
        if lo <= day <= hi
    }
    suspected: dict[int, list[int]] = defaultdict(list)
    for effect_id, lot in con.execute("SELECT side_effect_id, lot_id FROM side_effect_lot"):
        suspected[effect_id].append(lot)
    effects = [
        (kind, grade, area, suspected.get(effect_id, []), sid)
        for effect_id, kind, grade, area, sid in con.execute(
            "SELECT id, kind, grade, body_area, session_id FROM side_effect"
        )
        if sid in sessions
    ]
    exposures: Counter[int] = Counter()
    # the lots a session used: its blend's and its numbing product's
    for sid, lot in con.execute(
        "SELECT session_id, lot_id FROM blend_item UNION ALL "
        "SELECT id, numbing_lot_id FROM treatment_session WHERE numbing_lot_id IS NOT NULL"
    ):
        if sid in sessions:
            exposures[lot] += 1
    reacted: dict[int, set[int]] = defaultdict(set)
    for _, _, _, lots, sid in effects:
        for lot in lots:
            reacted[lot].add(sid)
    months: Counter[str] = Counter(day[:7] for day, _, _ in sessions.values())
    month_kind: Counter[tuple[str, str]] = Counter(
        (sessions[sid][0][:7], kind) for kind, _, _, _, sid in effects
    )
    by_indication = Counter(ind for _, ind, _ in sessions.values())
    effects_by_indication = Counter(sessions[sid][1] for *_, sid in effects)
    by_area = Counter(a for _, _, areas in sessions.values() for a in areas)
    effects_by_area = Counter(area for _, _, area, _, _ in effects if area)
    grades = Counter((kind, grade) for kind, grade, *_ in effects)
    reviews = Counter(
        (ind, g)
        for ind, g, day in con.execute(
            "SELECT c.indication, o.gais, o.assessed_on FROM outcome_assessment o "
            "JOIN course c ON c.id = o.course_id WHERE o.gais IS NOT NULL"
        )
        if lo <= day <= hi
    )
    unlinked = con.execute(
        "SELECT count(*) FROM side_effect WHERE session_id IS NULL "
        "AND onset_on >= ? AND onset_on <= ?",
        (lo, hi),
    ).fetchone()[0]
    con.close()
    return {
        "sessions": len(sessions),
        "effects": len(effects),
        "severe": sum(1 for e in effects if e[1] >= 3),
        "exposures": exposures,
        "reacted": {lot: len(s) for lot, s in reacted.items()},
        "months": months,
        "month_kind": month_kind,
        "indications": by_indication,
        "indication_effects": effects_by_indication,
        "areas": by_area,
        "area_effects": effects_by_area,
        "grades": grades,
        "reviews": reviews,
        "unlinked": unlinked,
    }


def check_against_direct(services: Any, path: Path, start: date, end: date) -> Any:
    dash = services.analytics.dashboard(start, end)
    want = direct(path, start, end)
    assert (dash.start, dash.end) == (start, end)
    assert dash.sessions == want["sessions"]
    assert dash.effects == want["effects"]
    assert dash.severe == want["severe"]
    assert dash.unlinked_effects == want["unlinked"]
    assert {lot.lot_id: lot.rate.total for lot in dash.lots} == dict(want["exposures"])
    assert {lot.lot_id: lot.rate.events for lot in dash.lots if lot.rate.events} == want["reacted"]
    assert dash.all_lots.total == sum(want["exposures"].values())
    assert {m.month.strftime("%Y-%m"): m.sessions for m in dash.months if m.sessions} == dict(
        want["months"]
    )
    assert {
        (m.month.strftime("%Y-%m"), k.value): n for m in dash.months for k, n in m.effects.items()
    } == dict(want["month_kind"])
    assert {g.value.value: g.sessions for g in dash.indications} == dict(want["indications"])
    assert {g.value.value: g.effects for g in dash.indications if g.effects} == dict(
        want["indication_effects"]
    )
    assert {g.value.value: g.sessions for g in dash.areas if g.sessions} == dict(want["areas"])
    assert {g.value.value: g.effects for g in dash.areas if g.effects} == dict(want["area_effects"])
    assert {
        (k.kind.value, grade + 1): n for k in dash.grades for grade, n in enumerate(k.counts) if n
    } == dict(want["grades"])
    assert {
        (g.indication.value, value + 1): n
        for g in dash.gais
        for value, n in enumerate(g.counts)
        if n
    } == dict(want["reviews"])
    return dash


def test_dashboard_matches_direct_counts(demo_services: Any, demo: Path) -> None:
    dash = check_against_direct(demo_services, demo, date(2022, 1, 1), TODAY)
    assert dash.sessions > 3000 and dash.effects > 800
    # a period inside the history: months cut at both ends, lots partly in it
    check_against_direct(demo_services, demo, date(2024, 3, 15), date(2025, 2, 10))


def test_the_lot_chart_puts_the_demos_bad_lot_first_beside_its_own_product(
    demo_services: Any,
) -> None:
    dash = demo_services.analytics.dashboard(None, TODAY)
    assert dash.lots[0].lot_number == BAD_LOT_NUMBER  # the highest rate, first in the chart
    bad = dash.lots[0]
    assert bad.product == "Phosphatidylcholine 5% / deoxycholate"
    assert bad.product_comparison and bad.rate.low > bad.comparison.high
    assert [lot.rate.low for lot in dash.lots] == sorted(
        (lot.rate.low for lot in dash.lots), reverse=True
    )


def test_a_lot_alone_of_its_product_in_the_period_is_set_beside_every_other_lot(
    demo_services: Any,
) -> None:
    dash = demo_services.analytics.dashboard(date(2025, 3, 1), date(2025, 3, 14))
    lone = [lot for lot in dash.lots if not lot.product_comparison]
    assert lone
    for lot in lone:
        assert [other.product for other in dash.lots].count(lot.product) == 1
        others = [other for other in dash.lots if other.lot_id != lot.lot_id]
        assert lot.comparison.total == sum(o.rate.total for o in others)
        assert lot.comparison.events == sum(o.rate.events for o in others)
    for lot in dash.lots:
        if lot.product_comparison:
            same = [o for o in dash.lots if o.product == lot.product and o.lot_id != lot.lot_id]
            assert lot.comparison.total == sum(o.rate.total for o in same)


def test_a_period_without_sessions_and_a_wrong_period(demo_services: Any) -> None:
    dash = demo_services.analytics.dashboard(date(2010, 1, 1), date(2010, 3, 1))
    assert dash.empty and dash.lots == () and len(dash.months) == 3
    assert all(m.sessions == 0 for m in dash.months)
    with pytest.raises(ValidationError):
        demo_services.analytics.dashboard(date(2025, 2, 1), date(2025, 1, 1))


def test_the_default_period_runs_from_the_first_session_to_today(demo_services: Any) -> None:
    dash = demo_services.analytics.dashboard()
    first = sqlite3.connect(demo_services._db.target.path).execute(
        "SELECT min(substr(started_at, 1, 10)) FROM treatment_session"
    )
    assert dash.start.isoformat() == first.fetchone()[0]
    assert dash.end == TODAY


def test_views_and_triggers_exist_at_head(demo_services: Any) -> None:
    with demo_services._db.read() as s:
        rows = s.connection().execute(text("SELECT type, name FROM sqlite_master")).all()
    names = {(kind, name) for kind, name in rows}
    assert {("trigger", t) for t in TRIGGERS} <= names
    assert {("view", v) for v in VIEWS} <= names
    assert {("table", t) for t in STATS_TABLES} <= names


def test_totals_follow_every_kind_of_change(tmp_path: Path) -> None:
    """Random writes of every kind, straight in SQL (the triggers see every writer), then the
    totals are compared with a recount from the tables."""
    path = tmp_path / "c.sqlite3"
    services = Services.open(path, clock=FixedClock(NOW))
    generate_demo(services._db, 60, 3, today=TODAY)
    rng = random.Random(5)
    kinds = [k.value for k in SideEffectKind]
    areas = [a.value for a in BodyArea]
    indications = [i.value for i in Indication if i is not Indication.OTHER]

    def one(con: Any, sql: str) -> Any:
        return con.exec_driver_sql(sql).scalar()

    operations = 0
    with services._db.write() as s:
        con = s.connection()
        for _ in range(200):
            op = rng.randrange(13)
            sid = one(con, "SELECT id FROM treatment_session ORDER BY random() LIMIT 1")
            fx = one(con, "SELECT id FROM side_effect ORDER BY random() LIMIT 1")
            lot = one(con, "SELECT id FROM product_lot ORDER BY random() LIMIT 1")
            if op == 0:  # a session moves to another day
                con.exec_driver_sql(
                    "UPDATE treatment_session SET started_at = "
                    f"datetime(started_at, '{rng.randint(-40, 40)} days') WHERE id = ?",
                    (sid,),
                )
            elif op == 1:  # its treated areas change
                chosen = json.dumps(rng.sample(areas, rng.randint(1, 2)))
                con.exec_driver_sql(
                    "UPDATE treatment_session SET areas = ? WHERE id = ?", (chosen, sid)
                )
            elif op == 2:  # a session is deleted (its blend goes, its side effects stay)
                con.exec_driver_sql("DELETE FROM blend_item WHERE session_id = ?", (sid,))
                con.exec_driver_sql(
                    "UPDATE outcome_assessment SET session_id = NULL WHERE session_id = ?", (sid,)
                )
                con.exec_driver_sql("DELETE FROM treatment_session WHERE id = ?", (sid,))
            elif op == 3:  # a blend line changes lot
                con.exec_driver_sql(
                    "UPDATE blend_item SET lot_id = ? WHERE id = "
                    "(SELECT id FROM blend_item WHERE session_id = ? LIMIT 1)",
                    (lot, sid),
                )
            elif op == 4:  # a blend line is added, or one goes
                if rng.random() < 0.5:
                    con.exec_driver_sql(
                        "INSERT INTO blend_item (session_id, lot_id, amount_ml, position) "
                        "VALUES (?, ?, 1.0, 9)",
                        (sid, lot),
                    )
                else:
                    con.exec_driver_sql(
                        "DELETE FROM blend_item WHERE id = "
                        "(SELECT id FROM blend_item WHERE session_id = ? LIMIT 1)",
                        (sid,),
                    )
            elif op == 5 and fx is not None:  # a side effect is edited
                con.exec_driver_sql(
                    "UPDATE side_effect SET kind = ?, grade = ?, body_area = ? WHERE id = ?",
                    (rng.choice(kinds), rng.randint(1, 3), rng.choice([None, *areas]), fx),
                )
            elif op == 6 and fx is not None:  # its suspected session and lots change
                con.exec_driver_sql(
                    "UPDATE side_effect SET session_id = ? WHERE id = ?",
                    (sid if rng.random() < 0.8 else None, fx),
                )
                con.exec_driver_sql("DELETE FROM side_effect_lot WHERE side_effect_id = ?", (fx,))
                if rng.random() < 0.7:
                    con.exec_driver_sql(
                        "INSERT INTO side_effect_lot (side_effect_id, lot_id) VALUES (?, ?)",
                        (fx, lot),
                    )
            elif op == 7 and fx is not None:
                con.exec_driver_sql("DELETE FROM side_effect WHERE id = ?", (fx,))
            elif op == 8 and sid is not None:  # a new side effect
                con.exec_driver_sql(
                    "INSERT INTO side_effect (patient_id, session_id, kind, kind_note, "
                    "onset_on, grade, serious, outcome, causality, body_area, body_area_note, "
                    "action_taken, action_note, reported_via, reported_at, notes, created_at, "
                    "updated_at) SELECT patient_id, id, ?, '', substr(started_at, 1, 10), ?, "
                    "0, 'ongoing', 'possible', ?, '', 'none', '', 'phone', started_at, '', "
                    "started_at, started_at FROM treatment_session WHERE id = ?",
                    (rng.choice(kinds), rng.randint(1, 3), rng.choice(areas), sid),
                )
                con.exec_driver_sql(
                    "INSERT INTO side_effect_lot (side_effect_id, lot_id) "
                    "VALUES (last_insert_rowid(), ?)",
                    (lot,),
                )
            elif op == 9:  # a course's indication is corrected
                con.exec_driver_sql(
                    "UPDATE course SET indication = ? WHERE id = "
                    "(SELECT course_id FROM treatment_session WHERE id = ?)",
                    (rng.choice(indications), sid),
                )
            elif op == 11 and fx is not None:  # one more lot suspected
                con.exec_driver_sql(
                    "INSERT OR IGNORE INTO side_effect_lot (side_effect_id, lot_id) VALUES (?, ?)",
                    (fx, lot),
                )
            elif op == 12 and fx is not None:  # a lot no longer suspected, or another instead
                if rng.random() < 0.5:
                    con.exec_driver_sql(
                        "DELETE FROM side_effect_lot WHERE rowid = (SELECT rowid FROM "
                        "side_effect_lot WHERE side_effect_id = ? LIMIT 1)",
                        (fx,),
                    )
                else:
                    con.exec_driver_sql(
                        "UPDATE OR IGNORE side_effect_lot SET lot_id = ? WHERE rowid = (SELECT "
                        "rowid FROM side_effect_lot WHERE side_effect_id = ? LIMIT 1)",
                        (lot, fx),
                    )
            elif op == 10:  # a session moves to another course
                con.exec_driver_sql(
                    "UPDATE treatment_session SET course_id = "
                    "(SELECT id FROM course ORDER BY random() LIMIT 1) WHERE id = ?",
                    (sid,),
                )
            operations += 1
    assert operations == 200
    assert services.analytics.drift() == dict.fromkeys(STATS_TABLES, 0)
    services.close()


def test_totals_follow_the_treatment_service(services: Any) -> None:
    """The service's own writes (through the ORM and its audit hooks)."""
    c = services.catalogue
    doctor = c.create_practitioner(PractitionerInput("Dr. Amelia Hart")).value
    ha = c.create_product(ProductInput("Hyaluronic acid 1.5%", ("Sodium hyaluronate",))).value
    lot_a = c.create_lot(LotInput(ha.id, "HA-2601-A", date(2028, 1, 1))).value
    lot_b = c.create_lot(LotInput(ha.id, "HA-2607-B", date(2028, 6, 1))).value
    patient = services.patients.create(patient_input()).value
    course = services.courses.create_course(
        patient.id,
        CourseInput(
            Indication.WRINKLES, date(2026, 9, 1), (BodyArea.FOREHEAD,), planned_sessions=6
        ),
    ).value

    def session(day: int, lot: int) -> Any:
        return services.sessions.log_session(
            patient.id,
            SessionInput(
                course.id,
                datetime(2026, 9, day, 10),
                (BodyArea.FOREHEAD, BodyArea.CHEEKS),
                1.5,
                (BlendInput(lot, 2.0),),
                practitioner_id=doctor.id,
            ),
        ).value

    first, second = session(2, lot_a.id), session(9, lot_b.id)
    effect = services.side_effects.record_side_effect(
        patient.id,
        SideEffectInput(
            SideEffectKind.SWELLING,
            date(2026, 9, 9),
            2,
            body_area=BodyArea.CHEEKS,
            session_id=second.id,
            lot_ids=(lot_b.id,),
            reported_at=datetime(2026, 9, 10, 9),
            reported_via=ReportChannel.PHONE,
        ),
    ).value
    dash = services.analytics.dashboard(date(2026, 9, 1), date(2026, 9, 30))
    assert (dash.sessions, dash.effects) == (2, 1)
    assert {lot.lot_number: (lot.rate.events, lot.rate.total) for lot in dash.lots} == {
        "HA-2601-A": (0, 1),
        "HA-2607-B": (1, 1),
    }
    assert {g.value: g.sessions for g in dash.areas} == {BodyArea.FOREHEAD: 2, BodyArea.CHEEKS: 2}
    # the second session moves and takes lot A; its side effect no longer suspects lot B
    services.sessions.update_session(
        second.id,
        SessionInput(
            course.id,
            datetime(2026, 9, 12, 10),
            (BodyArea.FOREHEAD,),
            1.5,
            (BlendInput(lot_a.id, 2.0),),
            practitioner_id=doctor.id,
        ),
    )
    services.courses.update_course(
        course.id,
        CourseInput(
            Indication.ACNE_SCARS, date(2026, 9, 1), (BodyArea.FOREHEAD,), planned_sessions=6
        ),
    )
    assert services.analytics.drift() == dict.fromkeys(STATS_TABLES, 0)
    dash = services.analytics.dashboard(date(2026, 9, 1), date(2026, 9, 30))
    assert {lot.lot_number: (lot.rate.events, lot.rate.total) for lot in dash.lots} == {
        "HA-2601-A": (0, 2)
    }
    assert [(g.value, g.sessions, g.effects) for g in dash.indications] == [
        (Indication.ACNE_SCARS, 2, 1)
    ]
    services.side_effects.delete_side_effect(effect.id)
    services.sessions.delete_session(first.id)
    assert services.analytics.drift() == dict.fromkeys(STATS_TABLES, 0)
    dash = services.analytics.dashboard(date(2026, 9, 1), date(2026, 9, 30))
    assert (dash.sessions, dash.effects) == (1, 0)


def old_clinic(tmp_path: Path, revision: str, patients: int = 80, seed: int = 2) -> Path:
    """A clinic's database at an older schema ``revision``: a demo clinic made at the head, its
    records copied into a database migrated no further (a side effect's suspected lots become
    the one ``lot_id`` of the schemas before 0004)."""
    from alembic import command

    source = tmp_path / f"source-{revision}.sqlite3"
    made = Services.open(source, clock=FixedClock(NOW))
    generate_demo(made._db, patients, seed, today=TODAY)
    made.close()
    path = tmp_path / f"old-{revision}.sqlite3"
    target = resolve_target(path)
    engine = create_db_engine(target, pool=False)
    cfg = alembic_config()
    with engine.connect() as conn:
        conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        cfg.attributes["connection"] = conn.execution_options(mesodesk_write=True)
        command.upgrade(cfg, revision)
        conn.commit()
    engine.dispose()
    con = sqlite3.connect(path)
    con.execute("ATTACH DATABASE ? AS src", (str(source),))
    tables = [
        name
        for (name,) in con.execute(
            "SELECT name FROM main.sqlite_master WHERE type = 'table' ORDER BY rowid"
        )
        if not name.startswith(("alembic", "audit", "stats", "sqlite"))
    ]
    for table in tables:
        columns = [row[1] for row in con.execute(f'PRAGMA main.table_info("{table}")')]
        picked = [
            "(SELECT min(lot_id) FROM src.side_effect_lot WHERE side_effect_id = id)"
            if (table, column) == ("side_effect", "lot_id")
            else column
            for column in columns
        ]
        con.execute(
            f'INSERT INTO main."{table}" ({", ".join(columns)}) '
            f'SELECT {", ".join(picked)} FROM src."{table}"'
        )
    con.commit()
    con.close()
    return path


def test_the_migration_counts_what_was_there(tmp_path: Path) -> None:
    """A clinic's database made before the running totals existed gets them counted."""
    path = old_clinic(tmp_path, "0002")
    services = Services.open(path, clock=FixedClock(NOW))
    assert services.analytics.drift() == dict.fromkeys(STATS_TABLES, 0)
    assert services.analytics.dashboard().sessions > 0
    # and rebuild() puts them right when they drift
    with services._db.write() as s:
        s.connection().exec_driver_sql("DELETE FROM stats_effect_day WHERE grade = 1")
        s.connection().exec_driver_sql("UPDATE stats_session_day SET sessions = sessions + 1")
    assert services.analytics.drift()["stats_session_day"] > 0
    services.analytics.rebuild()
    assert services.analytics.drift() == dict.fromkeys(STATS_TABLES, 0)
    services.close()


def test_the_safety_migration_keeps_every_suspected_lot(tmp_path: Path) -> None:
    """A database at 0003 (one lot per side effect, totals kept by the old triggers) migrates
    to the link table with nothing lost, and the stored totals equal a recount through the new
    views, without being counted again."""
    path = old_clinic(tmp_path, "0003", patients=120, seed=4)
    con = sqlite3.connect(path)
    before = con.execute(
        "SELECT id, lot_id FROM side_effect WHERE lot_id IS NOT NULL ORDER BY id"
    ).fetchall()
    totals = {name: sorted(con.execute(f"SELECT * FROM {name}")) for name in STATS_TABLES}
    rows = {
        t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ("patient", "side_effect", "treatment_session")
    }
    con.close()
    assert len(before) > 100
    services = Services.open(path, clock=FixedClock(NOW))
    assert services.analytics.drift() == dict.fromkeys(STATS_TABLES, 0)
    services.close()
    con = sqlite3.connect(path)
    assert con.execute("SELECT version_num FROM alembic_version").fetchone()[0] == HEAD_REVISION
    after = con.execute(
        "SELECT side_effect_id, lot_id FROM side_effect_lot ORDER BY side_effect_id"
    ).fetchall()
    assert after == before
    assert totals == {name: sorted(con.execute(f"SELECT * FROM {name}")) for name in STATS_TABLES}
    for table, n in rows.items():
        assert con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == n
    assert con.execute("SELECT count(*) FROM side_effect WHERE suspects_blend").fetchone() == (0,)
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    con.close()


@pytest.mark.parametrize("chunk", [2000, 60])
def test_demo_counts_the_totals_as_a_recount_would(
    services: Any, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    """The demo writes the totals it counted (with worker processes when chunks are small)."""
    import mesodesk.services.demo as demo

    monkeypatch.setattr(demo, "CHUNK", chunk)
    generate_demo(services._db, 250, 5, today=TODAY)
    assert services.analytics.drift() == dict.fromkeys(STATS_TABLES, 0)


def test_lot_recall_matches_every_record(demo_services: Any) -> None:
    """The recall over a demo clinic, checked against each exposed patient's whole record: every
    session that received the lot; with each, the side effects that suspect the lot in that
    session (whenever they began: a delayed nodule may begin after the next exposure), and the
    other side effects whose onset falls from that session up to the next session with the lot."""
    recall = demo_services.recall.recall(BAD_LOT_NUMBER.lower())
    assert recall.patients >= 5 and len(recall.entries) > recall.patients
    expected = []
    for patient_id in sorted({e.patient_id for e in recall.entries}):
        record = demo_services.treatment.record(patient_id)
        exposed = [
            s for s in record.sessions if any(b.lot_number == BAD_LOT_NUMBER for b in s.blend)
        ]
        ids = {s.id for s in exposed}

        def suspecting(e: Any, ids: set[int] = ids) -> bool:
            return e.session_id in ids and any(x.lot_number == BAD_LOT_NUMBER for x in e.lots)

        for i, session in enumerate(exposed):
            start = session.started_at.date()
            end = exposed[i + 1].started_at.date() if i + 1 < len(exposed) else None
            effects = [
                e.id
                for e in record.side_effects
                if (suspecting(e) and e.session_id == session.id)
                or (not suspecting(e) and e.onset_on >= start and (end is None or e.onset_on < end))
            ]
            expected.append((patient_id, session.id, sorted(effects)))
    got = [
        (e.patient_id, e.session_id, sorted(x.id for x in e.side_effects)) for e in recall.entries
    ]
    assert sorted(got) == sorted(expected)
    assert any(effects for _, _, effects in got)
    # the lot as the catalogue spells it, whatever the case it was asked for in
    assert all(e.lot_number == BAD_LOT_NUMBER for e in recall.entries)


def test_demo_surnames_take_the_bearers_form(demo: Path) -> None:
    """Иванова is a woman's surname and Иванов a man's; likewise Kowalska and Kowalski."""
    con = sqlite3.connect(demo)
    people = con.execute("SELECT last_name, sex FROM patient").fetchall()
    con.close()
    men = [last for last, sex in people if sex == "male"]
    women = [last for last, sex in people if sex == "female"]
    assert men and women
    assert not [n for n in men if n.endswith(("ова", "ева", "ина", "ska", "cka", "ούλου"))]
    assert not [n for n in women if n.endswith(("ов", "ев", "ин", "ski", "cki", "ουλος"))]
    assert any(n.endswith(("ska", "cka")) for n in women)


def test_the_demo_clinic_breaks_no_safety_rule(demo: Path) -> None:
    """Every demo session and side effect passes the rules a clinician's own entries meet
    (domain.safety): depths within each area's limit, relative contraindications confirmed,
    no session on an open side effect, coherent grades and NRS."""
    from mesodesk.services.safety_check import safety_warnings

    found = safety_warnings(demo)
    assert [(w.record_no, w.finding.rule) for w in found][:10] == []
