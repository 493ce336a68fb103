"""Issue 11: the operating characteristics of the lot signals (mesodesk.domain.signals), measured
on simulated clinics in memory (the demo clinic's generator, no database).

The clinic: 2,000 patients registered over five years (about 4,300 sessions a year, some 17 a
working day, by four practitioners), the demo's sixteen products, each with a new lot every 150 to
240 days (so a lot is in use for about six months and ten lots of each product pass in five
years), blends of one to three products, several local reactions per session at the labels'
rates, and infections at 1 per 5,000 sessions. No lot is to blame: the demo's bad lot and
infection cluster are left out.

- **Detection**: in such a clinic (twenty of them, twelve outbreaks each), one lot is picked at
  random and three patients who had a session with it within 90 days get a serious (grade 3)
  infection 1 to 12 weeks after it (the incubation of atypical mycobacteria). The signals are
  computed as the clinic would see them on the day the third case is reported, over the whole
  history (the dashboard's default period). The figure: the share of outbreaks whose lot is
  flagged for infection. Target: at least 95 %.
- **False signals**: the same clinics without an outbreak, reviewed every quarter over their five
  years (whole history each time); every (lot, kind) flagged at any review is a false signal.
  The figure: distinct false signals per clinic-year. Target: at most 1.
"""

from __future__ import annotations

import math
import os
import random
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from tests.bench.common import Row

TODAY = date(2026, 11, 24)
PATIENTS = 2_000
YEARS = 5
REVIEWS_PER_YEAR = 4
OUTBREAKS_PER_CLINIC = 12
CLINICS = 20
OUTBREAK_CASES = 3
OUTBREAK_SPAN_DAYS = 90  # the three patients' sessions with the lot fall within 90 days
INCUBATION_DAYS = (7, 84)  # 1 to 12 weeks (docs/signals.md)


@dataclass
class ClinicResult:
    sessions: int
    false_signals: int  # distinct (lot, kind, family) flagged at any review
    false_examples: list[str]
    outbreaks: int
    detected: int


def _review_days(start: date, end: date) -> list[date]:
    step = round(365 / REVIEWS_PER_YEAR)
    days = []
    day = start + timedelta(days=step)
    while day < end:
        days.append(day)
        day += timedelta(days=step)
    days.append(end)
    return days


def false_signals(clinic: Any) -> tuple[int, list[str]]:
    from mesodesk.domain.signals import detect

    seen: dict[tuple[int, str, bool], str] = {}
    for day in _review_days(clinic.start, clinic.end):
        report = detect(clinic.exposures, clinic.events, clinic.lots, clinic.start, day)
        for s in report.signals:
            key = (s.lot.lot_id, s.kind.value, s.serious)
            seen.setdefault(
                key,
                f"{s.lot.lot_number} {s.kind.value}{' (serious)' if s.serious else ''}: "
                f"{s.cases} cases, {s.expected:.2f} expected, IC025 {s.score:.2f} on {day} "
                f"(against {s.comparison.value}, {s.comparison_patients} patients)",
            )
    return len(seen), list(seen.values())


def outbreak(clinic: Any, rng: random.Random) -> tuple[int, list[Any], date] | None:
    """Three serious infections among patients exposed to one lot within 90 days: the lot, the
    infections (event rows) and the day the third is reported; None when the clinic has no lot
    with three such patients."""
    from mesodesk.domain.enums import SideEffectKind

    by_lot: dict[int, list[tuple[int, int]]] = defaultdict(list)
    latest = clinic.end.toordinal() - INCUBATION_DAYS[1] - 14
    for patient, lot, day in clinic.exposures:
        if day <= latest:
            by_lot[lot].append((day, patient))
    lots = sorted(lot for lot, rows in by_lot.items() if len({p for _, p in rows}) >= 3)
    for _ in range(20):
        if not lots:
            return None
        lot = rng.choice(lots)
        rows = sorted(by_lot[lot])
        day0, patient0 = rng.choice(rows)
        others: dict[int, int] = {}
        for day, patient in rows:
            if day0 <= day < day0 + OUTBREAK_SPAN_DAYS and patient != patient0:
                others.setdefault(patient, day)
        if len(others) < OUTBREAK_CASES - 1:
            continue
        chosen = [(patient0, day0), *rng.sample(sorted(others.items()), OUTBREAK_CASES - 1)]
        events = []
        for patient, day in chosen:
            onset = day + rng.randint(*INCUBATION_DAYS)
            events.append((patient, SideEffectKind.INFECTION, onset, 3, True))
        reported = max(e[2] for e in events) + rng.randint(0, 7)
        return lot, events, date.fromordinal(reported)
    return None


