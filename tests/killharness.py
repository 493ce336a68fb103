"""Kill safety, proven: writers saving records through the services are killed with SIGKILL at
random moments, and after every kill each record the writer acknowledged must be there, SQLite's
integrity check must pass and the audit chain must hold.

A writer acknowledges a record by writing its id to a pipe *after* the service returned, that
is after the commit. A record committed but not yet acknowledged when the kill lands may or may
not be there; an acknowledged one missing is a lost record. Writers also update earlier patients
(a revision number in their notes) so that a lost update would show as a revision going back.

Writers are forked from this process, which has the modules loaded already, so that a kill
costs a fraction of a second and 200 of them fit in the benchmark suite. Run it by hand:

    .venv/bin/python -m tests.killharness --kills 200
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class KillStats:
    kills: int = 0
    acknowledged: int = 0  # records (patients created, updates made) acknowledged before a kill
    lost: int = 0  # acknowledged but missing, or an update gone back
    integrity_failures: int = 0
    chain_failures: int = 0
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def sound(self) -> bool:
        return not self.lost and not self.integrity_failures and not self.chain_failures


def _writer(db: Path, seed: int, out: int) -> None:
    """The child: save records for ever, acknowledging each after its commit."""
    from mesodesk.domain.patients import PatientInput
    from mesodesk.services.registry import Services

    rng = random.Random(seed)
    services = Services.open(db)
    created: list[int] = []
    revision = 0
    ready = False
    while True:
        if created and rng.random() < 0.3:
            patient_id = rng.choice(created)
            revision += 1
            current = services.patients.get(patient_id)
            notes = f"rev {seed:012d}:{revision:09d}"
            services.patients.update(
                patient_id, PatientInput(**{**_fields(current), "medical_notes": notes})
            )
            os.write(out, f"u {patient_id} {notes}\n".encode())
        else:
            patient = services.patients.create(
                PatientInput(
                    first_name=rng.choice(("Anna", "José", "Zoë", "Mette", "Ngozi", "Li")),
                    last_name=rng.choice(("Müller", "Okafor", "Smith", "Łukasz", "García")),
                    birth_date=date(rng.randint(1940, 2005), rng.randint(1, 12), 1),
                    phone=f"+44 20 {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}",
                )
            ).value
            created.append(patient.id)
            os.write(out, f"c {patient.id}\n".encode())
        if not ready:
            # ready once the first record is acknowledged: the first write of a fresh process
            # (lazy imports, the clinic key) can take longer than the longest wait before the
            # kill on a busy machine, and a kill before any write proves nothing
            os.write(out, b"ready\n")
            ready = True


def _fields(patient: object) -> dict[str, object]:
    names = (
        "first_name",
        "last_name",
        "birth_date",
        "sex",
        "phone",
        "email",
        "address",
        "allergies",
        "contraindications",
        "contraindication_note",
        "medical_notes",
        "consent_date",
    )
    return {name: getattr(patient, name) for name in names}


def _spawn_writer(db: Path, seed: int) -> tuple[int, int]:
    """Fork a writer; returns its pid and the read end of its acknowledgement pipe."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read)
        try:
            _writer(db, seed, write)
        finally:
            os._exit(1)
    os.close(write)
    return pid, read


def _read_until_ready(fd: int, timeout: float = 30.0) -> bytes:
    buffer = b""
    deadline = time.monotonic() + timeout
    while b"ready\n" not in buffer:
        if time.monotonic() > deadline:
            raise RuntimeError("the writer did not start")
        chunk = os.read(fd, 4096)
        if not chunk:
            raise RuntimeError("the writer died before it was ready")
        buffer += chunk
    return buffer


def _drain(fd: int, buffer: bytes) -> list[str]:
    while chunk := os.read(fd, 65536):
        buffer += chunk
    os.close(fd)
    # Only whole lines count: a line cut by the kill was never acknowledged.
    return [line for line in buffer.decode().split("\n")[:-1] if line != "ready"]


