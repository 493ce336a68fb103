"""Integrity you can prove (issue 12): each attack of the issue performed on a clinic's file,
and what mesodesk does about it: detected and named, refused, or nothing lost."""

from __future__ import annotations

import os
import shutil
import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from mesodesk.domain.clock import FixedClock
from mesodesk.domain.errors import DatabaseError
from mesodesk.paths import config_dir, default_backup_dir
from mesodesk.services.registry import Services
from mesodesk.services.treatment import SafetyQuestions
from mesodesk.store.models import metadata
from mesodesk.store.rows import NOT_AUDITED, audited
from tests.attacks import ATTACKS, Attack, perform
from tests.conftest import NOW, patient_input
from tests.unit.test_cli import run

STEM = "clinic"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo clinic used for a while: a backup, then more changes after it."""
    from mesodesk.domain.treatment import SideEffectInput
    from mesodesk.services.demo import generate_demo

    folder = tmp_path_factory.mktemp("integrity")
    db = folder / f"{STEM}.sqlite3"
    services = Services.open(db, clock=FixedClock(NOW))
    generate_demo(services._db, 25, 3, today=NOW.date())
    from mesodesk.domain.settings import ClinicSettings

    services.settings.update(ClinicSettings(clinic_name="Clinique du Lac"))
    services.backups.folder = folder / "backups"
    services.backups.back_up()
    p = services.patients.create(patient_input()).value
    services.patients.update(p.id, patient_input(last_name="Schneider"))
    from mesodesk.domain.enums import BodyArea, ReportChannel, SideEffectKind

    # through the service after the backup: a side effect that suspects a session's whole
    # blend (its side_effect_lot rows are written by the per-row audit, not the bulk seal)
    seen = next(r for pid in range(1, 26) if (r := services.treatment.record(pid)).sessions)
    last = seen.sessions[-1]
    effect = SideEffectInput(
        kind=SideEffectKind.SWELLING,
        onset_on=last.started_at.date(),
        grade=1,
        body_area=last.areas[0] if last.areas else BodyArea.FOREHEAD,
        reported_at=NOW,
        session_id=last.id,
        suspects_blend=True,
        reported_via=ReportChannel.PHONE,
    )
    patient_id = seen.patient.id  # type: ignore[attr-defined]
    try:
        services.side_effects.record_side_effect(patient_id, effect)
    except SafetyQuestions as asked:  # the practitioner confirms what the rules ask
        confirmed = [q.rule for q in asked.questions]
        services.side_effects.record_side_effect(patient_id, effect, confirmed=confirmed)
    services.close()
    return folder


def in_use(template: Path, tmp_path: Path) -> Path:
    """The template as this test's clinic: its file, its backups, and a witness on this
    computer (the clinic has opened it here)."""
    db = tmp_path / f"{STEM}.sqlite3"
    shutil.copy2(template / f"{STEM}.sqlite3", db)
    shutil.copytree(template / "backups", default_backup_dir())
    Services.open(db).close()
    return db


@pytest.mark.parametrize("attack", ATTACKS, ids=[a.name for a in ATTACKS])
def test_every_attack_is_detected_and_named(
    capsys: Any, template: Path, tmp_path: Path, attack: Attack
) -> None:
    db = in_use(template, tmp_path)
    code, out, _ = run(capsys, "--db", str(db), "check", "--quick")
    assert code == 0, out
    perform(db, attack)
    code, out, err = run(capsys, "--db", str(db), "check", "--quick")
    assert code == 1, (attack.name, out)
    assert attack.words in out, (attack.name, out)
    assert "Müller" not in out + err and "Schneider" not in out + err  # no patient data


def test_the_trail_is_verified_without_the_witness_and_backups_too(
    capsys: Any, template: Path, tmp_path: Path
) -> None:
    """Entries changed or forged are caught by the key alone; a cut trail needs an anchor, and
    says so by naming each anchor it found."""
    db = in_use(template, tmp_path)
    code, out, _ = run(capsys, "--db", str(db), "audit", "verify")
    assert code == 0 and "witness file" in out and "1 backup" in out
    perform(db, next(a for a in ATTACKS if "unkeyed" in a.name))
    shutil.rmtree(config_dir() / "witness")
    shutil.rmtree(default_backup_dir())
    code, _, err = run(capsys, "--db", str(db), "audit", "verify")
    assert code == 1 and "not the clinic key's" in err


def test_without_the_clinic_key_nothing_is_called_intact(
    capsys: Any, template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = in_use(template, tmp_path)
    away = tmp_path / "elsewhere"
    away.mkdir()
    monkeypatch.setenv("MESODESK_HOME", str(away))  # another computer: no key there
    code, _, err = run(capsys, "--db", str(db), "audit", "verify")
    assert code == 1 and "cannot verify" in err.lower() and "clinic key" in err
    code, out, err = run(capsys, "--db", str(db), "check", "--quick")
    assert code == 1 and "intact" not in out and "without the clinic key" in out
    # the way out is the key: a restore would not help (a backup's trail needs the same key)
    assert "key import" in err and "Restore it from a backup" not in err
    services = Services.open(db)
    try:
        assert services._db.key is None and "clinic key" in services._db.notice
        with pytest.raises(DatabaseError, match="clinic key"):
            services.patients.create(patient_input(first_name="Nope"))
        assert services.patients.get_by_record_no("MD-000001")  # reading still works
    finally:
        services.close()
    # carried along: export on the first computer, import on this one
    exported = tmp_path / "clinic.key"
    monkeypatch.setenv("MESODESK_HOME", str(tmp_path / "home"))
    code, _, _ = run(capsys, "--db", str(db), "key", "export", "--out", str(exported))
    assert code == 0 and oct(exported.stat().st_mode & 0o777) == "0o600"
    monkeypatch.setenv("MESODESK_HOME", str(away))
    code, out, _ = run(capsys, "--db", str(db), "key", "import", str(exported))
    assert code == 0
    code, out, _ = run(capsys, "--db", str(db), "key", "show")
    assert code == 0 and "is this database's" in out
    code, out, _ = run(capsys, "--db", str(db), "audit", "verify")
    assert code == 0


def test_every_table_is_audited_or_listed_with_its_reason(template: Path, tmp_path: Path) -> None:
    """Each table of the schema (a table added by any later migration too) is either audited -
    an edit of one of its rows outside mesodesk is reported - or listed in NOT_AUDITED with the
    reason. A new table whose rows something writes past the trail fails here until it is
    listed (a derived cache) or audited (written through a session)."""
    from mesodesk.store.integrity import load_key, read_clinic, row_findings
    from mesodesk.store.keys import FileKeyStore
    from mesodesk.store.rows import table_shape

    for name, reason in NOT_AUDITED.items():
        assert name in metadata.tables or name == "alembic_version", name
        assert len(reason) > 20, name
    db = tmp_path / f"{STEM}.sqlite3"
    shutil.copy2(template / f"{STEM}.sqlite3", db)
    from mesodesk.store.db import create_db_engine, resolve_target

    target = resolve_target(db)
    engine = create_db_engine(target, read_only=True, pool=False)
    with engine.connect() as conn:
        clinic = read_clinic(conn)
        assert clinic is not None
        key, _why = load_key(clinic, FileKeyStore())
        assert key is not None
    engine.dispose()
    for table in sorted(t for t in metadata.tables if audited(t)):
        engine = create_db_engine(target, pool=False)
        with engine.connect() as conn:
            shape = table_shape(conn, table)
            row = conn.exec_driver_sql(f'SELECT rowid FROM "{table}" LIMIT 1').first()
        engine.dispose()
        assert row is not None, f"no row of {table} in the demo clinic to attack: add one"
        con = sqlite3.connect(db)
        guards = con.execute(
            "SELECT name, sql FROM sqlite_master WHERE type='trigger' AND tbl_name = ?", (table,)
        ).fetchall()
        for name, _sql in guards:
            con.execute(f'DROP TRIGGER "{name}"')
        values = dict(
            zip(
                shape.content,
                con.execute(
                    f'SELECT {", ".join(shape.content)} FROM "{table}" WHERE rowid = ?',
                    (row[0],),
                ).fetchone(),
                strict=True,
            )
        )
        filled = [c for c, v in values.items() if v is not None and c not in shape.key]
        column = filled[-1] if filled else shape.key[-1]
        try:  # a change of content, or (where a CHECK forbids that one) the row deleted
            con.execute(
                f'UPDATE "{table}" SET "{column}" = \'x\' || "{column}" WHERE rowid = ?',
                (row[0],),
            )
        except sqlite3.IntegrityError:
            con.execute(f'DELETE FROM "{table}" WHERE rowid = ?', (row[0],))
        for _name, sql in guards:
            con.execute(sql)
        con.commit()
        con.close()
        engine = create_db_engine(target, read_only=True, pool=False)
        with engine.connect() as conn:
            found, _damaged = row_findings(conn, key)
        engine.dispose()
        assert any(f.table == table for f in found), f"a change to {table} went unseen"
        shutil.copy2(template / f"{STEM}.sqlite3", db)


# -- restores that cannot hurt --------------------------------------------------------------------


def _clinic(tmp_path: Path, name: str = "clinic") -> tuple[Path, Path]:
    db = tmp_path / f"{name}.sqlite3"
    services = Services.open(db)
    for first in ("Anna", "Bea"):
        services.patients.create(patient_input(first_name=first))
    backup = services.backups.back_up(tmp_path / f"{name}-backup.sqlite3").value.path
    services.patients.create(patient_input(first_name="Cleo"))
    services.close()
    return db, backup


def test_a_trigger_planted_in_a_backup_is_not_restored(capsys: Any, tmp_path: Path) -> None:
    db, backup = _clinic(tmp_path)
    from mesodesk.domain.enums import ReportChannel, SideEffectKind
    from mesodesk.domain.treatment import SideEffectInput

    con = sqlite3.connect(backup)
    con.execute(
        "CREATE TRIGGER patient_after_insert AFTER INSERT ON patient "
        "BEGIN DELETE FROM side_effect; UPDATE patient SET allergies = '[]'; END"
    )
    con.commit()
    con.close()
    code, out, _ = run(capsys, "--db", str(db), "restore", str(backup), "--yes")
    assert code == 0 and "patient_after_insert" in out  # said to be left out
    services = Services.open(db)
    services.patients.update(1, patient_input(first_name="Anna", allergies=("lidocaine",)))
    services.side_effects.record_side_effect(
        1,
        SideEffectInput(
            kind=SideEffectKind.NAUSEA,
            onset_on=date(2026, 11, 20),
            grade=1,
            reported_at=NOW,
            reported_via=ReportChannel.PHONE,
        ),
    )
    services.patients.create(patient_input(first_name="Dora"))  # would fire the trigger
    assert services.patients.get(1).allergies == ("lidocaine",)
    assert len(services.treatment.record(1).side_effects) == 1
    services.close()
    triggers = {r[0] for r in sqlite3.connect(db).execute("SELECT name FROM sqlite_master")}
    assert "patient_after_insert" not in triggers
    code, out, _ = run(capsys, "--db", str(db), "check", "--quick")
    assert code == 0, out


@pytest.mark.parametrize(
    ("damage", "words"),
    [
        ("UPDATE audit_entry SET actor = 'x' WHERE seq = 2", "not intact"),
        ("DELETE FROM audit_entry", "not intact"),
        ("UPDATE patient SET last_name = 'Someone' WHERE id = 1", "no longer match"),
        ("PRAGMA foreign_keys = OFF; UPDATE course SET patient_id = 999 WHERE 0", None),
        ("INSERT INTO side_effect (patient_id, kind, kind_note, onset_on, grade, serious, "
         "outcome, causality, body_area_note, action_taken, action_note, reported_via, "
         "reported_at, notes, created_at, updated_at) VALUES (999, 'pain', '', '2026-01-01', 1,"
         " 0, 'resolved', 'possible', '', 'none', '', 'phone', '2026-01-01 00:00:00', '',"
         " '2026-01-01', '2026-01-01')", "broken references"),
    ],
)  # fmt: skip
def test_a_backup_with_a_broken_chain_or_references_is_refused(
    capsys: Any, tmp_path: Path, damage: str, words: str | None
) -> None:
    db, backup = _clinic(tmp_path)
    if words is None:
        return  # (a no-op kept for the parametrisation's shape)
    con = sqlite3.connect(backup)
    triggers = con.execute("SELECT name, sql FROM sqlite_master WHERE type='trigger'").fetchall()
    for name, _sql in triggers:
        con.execute(f'DROP TRIGGER "{name}"')
    con.executescript(damage)
    for _name, sql in triggers:
        con.execute(sql)
    con.commit()
    con.close()
    before = db.read_bytes()
    code, _, err = run(capsys, "--db", str(db), "restore", str(backup), "--yes")
    assert code == 1 and words in err, err
    assert db.read_bytes() == before  # untouched


def test_another_clinics_backup_needs_its_name(capsys: Any, tmp_path: Path) -> None:
    db, _ = _clinic(tmp_path, "ours")
    services = Services.open(db)
    from mesodesk.domain.settings import ClinicSettings

    services.settings.update(ClinicSettings(clinic_name="Clinique du Parc"))
    services.close()
    other, other_backup = _clinic(tmp_path, "theirs")
    services = Services.open(other)
    services.settings.update(ClinicSettings(clinic_name="Clinique du Lac"))
    other_backup = services.backups.back_up(tmp_path / "lac.sqlite3").value.path
    services.close()
    code, _, err = run(capsys, "--db", str(db), "restore", str(other_backup), "--yes")
    assert code == 1 and "Clinique du Lac" in err and "typing" in err
    code, _, err = run(
        capsys, "--db", str(db), "restore", str(other_backup), "--yes", "--clinic", "Parc"
    )
    assert code == 1
    code, out, _ = run(
        capsys,
        *("--db", str(db), "restore", str(other_backup), "--yes"),
        *("--clinic", "clinique du lac"),
    )
    assert code == 0, out
    code, out, _ = run(capsys, "--db", str(db), "check", "--quick")
    assert code == 0, out


def test_record_numbers_are_never_given_twice_after_a_restore(tmp_path: Path) -> None:
    db, backup = _clinic(tmp_path)  # Anna 1, Bea 2 in the backup; Cleo 3 after it
    services = Services.open(db)
    services.backups.restore(backup)
    dora = services.patients.create(patient_input(first_name="Dora")).value
    assert dora.record_no == "MD-000004"  # Cleo's number stays Cleo's
    services.close()


def test_a_second_name_for_the_database_is_refused(capsys: Any, tmp_path: Path) -> None:
    db, backup = _clinic(tmp_path)
    other = tmp_path / "second-name.sqlite3"
    os.link(db, other)
    for name in (db, other):
        code, _, err = run(capsys, "--db", str(name), "patients")
        assert code == 1 and "hard link" in err
        code, _, err = run(capsys, "--db", str(name), "restore", str(backup), "--yes")
        assert code == 1 and "hard link" in err
    other.unlink()
    code, _, _ = run(capsys, "--db", str(db), "patients")
    assert code == 0


# -- private files --------------------------------------------------------------------------------


def _mode(path: Path) -> str:
    return oct(path.stat().st_mode & 0o777)


def test_every_file_mesodesk_makes_is_its_owners_only(capsys: Any, tmp_path: Path) -> None:
    old = os.umask(0o022)  # a usual umask: files would be 0644 without mesodesk's care
    try:
        db = tmp_path / "new" / "clinic.sqlite3"
        services = Services.open(db)
        services.patients.create(patient_input())
        wal, shm = Path(f"{db}-wal"), Path(f"{db}-shm")
        assert wal.exists() and shm.exists()
        assert {_mode(p) for p in (db, wal, shm)} == {"0o600"}
        assert _mode(db.parent) == "0o700"
        services.backups.folder = tmp_path / "made" / "backups"
        backup = services.backups.back_up().value.path
        assert _mode(backup) == "0o600" and _mode(backup.parent) == "0o700"
        assert _mode(backup.parent.parent) == "0o700"
        restored = services.backups.restore(backup).value
        assert restored.saved_before is not None and _mode(restored.saved_before) == "0o600"
        from mesodesk.domain.audit import AuditQuery

        csv_out = tmp_path / "audit.csv"
        services.audit.export_csv(csv_out, AuditQuery())
        pdf = tmp_path / "summary.pdf"
        services.summaries.write(1, pdf, services.summaries.options(charts=False))
        from mesodesk.services.export import save_recall_csv

        keys = list((config_dir() / "keys").resolve().glob("*.key"))
        witness = list((config_dir() / "witness").glob("*.json"))
        services.close()
        code, _, _ = run(capsys, "--db", str(db), "chart", "MD-000001", "--out", "c.png")
        png = Path("c.png")
        try:
            assert code == 0 and _mode(png) == "0o600"
        finally:
            png.unlink(missing_ok=True)
        for path in (csv_out, pdf, *keys, *witness):
            assert _mode(path) == "0o600", path
        assert _mode(config_dir() / "witness") == "0o700"
        _ = save_recall_csv
    finally:
        os.umask(old)


def test_an_older_database_and_its_backups_are_made_private(tmp_path: Path) -> None:
    db, _backup = _clinic(tmp_path)
    services = Services.open(db)
    services.backups.folder = tmp_path / "backups"
    made = services.backups.back_up().value.path
    services.close()
    for path in (db, made):
        os.chmod(path, 0o644)
    services = Services.open(db)
    services.backups.folder = tmp_path / "backups"
    services.backups.back_up()
    services.close()
    assert _mode(db) == "0o600" and _mode(made) == "0o600"


# -- exports: whole, owner-only, never through a link or onto a device ----------------------------


@pytest.mark.parametrize("kind", ["symlink", "dangling", "folder", "device"])
def test_exports_refuse_a_link_a_folder_or_a_device(capsys: Any, tmp_path: Path, kind: str) -> None:
    db, _ = _clinic(tmp_path)
    target = tmp_path / f"out-{kind}"
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    if kind == "symlink":
        target.symlink_to(victim)
    elif kind == "dangling":
        target.symlink_to(tmp_path / "nowhere")
    elif kind == "folder":
        target.mkdir()
    for suffix, command in (
        (".pdf", ["report", "MD-000001", "--out"]),
        (".png", ["chart", "MD-000001", "--out"]),
        (".csv", ["audit", "list", "--csv"]),
        (".sqlite3", ["backup", "--out"]),
    ):
        path = target if kind != "device" else Path("/dev/null")
        if kind != "device":
            named = target.with_name(target.name + suffix)
            if not named.exists() and not named.is_symlink():
                os.rename(target, named) if target.exists() or target.is_symlink() else None
                target = named
            path = named
        code, _, err = run(capsys, "--db", str(db), *command, str(path))
        assert code in (1, 2) and "internal error" not in err, (command, err)
    assert victim.read_text() == "keep me"
    assert os.path.exists("/dev/null") and not Path("/dev/null").is_file()
    assert not list(tmp_path.glob(".mesodesk-*"))


def test_a_copy_of_a_summary_is_written_as_an_export(tmp_path: Path) -> None:
    """The app's "Save a copy" of a PDF and "Print to file" copy a summary: whole, owner-only,
    never through a link or onto a device, and a failure in words."""
    from mesodesk.domain.errors import MesodeskError
    from mesodesk.files import copy_atomically

    source = tmp_path / "summary.pdf"
    source.write_bytes(b"%PDF-1.4 " + bytes(range(256)) * 400)
    was = os.umask(0o022)  # even where the process's own umask would let others read it
    try:
        copy_atomically(source, tmp_path / "copy.pdf")
    finally:
        os.umask(was)
    assert (tmp_path / "copy.pdf").read_bytes() == source.read_bytes()
    assert _mode(tmp_path / "copy.pdf") == "0o600"
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (tmp_path / "link.pdf").symlink_to(victim)
    for target, words in (
        (tmp_path / "link.pdf", "link"),
        (Path("/dev/null"), "device"),
        (tmp_path / "missing" / "x.pdf", "does not exist"),
        (tmp_path, "folder"),
    ):
        with pytest.raises(MesodeskError, match=words):
            copy_atomically(source, target)
    with pytest.raises(MesodeskError, match=r"gone\.pdf"):
        copy_atomically(tmp_path / "gone.pdf", tmp_path / "x.pdf")
    assert victim.read_text() == "keep me" and not (tmp_path / "x.pdf").exists()
    assert not list(tmp_path.glob(".mesodesk-*"))


# -- clear words ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["audit", "list", "--until", "9999-12-31"],
        ["audit", "list", "--since", "0001-01-01", "--until", "0001-01-01"],
        ["chart", "--clinic", "--from", "0001-01-01", "--to", "9999-12-31", "--out", "x.png"],
        ["report", "MD-000001", "--out", "."],
        ["report", "MD-000001", "--out", "/dev/null"],
        ["chart", "MD-000001", "--out", "missing-folder/x.png"],
        ["show", "MD-99999999999999999999999999"],
        ["due", "--date", "9999-12-31"],
    ],
)
def test_far_dates_and_odd_targets_get_words_not_internal_errors(
    capsys: Any, tmp_path: Path, args: list[str]
) -> None:
    db, _ = _clinic(tmp_path)
    code, _, err = run(capsys, "--db", str(db), *args)
    assert code in (0, 1, 2) and "internal error" not in err and "Traceback" not in err, err


def test_a_database_server_without_its_driver_is_named(capsys: Any) -> None:
    code, _, err = run(capsys, "--db", "postgresql://u:secret@localhost/clinic", "patients")
    assert code == 1 and "no driver" in err and "secret" not in err


def test_a_backup_that_was_written_is_reported_as_written(
    capsys: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The audit entry of a backup can fail (a busy or read-only database): the verified
    backup is still there, and said to be."""
    db, _ = _clinic(tmp_path)
    from mesodesk.services import audit as audit_service

    def busy(*_a: Any, **_k: Any) -> Any:
        raise DatabaseError("The database is busy with another change; please try again.")

    monkeypatch.setattr(audit_service.AuditService, "record_event", busy)
    out = tmp_path / "b.sqlite3"
    code, printed, err = run(capsys, "--db", str(db), "backup", "--out", str(out))
    assert code == 0 and "Backup written" in printed and out.exists()
    assert "warning" in err and "audit entry" in err


