"""Durability: damaged, truncated and network-mounted databases; the start-up check; read-only
mode; the kill harness (a short run here, 200 kills in the benchmark suite)."""

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from mesodesk.domain.errors import DatabaseError
from mesodesk.services.health import check_database, open_for_app, startup_problems
from mesodesk.services.registry import Services
from mesodesk.store import safety
from mesodesk.store.db import resolve_target
from mesodesk.store.migrate import open_database
from tests.conftest import patient_input
from tests.unit.test_backup import damage, demo
from tests.unit.test_cli import run


@pytest.fixture
def clinic_file(tmp_path: Path) -> Path:
    path = tmp_path / "clinic.db"
    services = Services.open(path)
    demo(services, 200)
    services.close()
    return path


def test_a_truncated_database_is_refused_and_untouched(
    capsys: Any, clinic_file: Path, tmp_path: Path
) -> None:
    cut = tmp_path / "cut.db"
    cut.write_bytes(clinic_file.read_bytes()[: clinic_file.stat().st_size // 2])
    before = cut.read_bytes()
    with pytest.raises(DatabaseError, match="shorter than SQLite says"):
        open_database(resolve_target(cut))
    code, _, err = run(capsys, "--db", str(cut), "patients")
    assert code == 1 and "cut off" in err and "restore" in err
    code, out, _ = run(capsys, "--db", str(cut), "check")
    assert code == 1 and "FAIL  file" in out
    assert cut.read_bytes() == before
    assert not Path(f"{cut}-wal").exists() and not Path(f"{cut}-shm").exists()


def test_an_empty_or_foreign_file_is_refused_by_every_command(capsys: Any, tmp_path: Path) -> None:
    for content in (b"", b"PK\x03\x04 a zip file" * 10):
        path = tmp_path / "x.db"
        path.write_bytes(content)
        for command in (["check"], ["backup"], ["audit", "verify"], ["audit", "list"]):
            code, out, err = run(capsys, "--db", str(path), *command)
            assert code == 1 and "Traceback" not in err and "untouched" in out + err, command
        assert path.read_bytes() == content


def test_a_damaged_database_fails_the_check(capsys: Any, clinic_file: Path) -> None:
    code, out, _ = run(capsys, "--db", str(clinic_file), "check", "--quick")
    assert code == 0 and "quick check" in out
    damage(clinic_file)
    code, out, err = run(capsys, "--db", str(clinic_file), "check")
    assert code == 1 and "FAIL  integrity: damage found" in out and "restore" in err
    assert len(out) < 3000  # a readable message, not SQLite's full list


def test_the_startup_check_finds_damage_and_read_only_mode_writes_nothing(
    clinic_file: Path,
) -> None:
    opened = open_for_app(resolve_target(clinic_file))
    assert not opened.checked and startup_problems(opened.services._db) == []
    opened.services.close()
    damage(clinic_file)
    before = clinic_file.read_bytes()
    opened = open_for_app(resolve_target(clinic_file))
    services = opened.services
    assert startup_problems(services._db)
    services._db.reopen(read_only=True)
    with pytest.raises(DatabaseError, match="read-only"):
        services.patients.create(patient_input())
    with services._db.engine.connect() as conn, pytest.raises(Exception, match="readonly"):
        conn.exec_driver_sql("DELETE FROM app_setting")
    services.close()
    assert clinic_file.read_bytes() == before


def test_a_damaged_database_is_never_migrated(tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import create_engine

    from mesodesk.store.migrate import alembic_config

    path = tmp_path / "old.db"
    engine = create_engine(f"sqlite:///{path}")
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.exec_driver_sql("CREATE TABLE filler (x TEXT)")
        conn.exec_driver_sql(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) "
            "INSERT INTO filler SELECT printf('%0500d', i) FROM n"
        )
    engine.dispose()
    damage(path, "filler")
    before = path.read_bytes()
    with pytest.raises(DatabaseError, match=r"damaged .* left untouched"):
        open_for_app(resolve_target(path))
    assert path.read_bytes() == before


# -- network file systems -------------------------------------------------------------------------


def test_mount_table_parsing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert safety._unescape_mount("/mnt/my\\040share") == "/mnt/my share"
    fstype = safety.filesystem_type(tmp_path)
    assert fstype and not safety.is_network_fs(fstype)  # the tests run on a local disk
    monkeypatch.setattr(
        safety,
        "_mounts",
        lambda: [
            ("/", "ext4"),
            ("/srv", "xfs"),
            ("/srv/share", "nfs4"),
            ("/srv/sharepoint", "ext4"),
        ],
    )
    assert safety.filesystem_type(Path("/srv/share/clinic/x.db")) == "nfs4"
    assert safety.filesystem_type(Path("/srv/sharepoint/x.db")) == "ext4"
    assert safety.filesystem_type(Path("/srv/other.db")) == "xfs"
    for network in ("nfs", "cifs", "smb3", "fuse.sshfs", "9p", "fuse"):
        assert safety.is_network_fs(network)
    for local in ("ext4", "btrfs", "xfs", "tmpfs", "apfs", None):
        assert not safety.is_network_fs(local)


def test_a_database_on_a_network_share_is_refused_or_opened_in_safe_mode(
    capsys: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "shared.db"
    monkeypatch.setattr(safety, "filesystem_type", lambda _path: "cifs")
    with pytest.raises(DatabaseError, match="network file system \\(cifs\\)"):
        open_database(resolve_target(path))
    assert not path.exists()
    code, _, err = run(capsys, "--db", str(path), "patients")
    assert code == 1 and safety.ALLOW_NETWORK_ENV in err
    monkeypatch.setenv(safety.ALLOW_NETWORK_ENV, "1")
    services = Services.open(path)
    assert "safe mode" in services._db.notice
    services.patients.create(patient_input())
    with services._db.read() as s:
        assert s.connection().exec_driver_sql("PRAGMA journal_mode").scalar() == "delete"
    services.close()
    assert not Path(f"{path}-wal").exists()
    report = check_database(resolve_target(path))
    assert report.ok and "network file system" in report.findings[0].message
    code, out, _ = run(capsys, "--db", str(path), "check")
    assert code == 0 and "safe mode" in out  # allowed by the person: a warning, not a failure


# -- kill safety ----------------------------------------------------------------------------------


def test_writers_killed_at_random_lose_nothing_acknowledged(tmp_path: Path) -> None:
    from tests.killharness import run as kill_run

    stats = kill_run(4, tmp_path, seed=3, max_delay=0.2)
    assert stats.kills == 4
    assert stats.acknowledged > 0
    assert stats.lost == 0, stats.problems
    assert stats.sound, stats.problems


def test_a_demo_killed_part_way_checks_sound_and_opens(capsys: Any, tmp_path: Path) -> None:
    from tests.killharness import kill_demo

    db = kill_demo(tmp_path, patients=5000, at_percent=10)
    code, out, _ = run(capsys, "--db", str(db), "check")
    assert code == 0, out
    opened = open_for_app(resolve_target(db))
    assert opened.services.patients.count() == 0  # one transaction: nothing half-written
    opened.services.close()
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()


def test_saves_wait_for_the_startup_check_and_reads_do_not(services: Any) -> None:
    """The app checks the file at start on a thread of its own: a save made meanwhile waits
    for the verdict, and fails if the file turned out damaged; lookups go on."""
    import threading

    db = services._db
    outcome: list[object] = []

    def save() -> None:
        try:
            outcome.append(services.patients.create(patient_input()).value)
        except DatabaseError as exc:
            outcome.append(exc)

    db.hold_writes()
    waiting = threading.Thread(target=save)
    waiting.start()
    waiting.join(0.3)
    assert waiting.is_alive() and outcome == []
    assert services.patients.count() == 0  # reads are not held
    db.reopen(read_only=True)  # the check found damage
    db.release_writes()
    waiting.join(10)
    assert isinstance(outcome[0], DatabaseError) and "read-only" in str(outcome[0])
    db.reopen(read_only=False)
    save()
    assert services.patients.count() == 1
