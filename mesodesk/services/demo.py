"""A realistic, deterministic demo clinic for the whole domain.

The same seed and the same ``today`` give the same clinic. Rates follow DOMAIN.md ("Published
numbers for realistic demo data"): mild local reactions after 20 to 45 % of sessions, resolving in
days; nausea in a few percent of fat-reduction sessions; pigmentation and infection rare; a few
grade 3 events; and one product lot with a clearly higher reaction rate.

Worker processes make the rows, chunk by chunk, each chunk from its own seed and its own range of
ids, while this process writes them in bulk, all in one transaction: 100,000 patients (about a
million sessions) take under a minute, and an interrupted run leaves the database empty.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import math
import multiprocessing
import os
import random
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from time import perf_counter
from typing import Any, cast

from sqlalchemy import Connection, Table, func, select

from mesodesk import logs
from mesodesk.domain.allergy import allergy_matches
from mesodesk.domain.audit import DEMO_LOAD, PendingEntry
from mesodesk.domain.enums import (
    BodyArea,
    Contraindication,
    CourseStatus,
    LaterInterval,
    SideEffectKind,
)
from mesodesk.domain.errors import ConflictError, MesodeskError, ValidationError
from mesodesk.domain.patients import RECORD_COUNTER
from mesodesk.domain.safety import CONTRAINDICATION_RULES, DEPTH_LIMITS_MM
from mesodesk.domain.schedule import CoursePlan, add_months, next_due
from mesodesk.domain.search import MAX_SCORE, patient_tokens, prefix_entries, sort_key
from mesodesk.domain.signals import EventRow, ExposureRow, LotInfo
from mesodesk.domain.text import fold
from mesodesk.services import demo_data as data
from mesodesk.store import integrity
from mesodesk.store import models as m
from mesodesk.store.db import Database
from mesodesk.store.derived import fold_lot_number, refresh_schedules

Progress = Callable[[int, int, str], None]
# each kind's chance after a session, for this patient: (usual blend, with the bad lot)
Profile = tuple[list[tuple[str, float]], list[tuple[str, float]]]
Cancelled = Callable[[], bool]

log = logs.get(__name__)
MAX_PATIENTS = 1_000_000
DEMO_VERSION = 5  # changes whenever the same seed would give a different clinic
CHUNK = 2_000
# The lot of the deoxycholate blend with an excess of mild reactions (nodules, redness and bumps)
BAD_LOT_NUMBER = "PCD-2405-B"
# The L-carnitine lot with a cluster of delayed serious infections: the published pattern of
# mesotherapy outbreaks, atypical mycobacteria from one contaminated product (DOMAIN.md)
INFECTION_LOT_NUMBER = "LC-2502-K"
HISTORY_YEARS = 4
BAD_LOT_PRODUCT = 7  # Phosphatidylcholine 5% / deoxycholate
INFECTION_LOT_PRODUCT = 9  # L-carnitine 20%
# The bad lot's mild reactions: at least this likely after a session with it (before the
# patient's propensity); the infection lot's chance of an infection per session
BAD_LOT_CHANCE = {"nodules": 0.5, "redness_bumps": 0.35}
INFECTION_LOT_RISK = 0.08
# Contraindications a clinic does not treat through (DOMAIN.md, "Treat the first group as
# absolute"): patients who have one were seen at consultation and not treated.
ABSOLUTE_CONTRAINDICATIONS = ("pregnancy", "skin_infection", "anticoagulant", "bleeding_disorder")
RELATIVE_CONTRAINDICATIONS = ("autoimmune", "keloid", "diabetes")


class DemoCancelled(MesodeskError):
    def __init__(self, patients_written: int) -> None:
        super().__init__(f"Demo data stopped after {patients_written:,} patients.")
        self.patients_written = patients_written


@dataclass(frozen=True)
class DemoSummary:
    patients: int
    courses: int
    sessions: int
    side_effects: int
    lots: int
    bad_lot: str
    infection_lot: str


def _table(model: Any) -> Table:
    return cast(Table, model.__table__)


# -- rows and how they are written --------------------------------------------------------------


def _identity(value: Any) -> Any:
    return value


def _sqlite_datetime(value: datetime | None) -> str | None:
    """The exact text SQLAlchemy's SQLite DateTime stores (instants in UTC)."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(" ", "microseconds")


def _sqlite_date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


class _Rows:
    """Rows made for each table, in the form the driver stores: for SQLite, dates and lists are
    turned into SQLAlchemy's text forms where a row is made, so executemany takes them as they
    are; for other databases they stay Python values for SQLAlchemy to bind."""

    def __init__(self, sqlite: bool) -> None:
        self.sqlite = sqlite
        self.date: Callable[[date | None], Any] = _sqlite_date if sqlite else _identity
        self.datetime: Callable[[datetime | None], Any] = _sqlite_datetime if sqlite else _identity
        self.json: Callable[[list[str]], Any] = json.dumps if sqlite else _identity
        self.tables: dict[str, tuple[tuple[str, ...], list[tuple[Any, ...]]]] = {}
        # The dashboard's totals (migration 0003), counted as the rows are made.
        self.session_days: Counter[tuple[str, str, str]] = Counter()
        self.effect_days: Counter[tuple[str, str, int, str]] = Counter()
        self.reactions: dict[tuple[int, int], list[Any]] = {}

    def add(self, table: str, columns: tuple[str, ...], row: tuple[Any, ...]) -> None:
        entry = self.tables.get(table)
        if entry is None:
            entry = self.tables[table] = (columns, [])
        entry[1].append(row)

    def __getstate__(self) -> dict[str, Any]:
        return {
            "sqlite": self.sqlite,
            "tables": self.tables,
            "stats": (self.session_days, self.effect_days, self.reactions),
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["sqlite"])  # type: ignore[misc]
        self.tables = state["tables"]
        self.session_days, self.effect_days, self.reactions = state["stats"]

    def write(self, conn: Connection) -> None:
        for name in TABLE_ORDER:
            entry = self.tables.get(name)
            if not entry or not entry[1]:
                continue
            columns, rows = entry
            if self.sqlite:
                sql = (
                    f"INSERT INTO {name} ({', '.join(columns)}) "  # noqa: S608 - fixed names
                    f"VALUES ({', '.join('?' * len(columns))})"
                )
                conn.exec_driver_sql(sql, rows)
            else:
                table = m.metadata.tables[name]
                conn.execute(table.insert(), [dict(zip(columns, r, strict=True)) for r in rows])
        self.tables.clear()


# -- the clinic's catalogue ----------------------------------------------------------------------


@dataclass
class _Lot:
    id: int
    product_index: int
    number: str
    received: date
    expiry: date


