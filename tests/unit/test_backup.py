"""Backups (online, verified, synced, rotated) and restores (the current data kept first)."""

import shutil
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from mesodesk.domain.audit import AuditQuery
from mesodesk.domain.backups import backup_name, parse_backup_name, to_keep
from mesodesk.domain.errors import DatabaseError
from mesodesk.services import backup as B
from mesodesk.services.registry import Services
from mesodesk.store.db import resolve_target
from mesodesk.store.safety import CopyCancelled
from tests.conftest import NOW, patient_input
from tests.unit.test_cli import run

UTC_NOW = NOW.replace(tzinfo=UTC)


def names(services: Any) -> list[str]:
    with services._db.read() as s:
        return [r[0] for r in s.execute(text("SELECT first_name FROM patient ORDER BY id"))]


def register(services: Any, *first_names: str) -> None:
    for name in first_names:
        services.patients.create(patient_input(first_name=name))


def patients_in(path: Path) -> int:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return int(con.execute("SELECT count(*) FROM patient").fetchone()[0])
    finally:
        con.close()


# -- rotation -------------------------------------------------------------------------------------


def test_backup_names() -> None:
    name = backup_name("mesodesk", UTC_NOW)
    assert name == "mesodesk-20261124T103000Z.sqlite3"
    parsed = parse_backup_name(name)
    assert parsed is not None and parsed.taken_at == UTC_NOW and not parsed.before_restore
    special = parse_backup_name(backup_name("my-clinic", UTC_NOW, before_restore=True))
    assert special is not None and special.stem == "my-clinic" and special.before_restore
    assert parse_backup_name("mesodesk-2026.sqlite3") is None
    assert parse_backup_name("notes.txt") is None


def test_rotation_keeps_48_hours_then_7_daily_4_weekly_12_monthly() -> None:
    start = datetime(2025, 1, 1, 18, tzinfo=UTC)
    # two backups a day (noon and evening) for 500 days
    instants = [start + timedelta(days=d, hours=h) for d in range(500) for h in (0, 5)]
    kept = to_keep(instants, day_of=lambda i: i.date())
    newest = max(instants)
    recent = {i for i in instants if newest - i <= timedelta(hours=48)}
    assert recent <= kept and len(recent) == 5  # every backup of the last 48 hours
    older = kept - recent
    daily = {i.date() for i in kept if newest - i < timedelta(days=7)}
    assert len(daily) == 7  # the last 7 days, at least one each
    assert all(i.hour == 23 for i in older)  # before that, the later one of each day
    weeks = {i.isocalendar()[:2] for i in kept}
    months = {(i.year, i.month) for i in kept}
    assert len(months) == 12
    assert len(weeks) >= 4
    assert len(kept) <= 5 + 7 + 4 + 12
    assert newest in kept
    assert min(kept) >= newest - timedelta(days=366)
    # few backups: every one is kept
    assert to_keep(instants[:3], day_of=lambda i: i.date()) == set(instants[:3])


def test_same_day_backups_are_kept(services: Any, tmp_path: Path, clock: Any) -> None:
    """The issue's case: Back up now at 09:10, a change, quit at 09:13: both backups stay, so
    the morning's can undo the afternoon's mistake; and for 48 hours."""
    services.backups.folder = tmp_path / "backups"
    clock._now = NOW.replace(hour=9, minute=10)
    morning = services.backups.back_up().value.path
    register(services, "Anna")
    clock._now = NOW.replace(hour=9, minute=13)
    services.backups.back_up(reason="on exit")
    clock._now = NOW.replace(hour=16)
    services.backups.back_up()
    assert morning.exists() and len(services.backups.backups()) == 3
    clock._now = NOW + timedelta(days=1, hours=20)  # still within 48 hours of 09:10
    services.backups.back_up()
    assert morning.exists() and len(services.backups.backups()) == 4
    clock._now = NOW + timedelta(days=3)  # now the day keeps its newest only
    services.backups.back_up()
    kept = services.backups.backups()
    assert not morning.exists() and len(kept) == 3


def test_rotation_in_the_folder_leaves_other_files_alone(
    services: Any, tmp_path: Path, clock: Any
) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    stem = services.backups.source.stem
    for days in range(1, 40):
        (folder / backup_name(stem, UTC_NOW - timedelta(days=days))).write_bytes(b"old")
    keep_me = [
        folder / backup_name(stem, UTC_NOW - timedelta(days=90), before_restore=True),
        folder / backup_name("other-database", UTC_NOW - timedelta(days=30)),
        folder / "notes.txt",
    ]
    for path in keep_me:
        path.write_bytes(b"keep")
    services.backups.folder = folder
    result = services.backups.back_up().value
    regular = [b for b in services.backups.backups() if not b.before_restore]
    assert result.path in [b.path for b in regular]
    assert len(regular) <= 7 + 4 + 12 and len(result.removed) == 40 - len(regular)
    assert all(path.exists() for path in keep_me)


