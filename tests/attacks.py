"""The changes issue 12 made to a clinic's database file with nothing but the sqlite3 shell,
as a hostile or a careless insider would: every one reaches the file, none uses the clinic key.
Shared by the tests (tests/unit/test_integrity.py: each is detected, and named) and the
benchmark's detection rate (tests/bench/bench_safety.py).

Each attack drops the guard triggers first when it needs to and puts them back afterwards, so
that nothing looks amiss to someone who checks the triggers by name.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

GENESIS = "0" * 64


@dataclass(frozen=True)
class Attack:
    name: str
    run: Callable[[sqlite3.Connection], None]
    words: str  # what `mesodesk check` must say (in its output)


def _sql(*statements: str) -> Callable[[sqlite3.Connection], None]:
    def run(con: sqlite3.Connection) -> None:
        for statement in statements:
            con.execute(statement)

    return run


def unkeyed_seal(row: sqlite3.Row | tuple, prev: str) -> str:
    """mesodesk 0.1's unkeyed SHA-256 over an entry, as anyone can compute it."""
    (seq, at, actor, actor_id, action, entity, entity_id, patient_id, old, new, detail) = row[:11]
    body = {
        "seq": seq,
        "at": at,
        "actor": actor,
        "actor_id": actor_id,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "patient_id": patient_id,
        "before": old,
        "after": new,
        "detail": detail,
        "prev": prev,
    }
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


_COLUMNS = (
    "seq, at, actor, actor_id, action, entity, entity_id, patient_id, old_values, new_values, "
    "detail, prev_hash, hash"
)


def _reseal(con: sqlite3.Connection, *, from_seq: int = 1) -> None:
    """Rewrite the chain's seals from ``from_seq`` with the unkeyed hash, head included."""
    rows = con.execute(f"SELECT {_COLUMNS} FROM audit_entry ORDER BY seq").fetchall()
    prev = GENESIS
    for row in rows:
        if row[0] >= from_seq:
            seal = unkeyed_seal(row, prev)
            con.execute(
                "UPDATE audit_entry SET prev_hash = ?, hash = ? WHERE seq = ?", (prev, seal, row[0])
            )
            prev = seal
        else:
            prev = row[12]
    con.execute("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", (rows[-1][0], prev))


def rewrite_history(con: sqlite3.Connection) -> None:
    con.execute(
        "UPDATE audit_entry SET actor = 'Dr. Nobody' WHERE seq = "
        "(SELECT max(seq) FROM audit_entry WHERE action = 'create')"
    )
    _reseal(con)


def forged_append(con: sqlite3.Connection) -> None:
    last = con.execute(f"SELECT {_COLUMNS} FROM audit_entry ORDER BY seq DESC LIMIT 1").fetchone()
    seq = last[0] + 1
    row = (seq, last[1], "Dr. Nobody", None, "delete", "patient", 1, 1, "{}", None, "")
    seal = unkeyed_seal(row, last[12])
    con.execute(
        f"INSERT INTO audit_entry ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (*row, last[12], seal),
    )
    con.execute("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", (seq, seal))


def wipe_and_reseal(con: sqlite3.Connection) -> None:
    """Wipe the trail and start a new, plausible one with the unkeyed hash."""
    con.execute("DELETE FROM audit_entry")
    con.execute("DELETE FROM audit_row_seal")
    con.execute("UPDATE audit_head SET seq = 0, hash = ? WHERE id = 1", (GENESIS,))