@dataclass
class _Catalogue:
    practitioner_ids: list[int]
    product_ids: list[int]
    lots_by_product: dict[int, list[_Lot]]  # product index -> lots by receipt date
    bad_lot_id: int  # 0: none
    infection_lot_id: int  # 0: none
    by_indication: dict[str, list[int]]  # indication -> product indexes
    anaesthetics: list[int]  # product indexes of the local anaesthetics
    ingredients: dict[int, list[str]]  # product index -> folded ingredient names
    profiles: dict[int, dict[str, float]]  # product index -> kind -> chance per session
    start: date  # the first day of the clinic's history
    # the numbing creams and gels (data.NUMBING_PRODUCTS, by index) and their lots
    numbing_lots: dict[int, list[_Lot]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._received = {
            index: [lot.received for lot in lots] for index, lots in self.lots_by_product.items()
        }
        self._numbing_received = {
            index: [lot.received for lot in lots] for index, lots in self.numbing_lots.items()
        }

    def numbing_lot_for(self, index: int, day: date) -> _Lot:
        """The lot of a numbing product in use on a day: the last one received by then."""
        i = bisect.bisect_right(self._numbing_received[index], day) - 1
        return self.numbing_lots[index][max(i, 0)]

    def numbing_for(self, allergies: list[str], course_id: int) -> int | None:
        """The numbing product a course uses: one the patient's allergies do not rule out (the
        app's own check, domain.allergy), the same for the whole course; None when none is
        tolerated (ice then). Chosen from the course's id, not drawn: the clinic's random
        stream stays what it was before numbing products had lots."""
        options = [
            (k, weight)
            for k, ((name, _category, ingredients), weight) in enumerate(
                zip(data.NUMBING_PRODUCTS, data.NUMBING_WEIGHTS, strict=True)
            )
            if k in self.numbing_lots
            and not (allergies and allergy_matches(allergies, {name: ingredients}))
        ]
        if not options:
            return None
        point = (course_id * 2654435761 % 2**32) / 2**32 * sum(w for _k, w in options)
        for k, weight in options:
            point -= weight
            if point < 0:
                return k
        return options[-1][0]

    def lot_number(self, lot_id: int) -> str:
        for lots in self.lots_by_product.values():
            for lot in lots:
                if lot.id == lot_id:
                    return lot.number
        return ""

    def allergy_hits(self, product_index: int, allergies: list[str]) -> bool:
        folded = [fold(a) for a in allergies]
        return any(a in ing for a in folded for ing in self.ingredients[product_index])

    def lot_for(self, product_index: int, day: date) -> _Lot:
        """The lot of a product in use on a day: the last one received by then."""
        i = bisect.bisect_right(self._received[product_index], day) - 1
        return self.lots_by_product[product_index][max(i, 0)]


def _profile(name: str, category: str) -> dict[str, float]:
    if "deoxycholate" in name.casefold():
        return data.DEOXYCHOLATE
    return data.PROFILE_BY_CATEGORY.get(category, data.FACIAL)


def _make_catalogue(
    rows: _Rows, rng: random.Random, today: date, start: date, anomalies: bool = True
) -> _Catalogue:
    now = rows.datetime(datetime.combine(start, time(8), tzinfo=UTC))
    practitioner_ids = []
    for i, (name, title) in enumerate(data.PRACTITIONERS, start=1):
        rows.add(
            "practitioner",
            ("id", "name", "title", "active", "created_at", "updated_at"),
            (i, name, title, True, now, now),
        )
        practitioner_ids.append(i)

    product_ids: list[int] = []
    lots_by_product: dict[int, list[_Lot]] = {}
    by_indication: dict[str, list[int]] = {}
    anaesthetics: list[int] = []
    ingredient_id = 0
    lot_id = 0
    bad_lot_id = infection_lot_id = 0
    for index, (name, category, ingredients, indications) in enumerate(data.PRODUCTS):
        pid = index + 1
        product_ids.append(pid)
        rows.add(
            "product",
            (
                "id",
                "name",
                "manufacturer",
                "category",
                "unit",
                "notes",
                "active",
                "numbing",
                "created_at",
                "updated_at",
            ),
            (pid, name, "Demo Laboratories", category, "ml", "", True, False, now, now),
        )
        for position, ingredient in enumerate(ingredients):
            ingredient_id += 1
            rows.add(
                "ingredient",
                ("id", "product_id", "name", "folded", "position"),
                (ingredient_id, pid, ingredient, fold(ingredient), position),
            )
        for indication in indications:
            by_indication.setdefault(indication, []).append(index)
        if category == "Local anaesthetic":
            anaesthetics.append(index)
        prefix = "".join(w[0] for w in name.replace("/", " ").split() if w[0].isalpha())[:3].upper()
        received = start - timedelta(days=120)
        lots = []
        letter = 0
        while received <= today:
            lot_id += 1
            letter += 1
            number = f"{prefix}-{received:%y%m}-{'ABCDEFGH'[letter % 8]}"
            if anomalies and index == BAD_LOT_PRODUCT and received.year == 2024 and not bad_lot_id:
                number = BAD_LOT_NUMBER
                bad_lot_id = lot_id
            if (
                anomalies
                and index == INFECTION_LOT_PRODUCT
                and received.year == 2025
                and not infection_lot_id
            ):
                number = INFECTION_LOT_NUMBER
                infection_lot_id = lot_id
            lot = _Lot(lot_id, index, number, received, add_months(received, 24))
            lots.append(lot)
            rows.add(
                "product_lot",
                (
                    "id",
                    "product_id",
                    "lot_number",
                    "lot_folded",
                    "expiry_date",
                    "received_on",
                    "notes",
                    "created_at",
                    "updated_at",
                ),
                (
                    lot_id,
                    pid,
                    number,
                    fold_lot_number(number),
                    rows.date(lot.expiry),
                    rows.date(lot.received),
                    "",
                    now,
                    now,
                ),
            )
            received = received + timedelta(days=rng.randint(150, 240))
        lots_by_product[index] = lots
    if anomalies and not bad_lot_id:  # history not reaching 2024: the product's first lot
        bad_lot_id = lots_by_product[BAD_LOT_PRODUCT][0].id
    if anomalies and not infection_lot_id:  # nor 2025: the product's last lot
        infection_lot_id = lots_by_product[INFECTION_LOT_PRODUCT][-1].id
    ingredient_names = {i: [fold(x) for x in p[2]] for i, p in enumerate(data.PRODUCTS)}
    # The numbing products, after the others (their own random stream: the injectables' lots
    # stay what they were).
    numbing_rng = random.Random(start.toordinal())
    numbing_lots: dict[int, list[_Lot]] = {}
    for k, (name, category, ingredients) in enumerate(data.NUMBING_PRODUCTS):
        pid = len(data.PRODUCTS) + 1 + k
        rows.add(
            "product",
            (
                "id",
                "name",
                "manufacturer",
                "category",
                "unit",
                "notes",
                "active",
                "numbing",
                "created_at",
                "updated_at",
            ),
            (pid, name, "Demo Laboratories", category, "g", "", True, True, now, now),
        )
        for position, ingredient in enumerate(ingredients):
            ingredient_id += 1
            rows.add(
                "ingredient",
                ("id", "product_id", "name", "folded", "position"),
                (ingredient_id, pid, ingredient, fold(ingredient), position),
            )
        prefix = "N" + "".join(w[0] for w in name.replace("/", " ").split() if w[0].isalpha())[:2]
        received = start - timedelta(days=120)
        lots = []
        letter = 0
        while received <= today:
            lot_id += 1
            letter += 1
            number = f"{prefix.upper()}-{received:%y%m}-{'ABCDEFGH'[letter % 8]}"
            lot = _Lot(lot_id, k, number, received, add_months(received, 24))
            lots.append(lot)
            rows.add(
                "product_lot",
                (
                    "id",
                    "product_id",
                    "lot_number",
                    "lot_folded",
                    "expiry_date",
                    "received_on",
                    "notes",
                    "created_at",
                    "updated_at",
                ),
                (
                    lot_id,
                    pid,
                    number,
                    fold_lot_number(number),
                    rows.date(lot.expiry),
                    rows.date(lot.received),
                    "",
                    now,
                    now,
                ),
            )
            received = received + timedelta(days=numbing_rng.randint(150, 240))
        numbing_lots[k] = lots
    return _Catalogue(
        practitioner_ids,
        product_ids,
        lots_by_product,
        bad_lot_id,
        infection_lot_id,
        by_indication,
        anaesthetics,
        ingredient_names,
        {i: _profile(p[0], p[1]) for i, p in enumerate(data.PRODUCTS)},
        start,
        numbing_lots,
    )


# -- patients and their treatment ---------------------------------------------------------------


def _phone(rng: random.Random, pattern: str) -> str:
    return "".join(
        str(rng.randint(0, 9)) if ch == "#" else str(rng.randint(2, 9)) if ch == "N" else ch
        for ch in pattern
    )


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


# Upper bounds per patient, so that each chunk of patients owns a fixed range of ids and chunks
# can be made in any order, by any process, with the same result.
_IDS_PER_PATIENT = {"course": 2, "session": 40, "blend": 160, "effect": 400, "outcome": 2}


class _Generator:
    """Makes the rows of one chunk of patients, from its own seed."""

    def __init__(
        self,
        seed: int,
        chunk: int,
        first_pid: int,
        today: date,
        catalogue: _Catalogue,
        sqlite: bool,
    ) -> None:
        self.rows = _Rows(sqlite)
        self.rng = random.Random(seed * 1_000_003 + chunk)
        self.today = today
        # The history ends the evening before ``today``: nothing is dated on the day itself, so
        # that no session, side effect or report lies in the future whatever the clock says.
        self.last_day = today - timedelta(days=1)
        self.start = catalogue.start
        self.cat = catalogue
        self.culture_weights = [c[0] for c in data.CULTURES]
        self.ids = {k: (first_pid - 1) * n for k, n in _IDS_PER_PATIENT.items()}
        self.limits = {k: v + CHUNK * _IDS_PER_PATIENT[k] for k, v in self.ids.items()}
        self.counts = {"courses": 0, "sessions": 0, "effects": 0}
        self.propensity = 1.0
        # the current patient's side effects at a body area: (area, onset, resolved or None)
        self.blocked: list[tuple[str, date, date | None]] = []
        self.confirmed: list[str] = []

    def next_id(self, key: str) -> int:
        self.ids[key] += 1
        assert self.ids[key] <= self.limits[key], key
        return self.ids[key]

    def patient(self, pid: int) -> None:
        rng = self.rng
        culture = rng.choices(data.CULTURES, weights=self.culture_weights)[0]
        _, female, male, last_names, phone_format = culture
        sex = "female" if rng.random() < 0.86 else ("male" if rng.random() < 0.97 else "other")
        first = rng.choice(male if sex == "male" else female)
        if rng.random() < 0.06:
            second = rng.choice(male if sex == "male" else female)
            if second != first:
                first = f"{first} {second}"
        last = rng.choice(last_names)
        if rng.random() < 0.04:
            other = rng.choice(last_names)
            if other != last:
                last = f"{last}-{other}"
        last = "-".join(_surname_for(part, sex) for part in last.split("-"))
        age_days = rng.randint(19 * 365, 72 * 365)
        birth = self.today - timedelta(days=age_days)
        phone = _phone(rng, phone_format)
        email = ""
        if rng.random() < 0.65:
            local = fold(first.split()[0])[:12].replace(" ", "") or "patient"
            if not local.isascii():
                local = f"patient{pid}"
            email = f"{local}.{pid}@example.com"
        address = ""
        if rng.random() < 0.5:
            address = f"{rng.randint(1, 250)} {rng.choice(data.STREETS)}\n{rng.choice(data.CITIES)}"
        allergies: list[str] = []
        if rng.random() < 0.09:
            allergies = rng.sample(data.ALLERGIES, k=1 if rng.random() < 0.8 else 2)
        contraindications: list[str] = []
        if rng.random() < 0.05:
            contraindications = [rng.choice(RELATIVE_CONTRAINDICATIONS)]
        if allergies and rng.random() < 0.5:
            contraindications.append("ingredient_allergy")
        registered_day = self.start + timedelta(days=rng.randint(0, (self.today - self.start).days))
        adult_from = registered_day - timedelta(days=round(18 * 365.25) + 1)
        if birth > adult_from:  # every patient was an adult when registered
            birth = adult_from - timedelta(days=rng.randint(0, 3 * 365))
        registered = datetime.combine(registered_day, time(9, 0), tzinfo=UTC) + timedelta(
            minutes=rng.randint(0, 600)
        )
        # A few are seen at consultation with an absolute contraindication and not treated
        # (pregnancy only for a woman of child-bearing age).
        untreated = False
        if rng.random() < 0.02:
            absolute = rng.choice(ABSOLUTE_CONTRAINDICATIONS)
            age_then = (registered_day - birth).days / 365.25
            if absolute != "pregnancy" or (sex == "female" and age_then < 45):
                contraindications.append(absolute)
                untreated = True
        # How prone this patient is to local reactions: log-normal with mean 1 (some bruise at
        # every session, most rarely do); the reactions of one patient cluster.
        self.propensity = math.exp(rng.gauss(-0.125, 0.5))
        self.blocked = []
        # The practitioner confirmed each relative contraindication, session by session (the
        # question the session dialog asks; domain.safety)
        self.confirmed = sorted(
            CONTRAINDICATION_RULES[Contraindication.parse(code)]
            for code in set(contraindications)
            if code in RELATIVE_CONTRAINDICATIONS
        )

        courses: list[tuple[int, date | None]] = []  # (course id, next due)
        course_end = registered_day
        last_session: datetime | None = None
        if not untreated and rng.random() < 0.86:
            course_start = registered_day + timedelta(days=rng.randint(0, 21))
            n_courses = 1 if rng.random() < 0.52 else 2
            for _ in range(n_courses):
                if course_start > self.last_day:
                    break
                if courses:
                    # A new course closes the one before: its follow-ups are no longer due.
                    self._close_last_course(course_end)
                    courses[-1] = (courses[-1][0], None)
                course_id, due, last_at, course_end = self.course(pid, course_start, allergies)
                courses.append((course_id, due))
                if last_at and (last_session is None or last_at > last_session):
                    last_session = last_at
                course_start = course_end + timedelta(days=rng.randint(60, 400))
        dues = [d for _, d in courses if d is not None]
        st = self.rows
        registered_at = st.datetime(registered)
        st.add(
            "patient",
            PATIENT_COLUMNS,
            (
                pid,
                pid,
                first,
                last,
                fold(first)[:100],
                fold(last)[:100],
                st.date(birth),
                sex,
                phone,
                email,
                address,
                st.json(allergies),
                st.json(sorted(set(contraindications))),
                "",
                "",
                # consent at registration; only some never-treated patients have none recorded
                st.date(registered_day) if courses or rng.random() < 0.9 else None,
                False,
                None,
                st.datetime(last_session),
                st.date(min(dues) if dues else None),
                registered_at,
                registered_at,
            ),
        )
        tokens = patient_tokens(first, last, pid, phone)
        for token, weight in tokens.items():
            st.add("patient_token", ("patient_id", "token", "weight"), (pid, token, weight))
        key = sort_key(fold(first)[:100], fold(last)[:100])
        for prefix, value in prefix_entries(tokens).items():
            st.add("patient_prefix", PREFIX_COLUMNS, (pid, prefix, False, MAX_SCORE - value, key))

    def _close_last_course(self, ended: date) -> None:
        rows = self.rows.tables["course"][1]
        row = list(rows[-1])
        status = COURSE_COLUMNS.index("status")
        if row[status] == CourseStatus.ACTIVE.value:
            row[status] = CourseStatus.COMPLETED.value
            row[COURSE_COLUMNS.index("ended_on")] = self.rows.date(ended)
            row[COURSE_COLUMNS.index("end_reason")] = "Followed by a new course"
        row[COURSE_COLUMNS.index("next_due")] = None
        rows[-1] = tuple(row)

    def _numbing(self, numbed: bool, product: int | None, day: date) -> tuple[str, int | None]:
        """A session's numbing agent and lot: the course's numbing product with the lot in use
        that day, or ice for a patient who tolerates none of them."""
        if not numbed:
            return "none", None
        if product is None:
            return "cold", None
        return "topical", self.cat.numbing_lot_for(product, day).id

    def course(
        self, pid: int, start: date, allergies: list[str]
    ) -> tuple[int, date | None, datetime | None, date]:
        rng = self.rng
        cid = self.next_id("course")
        self.counts["courses"] += 1
        indication = _weighted(rng, data.INDICATION_WEIGHTS)
        area_choices, depth_range, price_range = data.INDICATION_PROFILE[indication]
        areas = sorted(rng.sample(area_choices, k=min(len(area_choices), rng.choice((1, 1, 2)))))
        planned = rng.choice((4, 5, 6, 6, 8, 8, 10, 10, 10, 12, 12, 15))
        plan = CoursePlan(
            planned_sessions=planned,
            induction_sessions=min(planned, rng.choice((3, 4, 4, 5, 6))),
            induction_interval_days=rng.choice((7, 7, 7, 10, 10, 8, 9)),
            later_interval=LaterInterval.BIWEEKLY if rng.random() < 0.55 else LaterInterval.MONTHLY,
            maintenance_interval_months=rng.choice((3, 4, 4, 5, None)),
        )
        price = rng.randrange(price_range[0], price_range[1] + 1, 25) * 100
        products = self.cat.by_indication[indication]
        blend = sorted(rng.sample(products, k=min(len(products), rng.choice((1, 2, 2, 3)))))
        # A clinic does not inject an anaesthetic that the patient is allergic to.
        tolerated = [a for a in self.cat.anaesthetics if not self.cat.allergy_hits(a, allergies)]
        uses_anaesthetic = bool(tolerated) and rng.random() < 0.25 and indication != "hair_loss"
        if uses_anaesthetic:
            blend.append(rng.choice(tolerated))
        numbing = self.cat.numbing_for(allergies, cid)
        depth = round(rng.uniform(*depth_range) * 2) / 2
        # never deeper than the shallowest area's usual limit (domain.safety.DEPTH_LIMITS_MM)
        depth = min([depth, *(DEPTH_LIMITS_MM.get(BodyArea.parse(a), 4.0) for a in areas)])
        practitioner = rng.choice(self.cat.practitioner_ids)
        st = self.rows
        areas_stored = st.json(areas)
        profile = self._reaction_profile(indication, blend)
        confirmed = st.json(self.confirmed)

        stop_after = planned + 99
        if rng.random() < 0.06:
            stop_after = rng.randint(1, max(1, planned - 1))
        dates: list[date] = []
        day = start
        gais_start = rng.choice((4, 4, 3))
        last_started: datetime | None = None
        halted = False
        while day <= self.last_day and len(dates) < stop_after and len(dates) < planned + 3:
            if rng.random() < 0.04:  # a missed appointment: the next one is weeks later
                day += timedelta(days=rng.randint(7, 28))
            # No session on an area with a side effect still open there: it waits until the
            # side effect has resolved, and the course stops while one is still open.
            day, halted = self._clear_of_side_effects(day, areas)
            if halted or day > self.last_day:
                break
            dates.append(day)
            number = len(dates)
            sid = self.next_id("session")
            self.counts["sessions"] += 1
            started = datetime.combine(day, time(rng.randint(9, 18), rng.choice((0, 15, 30, 45))))
            last_started = started
            started_at = st.datetime(started)
            progress = min(1.0, number / max(planned, 1))
            gais = max(1, min(5, round(gais_start - 2 * progress + rng.gauss(0, 0.6))))
            pain = max(0, min(10, round(rng.gauss(2.5 if uses_anaesthetic else 3.8, 1.6))))
            satisfaction = max(0, min(10, round(rng.gauss(5.5 + 3 * progress, 1.4))))
            volume = round(rng.uniform(1.0, 3.0) * len(blend), 1)
            numbing_agent, numbing_lot = self._numbing(
                uses_anaesthetic or rng.random() < 0.4, numbing, day
            )
            st.add(
                "treatment_session",
                SESSION_COLUMNS,
                (
                    sid,
                    pid,
                    cid,
                    practitioner,
                    started_at,
                    areas_stored,
                    depth,
                    numbing_agent,
                    numbing_lot,
                    "injector"
                    if indication in ("local_fat", "cellulite") and rng.random() < 0.4
                    else rng.choice(("nappage", "nappage", "papule", "point", "linear")),
                    rng.randint(4, 30) * 10,
                    volume,
                    pain,
                    gais if number > 1 else None,
                    satisfaction,
                    price,
                    "",
                    confirmed,
                    started_at,
                    started_at,
                ),
            )
            used_lots = []
            day_key = day.isoformat()
            st.session_days[("indication", indication, day_key)] += 1
            for area in areas:
                st.session_days[("area", area, day_key)] += 1
            for position, product in enumerate(blend):
                lot = self.cat.lot_for(product, day)
                used_lots.append(lot.id)
                st.session_days[("lot", str(lot.id), day_key)] += 1
                st.add(
                    "blend_item",
                    ("id", "session_id", "lot_id", "amount_ml", "position"),
                    (self.next_id("blend"), sid, lot.id, round(volume / len(blend), 2), position),
                )
            if numbing_lot is not None:  # a lot the session used too (store.session_lots)
                st.session_days[("lot", str(numbing_lot), day_key)] += 1
            self.side_effects(
                pid, sid, started, indication, areas, profile, used_lots, practitioner
            )
            # the schedule: planned interval, usually kept, sometimes a few days late
            due = next_due(plan, CourseStatus.ACTIVE, start, dates)
            if due is None:
                break
            late = rng.choice((0, 0, 0, 1, 2, 3)) if rng.random() < 0.85 else rng.randint(4, 16)
            day = due.on + timedelta(days=late)

        if halted or len(dates) >= stop_after:
            status = CourseStatus.STOPPED
        elif len(dates) >= planned and rng.random() < 0.8:
            status = CourseStatus.COMPLETED
        else:
            status = CourseStatus.ACTIVE
        due = next_due(plan, status, start, dates)
        end_reason = "Patient chose to stop" if status is CourseStatus.STOPPED else ""
        if halted:
            end_reason = "Stopped: a side effect at the treated area"
        lapsed = (self.today - due.on).days if due is not None else 0
        if lapsed > 365 or (lapsed > 120 and rng.random() < 0.85):
            # Most patients who lapsed long ago have been closed by the clinic.
            status, due, end_reason = CourseStatus.STOPPED, None, "Did not return"
        ended = dates[-1] if status is not CourseStatus.ACTIVE and dates else None
        now = st.datetime(datetime.combine(start, time(9), tzinfo=UTC))
        st.add(
            "course",
            COURSE_COLUMNS,
            (
                cid,
                pid,
                indication,
                "",
                areas_stored,
                plan.planned_sessions,
                plan.induction_sessions,
                plan.induction_interval_days,
                plan.later_interval.value,
                plan.maintenance_interval_months,
                price,
                status.value,
                st.date(start),
                st.date(ended),
                end_reason,
                "",
                st.date(due.on if due else None),
                now,
                now,
            ),
        )
        if status is CourseStatus.COMPLETED and dates:
            gais = max(1, min(5, gais_start - 2 + round(rng.gauss(0, 0.7))))
            satisfaction = max(0, min(10, round(rng.gauss(8, 1.3))))
            # The patient's own GAIS and the notes come from the course's own stream, so that
            # the rest of the clinic stays what it was before the review had them. Patients
            # score close to the practitioner, a little more often worse than better.
            own = random.Random(cid)
            patient_gais = max(1, min(5, gais + round(own.gauss(0.2, 0.7))))
            notes = ""
            if own.random() < 0.2:
                good, modest, none = data.REVIEW_NOTES[:2] + data.REVIEW_NOTES[3:4], 2, 4
                notes = (
                    own.choice(good)
                    if gais <= 2
                    else data.REVIEW_NOTES[modest if gais == 3 else none]
                )
            st.add(
                "outcome_assessment",
                (
                    "id",
                    "patient_id",
                    "course_id",
                    "session_id",
                    "assessed_on",
                    "gais",
                    "patient_gais",
                    "satisfaction",
                    "assessor_id",
                    "notes",
                    "created_at",
                    "updated_at",
                ),
                (
                    self.next_id("outcome"),
                    pid,
                    cid,
                    None,
                    st.date(dates[-1]),
                    gais,
                    patient_gais,
                    satisfaction,
                    practitioner,
                    notes,
                    now,
                    now,
                ),
            )
        return cid, due.on if due else None, last_started, dates[-1] if dates else start

    def _reaction_profile(self, indication: str, blend: list[int]) -> Profile:
        """The chance of each kind of side effect after a session of this blend, for this
        patient: the most reactive product's for each kind (scalp sessions have their own), pain
        lowered by a local anaesthetic in the blend, times the patient's propensity; and the
        same with the bad lot in the blend."""
        scalp = data.PROFILE_BY_INDICATION.get(indication)
        profile: dict[str, float] = dict(scalp) if scalp else {}
        if not scalp:
            for product in blend:
                for kind, chance in self.cat.profiles[product].items():
                    profile[kind] = max(profile.get(kind, 0.0), chance)
        if any(product in self.cat.anaesthetics for product in blend) and "pain" in profile:
            profile["pain"] *= data.ANAESTHETIC_PAIN_FACTOR
        prone = self.propensity
        usual = [(kind, min(0.95, chance * prone)) for kind, chance in profile.items()]
        with_bad_lot = [
            (kind, min(0.95, max(chance, BAD_LOT_CHANCE.get(kind, 0.0)) * prone))
            for kind, chance in profile.items()
        ]
        return usual, with_bad_lot

    def _clear_of_side_effects(self, day: date, areas: list[str]) -> tuple[date, bool]:
        """The first day from ``day`` on with no side effect open at one of ``areas`` (a session
        waits until it has resolved), and whether one is open for good (still open today)."""
        moved = True
        while moved:
            moved = False
            for area, onset, resolved in self.blocked:
                if area not in areas or onset > day or (resolved is not None and resolved < day):
                    continue
                if resolved is None:
                    return day, True
                day = resolved + timedelta(days=self.rng.randint(1, 7))
                moved = True
        return day, False

    def side_effects(
        self,
        pid: int,
        sid: int,
        started: datetime,
        indication: str,
        areas: list[str],
        profile: Profile,
        lot_ids: list[int],
        practitioner: int,
    ) -> None:
        """The side effects that followed one session: each kind of local reaction drawn on its
        own at the blend's rate (several in one session are common), infections at the clinic's
        background rate, and the two lots under watch (docs/demo.md)."""
        rng = self.rng
        day = started.date()
        if day >= self.last_day:
            return  # nothing reported yet for a session of the last day
        random = rng.random
        chances = profile[1] if self.cat.bad_lot_id in lot_ids else profile[0]
        kinds = [kind for kind, chance in chances if random() < chance]
        cluster = self.cat.infection_lot_id in lot_ids and random() < INFECTION_LOT_RISK
        if cluster or random() < data.INFECTION_PER_SESSION:
            kinds.append("infection")
        for kind in kinds:
            self._side_effect(pid, sid, started, kind, indication, areas, lot_ids, practitioner)

    def _side_effect(
        self,
        pid: int,
        sid: int,
        started: datetime,
        kind: str,
        indication: str,
        areas: list[str],
        lot_ids: list[int],
        practitioner: int,
    ) -> None:
        rng = self.rng
        day = started.date()
        if kind == "infection":
            # grade 2: oral antibiotics; grade 3: weeks of antibiotics, drainage (CTCAE v5 Skin
            # infection); the cluster's atypical mycobacteria are nearly all grade 3
            in_cluster = self.cat.infection_lot_id in lot_ids
            grade = 3 if rng.random() < (0.9 if in_cluster else 0.4) else 2
        elif kind == "nausea":
            grade = 1 if rng.random() < 0.8 else 2
        elif kind == "hyperpigmentation":
            grade = 1 if rng.random() < 0.7 else 2
        else:
            roll = rng.random()
            low, moderate, _ = data.LOCAL_GRADES
            grade = 1 if roll < low else (2 if roll < low + moderate else 3)
        grade = min(grade, data.MAX_GRADE.get(kind, 3))
        first, last = data.ONSET_DAYS.get(kind, (0, 0))
        onset = day + timedelta(days=_between(rng, first, last))
        if kind not in data.ONSET_DAYS and rng.random() < 0.3:
            onset += timedelta(days=_between(rng, 1, 2))
        if onset > self.last_day:
            return  # it has not happened yet
        shortest, longest = data.DURATION_DAYS.get(kind, (1, 5))
        days = round(_between(rng, shortest, longest) * (1 + 0.8 * (grade - 1)))
        resolved: date | None = onset + timedelta(days=days)
        if resolved is not None and resolved > self.last_day:
            resolved = None
        if resolved is None:
            outcome = "recovering" if rng.random() < 0.6 else "ongoing"
        elif kind in ("infection", "hyperpigmentation") and rng.random() < 0.25:
            outcome = "resolvedWithSequelae"
        else:
            outcome = "resolved"
        action = ACTIONS.get(kind, "none")
        if grade >= 3 and kind != "infection":
            action = "referral"
        elif grade == 1 and rng.random() < 0.6:
            action = "none"
        causality = _pick(rng, CAUSALITY)
        reported_via = _pick(rng, REPORTED_VIA)
        # reported on the day it started or within days, never before the session, never after
        # the last day of the clinic's history
        delay = _between(rng, 0, 10 if kind in data.ONSET_DAYS else 3)
        reported_day = min(self.last_day, onset + timedelta(days=delay))
        reported = datetime.combine(
            reported_day, time(_between(rng, 9, 18), 30 if rng.random() < 0.5 else 0)
        )
        if reported <= started:
            reported = started + timedelta(minutes=_between(rng, 30, 240))
        if reported.date() > self.last_day:
            return
        self.counts["effects"] += 1
        st = self.rows
        reported_at = st.datetime(reported)
        pain_nrs = _between(rng, *PAIN_NRS_BY_GRADE[grade]) if kind == "pain" else None
        body_area = None if kind == "nausea" else rng.choice(areas)
        if body_area is not None:
            self.blocked.append((body_area, onset, resolved))
        day_key = day.isoformat()
        st.effect_days[("kind", kind, grade, day_key)] += 1
        st.effect_days[("indication", indication, grade, day_key)] += 1
        if body_area is not None:
            st.effect_days[("area", body_area, grade, day_key)] += 1
        effect_id = self.next_id("effect")
        st.add(
            "side_effect",
            EFFECT_COLUMNS,
            (
                effect_id,
                pid,
                sid,
                kind,
                "",
                st.date(onset),
                st.date(resolved),
                grade,
                pain_nrs,
                grade >= 3,
                outcome,
                causality,
                body_area,
                "",
                action,
                "",
                reported_via,
                reported_at,
                practitioner,
                "",
                reported_at,
                reported_at,
            ),
        )
        self._record_suspected_lots(
            effect_id, sid, day_key, suspected_lots(kind, lot_ids, self.cat, rng)
        )

    def _record_suspected_lots(
        self, effect_id: int, session_id: int, day_key: str, lots: list[int]
    ) -> None:
        """Write a side effect's suspected lots (the ``side_effect_lot`` link rows) and the
        dashboard's reaction totals, one per lot."""
        for link in m.suspected_lot_rows(effect_id, lots):
            self.rows.add("side_effect_lot", m.SIDE_EFFECT_LOT_COLUMNS, link)
        for lot in dict.fromkeys(lots):
            reaction = self.rows.reactions.setdefault((lot, session_id), [day_key, 0])
            reaction[1] += 1


# CTCAE v5 pain grade to the numeric rating scale (DOMAIN.md: 1-3 mild, 4-6 moderate, 7-10 severe)
PAIN_NRS_BY_GRADE = {1: (1, 3), 2: (4, 6), 3: (7, 10)}
ACTIONS = {
    "infection": "antibiotic",
    "itching": "antihistamine",
    "rash": "antihistamine",
    "swelling": "cold_compress",
    "bruising": "none",
    "hyperpigmentation": "topical",
    "nodules": "topical",
}
# (values, cumulative weights)
CAUSALITY = (("certain", "probable", "possible", "unlikely"), (15, 65, 95, 100))
REPORTED_VIA = (("follow_up", "phone", "in_clinic", "message"), (45, 75, 90, 100))


def _between(rng: random.Random, low: int, high: int) -> int:
    """A whole number from ``low`` to ``high``, both included (randint's work for a fraction of
    its cost: the demo draws millions)."""
    return low + int(rng.random() * (high - low + 1))


def _pick(rng: random.Random, table: tuple[tuple[str, ...], tuple[int, ...]]) -> str:
    values, cumulative = table
    return values[bisect.bisect_right(cumulative, rng.random() * cumulative[-1])]


def suspected_lots(
    kind: str, lot_ids: list[int], catalogue: _Catalogue, rng: random.Random
) -> list[int]:
    """Which lots of the session's blend the clinician suspects: the lot under watch when the
    blend had it (the contaminated lot for an infection), else one lot of the blend."""
    if kind == "infection" and catalogue.infection_lot_id in lot_ids:
        return [catalogue.infection_lot_id]
    if catalogue.bad_lot_id in lot_ids:
        return [catalogue.bad_lot_id]
    return [lot_ids[int(rng.random() * len(lot_ids))]]


PATIENT_COLUMNS = (
    "id",
    "record_number",
    "first_name",
    "last_name",
    "first_folded",
    "last_folded",
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
    "archived",
    "archived_at",
    "last_session_at",
    "next_due",
    "created_at",
    "updated_at",
)
SESSION_COLUMNS = (
    "id",
    "patient_id",
    "course_id",
    "practitioner_id",
    "started_at",
    "areas",
    "depth_mm",
    "numbing_agent",
    "numbing_lot_id",
    "technique",
    "injection_points",
    "total_volume_ml",
    "pain_nrs",
    "gais",
    "satisfaction",
    "price_cents",
    "notes",
    "safety_confirmed",
    "created_at",
    "updated_at",
)
COURSE_COLUMNS = (
    "id",
    "patient_id",
    "indication",
    "indication_note",
    "areas",
    "planned_sessions",
    "induction_sessions",
    "induction_interval_days",
    "later_interval",
    "maintenance_interval_months",
    "price_per_session_cents",
    "status",
    "started_on",
    "ended_on",
    "end_reason",
    "notes",
    "next_due",
    "created_at",
    "updated_at",
)
EFFECT_COLUMNS = (
    "id",
    "patient_id",
    "session_id",
    "kind",
    "kind_note",
    "onset_on",
    "resolved_on",
    "grade",
    "pain_nrs",
    "serious",
    "outcome",
    "causality",
    "body_area",
    "body_area_note",
    "action_taken",
    "action_note",
    "reported_via",
    "reported_at",
    "recorded_by_id",
    "notes",
    "created_at",
    "updated_at",
)
PREFIX_COLUMNS = ("patient_id", "prefix", "archived", "rank", "sort_key")
# parents before children, for the foreign keys
TABLE_ORDER = (
    "practitioner",
    "product",
    "ingredient",
    "product_lot",
    "patient",
    "patient_token",
    "patient_prefix",
    "course",
    "treatment_session",
    "blend_item",
    "side_effect",
    "side_effect_lot",
    "outcome_assessment",
)


def _make_chunk(
    seed: int,
    chunk: int,
    first_pid: int,
    count: int,
    today: date,
    catalogue: _Catalogue,
    sqlite: bool,
) -> tuple[_Rows, dict[str, int]]:
    generator = _Generator(seed, chunk, first_pid, today, catalogue, sqlite)
    for pid in range(first_pid, first_pid + count):
        generator.patient(pid)
    return generator.rows, generator.counts


def _chunks(patients: int) -> list[tuple[int, int, int]]:
    """(chunk index, first patient id, number of patients) for each chunk."""
    return [
        (i, first, min(CHUNK, patients - first + 1))
        for i, first in enumerate(range(1, patients + 1, CHUNK))
    ]


def _worker_count(patients: int) -> int:
    """Worker processes make rows while this one writes them; small clinics need none."""
    if patients < 4 * CHUNK:
        return 0
    return max(1, min(3, os.cpu_count() or 1))


def _made_chunks(
    seed: int,
    chunks: list[tuple[int, int, int]],
    today: date,
    catalogue: _Catalogue,
    sqlite: bool,
    pool: ProcessPoolExecutor | None,
    workers: int,
) -> Iterator[tuple[_Rows, dict[str, int], int]]:
    """The rows of each chunk in order, made ahead by the worker processes when there are any."""
    queue = deque(chunks)
    if pool is None:
        for chunk, first, count in queue:
            rows, counts = _make_chunk(seed, chunk, first, count, today, catalogue, sqlite)
            yield rows, counts, count
        return
    pending: deque[tuple[int, Future[tuple[_Rows, dict[str, int]]]]] = deque()
    while queue or pending:
        while queue and len(pending) < workers + 1:
            chunk, first, count = queue.popleft()
            future = pool.submit(_make_chunk, seed, chunk, first, count, today, catalogue, sqlite)
            pending.append((count, future))
        count, future = pending.popleft()
        rows, counts = future.result()
        yield rows, counts, count


def _write_stats(
    conn: Connection,
    session_days: Counter[tuple[str, str, str]],
    effect_days: Counter[tuple[str, str, int, str]],
    reactions: dict[tuple[int, int], list[Any]],
) -> None:
    """The dashboard's totals as the generator counted them (a test checks them against a
    recount from the tables, AnalyticsService.drift)."""
    for table in ("stats_session_day", "stats_effect_day", "stats_lot_reaction"):
        conn.exec_driver_sql(f"DELETE FROM {table}")  # noqa: S608 - fixed names
    for sql, rows in (
        (
            "INSERT INTO stats_session_day (dim, code, day, sessions) VALUES (?, ?, ?, ?)",
            [(*key, n) for key, n in session_days.items()],
        ),
        (
            "INSERT INTO stats_effect_day (dim, code, grade, day, effects) VALUES (?, ?, ?, ?, ?)",
            [(*key, n) for key, n in effect_days.items()],
        ),
        (
            "INSERT INTO stats_lot_reaction (lot_id, session_id, day, effects) VALUES (?, ?, ?, ?)",
            [(lot, session, day, n) for (lot, session), (day, n) in reactions.items()],
        ),
    ):
        if rows:  # a clinic of one patient may have no session at all
            conn.exec_driver_sql(sql, rows)


def _stats_triggers(conn: Connection) -> list[tuple[str, str]]:
    """The triggers that keep the dashboard's totals (migration 0003), with their SQL."""
    found = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'stats%'"
    ).fetchall()
    return [(str(name), str(sql)) for name, sql in found]