def check_after_kill(db: Path, created: set[int], updates: dict[int, str]) -> list[str]:
    """What is wrong with the database after a kill ([] when every acknowledged record is
    there, the integrity check passes and the audit chain holds)."""
    from mesodesk.services.audit import verify_connection
    from mesodesk.store.db import create_db_engine, resolve_target
    from mesodesk.store.safety import integrity_problems

    problems: list[str] = []
    # Opening it for writing first lets SQLite recover from the killed writer's journal, as
    # the app would when it starts next.
    con = sqlite3.connect(db, isolation_level=None)
    try:
        present = {r[0] for r in con.execute("SELECT id FROM patient")}
        audited = {
            r[0]
            for r in con.execute(
                "SELECT entity_id FROM audit_entry WHERE entity = 'patient' AND action = 'create'"
            )
        }
        missing = created - present
        if missing:
            problems.append(f"lost {len(missing)} acknowledged patients")
        unaudited = created - audited
        if unaudited:
            problems.append(f"{len(unaudited)} acknowledged patients have no audit entry")
        notes = dict(con.execute("SELECT id, medical_notes FROM patient"))
        gone_back = [pid for pid, rev in updates.items() if (notes.get(pid) or "") < rev]
        if gone_back:
            problems.append(f"lost {len(gone_back)} acknowledged updates")
    finally:
        con.close()
    damage = integrity_problems(db)
    if damage:
        problems.append(f"integrity check: {damage[0]}")
    engine = create_db_engine(resolve_target(db), read_only=True, pool=False)
    try:
        with engine.connect() as conn:
            chain = verify_connection(conn)
    finally:
        engine.dispose()
    if not chain.ok:
        problems.append(f"audit chain: {chain.describe()}")
    return problems


def run(
    kills: int,
    workdir: Path,
    *,
    seed: int = 1,
    max_delay: float = 0.25,
    progress: bool = False,
) -> KillStats:
    """Kill ``kills`` writers on one database and check it after each kill."""
    from mesodesk.services.registry import Services

    started = time.perf_counter()
    db = workdir / "killed.sqlite3"
    Services.open(db).close()  # created and migrated before the first writer
    rng = random.Random(seed)
    stats = KillStats()
    created: set[int] = set()
    updates: dict[int, str] = {}
    for i in range(kills):
        pid, fd = _spawn_writer(db, seed * 100_000 + i)
        try:
            buffer = _read_until_ready(fd)
            time.sleep(rng.uniform(0.0, max_delay))
        finally:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        for line in _drain(fd, buffer):
            kind, _, rest = line.partition(" ")
            stats.acknowledged += 1
            if kind == "c":
                created.add(int(rest))
            elif kind == "u":
                patient_id, _, note = rest.partition(" ")
                updates[int(patient_id)] = max(updates.get(int(patient_id), ""), note)
        stats.kills += 1
        problems = check_after_kill(db, created, updates)
        for problem in problems:
            if problem.startswith("lost"):
                stats.lost += int(problem.split()[1])
            elif problem.startswith("integrity"):
                stats.integrity_failures += 1
            elif problem.startswith("audit"):
                stats.chain_failures += 1
            stats.problems.append(f"kill {i + 1}: {problem}")
        if progress and (i + 1) % 20 == 0:
            print(
                f"  {i + 1} kills, {stats.acknowledged:,} acknowledged, {stats.lost} lost",
                file=sys.stderr,
                flush=True,
            )
    stats.seconds = time.perf_counter() - started
    return stats


def kill_demo(workdir: Path, patients: int = 5000, at_percent: int = 10) -> Path:
    """Start `mesodesk demo` in a process of its own, kill it with SIGKILL once it reports
    progress, and return the database it was writing."""
    db = workdir / "demo-killed.sqlite3"
    env = dict(os.environ)  # the same home (and clinic key) as whoever checks it afterwards
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mesodesk",
            "--db",
            str(db),
            "demo",
            "--patients",
            str(patients),
            "--create",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its worker processes go with it
    )
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            percent = line.strip().split("%")[0].strip()
            if percent.isdigit() and int(percent) >= at_percent:
                break
        else:
            raise RuntimeError("the demo ended before it could be killed")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    finally:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
    return db


def main() -> int:
    import tempfile

    parser = argparse.ArgumentParser(prog="python -m tests.killharness")
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        os.environ["MESODESK_HOME"] = str(Path(work) / "home")
        stats = run(args.kills, Path(work), seed=args.seed, progress=True)
    print(
        f"kills {stats.kills}, acknowledged {stats.acknowledged:,}, lost {stats.lost}, "
        f"integrity failures {stats.integrity_failures}, audit chain failures "
        f"{stats.chain_failures}, {stats.seconds:.1f} s"
    )
    for problem in stats.problems[:20]:
        print(problem)
    return 0 if stats.sound else 1


if __name__ == "__main__":
    raise SystemExit(main())
