"""A restore racing mesodesk processes that write (issue 12, item 3): every write acknowledged
to a writer is afterwards either in the restored database (made after the restore) or in the
copy kept before the restore (made before it); no record number is given to two people.

The writers are forked from this process (its modules already loaded) and behave like the
command line: each run of a writer opens the database, saves patients, acknowledges each after
its commit, and closes it. The restore runs as `mesodesk restore` does, under the in-use lock
that every mesodesk process holds while it has the database open.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import time
from datetime import date
from pathlib import Path

from mesodesk.services.backup import inspect_backup, list_backups, restore_file
from mesodesk.services.registry import Services
from mesodesk.store.db import resolve_target
from mesodesk.store.locks import InUseLock

RUNS = 20
WRITERS = 2
SAVES = 2  # patients per opening
OPENINGS = 1  # openings per writer (the restore lands before, between or after them)


def _writer(db: Path, tag: str, out: int) -> None:
    from mesodesk.domain.patients import PatientInput

    try:
        for opening in range(OPENINGS):
            services = Services.open(db)
            try:
                for i in range(SAVES):
                    name = f"{tag}o{opening}s{i}"
                    patient = services.patients.create(
                        PatientInput(first_name=name, last_name="Race", birth_date=date(1990, 1, 1))
                    ).value
                    os.write(out, f"{patient.record_no} {name}\n".encode())
            finally:
                services.close()
    except BaseException as exc:  # reported to the parent, which fails the test
        os.write(out, f"ERROR {type(exc).__name__}: {exc}\n".encode())
    finally:
        os.close(out)
        os._exit(0)


def _spawn(db: Path, tag: str) -> tuple[int, int]:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read)
        _writer(db, tag, write)
    os.close(write)
    return pid, read


def _drain(fd: int) -> list[str]:
    data = b""
    while chunk := os.read(fd, 65536):
        data += chunk
    os.close(fd)
    return data.decode().splitlines()


def _people(path: Path) -> dict[str, str]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = con.execute("SELECT record_number, first_name FROM patient").fetchall()
    finally:
        con.close()
    return {f"MD-{n:06d}": name for n, name in rows}


def test_a_restore_racing_writers_loses_nothing_acknowledged(tmp_path: Path) -> None:
    if sys.platform == "win32":  # pragma: no cover
        return
    db = tmp_path / "clinic.sqlite3"
    folder = tmp_path / "backups"
    services = Services.open(db)
    from mesodesk.domain.patients import PatientInput

    services.patients.create(
        PatientInput(first_name="First", last_name="Race", birth_date=date(1990, 1, 1))
    )
    backup = services.backups.back_up(tmp_path / "backup.sqlite3").value.path
    services.close()
    target = resolve_target(db)
    contents = inspect_backup(backup, dest=db)  # checked once, as `mesodesk restore` does first
    acknowledged: dict[str, str] = {}
    restores = 0
    started = time.perf_counter()
    for run in range(RUNS):
        writers = [_spawn(db, f"r{run}w{w}") for w in range(WRITERS)]
        time.sleep(0.02 * (run % 5))  # the restore lands at different moments of the writes
        lock = InUseLock(db)
        try:
            lock.exclusive(wait=30)
            restore_file(target, backup, folder=folder, now=_now(run), contents=contents)
            restores += 1
        finally:
            lock.close()
        for pid, fd in writers:
            lines = _drain(fd)
            os.waitpid(pid, 0)
            errors = [line for line in lines if line.startswith("ERROR")]
            assert not errors, errors
            for line in lines:
                record_no, name = line.split(" ", 1)
                assert record_no not in acknowledged, f"{record_no} given twice"
                acknowledged[record_no] = name
    assert restores == RUNS and len(acknowledged) == RUNS * WRITERS * OPENINGS * SAVES
    # Every acknowledged write is in the database or in a copy kept before a restore, and a
    # record number means one person everywhere.
    places = [db] + [b.path for b in list_backups(folder, "clinic") if b.before_restore]
    seen: dict[str, set[str]] = {}
    for place in places:
        for record_no, name in _people(place).items():
            seen.setdefault(record_no, set()).add(name)
    lost = [r for r, name in acknowledged.items() if name not in seen.get(r, set())]
    assert lost == [], f"{len(lost)} acknowledged writes lost"
    twice = {r: names for r, names in seen.items() if len(names) > 1}
    assert twice == {}, f"record numbers given to two people: {twice}"
    assert time.perf_counter() - started < 60


def _now(run: int) -> object:
    from datetime import UTC, datetime, timedelta

    return datetime(2026, 11, 24, 10, tzinfo=UTC) + timedelta(minutes=run)