# -- backups --------------------------------------------------------------------------------------


def test_backup_holds_every_committed_row_and_is_verified(services: Any, tmp_path: Path) -> None:
    register(services, "Anna", "Bea", "Cleo")
    # Recent rows live in the write-ahead log: a copy of the database file alone lacks them.
    naive = tmp_path / "file-copy.db"
    shutil.copyfile(services.backups.source, naive)
    with pytest.raises(sqlite3.DatabaseError):
        patients_in(naive)  # the tables themselves are still only in the log
    out = tmp_path / "b.db"
    result = services.backups.back_up(out).value
    assert result.path == out and result.patients == 3 and not result.removed
    assert patients_in(out) == 3
    con = sqlite3.connect(out)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # opens without -wal
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
    assert not Path(f"{out}.partial").exists()
    event = services.audit.search(_q()).entries[0]
    assert event.action == "backup" and event.after["file"] == "b.db"
    with pytest.raises(DatabaseError, match="already exists"):
        services.backups.back_up(out)
    with pytest.raises(DatabaseError, match="over the database"):
        services.backups.back_up(services.backups.source)


def _q() -> Any:
    from mesodesk.domain.audit import AuditQuery

    return AuditQuery()


def test_a_backup_that_fails_its_check_is_not_kept(
    services: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    register(services, "Anna")
    services.backups.folder = tmp_path / "backups"

    def differs(path: Path, expected: Any, full: bool = False) -> None:
        raise DatabaseError("The copy does not hold the same rows as the database.")

    monkeypatch.setattr(B, "verify_copy", differs)
    with pytest.raises(DatabaseError, match="same rows"):
        services.backups.back_up()
    assert list((tmp_path / "backups").iterdir()) == []
    assert services.audit.search(AuditQuery(action="backup")).total == 0  # it does not count


def test_a_cancelled_backup_leaves_nothing(services: Any, tmp_path: Path) -> None:
    register(services, "Anna")
    services.backups.folder = tmp_path / "backups"
    with pytest.raises(CopyCancelled):
        services.backups.back_up(cancelled=lambda: True)
    assert list((tmp_path / "backups").iterdir()) == []


def demo(services: Any, patients: int = 300) -> None:
    from mesodesk.services.demo import generate_demo

    generate_demo(services._db, patients, 1, today=date(2026, 11, 24))


def test_backup_of_a_damaged_database_fails(services: Any, tmp_path: Path) -> None:
    demo(services)
    path = services.backups.source
    services.close()
    damage(path)
    with pytest.raises(DatabaseError, match=r"integrity check|cannot be read|malformed"):
        B.make_backup(path, now=UTC_NOW, folder=tmp_path / "backups")
    assert list((tmp_path / "backups").glob("*")) == []


def test_due_and_newest(services: Any, tmp_path: Path, clock: Any) -> None:
    services.backups.folder = tmp_path / "backups"
    assert services.backups.due() and services.backups.newest() is None
    services.backups.back_up()
    assert not services.backups.due()
    assert not services.backups.changed_since_backup()
    register(services, "Anna")
    assert services.backups.changed_since_backup()
    clock._now = NOW + timedelta(days=1, minutes=1)
    assert services.backups.due()


# -- restore --------------------------------------------------------------------------------------


def test_restore_brings_back_exactly_the_backed_up_records(services: Any, tmp_path: Path) -> None:
    register(services, "Anna", "Bea")
    services.backups.folder = tmp_path / "backups"
    backup = services.backups.back_up(tmp_path / "b.db").value.path
    register(services, "Cleo")
    services.patients.update(1, patient_input(first_name="Changed"))
    services.patients.archive(2)
    result = services.backups.restore(backup).value
    assert names(services) == ["Anna", "Bea"]
    assert not services.patients.get(2).archived
    saved = result.saved_before
    assert result.saved_before_verified and saved.parent == tmp_path / "backups"
    assert "before-restore" in saved.name and patients_in(saved) == 3
    assert result.source.patients == 2
    report = services.audit.verify()
    assert report.ok
    last = services.audit.search(_q()).entries[0]
    assert last.action == "restore" and last.after["backup"] == "b.db"
    # the services keep working on the restored data
    register(services, "Dora")
    assert names(services) == ["Anna", "Bea", "Dora"]


def test_restore_refuses_what_is_not_a_sound_backup(services: Any, tmp_path: Path) -> None:
    register(services, "Anna")
    before = names(services)
    text_file = tmp_path / "notes.db"
    text_file.write_text("not a database\n" * 50)
    good = services.backups.back_up(tmp_path / "good.db").value.path
    truncated = tmp_path / "truncated.db"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE invoices (id INTEGER)")
    con.commit()
    con.close()
    newer = tmp_path / "newer.db"
    shutil.copyfile(good, newer)
    con = sqlite3.connect(newer)
    con.execute("UPDATE alembic_version SET version_num = '9999_future'")
    con.commit()
    con.close()
    for bad, words in (
        (text_file, "not an SQLite file"),
        (truncated, "shorter than"),
        (other, "not a mesodesk backup"),
        (newer, "newer version"),
        (tmp_path / "missing.db", "no file"),
        (services.backups.source, "the database itself"),
    ):
        with pytest.raises(DatabaseError, match=words):
            services.backups.restore(bad)
    assert names(services) == before
    assert services.audit.verify().ok


def test_restore_of_an_older_schema_upgrades_it(services: Any, tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import create_engine

    from mesodesk.store.migrate import alembic_config

    old = tmp_path / "old-backup.db"
    engine = create_engine(f"sqlite:///{old}")
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    engine.dispose()
    register(services, "Anna")
    services.backups.folder = tmp_path / "backups"
    services.backups.restore(old)
    assert names(services) == []
    assert services.audit.verify().ok
    actions = [e.action for e in services.audit.search(AuditQuery()).entries]
    assert actions[0] == "restore" and "chain_keyed" in actions
    # record numbers given before the restore are not given again
    register(services, "Bea")
    assert services.patients.get_by_record_no("MD-000002").first_name == "Bea"


def damage(path: Path, table: str = "patient_token") -> None:
    """Overwrite some pages of one table (after a checkpoint), as a failing disk would; the
    schema and the other tables stay readable."""
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = con.execute("PRAGMA page_size").fetchone()[0]
    pages = [
        r[0]
        for r in con.execute(
            "SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno",
            (table,),
        )
    ]
    con.close()
    assert len(pages) >= 4, "too small a table to damage"
    with path.open("r+b") as fh:
        for page in pages[1:4]:
            fh.seek((page - 1) * page_size + 100)
            fh.write(b"\xde\xad\xbe\xef" * 200)


def test_restore_into_a_damaged_database(tmp_path: Path, clock: Any) -> None:
    db = tmp_path / "clinic.db"
    services = Services.open(db, clock=clock)
    demo(services)
    backup = services.backups.back_up(tmp_path / "b.db").value.path
    register(services, "Late")
    services.close()
    damage(db)
    assert B.integrity_problems(db)
    result = B.restore_file(resolve_target(db), backup, folder=tmp_path / "backups", now=UTC_NOW)
    assert not result.saved_before_verified and result.saved_before.exists()
    assert "damaged" in result.saved_before.name
    assert not B.integrity_problems(db)
    services = Services.open(db, clock=clock)
    assert len(names(services)) == 300
    services.close()


# -- the command line -----------------------------------------------------------------------------


def test_backup_change_restore_on_the_command_line(capsys: Any, tmp_path: Path) -> None:
    """What the issue asks to show: backup --out, changes, restore --yes, check passes."""
    db = str(tmp_path / "clinic.db")
    out = tmp_path / "b.db"
    run(capsys, "--db", db, "demo", "--patients", "40", "--create")
    code, printed, _ = run(capsys, "--db", db, "patients", "--json", "--archived")
    backed_up = printed
    code, printed, _ = run(capsys, "--db", db, "backup", "--out", str(out))
    assert code == 0 and "40 patients" in printed and out.exists()
    services = Services.open(db)
    services.patients.create(patient_input(first_name="Added"))
    services.patients.archive(3)
    services.close()
    assert run(capsys, "--db", db, "patients", "--json", "--archived")[1] != backed_up
    folder = tmp_path / "backups"
    code, printed, _ = run(
        capsys, "--db", db, "restore", str(out), "--yes", "--folder", str(folder)
    )
    assert code == 0 and "Restored b.db" in printed
    assert run(capsys, "--db", db, "patients", "--json", "--archived")[1] == backed_up
    saved = list(folder.glob("*before-restore*"))
    assert len(saved) == 1 and patients_in(saved[0]) == 41
    code, printed, _ = run(capsys, "--db", db, "check")
    assert code == 0 and "sound" in printed
    code, printed, _ = run(capsys, "--db", db, "audit", "verify")
    assert code == 0


def test_restore_asks_on_a_terminal_and_refuses_without_one(
    capsys: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "clinic.db"
    services = Services.open(db)
    register(services, "Anna")
    backup = services.backups.back_up(tmp_path / "b.db").value.path
    register(services, "Bea")
    services.close()

    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    code, _, err = run(capsys, "--db", str(db), "restore", str(backup))
    assert code == 2 and "--yes" in err
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    code, out, _ = run(capsys, "--db", str(db), "restore", str(backup))
    assert code == 1 and "Nothing was changed" in out
    assert patients_in(db) == 2
    asked: list[str] = []
    monkeypatch.setattr("builtins.input", lambda prompt: asked.append(prompt) or "yes")
    code, out, _ = run(capsys, "--db", str(db), "restore", str(backup))
    assert code == 0 and patients_in(db) == 1
    assert "b.db" in out and "1 patient" in out and "yes" in asked[0]


def test_restore_refuses_while_the_app_has_the_database(capsys: Any, tmp_path: Path) -> None:
    from mesodesk.ui.instance import InstanceLock

    db = tmp_path / "clinic.db"
    services = Services.open(db)
    register(services, "Anna")
    backup = services.backups.back_up(tmp_path / "b.db").value.path
    register(services, "Bea")
    services.close()
    lock = InstanceLock.for_database(db)
    assert lock.acquire()
    try:
        code, _, err = run(capsys, "--db", str(db), "restore", str(backup), "--yes")
        assert code == 1 and "already open" in err
        assert patients_in(db) == 2
    finally:
        lock.release()
    code, _, _ = run(capsys, "--db", str(db), "restore", str(backup), "--yes")
    assert code == 0 and patients_in(db) == 1
    assert not lock.path.exists()


def test_backup_command_into_the_folder(capsys: Any, tmp_path: Path) -> None:
    db = str(tmp_path / "clinic.db")
    run(
        capsys,
        *("--db", db, "demo", "--patients", "5", "--create"),
        *("--as-of", date(2026, 1, 1).isoformat()),
    )
    folder = tmp_path / "b"
    code, out, _ = run(capsys, "--db", db, "backup", "--folder", str(folder))
    assert code == 0 and str(folder) in out
    made = list(folder.glob("clinic-*.sqlite3"))
    assert len(made) == 1 and patients_in(made[0]) == 5
    code, _, err = run(capsys, "--db", db, "backup", "--out", str(made[0]))
    assert code == 1 and "already exists" in err


def test_restore_builds_a_new_file_when_sqlite_cannot_write_into_the_old(
    tmp_path: Path, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "clinic.db"
    services = Services.open(db, clock=clock)
    register(services, "Anna")
    backup = services.backups.back_up(tmp_path / "b.db").value.path
    register(services, "Bea")
    services.close()
    used: list[str] = []

    def refuses(*args: Any, **kwargs: Any) -> None:
        used.append("copy_into")
        raise sqlite3.DatabaseError("file is not a database")

    monkeypatch.setattr(B, "copy_into", refuses)
    B.restore_file(resolve_target(db), backup, folder=tmp_path / "backups", now=UTC_NOW)
    assert used == ["copy_into"]
    assert patients_in(db) == 1 and not Path(f"{db}-wal").exists()
    assert not list(tmp_path.glob("*.restoring"))


def test_backups_in_quick_succession_each_get_a_later_name(services: Any, tmp_path: Path) -> None:
    """The clock may not move between backups (a fixed clock here; the same second in life):
    each new backup is still named after the last, so rotation keeps the newest."""
    services.backups.folder = tmp_path / "backups"
    made = [services.backups.back_up().value for _ in range(4)]
    assert [m.taken_at for m in made] == sorted({m.taken_at for m in made})
    assert made[-1].path.exists()
    assert [b.path for b in services.backups.backups()] == [m.path for m in reversed(made)]


def test_restore_into_a_new_file(capsys: Any, tmp_path: Path) -> None:
    db = tmp_path / "clinic.db"
    services = Services.open(db)
    register(services, "Anna")
    backup = services.backups.back_up(tmp_path / "b.db").value.path
    services.close()
    fresh = tmp_path / "elsewhere" / "new.db"
    fresh.parent.mkdir()
    code, _, err = run(capsys, "--db", str(fresh), "restore", str(backup), "--yes")
    assert code == 1 and "--create" in err and not fresh.exists()  # a mistyped name
    code, out, _ = run(capsys, "--db", str(fresh), "restore", str(backup), "--yes", "--create")
    assert code == 0 and "no database there before" in out
    assert patients_in(fresh) == 1
    code, _, _ = run(capsys, "--db", str(fresh), "audit", "verify")
    assert code == 0
