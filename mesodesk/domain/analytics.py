"""What the clinic dashboard shows: counts over a period, as plain data for the charts.

Rates are side effects per 100 sessions, or (for product lots) the share of the sessions that used
a lot after which a side effect named that lot as suspected. A period selects sessions by their
date; a side effect counts with its suspected session (side effects with no suspected session
are counted apart, in ``unlinked_effects``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from mesodesk.domain.enums import BodyArea, Gais, Grade, Indication, SideEffectKind
from mesodesk.domain.statistics import Proportion

GRADES = tuple(Grade)
GAIS_VALUES = tuple(Gais)


def per_100(events: int, sessions: int) -> float:
    return 100.0 * events / sessions if sessions else 0.0


@dataclass(frozen=True)
class MonthCounts:
    month: date  # the first day of the month
    sessions: int
    effects: Mapping[SideEffectKind, int] = field(default_factory=dict)

    @property
    def total_effects(self) -> int:
        return sum(self.effects.values())


@dataclass(frozen=True)
class GroupRate:
    """Side effects per 100 sessions of one indication, or of one treated area."""

    value: Indication | BodyArea
    sessions: int
    effects: int
    severe: int = 0  # grade 3 or above

    @property
    def label(self) -> str:
        return self.value.label

    @property
    def rate(self) -> float:
        return per_100(self.effects, self.sessions)


@dataclass(frozen=True)
class LotRate:
    """A lot's reaction rate (sessions with a side effect suspecting the lot, of the sessions
    that used it) beside a comparison: the other lots of the same product in the period, or,
    when the product has no other lot in it, every other lot (``product_comparison`` False).

    A rate to look at, not a signal: it pools every kind of side effect and counts sessions.
    The signals (mesodesk.domain.signals) judge each kind, per exposed patient."""

    lot_id: int
    lot_number: str
    product: str
    rate: Proportion
    comparison: Proportion
    product_comparison: bool


@dataclass(frozen=True)
class KindGrades:
    kind: SideEffectKind
    counts: tuple[int, ...]  # grade 1 to 5

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True)
class GaisCounts:
    """GAIS at course review, per indication: counts of 1 (very much improved) to 5 (worse)."""

    indication: Indication
    counts: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True)
class ClinicDashboard:
    start: date
    end: date  # inclusive
    sessions: int
    effects: int
    severe: int  # grade 3 or above
    unlinked_effects: int  # onset in the period, no suspected session: not in the rates
    months: tuple[MonthCounts, ...]
    lots: tuple[LotRate, ...]  # every lot used in the period
    all_lots: Proportion  # every lot use of the period together
    indications: tuple[GroupRate, ...]
    areas: tuple[GroupRate, ...]
    grades: tuple[KindGrades, ...]
    gais: tuple[GaisCounts, ...]

    @property
    def rate(self) -> float:
        return per_100(self.effects, self.sessions)

    @property
    def empty(self) -> bool:
        return self.sessions == 0

    def grade_totals(self) -> tuple[int, ...]:
        return tuple(sum(k.counts[i] for k in self.grades) for i in range(len(GRADES)))