def detected(clinic: Any, lot: int, events: list[Any], as_of: date) -> bool:
    from mesodesk.domain.enums import SideEffectKind
    from mesodesk.domain.signals import detect

    report = detect(clinic.exposures, clinic.events + events, clinic.lots, clinic.start, as_of)
    return any(s.lot.lot_id == lot and s.kind is SideEffectKind.INFECTION for s in report.signals)


def run_clinic(
    seed: int, outbreaks: int = OUTBREAKS_PER_CLINIC, reviews: bool = True
) -> ClinicResult:
    from mesodesk.services.demo import simulate_clinic

    clinic = simulate_clinic(PATIENTS, seed, TODAY, years=YEARS, anomalies=False)
    n_false, examples = false_signals(clinic) if reviews else (0, [])
    rng = random.Random(seed)
    done = found = 0
    for _ in range(outbreaks):
        made = outbreak(clinic, rng)
        if made is None:
            continue
        lot, events, as_of = made
        done += 1
        found += detected(clinic, lot, events, as_of)
    return ClinicResult(clinic.sessions, n_false, examples, done, found)


def _wilson(k: int, n: int) -> tuple[float, float]:
    from mesodesk.domain.statistics import wilson_interval

    return wilson_interval(k, n)


def signal_rows(clinics: int = CLINICS) -> list[Row]:
    started = time.perf_counter()
    workers = max(1, min(2, os.cpu_count() or 1))
    with ProcessPoolExecutor(workers) as pool:
        results = list(pool.map(run_clinic, range(1, clinics + 1)))
    seconds = time.perf_counter() - started
    outbreaks = sum(r.outbreaks for r in results)
    found = sum(r.detected for r in results)
    low, high = _wilson(found, outbreaks)
    false_per_year = [r.false_signals / YEARS for r in results]
    mean_false = sum(false_per_year) / len(false_per_year)
    spread = math.sqrt(
        sum((x - mean_false) ** 2 for x in false_per_year) / max(1, len(false_per_year) - 1)
    ) / math.sqrt(len(false_per_year))
    sessions_per_year = sum(r.sessions for r in results) / len(results) / YEARS
    examples = [e for r in results for e in r.false_examples][:2]
    size = (
        f"{clinics} simulated clinics: {PATIENTS:,} patients over {YEARS} years, "
        f"{sessions_per_year:,.0f} sessions a year"
    )
    return [
        Row(
            "signals: outbreaks of 3 serious infections on one lot flagged",
            100 * found / outbreaks,
            "%",
            95,
            f"{found}/{outbreaks}, 95 % CI {100 * low:.1f}-{100 * high:.1f} %; {size}",
            at_least=True,
        ),
        Row(
            "signals: false signals per clinic-year, no bad lot (quarterly reviews)",
            mean_false,
            "per year",
            1,
            f"{sum(r.false_signals for r in results)} in {clinics * YEARS} clinic-years, "
            f"± {spread:.2f} (standard error); e.g. {'; '.join(examples) or 'none'}",
        ),
        Row("signals: simulation time (2 processes)", seconds, "s", None, "no target"),
    ]


def detection_time_rows(db_path: Any) -> list[Row]:
    """The signals over the whole history of the benchmark's demo clinic: read from the
    database and computed (what `mesodesk signals` and the dashboard's table wait for)."""
    from mesodesk.services.registry import Services

    services = Services.open(db_path, read_only=True)
    try:
        started = time.perf_counter()
        report = services.signals.signals()
        seconds = time.perf_counter() - started
        with services._db.read() as s:
            sessions = (
                s.connection().exec_driver_sql("SELECT count(*) FROM treatment_session").scalar()
            )
    finally:
        services.close()
    named = ", ".join(f"{s.lot_number} {s.kind.value}" for s in report.signals[:4])
    return [
        Row(
            f"signals over the benchmark clinic ({sessions:,} sessions), read + computed",
            seconds,
            "s",
            None,
            named,
        )
    ]
