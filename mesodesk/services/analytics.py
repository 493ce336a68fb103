"""The clinic dashboard: side effects and outcomes across the clinic over a period.

Every figure is summed in SQL from the running totals of migration 0003 (``stats_session_day``,
``stats_effect_day``, ``stats_lot_reaction``), which triggers keep in the transaction of every
change: a period of a million sessions is a few thousand rows to sum, where joining the sessions
to their blends and side effects would take seconds. ``recount()`` computes the same totals from
the tables themselves (through the ``stats_*_rows`` views), so that a check or a test can compare
them, and ``rebuild()`` puts them right if they ever drift (a batch migration that lost the
triggers, a database edited by hand with the triggers dropped).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, text

from mesodesk.domain.analytics import (
    GAIS_VALUES,
    GRADES,
    ClinicDashboard,
    GaisCounts,
    GroupRate,
    KindGrades,
    LotRate,
    MonthCounts,
)
from mesodesk.domain.clock import Clock
from mesodesk.domain.enums import BodyArea, Indication, SideEffectKind
from mesodesk.domain.errors import DatabaseError, ValidationError
from mesodesk.domain.statistics import Proportion
from mesodesk.store.db import Database

STATS_TABLES = ("stats_session_day", "stats_effect_day", "stats_lot_reaction")

SESSIONS_BY = text(
    "SELECT code, sum(sessions) FROM stats_session_day "
    "WHERE dim = :dim AND day >= :start AND day <= :end GROUP BY code"
)
SESSIONS_BY_MONTH = text(
    "SELECT substr(day, 1, 7), sum(sessions) FROM stats_session_day "
    "WHERE dim = 'indication' AND day >= :start AND day <= :end GROUP BY substr(day, 1, 7)"
)
EFFECTS_BY = text(
    "SELECT code, sum(effects), sum(CASE WHEN grade >= 3 THEN effects ELSE 0 END) "
    "FROM stats_effect_day WHERE dim = :dim AND day >= :start AND day <= :end GROUP BY code"
)
EFFECTS_BY_MONTH_KIND = text(
    "SELECT substr(day, 1, 7), code, sum(effects) FROM stats_effect_day "
    "WHERE dim = 'kind' AND day >= :start AND day <= :end GROUP BY substr(day, 1, 7), code"
)
EFFECTS_BY_KIND_GRADE = text(
    "SELECT code, grade, sum(effects) FROM stats_effect_day "
    "WHERE dim = 'kind' AND day >= :start AND day <= :end GROUP BY code, grade"
)
LOT_REACTIONS = text(
    "SELECT l.id, l.lot_number, p.name, ("
    "  SELECT count(*) FROM stats_lot_reaction r"
    "  WHERE r.lot_id = l.id AND r.day >= :start AND r.day <= :end"
    ") FROM product_lot l JOIN product p ON p.id = l.product_id"
)
GAIS_AT_REVIEW = text(
    "SELECT c.indication, o.gais, count(*) FROM outcome_assessment o "
    "JOIN course c ON c.id = o.course_id "
    "WHERE o.assessed_on >= :start AND o.assessed_on <= :end AND o.gais IS NOT NULL "
    "GROUP BY c.indication, o.gais"
)
UNLINKED = text(
    "SELECT count(*) FROM side_effect WHERE session_id IS NULL "
    "AND onset_on >= :start AND onset_on <= :end"
)
FIRST_SESSION = text("SELECT min(started_at) FROM treatment_session")

# The same totals, counted from the tables through the views of migration 0003.
RECOUNT = {
    "stats_session_day": text(
        "SELECT dim, code, day, count(*) FROM ("
        " SELECT dim, code, day FROM stats_session_rows"
        " UNION ALL SELECT dim, code, day FROM stats_blend_rows)"
        " GROUP BY dim, code, day"
    ),
    "stats_effect_day": text(
        "SELECT dim, code, grade, day, count(*) FROM stats_effect_rows "
        "GROUP BY dim, code, grade, day"
    ),
    "stats_lot_reaction": text(
        "SELECT lot_id, session_id, max(day), count(*) FROM stats_reaction_rows "
        "GROUP BY lot_id, session_id"
    ),
}
STORED = {
    "stats_session_day": text(
        "SELECT dim, code, day, sessions FROM stats_session_day WHERE sessions <> 0"
    ),
    "stats_effect_day": text(
        "SELECT dim, code, grade, day, effects FROM stats_effect_day WHERE effects <> 0"
    ),
    "stats_lot_reaction": text(
        "SELECT lot_id, session_id, day, effects FROM stats_lot_reaction WHERE effects <> 0"
    ),
}
INSERT = {
    "stats_session_day": "INSERT INTO stats_session_day (dim, code, day, sessions) ",
    "stats_effect_day": "INSERT INTO stats_effect_day (dim, code, grade, day, effects) ",
    "stats_lot_reaction": "INSERT INTO stats_lot_reaction (lot_id, session_id, day, effects) ",
}


def recount_stats(conn: Connection) -> None:
    """Fill the stats tables from scratch, inside the caller's transaction."""
    for name in STATS_TABLES:
        conn.execute(text(f"DELETE FROM {name}"))  # noqa: S608 - fixed names
        conn.execute(text(INSERT[name] + str(RECOUNT[name])))


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def params(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


def _month(text_month: str) -> date:
    year, month = text_month.split("-")
    return date(int(year), int(month), 1)


MAX_PERIOD_YEARS = 100  # a month-by-month chart of more says nothing


def _months(start: date, end: date) -> list[date]:
    months = []
    current = date(start.year, start.month, 1)
    while current <= end:
        months.append(current)
        current = date(current.year + current.month // 12, current.month % 12 + 1, 1)
    return months


def _parse(kind: Any, code: str) -> Any:
    try:
        return kind.parse(code)
    except ValueError:
        return kind.OTHER


class AnalyticsService:
    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self.db = db
        self.clock = clock or Clock()

    def _require_sqlite(self) -> None:
        if not self.db.is_sqlite:
            raise DatabaseError("The clinic dashboard needs an SQLite database for now.")

    def period(self, start: date | None = None, end: date | None = None) -> Period:
        """The period asked for: from the first session (or ``start``) to today (or ``end``)."""
        end = end or self.clock.today()
        if start is None:
            with self.db.read() as s:
                first = s.execute(FIRST_SESSION).scalar()
            start = date.fromisoformat(str(first)[:10]) if first else end
            start = min(start, end)
        if start > end:
            raise ValidationError.single("start", "The period starts after it ends.")
        if end.year - start.year > MAX_PERIOD_YEARS:
            raise ValidationError.single(
                "end", f"A period is at most {MAX_PERIOD_YEARS} years; choose a shorter one."
            )
        return Period(start, end)

    def dashboard(self, start: date | None = None, end: date | None = None) -> ClinicDashboard:
        """Everything the clinic dashboard shows over a period (dates included)."""
        self._require_sqlite()
        period = self.period(start, end)
        p = period.params
        with self.db.read() as s:
            run = s.connection().execute
            month_sessions = {m: n for m, n in run(SESSIONS_BY_MONTH, p)}
            month_effects: dict[str, dict[SideEffectKind, int]] = defaultdict(dict)
            for month, code, n in run(EFFECTS_BY_MONTH_KIND, p):
                kind = _parse(SideEffectKind, code)
                month_effects[month][kind] = month_effects[month].get(kind, 0) + n
            sessions: dict[str, dict[str, int]] = {
                dim: {code: n for code, n in run(SESSIONS_BY, {**p, "dim": dim})}
                for dim in ("indication", "area", "lot")
            }
            effects = {
                dim: {code: (n, severe) for code, n, severe in run(EFFECTS_BY, {**p, "dim": dim})}
                for dim in ("indication", "area")
            }
            grades: dict[SideEffectKind, list[int]] = {}
            for code, grade, n in run(EFFECTS_BY_KIND_GRADE, p):
                counts = grades.setdefault(_parse(SideEffectKind, code), [0] * len(GRADES))
                if 1 <= grade <= len(GRADES):
                    counts[grade - 1] += n
            lots = list(run(LOT_REACTIONS, p))
            gais: dict[Indication, list[int]] = {}
            for code, value, n in run(GAIS_AT_REVIEW, p):
                counts = gais.setdefault(_parse(Indication, code), [0] * len(GAIS_VALUES))
                if 1 <= value <= len(GAIS_VALUES):
                    counts[value - 1] += n
            unlinked = run(UNLINKED, p).scalar_one()

        months = tuple(
            MonthCounts(
                m,
                month_sessions.get(m.strftime("%Y-%m"), 0),
                dict(month_effects.get(m.strftime("%Y-%m"), {})),
            )
            for m in _months(period.start, period.end)
        )
        total_sessions = sum(sessions["indication"].values())
        total_effects = sum(n for n, _ in effects["indication"].values())
        kind_grades = self._kind_grades(grades)
        severe = sum(sum(k.counts[2:]) for k in kind_grades)
        lot_rates, all_lots = self._lot_rates(lots, sessions["lot"])
        return ClinicDashboard(
            start=period.start,
            end=period.end,
            sessions=total_sessions,
            effects=total_effects,
            severe=severe,
            unlinked_effects=unlinked,
            months=months,
            lots=lot_rates,
            all_lots=all_lots,
            indications=self._groups(Indication, sessions["indication"], effects["indication"]),
            areas=self._groups(BodyArea, sessions["area"], effects["area"]),
            grades=kind_grades,
            gais=tuple(
                GaisCounts(indication, tuple(gais[indication]))
                for indication in Indication
                if indication in gais
            ),
        )

    @staticmethod
    def _kind_grades(grades: dict[SideEffectKind, list[int]]) -> tuple[KindGrades, ...]:
        rows = [KindGrades(kind, tuple(counts)) for kind, counts in grades.items() if sum(counts)]
        rows.sort(key=lambda r: (-r.total, list(SideEffectKind).index(r.kind)))
        return tuple(rows)

    @staticmethod
    def _groups(
        kind: Any, sessions: dict[str, int], effects: dict[str, tuple[int, int]]
    ) -> tuple[GroupRate, ...]:
        merged: dict[Any, list[int]] = {}
        for code in set(sessions) | set(effects):
            value = _parse(kind, code)
            row = merged.setdefault(value, [0, 0, 0])
            n, severe = effects.get(code, (0, 0))
            row[0] += sessions.get(code, 0)
            row[1] += n
            row[2] += severe
        groups = [GroupRate(value, *row) for value, row in merged.items() if row[0] or row[1]]
        groups.sort(key=lambda g: (-g.rate, -g.sessions, g.label))
        return tuple(groups)

    @staticmethod
    def _lot_rates(
        lots: Iterable[Any], exposures: dict[str, int]
    ) -> tuple[tuple[LotRate, ...], Proportion]:
        used = [
            (lot_id, number, product, exposures.get(str(lot_id), 0), reacted)
            for lot_id, number, product, reacted in lots
            if exposures.get(str(lot_id), 0) > 0
        ]
        by_product: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for _, _, product, n, k in used:
            by_product[product][0] += n
            by_product[product][1] += min(k, n)
        all_n = sum(n for _, _, _, n, _ in used)
        all_k = sum(min(k, n) for _, _, _, n, k in used)
        rates = []
        for lot_id, number, product, n, k in used:
            k = min(k, n)  # a suspected lot is always one its session used; guard all the same
            same_n, same_k = by_product[product]
            other_n, other_k = same_n - n, same_k - k
            product_comparison = other_n > 0
            if not product_comparison:  # the product's only lot: beside every other lot
                other_n, other_k = all_n - n, all_k - k
            lot = Proportion.of(k, n)
            comparison = Proportion.of(other_k, other_n)
            rates.append(LotRate(lot_id, number, product, lot, comparison, product_comparison))
        rates.sort(key=lambda r: (-r.rate.low, r.product, r.lot_number))
        return tuple(rates), Proportion.of(all_k, all_n)

    # -- keeping the totals right ------------------------------------------------------------

    def recount(self) -> dict[str, set[tuple[Any, ...]]]:
        """What the stats tables should hold, counted from the tables themselves."""
        self._require_sqlite()
        with self.db.read() as s:
            run = s.connection().execute
            return {name: {tuple(r) for r in run(sql)} for name, sql in RECOUNT.items()}

    def stored(self) -> dict[str, set[tuple[Any, ...]]]:
        self._require_sqlite()
        with self.db.read() as s:
            run = s.connection().execute
            return {name: {tuple(r) for r in run(sql)} for name, sql in STORED.items()}

    def drift(self) -> dict[str, int]:
        """How many rows of each stats table differ from a recount (all zero when right)."""
        stored, counted = self.stored(), self.recount()
        return {name: len(stored[name] ^ counted[name]) for name in STATS_TABLES}

    def rebuild(self) -> None:
        """Count every total again from the tables (one write transaction)."""
        self._require_sqlite()
        with self.db.write() as s:
            recount_stats(s.connection())