_SCHEMA_OF_A_PROCESS = """
import json, sqlite3
from mesodesk.domain.integrity import schema_objects
from mesodesk.store.migrate import schema_image
con = sqlite3.connect(":memory:")
con.deserialize(schema_image())
rows = con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()
print(json.dumps({"raw": sorted(map(list, rows)),
                  "seen": sorted((o.name, o.sql) for o in schema_objects(rows).values())}))
"""


def test_the_schema_check_does_not_depend_on_the_hash_seed() -> None:
    """A clinic migrated by one mesodesk process is checked by another, with another hash
    seed. Alembic's batch mode (0004, 0005 copy tables) writes table constraints in an order
    that depends on that seed; the check must see the same schema either way, and must still
    see a column moved or renamed."""
    import json
    import subprocess
    import sys

    from mesodesk.domain.integrity import canonical_table_sql, normalize_sql

    seen = []
    for seed in ("1", "2"):
        done = subprocess.run(
            [sys.executable, "-c", _SCHEMA_OF_A_PROCESS],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        )
        seen.append(json.loads(done.stdout))
    assert seen[0]["seen"] == seen[1]["seen"]
    a = normalize_sql("CREATE TABLE t (a INT, unique_code TEXT, CHECK (a > 0), UNIQUE (a))")
    b = normalize_sql("CREATE TABLE t (a INT, unique_code TEXT, UNIQUE (a), CHECK (a > 0))")
    assert canonical_table_sql(a) == canonical_table_sql(b)
    c = normalize_sql("CREATE TABLE t (unique_code TEXT, a INT, UNIQUE (a), CHECK (a > 0))")
    assert canonical_table_sql(a) != canonical_table_sql(c)  # columns keep their order
    d = normalize_sql("CREATE TABLE t (a INT, unique_code TEXT, UNIQUE (a), CHECK (a >= 0))")
    assert canonical_table_sql(a) != canonical_table_sql(d)
