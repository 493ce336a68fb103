"""Issues 5 and 7: the PDF summary, a batch of summaries, start-up against a bare PySide6
window, memory after scrolling the whole list, and the installable bundle."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.bench.common import ROOT, Row, median_ms

BARE_WINDOW = """
import sys, time
from PySide6.QtWidgets import QApplication, QMainWindow, QTableView
app = QApplication([])
w = QMainWindow(); w.setCentralWidget(QTableView()); w.resize(1200, 760); w.show()
app.processEvents()
print(f"shown {time.time() - float(sys.argv[1]):.4f}", flush=True)
"""

SCROLL_ALL = """
import os, sys, time
from mesodesk.app import make_application
from mesodesk.services.registry import Services
from mesodesk.ui.main_window import MainWindow
from mesodesk.ui.settings import Settings
app = make_application()
services = Services.open(sys.argv[1])
window = MainWindow(services, Settings()); window.show()
model = window.model
deadline = time.monotonic() + 600
while model.total <= 0 or model.rowCount() < model.total:
    if time.monotonic() > deadline:
        raise SystemExit("timed out")
    if model.canFetchMore():
        model.fetchMore()
    window.list_view.table.scrollToBottom()
    app.processEvents()
    time.sleep(0.001)
# VmHWM, the peak of this process's own memory: ru_maxrss would report the benchmark's (much
# larger) parent, since Linux carries the parent's peak over a fork and exec.
status = open("/proc/self/status").read()
peak = int(status.split("VmHWM:")[1].split()[0]) / 1024
print(f"rows {model.rowCount()} rss_mb {peak:.1f}")
"""


def _shown(
    command: list[str],
    env: dict[str, str],
    runs: int,
    *,
    skip_first: bool = False,
) -> list[float]:
    """Seconds from spawning mesodesk to its window's first rows, for several starts (the spawn
    time goes in MESODESK_PROBE_STARTUP)."""
    times = []
    for i in range(runs + (1 if skip_first else 0)):
        spawned = time.time()
        out = subprocess.run(
            command,
            env=dict(env, MESODESK_PROBE_STARTUP=repr(spawned)),
            capture_output=True,
            text=True,
            timeout=180,
            check=True,
        )
        if "shown " not in out.stdout:
            raise RuntimeError(out.stderr[-400:])
        if not (skip_first and i == 0):
            times.append(float(out.stdout.split("shown ")[1].split()[0]))
    return times


def startup_ratio_row(source_ms: float, bare_ms: float) -> Row:
    """mesodesk's start to its patient list against a bare window, both from the same starts."""
    return Row("start-up ratio: mesodesk list / bare window", source_ms / bare_ms, "x", 2.5)


def summary_rows() -> list[Row]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from mesodesk.services.registry import Services
    from tests.bench.bench_treatment import _busy_patient

    rows = []
    with tempfile.TemporaryDirectory() as folder:
        os.environ["MESODESK_HOME"] = folder
        services = Services.open(Path(folder) / "busy.sqlite3")
        patient_id = _busy_patient(services)
        options = services.summaries.options()
        out = Path(folder) / "summary.pdf"
        services.summaries.write(patient_id, out, options)  # matplotlib and fonts loaded once
        ms = median_ms(lambda: services.summaries.write(patient_id, out, options), 5, 1)
        pages = services.summaries.write(patient_id, out, options).pages
        rows.append(
            Row(
                f"PDF summary, 60 sessions + 150 side effects + charts ({pages} pages)",
                ms,
                "ms",
                1500,
            )
        )
        services.close()

        from mesodesk.domain.search import PatientQuery
        from mesodesk.services.demo import generate_demo

        services = Services.open(Path(folder) / "clinic.sqlite3")
        generate_demo(services._db, 100, 2)
        ids = [r.id for r in services.patients.search(PatientQuery(), limit=100).rows]
        reports: list[int] = []
        started = time.perf_counter()
        written = services.summaries.write_batch(
            ids,
            Path(folder) / "batch",
            options,
            lambda pid: f"{pid}.pdf",
            progress=lambda done, total, message: reports.append(done),
        )
        seconds = time.perf_counter() - started
        rows.append(
            Row(
                f"batch of {len(written)} summaries ({len(reports)} progress reports)",
                seconds,
                "s",
                note="with charts",
            )
        )
        services.close()
    return rows


def memory_row(db_path: Path, home: Path) -> Row:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", MESODESK_HOME=str(home))
    out = subprocess.run(
        [sys.executable, "-c", SCROLL_ALL, str(db_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=True,
    ).stdout
    rows = int(out.split("rows ")[1].split()[0])
    rss = float(out.split("rss_mb ")[1].split()[0])
    return Row(f"peak RSS after scrolling all {rows:,} patients", rss, "MB", 300)


def bundle_rows(db_path: Path, home: Path) -> list[Row]:
    """Builds dist/mesodesk when it is missing; its size, and its start after the first one."""
    dist = ROOT / "dist" / "mesodesk"
    binary = dist / "mesodesk"
    if not binary.exists():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "PyInstaller",
                "build.spec",
                "--noconfirm",
                "--log-level",
                "WARN",
            ],
            cwd=ROOT,
            check=True,
        )
    size = sum(p.stat().st_size for p in dist.rglob("*") if p.is_file() and not p.is_symlink())
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", MESODESK_HOME=str(home))
    starts = _shown([str(binary), "--db", str(db_path)], env, 3, skip_first=True)
    return [
        Row("bundle size, unpacked (dist/mesodesk)", size / 1e6, "MB", 200),
        Row(
            "bundle start to the patient list (after the first start)",
            statistics.median(starts) * 1000,
            "ms",
            1500,
        ),
    ]
