"""Issue 2: search per keystroke at 100,000 patients, and start-up to the patient list."""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

from tests.bench.common import Row, median_ms


def search_rows(db_path: Path) -> list[Row]:
    from mesodesk.domain.search import PatientQuery
    from mesodesk.domain.text import fold
    from mesodesk.services.registry import Services

    services = Services.open(db_path)
    rng = random.Random(7)
    total = services.patients.count()
    sample = [
        services.patients.search(PatientQuery(), offset=rng.randrange(total), limit=1).rows[0]
        for _ in range(40)
    ]
    rows = []
    for letters in (1, 2, 3):
        queries = [fold(p.last_name)[:letters] for p in sample[:20]] + [
            fold(p.first_name)[:letters] for p in sample[20:]
        ]
        per_query = [
            median_ms(lambda q=q: services.patients.search(PatientQuery(q)), 5, 1) for q in queries
        ]
        per_query.sort()
        rows.append(
            Row(
                f"search, {letters}-letter prefix (first page + count)",
                per_query[len(per_query) // 2],
                "ms",
                20,
            )
        )
    full = [f"{p.first_name} {p.last_name}" for p in sample]
    per_query = sorted(
        median_ms(lambda q=q: services.patients.search(PatientQuery(q)), 5, 1) for q in full
    )
    rows.append(Row("search, full name", per_query[len(per_query) // 2], "ms", 20))
    services.close()
    return rows


def startup_rows(db_path: Path, home: Path) -> list[Row]:
    """From process start to the first page of patients on screen, and to the main window
    ready for input (its own list shown), medians of 5 starts; and a bare PySide6 window
    started between them, so that both see the machine in the same state."""
    from tests.bench.bench_app import BARE_WINDOW

    shown, ready, bare = [], [], []
    for _ in range(5):
        env = dict(
            os.environ,
            QT_QPA_PLATFORM="offscreen",
            MESODESK_HOME=str(home),
            MESODESK_PROBE_STARTUP=repr(time.time()),
        )
        out = subprocess.run(
            [sys.executable, "-m", "mesodesk", "--db", str(db_path)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        if "shown " not in out.stdout or "ready " not in out.stdout:
            raise RuntimeError(f"the window did not report itself shown: {out.stderr[-500:]}")
        shown.append(float(out.stdout.split("shown ")[1].split()[0]))
        ready.append(float(out.stdout.split("ready ")[1].split()[0]))
        spawned = time.time()
        out = subprocess.run(
            [sys.executable, "-c", BARE_WINDOW, repr(spawned)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        bare.append(float(out.stdout.split("shown ")[1].split()[0]))
    return [
        Row("start-up to the patient list shown", statistics.median(shown) * 1000, "ms", 1000),
        Row(
            "start-up to the main window ready for input",
            statistics.median(ready) * 1000,
            "ms",
            note="the first page shows meanwhile",
        ),
        Row("bare PySide6 window shown (same run)", statistics.median(bare) * 1000, "ms"),
    ]