# Surnames that change with the bearer's sex, as the demo's name lists give them.
_GREEK_SURNAMES = {"Παπαδόπουλος": "Παπαδοπούλου", "Καραγιάννης": "Καραγιάννη"}


def _surname_for(last: str, sex: str) -> str:
    """The form of a surname for a woman or a man: Иванова / Иванов, Kowalska / Kowalski,
    Παπαδοπούλου / Παπαδόπουλος (the lists hold one form of each)."""
    female = sex != "male"
    greek = {v: k for k, v in _GREEK_SURNAMES.items()} if not female else _GREEK_SURNAMES
    if last in greek:
        return greek[last]
    if female and last.endswith(("ski", "cki", "dzki")):
        return last[:-1] + "a"
    if not female and last.endswith(("ska", "cka", "dzka")):
        return last[:-1] + "i"
    if not female and last.endswith(("ова", "ева", "ёва", "ина")):
        return last[:-1]
    return last


def generate_demo(
    db: Database,
    patients: int,
    seed: int = 1,
    *,
    today: date | None = None,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> DemoSummary:
    """Fill an empty database with a demo clinic of ``patients`` patients."""
    if not 1 <= patients <= MAX_PATIENTS:
        raise ValidationError.single(
            "patients", f"Patients must be between 1 and {MAX_PATIENTS:,}."
        )
    today = today or date.today()
    if not date(1950, 1, 1) <= today <= date(2100, 12, 31):
        raise ValidationError.single("as_of", "The demo's date is between 1950 and 2100.")
    started = perf_counter()
    with db.read() as s:
        existing = s.execute(select(func.count()).select_from(_table(m.Patient))).scalar_one()
        products = s.execute(select(func.count()).select_from(_table(m.Product))).scalar_one()
    if existing or products:
        raise ConflictError(
            "Demo data goes only into an empty database, and this one already holds "
            f"{existing:,} patients and {products:,} products. Choose a new database file."
        )
    sqlite = db.is_sqlite
    start = today - timedelta(days=365 * HISTORY_YEARS)
    report = progress or (lambda done, total, message: None)
    report(0, patients, "Writing the product catalogue")
    counts = {"courses": 0, "sessions": 0, "effects": 0}
    catalogue_rows = _Rows(sqlite)
    catalogue = _make_catalogue(catalogue_rows, random.Random(seed), today, start)
    chunks = _chunks(patients)
    workers = _worker_count(patients)
    pool = (
        ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
        if workers
        else None
    )
    try:
        with db.engine.connect() as conn:
            conn = conn.execution_options(mesodesk_write=True)
            if sqlite:
                # Foreign keys are checked once at the end instead of per row, and a large page
                # cache keeps the indexes in memory while millions of rows go in. The connection
                # is thrown away afterwards, so no pooled connection keeps these settings.
                raw = conn.connection.driver_connection
                raw.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
                raw.execute("PRAGMA cache_size=-262144")  # type: ignore[union-attr]
            try:
                # One transaction: a demo that is cancelled, fails or is killed leaves the
                # database as empty as it was. Secondary indexes are dropped and built again at
                # the end (inside the same transaction): sorting once is far quicker than
                # millions of random insertions into each index.
                with conn.begin():
                    indexes = [ix for name in TABLE_ORDER for ix in m.metadata.tables[name].indexes]
                    for index in indexes:
                        index.drop(conn)
                    # Likewise the dashboard's running totals: counted once at the end instead
                    # of by a trigger for every row (see migration 0003).
                    triggers = _stats_triggers(conn) if sqlite else []
                    for name, _sql in triggers:
                        conn.exec_driver_sql(f"DROP TRIGGER {name}")
                    catalogue_rows.write(conn)
                    session_days: Counter[tuple[str, str, str]] = Counter()
                    effect_days: Counter[tuple[str, str, int, str]] = Counter()
                    reactions: dict[tuple[int, int], list[Any]] = {}
                    done = 0
                    for rows, chunk_counts, count in _made_chunks(
                        seed, chunks, today, catalogue, sqlite, pool, workers
                    ):
                        if cancelled is not None and cancelled():
                            raise DemoCancelled(done)
                        session_days.update(rows.session_days)
                        effect_days.update(rows.effect_days)
                        reactions.update(rows.reactions)
                        rows.write(conn)
                        for key, value in chunk_counts.items():
                            counts[key] += value
                        done += count
                        report(done, patients, f"{done:,} of {patients:,} patients")
                    report(done, patients, "Building the indexes")
                    for index in indexes:
                        index.create(conn)
                    # The due dates the rows above carry are the generator's own guesses: the
                    # cached ones come from the one function the record and the due list use.
                    report(done, patients, "Computing who is due")
                    refresh_schedules(conn, today)
                    if triggers:
                        for _name, sql in triggers:
                            conn.exec_driver_sql(sql)
                        _write_stats(conn, session_days, effect_days, reactions)
                    counter = _table(m.Counter)
                    conn.execute(counter.delete().where(counter.c.name == RECORD_COUNTER))
                    conn.execute(counter.insert().values(name=RECORD_COUNTER, value=patients))
                    # Written in bulk, past the session's audit hooks: one entry for it all,
                    # and a seal of every row it wrote (mesodesk.store.integrity).
                    integrity.append_bulk_load(
                        conn,
                        db,
                        [
                            PendingEntry(
                                DEMO_LOAD,
                                after={"patients": patients, "seed": seed, "as_of": today},
                                detail="demo clinic loaded",
                            )
                        ],
                    )
                    if sqlite:
                        broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                        if broken:
                            raise MesodeskError(f"Demo data broke {len(broken)} references.")
                        conn.exec_driver_sql("ANALYZE")
                if sqlite:
                    # The whole clinic went through the write-ahead log in one transaction: move
                    # it into the database file now and empty the log, rather than leaving a
                    # log as large as the database for the first reader to wade through.
                    driver = conn.connection.driver_connection
                    with contextlib.suppress(Exception):  # best effort: readers may hold it
                        driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[union-attr]
            finally:
                conn.invalidate()
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    log.info(
        "demo clinic loaded: %d patients, %d sessions, %d side effects, %d worker processes, "
        "%.1f s",
        patients,
        counts["sessions"],
        counts["effects"],
        workers,
        perf_counter() - started,
    )
    return DemoSummary(
        patients=patients,
        courses=counts["courses"],
        sessions=counts["sessions"],
        side_effects=counts["effects"],
        lots=sum(len(v) for v in catalogue.lots_by_product.values())
        + sum(len(v) for v in catalogue.numbing_lots.values()),
        bad_lot=catalogue.lot_number(catalogue.bad_lot_id),
        infection_lot=catalogue.lot_number(catalogue.infection_lot_id),
    )


# -- the same clinic in memory, for the signal simulation -------------------------------------


@dataclass(frozen=True)
class SimulatedClinic:
    """A demo clinic's exposures and side effects as the signal detector takes them
    (mesodesk.domain.signals), without a database."""

    start: date
    end: date
    lots: tuple[LotInfo, ...]
    exposures: list[ExposureRow]  # (patient, lot, day ordinal), one per lot a session used
    events: list[EventRow]  # (patient, kind, onset ordinal, grade, serious)
    sessions: int
    patients: int
    bad_lot_id: int
    infection_lot_id: int


def simulate_clinic(
    patients: int,
    seed: int,
    today: date,
    *,
    years: float = HISTORY_YEARS,
    anomalies: bool = False,
) -> SimulatedClinic:
    """Make a demo clinic of ``patients`` patients over ``years`` years in memory (the rows the
    demo would write), and return its exposures and side effects. Without ``anomalies`` it has
    neither the bad lot nor the infection cluster: a clinic where no lot is to blame."""
    start = today - timedelta(days=round(365 * years))
    catalogue_rows = _Rows(sqlite=False)
    catalogue = _make_catalogue(catalogue_rows, random.Random(seed), today, start, anomalies)
    names = [p[0] for p in data.PRODUCTS]
    lots = tuple(
        LotInfo(lot.id, index + 1, names[index], lot.number)
        for index, product_lots in catalogue.lots_by_product.items()
        for lot in product_lots
    ) + tuple(
        LotInfo(lot.id, len(data.PRODUCTS) + 1 + k, data.NUMBING_PRODUCTS[k][0], lot.number)
        for k, product_lots in catalogue.numbing_lots.items()
        for lot in product_lots
    )
    exposures: list[ExposureRow] = []
    events: list[EventRow] = []
    sessions = 0
    for chunk, first, count in _chunks(patients):
        rows, _counts = _make_chunk(seed, chunk, first, count, today, catalogue, False)
        session_columns, session_rows = rows.tables.get("treatment_session", ((), []))
        when: dict[int, tuple[int, int]] = {}
        if session_rows:
            sid, pid, at, numbing = (
                session_columns.index(c)
                for c in ("id", "patient_id", "started_at", "numbing_lot_id")
            )
            for row in session_rows:
                when[row[sid]] = (row[pid], row[at].toordinal())
                # the numbing product's lot is one the session used (store.session_lots)
                if row[numbing] is not None:
                    exposures.append((row[pid], row[numbing], row[at].toordinal()))
            sessions += len(session_rows)
        for session_id, lot_id in (
            (row[1], row[2]) for row in rows.tables.get("blend_item", ((), []))[1]
        ):
            patient, day = when[session_id]
            exposures.append((patient, lot_id, day))
        effect_columns, effect_rows = rows.tables.get("side_effect", ((), []))
        if effect_rows:
            pid, kind, onset, grade, serious = (
                effect_columns.index(c)
                for c in ("patient_id", "kind", "onset_on", "grade", "serious")
            )
            for row in effect_rows:
                events.append(
                    (
                        row[pid],
                        SideEffectKind.parse(row[kind]),
                        row[onset].toordinal(),
                        row[grade],
                        bool(row[serious]),
                    )
                )
    return SimulatedClinic(
        start=start,
        end=today,
        lots=lots,
        exposures=exposures,
        events=events,
        sessions=sessions,
        patients=patients,
        bad_lot_id=catalogue.bad_lot_id,
        infection_lot_id=catalogue.infection_lot_id,
    )


class DemoService:
    """The demo clinic, written into the open database (the GUI's File > Demo clinic, the
    command line's ``mesodesk demo``)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def generate(
        self,
        patients: int,
        seed: int = 1,
        *,
        today: date | None = None,
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
    ) -> DemoSummary:
        return generate_demo(
            self._db, patients, seed, today=today, progress=progress, cancelled=cancelled
        )