ATTACKS: tuple[Attack, ...] = (
    Attack(
        "wipe the trail, head back to genesis",
        _sql(
            "DELETE FROM audit_entry",
            f"UPDATE audit_head SET seq = 0, hash = '{GENESIS}'",
        ),
        "wiped",
    ),
    Attack("wipe the trail and its row seals", wipe_and_reseal, "wiped"),
    Attack(
        "delete the newest 3 entries and set the head back",
        _sql(
            "DELETE FROM audit_entry WHERE seq > (SELECT max(seq) - 3 FROM audit_entry)",
            "UPDATE audit_head SET seq = (SELECT max(seq) FROM audit_entry), "
            "hash = (SELECT hash FROM audit_entry ORDER BY seq DESC LIMIT 1)",
        ),
        "cut short",
    ),
    Attack(
        "set the head back to genesis, entries left",
        _sql(f"UPDATE audit_head SET seq = 0, hash = '{GENESIS}'"),
        "head",
    ),
    Attack(
        "set the head back to entry 5, entries left",
        _sql("UPDATE audit_head SET seq = 5, hash = (SELECT hash FROM audit_entry WHERE seq = 5)"),
        "head",
    ),
    Attack(
        "delete an entry in the middle",
        _sql("DELETE FROM audit_entry WHERE seq = 3"),
        "entry 3 is missing",
    ),
    Attack(
        "change an entry",
        _sql("UPDATE audit_entry SET actor = 'Dr. Nobody' WHERE seq = 4"),
        "entry 4",
    ),
    Attack("rewrite history and re-seal it with the unkeyed hash", rewrite_history, "seal"),
    Attack("append a forged entry sealed with the unkeyed hash", forged_append, "seal"),
    Attack(
        "guard triggers replaced by same-name WHEN 0 triggers",
        _sql(
            "DROP TRIGGER IF EXISTS audit_entry_no_delete",
            "CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_entry WHEN 0 "
            "BEGIN SELECT RAISE(ABORT, 'audit entries cannot be deleted'); END",
        ),
        "audit_entry_no_delete",
    ),
    Attack(
        "plant a trigger that deletes side effects",
        _sql(
            "CREATE TRIGGER patient_after_insert AFTER INSERT ON patient "
            "BEGIN DELETE FROM side_effect; END"
        ),
        "patient_after_insert",
    ),
    Attack(
        "change a patient's name",
        _sql("UPDATE patient SET last_name = 'Someone' WHERE id = 2"),
        "patient 2",
    ),
    Attack(
        "remove a patient's allergies",
        _sql(
            "UPDATE patient SET allergies = '[]' WHERE id = "
            "(SELECT min(id) FROM patient WHERE allergies <> '[]')"
        ),
        "patient",
    ),
    Attack(
        "delete a side effect",
        _sql("DELETE FROM side_effect WHERE id = (SELECT min(id) FROM side_effect)"),
        "side_effect",
    ),
    Attack(
        "change a side effect's grade",
        _sql(
            "UPDATE side_effect SET grade = CASE grade WHEN 1 THEN 2 ELSE 1 END "
            "WHERE id = (SELECT max(id) FROM side_effect)"
        ),
        "side_effect",
    ),
    Attack(
        "change a blend item's lot",
        _sql(
            "UPDATE blend_item SET lot_id = (SELECT min(id) FROM product_lot) "
            "WHERE id = (SELECT max(id) FROM blend_item)"
        ),
        "blend_item",
    ),
    Attack(
        "unlink a side effect's suspected lot (saved through the app)",
        _sql("DELETE FROM side_effect_lot WHERE rowid = (SELECT max(rowid) FROM side_effect_lot)"),
        "side_effect_lot",
    ),
    Attack(
        "unlink a side effect's suspected lot (loaded in bulk)",
        _sql("DELETE FROM side_effect_lot WHERE rowid = (SELECT min(rowid) FROM side_effect_lot)"),
        "side_effect_lot",
    ),
    Attack(
        "make a side effect suspect another lot",
        _sql(
            "INSERT INTO side_effect_lot (side_effect_id, lot_id) SELECT fx.id, lot.id "
            "FROM side_effect fx, product_lot lot WHERE NOT EXISTS (SELECT 1 FROM "
            "side_effect_lot sl WHERE sl.side_effect_id = fx.id AND sl.lot_id = lot.id) LIMIT 1"
        ),
        "side_effect_lot",
    ),
    Attack(
        "rewrite why a contraindication was overridden",
        _sql(
            "UPDATE treatment_session SET override_reason = 'patient insisted', "
            "safety_confirmed = '[]' WHERE id = (SELECT max(id) FROM treatment_session)"
        ),
        "treatment_session",
    ),
    Attack(
        "clear the questions a side effect's recorder confirmed",
        _sql(
            "UPDATE side_effect SET safety_confirmed = '[\"x\"]' "
            "WHERE id = (SELECT min(id) FROM side_effect)"
        ),
        "side_effect",
    ),
    Attack(
        "change a minor's guardian",
        _sql("UPDATE patient SET guardian_name = 'Nobody' WHERE id = 3"),
        "patient 3",
    ),
    Attack(
        "change a lot's expiry",
        _sql("UPDATE product_lot SET expiry_date = '2099-01-01' WHERE id = 1"),
        "product_lot 1",
    ),
    Attack(
        "add a patient outside mesodesk",
        _sql(
            "INSERT INTO patient (record_number, first_name, last_name, first_folded, "
            "last_folded, birth_date, sex, phone, email, address, allergies, contraindications,"
            " contraindication_note, medical_notes, archived, created_at, updated_at) "
            "VALUES (999999, 'Eve', 'Planted', 'eve', 'planted', '1990-01-01', 'female', '', "
            "'', '', '[]', '[]', '', '', 0, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
        ),
        "added outside mesodesk",
    ),
    Attack(
        "set the record-number counter back",
        _sql("UPDATE counter SET value = 1 WHERE name = 'patient_record'"),
        "record-number counter",
    ),
    Attack(
        "change the clinic's name in its settings",
        _sql("INSERT OR REPLACE INTO app_setting (key, value) VALUES ('clinic_name', 'Other')"),
        "app_setting",
    ),
    Attack(
        "change the row seals of a bulk load",
        _sql(
            "UPDATE audit_row_seal SET macs = zeroblob(length(macs)) "
            "WHERE seq = (SELECT min(seq) FROM audit_row_seal)"
        ),
        "row seals",
    ),
    Attack(
        "drop an index",
        _sql("DROP INDEX ix_patient_name"),
        "ix_patient_name",
    ),
    Attack(
        "add a view",
        _sql("CREATE VIEW everyone AS SELECT first_name, last_name, phone FROM patient"),
        "everyone",
    ),
    Attack(
        "loosen a CHECK constraint through writable_schema",
        _sql(
            "PRAGMA writable_schema = ON",
            "UPDATE sqlite_master SET sql = replace(sql, 'grade BETWEEN 1 AND 5', "
            "'grade BETWEEN 0 AND 9') WHERE name = 'side_effect'",
            "PRAGMA writable_schema = OFF",
        ),
        "side_effect",
    ),
    Attack(
        "give the database another clinic's identity",
        _sql("UPDATE clinic SET uid = 'ffffffffffffffffffffffffffffffff'"),
        "clinic",
    ),
)


def perform(path: Path, attack: Attack) -> None:
    """Do it with the sqlite3 shell's powers: triggers off, the change, triggers back."""
    con = sqlite3.connect(path, isolation_level=None)
    try:
        guards = con.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN "
            "('audit_entry', 'audit_head', 'audit_row_seal', 'clinic')"
        ).fetchall()
        con.execute("BEGIN")
        for name, _sql_text in guards:
            con.execute(f'DROP TRIGGER "{name}"')
        attack.run(con)
        present = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
        for name, sql in guards:
            if name not in present:
                con.execute(sql)
        con.execute("COMMIT")
    finally:
        con.close()
