"""Lot safety signals: which product lots are followed by a *kind* of side effect more often than
the comparison says they should be. Pure statistics, no SQL; docs/signals.md explains the method,
its sources and its measured operating characteristics.

The method (summed up in ``METHOD``):

- **Unit: the exposed patient.** A unit is one patient's exposure to one lot (every session whose
  blend held it). A case is a unit whose patient had a side effect of the kind with onset inside
  the kind's risk window after one of those sessions; a patient counts once per lot and kind,
  however many sessions or reports there were (sessions of one patient are not independent).
  The suspected lot a clinician recorded plays no part.
- **Expected cases** come from the comparison group: its per-session hazard of a first case
  ``h`` (first cases / sessions at risk until the first case, with half a case added) gives a
  patient with ``k`` sessions of the lot the chance ``1 - (1 - h)**k``, and each stratum of
  patients by their number of sessions (1 to 10 or more) corrects that with its own cases, once
  it holds a few cases' worth of evidence (patients differ: the prone become cases early).
  Sessions whose risk window runs past the end of the period count only for the part seen, so a
  lot opened last week is not compared with patients followed for months.
- **Score: the BCPNN information component's lower 95 % credibility bound, IC025** (Norén,
  Hopstadius, Bate, *Shrinkage observed-to-expected ratios for robust and transparent large-scale
  pattern discovery*, Stat Methods Med Res 2013;22:57-69; the measure the WHO Uppsala Monitoring
  Centre screens VigiBase with): ``IC = log2((O + 0.5) / (E + 0.5))``, IC025 the log2 of the
  2.5 % quantile of Gamma(O + 0.5, rate E + 0.5). The +0.5 shrinks small counts towards "no
  excess", so that two cases against 0.1 expected are not an alarm. When the comparison group
  holds few cases, its own uncertainty widens the interval, as the original BCPNN's does for its
  marginal counts (Bate et al., Eur J Clin Pharmacol 1998;54:315-21).
- **Families weighted by seriousness.** *Infections* of any grade (the outbreak pattern: DOMAIN.md,
  "Outbreaks are the pattern to catch") are held against the clinic's other lots (contamination
  is about the vial, not the product's pharmacology, and rare events need the whole clinic to
  estimate their background) and flag at IC025 > 0 (UMC's threshold) with at least 3 cases
  (Evans, Waller, Davis, Pharmacoepidemiol Drug Saf 2001;10:483-6): three serious infections on
  one lot raise a signal. *Serious events of other kinds* (serious or grade 3+, CTCAE v5) form
  their own family, so that a few of them are not drowned in the mild ones, and *all grades* of
  every other kind another; both are held against the other lots of the same product (products
  differ: deoxycholate hurts and numbs far more than hyaluronic acid) and flag when IC025 >= 1 -
  the lower bound says at least twice the expected - with at least 3 cases, in the spirit of
  Evans' PRR >= 2 and the FDA's MGPS EB05 >= 2: with hundreds of patients per lot, a small drift
  in the case mix is "significant" without being worth a recall check.
- **Small comparison groups**: when the product's other lots (up to the end of the period) hold
  fewer than ``MIN_COMPARISON`` exposed patients, the lot is held against the clinic's other lots,
  and the signal says so (``Comparison.CLINIC``, ``only_lot_of_product``); since the difference
  may then be the product's rather than the lot's, it must stand four times above (IC025 >= 2).
  With no other lot at all there is nothing to compare with and no signal.
- **Lots given together** (one blend) share their cases, pharmacovigilance's "innocent
  bystanders": a lot is not listed when a stronger signal of the same kind explains its cases
  away; when two explain each other away (the same patients had both), both are listed, each
  naming the other.

The multiplicity of tests (every lot times every kind) is handled by the shrinkage, the minimum
of cases and the thresholds rather than by a per-run correction; what that gives is measured,
not assumed: the benchmark ``tests/bench/bench_signals.py`` simulates five-year clinics and
reports the detection rate of outbreaks and the false signals per clinic-year.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from mesodesk.domain.enums import SideEffectKind
from mesodesk.domain.i18n import QT_TRANSLATE_NOOP

METHOD = (
    "BCPNN IC025 (Norén et al. 2013) per product lot and kind of side effect; exposed patients "
    "as units; expected cases from the comparison group's per-session hazard of a first case, "
    "standardised by sessions per patient, its own uncertainty included (Bate et al. 1998); "
    "infections against the clinic's other lots, flagged at IC025 > 0 with >= 3 cases; other "
    "kinds (serious events and all grades as separate families) against the product's other "
    "lots, flagged at IC025 >= 1 with >= 3 cases (against the clinic, at IC025 >= 2, when the "
    "product has too few patients on other lots)"
)

K = SideEffectKind
# How long after a session a side effect's onset still counts as following it, per kind (days).
# - Local injection-site reactions (pain, swelling, bruising, redness, itching, rash, skin
#   sensitivity, numbness) start on the day or within a few days: the deoxycholate label reports
#   them as injection-site reactions of the treatment session (KYBELLA USPI, section 6.1); a week
#   leaves room for late reporting of the onset.
# - Nausea is systemic and immediate (UK series of fat-dissolving injections, DOMAIN.md): 3 days.
# - Infections: atypical mycobacterial infections after mesotherapy appear 1 to 12 weeks after
#   the injections (15 cases, PMID 17550571; mean incubation 3 weeks, Zeng et al., Infect Drug
#   Resist 2025;18:2301-9; systematic review of 423 patients, Singsing et al., Int J Womens
#   Dermatol 2022;8:e059): 90 days.
# - Nodules (granulomas are the late ones) and post-inflammatory hyperpigmentation develop over
#   weeks: 90 days. Other: 30 days.
WINDOW_DAYS: dict[SideEffectKind, int] = {
    K.PAIN: 7,
    K.SWELLING: 7,
    K.BRUISING: 7,
    K.REDNESS_BUMPS: 7,
    K.ITCHING: 7,
    K.RASH: 7,
    K.SENSITIVITY: 7,
    K.NUMBNESS: 7,
    K.NAUSEA: 3,
    K.INFECTION: 90,
    K.NODULES: 90,
    K.HYPERPIGMENTATION: 90,
    K.OTHER: 30,
}
# Always judged as serious events, whatever their grade: the outbreak pattern.
SERIOUS_KINDS = frozenset({K.INFECTION})
SERIOUS_GRADE = 3  # CTCAE v5: grade 3 is "severe or medically significant"
MIN_CASES = 3  # Evans et al. 2001: n >= 3
SERIOUS_THRESHOLD = 0.0  # IC025 > 0 (UMC), for infections
ALL_GRADES_THRESHOLD = 1.0  # IC025 >= 1: at least twice the expected (cf. PRR >= 2, EB05 >= 2)
# A non-serious kind judged against the clinic (too few patients on the product's other lots):
# products differ by design (deoxycholate numbs, hyaluronic acid rarely), so the lot must stand
# at least four times above the clinic before its product's known profile passes for a bad lot.
CLINIC_FALLBACK_THRESHOLD = 2.0
MIN_COMPARISON = 5  # exposed patients of the product's other lots, else the clinic's
CREDIBILITY = 0.025  # the lower end of the 95 % credibility interval

# (patient id, lot id, day as date.toordinal()) for each lot of each session
ExposureRow = tuple[int, int, int]
# (patient id, kind, onset as date.toordinal(), grade, serious)
EventRow = tuple[int, SideEffectKind, int, int, bool]


class Comparison(StrEnum):
    PRODUCT = "product"  # the other lots of the same product
    CLINIC = "clinic"  # every other lot of the clinic

    @property
    def label(self) -> str:
        if self is Comparison.PRODUCT:
            return QT_TRANSLATE_NOOP("Values", "the other lots of the product")
        return QT_TRANSLATE_NOOP("Values", "the clinic's other lots")


@dataclass(frozen=True)
class LotInfo:
    lot_id: int
    product_id: int
    product: str
    lot_number: str


@dataclass(frozen=True)
class Signal:
    lot: LotInfo
    kind: SideEffectKind
    serious: bool  # the serious family (serious, grade 3+ or infection) rather than all grades
    cases: int  # exposed patients who became a case
    exposed_patients: int
    expected: float
    ic: float  # the shrunk observed-to-expected ratio, log2
    score: float  # IC025
    comparison: Comparison
    comparison_patients: int  # exposed patients (patient-lot pairs) of the comparison group
    only_lot_of_product: bool  # too few patients on other lots of the product to compare with
    window_days: int
    # lots whose signal of this kind rests on the same patients: the data cannot tell them apart
    shares_cases_with: tuple[LotInfo, ...] = ()

    @property
    def clinic_fallback(self) -> bool:
        """Held against the clinic for want of other lots of its product (infections always
        are, by design)."""
        return self.comparison is Comparison.CLINIC and self.kind not in SERIOUS_KINDS

    @property
    def comparison_words(self) -> str:
        if self.comparison is Comparison.PRODUCT:
            return "the other lots of the product"
        if self.clinic_fallback:
            return "the clinic's other lots (too few patients on other lots of the product)"
        return "the clinic's other lots"

    @property
    def ratio(self) -> float:
        """Observed to expected, shrunk: 2 ** IC."""
        return float(2.0**self.ic)

    @property
    def product(self) -> str:
        return self.lot.product

    @property
    def lot_number(self) -> str:
        return self.lot.lot_number


@dataclass(frozen=True)
class SignalReport:
    start: date
    end: date  # inclusive; side effects after it are not seen
    method: str
    signals: tuple[Signal, ...]
    lots_examined: int  # lots used in the period
    tests: int  # (lot, kind, family) pairs with enough cases to be judged

    @property
    def serious(self) -> tuple[Signal, ...]:
        return tuple(s for s in self.signals if s.serious)


# -- the Gamma distribution, for IC025 -----------------------------------------------------------


def _lower_gamma_regularized(a: float, x: float) -> float:
    """P(a, x): the regularized lower incomplete gamma function (Numerical Recipes 6.2: the
    series below a + 1, Lentz's continued fraction above)."""
    if x <= 0:
        return 0.0
    log_front = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1:
        term = total = 1.0 / a
        n = a
        for _ in range(1000):
            n += 1
            term *= x / n
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return min(1.0, total * math.exp(log_front))
    tiny = 1e-300
    b = x + 1 - a
    c = 1 / tiny
    d = 1 / b
    h = d
    for i in range(1, 1000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-15:
            break
    return max(0.0, 1.0 - math.exp(log_front) * h)


def gamma_quantile(p: float, shape: float, rate: float = 1.0) -> float:
    """The ``p`` quantile of the Gamma distribution (bisection on the log scale)."""
    if not 0 < p < 1 or shape <= 0 or rate <= 0:
        raise ValueError("p in (0, 1), shape and rate > 0")
    low, high = 1e-12, max(1.0, shape)
    while _lower_gamma_regularized(shape, high) < p:
        high *= 2
    for _ in range(200):
        mid = math.sqrt(low * high)
        if _lower_gamma_regularized(shape, mid) < p:
            low = mid
        else:
            high = mid
        if high - low <= 1e-12 * high:
            break
    return (low + high) / 2 / rate


def information_component(observed: int, expected: float) -> float:
    return math.log2((observed + 0.5) / (expected + 0.5))


def _ratio_posterior_quantile(p: float, observed: int, expected: float, cases: float) -> float:
    """The ``p`` quantile of the observed-to-expected ratio mu, given O observed, an expected
    count E that is itself estimated from C cases of the comparison group, and Norén's
    Gamma(1/2, 1/2) prior on mu. With the comparison's rate integrated out under Jeffreys'
    prior, the posterior density of mu is proportional to
    mu^(O - 1/2) * exp(-mu / 2) * (1 + mu * E / (C + 1/2)) ^ -(O + C + 1/2),
    which tends to Gamma(O + 1/2, E + 1/2) as C grows. Integrated on a grid of log mu."""
    ratio = max(expected, 1e-12) / (cases + 0.5)
    # the posterior is wider than Gamma(O + 1/2, E + 1/2): a grid around that one's bulk
    centre = math.log((observed + 0.5) / (expected + 0.5))
    spread = 6.0 / math.sqrt(observed + 0.5) + 6.0 / math.sqrt(cases + 0.5) + 1.0
    steps = 800
    low, high = centre - spread, centre + spread
    width = (high - low) / steps
    logs = []
    for n in range(steps + 1):
        t = low + n * width
        mu = math.exp(t)
        logs.append(
            (observed + 0.5) * t - 0.5 * mu - (observed + cases + 0.5) * math.log1p(mu * ratio)
        )
    top = max(logs)
    weights = [math.exp(v - top) for v in logs]
    total = sum(weights)
    running = 0.0
    for n, value in enumerate(weights):
        running += value
        if running >= p * total:
            return math.exp(low + n * width)
    return math.exp(high)


def ic025(observed: int, expected: float, comparison_cases: float | None = None) -> float:
    """The lower end of the 95 % credibility interval of log2(observed / expected).

    Without ``comparison_cases`` (an expected count known exactly) it is BCPNN's IC025 (Norén
    et al. 2013, eq. 3): the 2.5 % quantile of Gamma(O + 0.5, rate E + 0.5). With them, the
    expected count is itself an estimate from C cases of the comparison group, and its
    uncertainty widens the interval, as the original BCPNN's does for the uncertainty of its
    marginal counts (Bate et al., Eur J Clin Pharmacol 1998;54:315-21); see
    _ratio_posterior_quantile. With many comparison cases the two agree.
    """
    gamma = math.log2(gamma_quantile(CREDIBILITY, observed + 0.5, expected + 0.5))
    if comparison_cases is None or comparison_cases > 10_000:
        return gamma
    return math.log2(_ratio_posterior_quantile(CREDIBILITY, observed, expected, comparison_cases))


def ic025_above(
    observed: int, expected: float, threshold: float, comparison_cases: float | None = None
) -> bool:
    """IC025 > threshold. The Gamma bound (an exactly known expected count) is the cheap first
    test: a comparison's own uncertainty only widens the interval."""
    bound = (2.0**threshold) * (expected + 0.5)
    if _lower_gamma_regularized(observed + 0.5, bound) >= CREDIBILITY:
        return False
    if comparison_cases is None:
        return True
    return ic025(observed, expected, comparison_cases) > threshold


# -- counting ------------------------------------------------------------------------------------


def is_serious_event(kind: SideEffectKind, grade: int, serious: bool) -> bool:
    return kind in SERIOUS_KINDS or serious or grade >= SERIOUS_GRADE


Key = tuple[SideEffectKind, bool]  # a kind, and whether the serious family's
STRATA = 10  # patients are compared with patients of as many sessions: 1, 2, ... 10 or more
PSEUDO_CASES = 2.0  # how strongly a stratum leans on the model (cases' worth)


def _stratum(sessions: float) -> int:
    return max(1, min(STRATA, round(sessions)))


_STRATUM_OF_COUNT = [_stratum(n) for n in range(STRATA + 1)]  # whole sessions, the common case


class _Unit:
    """One patient's exposure to one lot: the days of its sessions up to the end of the period,
    and how much of each session's risk window the period has seen."""

    __slots__ = ("days", "first_in_period", "lot", "prefix", "product", "strata")

    def __init__(self, lot: int, product: int, days: list[int], first_in_period: int) -> None:
        self.lot = lot
        self.product = product
        self.days = days
        self.first_in_period = first_in_period
        # window -> running sum of the seen fractions, only for units whose last session's
        # window is cut by the end of the period (for the others every fraction is 1)
        self.prefix: dict[int, list[float]] | None = None
        # the stratum, or window -> stratum when the last window is cut
        self.strata: dict[int, int] | int = _STRATUM_OF_COUNT[min(len(days), STRATA)]

    def stratum(self, window: int) -> int:
        strata = self.strata
        return strata if isinstance(strata, int) else strata[window]

    def weight(self, window: int) -> float:
        """Its sessions up to the end, each weighted by the part of its window seen."""
        return float(len(self.days)) if self.prefix is None else self.prefix[window][-1]

    def period_weight(self, window: int) -> float:
        if self.prefix is None:
            return float(len(self.days) - self.first_in_period)
        running = self.prefix[window]
        before = running[self.first_in_period - 1] if self.first_in_period else 0.0
        return running[-1] - before

    def after(self, window: int, i: int) -> float:
        """The sessions at risk after the ``i``-th (weighted by the part of their window seen)."""
        if self.prefix is None:
            return float(len(self.days) - i - 1)
        running = self.prefix[window]
        return running[-1] - running[i]


@dataclass
class _Exposed:
    """Everything that does not depend on the side effects: the units and their weights.

    Counts are kept per lot; (lot, window) for weighted sessions; (lot, window, stratum) for
    units by their number of sessions.
    """

    units: dict[int, list[_Unit]]  # patient -> units
    history_units: Counter[int]
    period_units: Counter[int]
    weight: defaultdict[tuple[int, int], float]
    strata: Counter[tuple[int, int, int]]
    period_strata: Counter[tuple[int, int, int]]


WINDOWS = sorted(set(WINDOW_DAYS.values()))


def _exposed(
    exposures: Iterable[ExposureRow], info: dict[int, LotInfo], first: int, last: int
) -> _Exposed:
    longest = WINDOWS[-1]
    grouped: defaultdict[tuple[int, int], list[int]] = defaultdict(list)
    for patient, lot, day in exposures:
        if day <= last:
            grouped[patient, lot].append(day)
    exposed = _Exposed({}, Counter(), Counter(), defaultdict(float), Counter(), Counter())
    all_units = exposed.units
    # units whose every window is seen whole (the common case), counted once for all windows:
    # lot -> sessions, (lot, stratum) -> units, (lot, period stratum) -> units
    whole: Counter[int] = Counter()
    whole_strata: Counter[tuple[int, int]] = Counter()
    whole_period: Counter[tuple[int, int]] = Counter()
    for (patient, lot), days in grouped.items():
        if lot not in info:
            continue
        if len(days) > 1:
            days = sorted(set(days))
        first_in_period = bisect_right(days, first - 1) if days[0] < first else 0
        unit = _Unit(lot, info[lot].product_id, days, first_in_period)
        units = all_units.get(patient)
        if units is None:
            all_units[patient] = [unit]
        else:
            units.append(unit)
        exposed.history_units[lot] += 1
        in_period = len(days) - first_in_period
        if in_period:
            exposed.period_units[lot] += 1
        if last - days[-1] + 1 >= longest:
            whole[lot] += len(days)
            whole_strata[lot, _STRATUM_OF_COUNT[min(len(days), STRATA)]] += 1
            if in_period:
                whole_period[lot, _STRATUM_OF_COUNT[min(in_period, STRATA)]] += 1
            continue
        unit.prefix = {}
        unit.strata = {}
        for w in WINDOWS:
            running = [0.0]
            for d in days:
                running.append(running[-1] + min(1.0, (last - d + 1) / w))
            running.pop(0)
            unit.prefix[w] = running
            unit.strata[w] = _stratum(running[-1])
            exposed.weight[lot, w] += running[-1]
            exposed.strata[lot, w, unit.strata[w]] += 1
            if in_period:
                exposed.period_strata[lot, w, _stratum(unit.period_weight(w))] += 1
    for w in WINDOWS:
        for lot, n in whole.items():
            exposed.weight[lot, w] += n
        for (lot, k), n in whole_strata.items():
            exposed.strata[lot, w, k] += n
        for (lot, k), n in whole_period.items():
            exposed.period_strata[lot, w, k] += n
    return exposed


@dataclass
class _Cases:
    """The cases of one key (so one window): per lot, in the period and up to its end, and per
    (lot, stratum) the units with a case up to the end.

    A patient who had several lots at once is a case of each lot whose window covers the onset.
    For lot L, the other units' cases that L's own window covers are L's too, not part of the
    background L is held against: the ``shared`` counts (with their sessions after the case, and
    by stratum), over every lot and over the lots of the same product, are taken away from L's
    comparison group."""

    period: Counter[int]
    history: Counter[int]
    after: defaultdict[int, float]  # lot -> weighted sessions after each first case
    strata: Counter[tuple[int, int]]
    shared: Counter[int]
    shared_after: defaultdict[int, float]
    shared_strata: Counter[tuple[int, int]]
    shared_product: Counter[int]
    shared_product_after: defaultdict[int, float]
    shared_strata_product: Counter[tuple[int, int]]

    def add(self, other: _Cases, sign: int) -> None:
        """Add (sign 1) or take away (sign -1) another count of the same key."""
        for name in self.__dataclass_fields__:
            mine, theirs = getattr(self, name), getattr(other, name)
            for k, v in theirs.items():
                mine[k] += sign * v


def _new_cases() -> _Cases:
    return _Cases(
        Counter(),
        Counter(),
        defaultdict(float),
        Counter(),
        Counter(),
        defaultdict(float),
        Counter(),
        Counter(),
        defaultdict(float),
        Counter(),
    )


def _covering(unit: _Unit, onset: int, window: int) -> int:
    """The index of the unit's last session before ``onset`` when its window covers it, else -1."""
    i = bisect_right(unit.days, onset) - 1
    if i < 0 or onset - unit.days[i] >= window:
        return -1
    return i


def _count_cases(
    exposed: _Exposed,
    window: int,
    onsets: dict[int, list[int]],
    patients: Iterable[int] | None = None,
) -> _Cases:
    """Count the cases of one key, over every patient with onsets (or only ``patients``)."""
    cases = _new_cases()
    period, history, after_all, strata = cases.period, cases.history, cases.after, cases.strata
    all_units = exposed.units
    for patient in onsets if patients is None else patients:
        patient_onsets = onsets.get(patient)
        units = all_units.get(patient)
        if not patient_onsets or not units:
            continue
        first_onset, last_onset = patient_onsets[0], patient_onsets[-1]
        firsts: list[tuple[_Unit, int, int]] = []  # unit, first case's onset, its session
        for unit in units:
            days = unit.days
            if last_onset < days[0] or first_onset >= days[-1] + window:
                continue
            n = len(days)
            i = 0
            counted = False
            for onset in patient_onsets:
                if onset < days[0]:
                    continue
                while i + 1 < n and days[i + 1] <= onset:
                    i += 1
                if onset - days[i] >= window:
                    continue
                lot = unit.lot
                if not counted:
                    counted = True
                    history[lot] += 1
                    after_all[lot] += unit.after(window, i)
                    strata[lot, unit.stratum(window)] += 1
                    firsts.append((unit, onset, i))
                if i >= unit.first_in_period:
                    period[lot] += 1  # the first case after a session of the period
                    break
        if len(units) > 1 and firsts:
            for unit, onset, i in firsts:
                after = unit.after(window, i)
                k = unit.stratum(window)
                for other in units:
                    if (
                        other is unit
                        or onset < other.days[0]
                        or onset >= other.days[-1] + window
                        or _covering(other, onset, window) < 0
                    ):
                        continue
                    cases.shared[other.lot] += 1
                    cases.shared_after[other.lot] += after
                    cases.shared_strata[other.lot, k] += 1
                    if other.product == unit.product:
                        cases.shared_product[other.lot] += 1
                        cases.shared_product_after[other.lot] += after
                        cases.shared_strata_product[other.lot, k] += 1
    return cases


def _covered(
    exposed: _Exposed, lot: int, window: int, onsets: dict[int, list[int]]
) -> dict[int, set[int]]:
    """patient -> the onsets that the lot's risk windows cover."""
    covered: dict[int, set[int]] = {}
    for patient, patient_onsets in onsets.items():
        for unit in exposed.units.get(patient, ()):
            if unit.lot != lot:
                continue
            hit = {t for t in patient_onsets if _covering(unit, t, window) >= 0}
            if hit:
                covered[patient] = hit
    return covered


def detect(
    exposures: Iterable[ExposureRow],
    events: Iterable[EventRow],
    lots: Sequence[LotInfo],
    start: date,
    end: date,
) -> SignalReport:
    """The signals of the lots used from ``start`` to ``end`` (both included).

    ``exposures`` may reach back before ``start`` (the comparison groups use every exposure up
    to ``end``); exposures and events after ``end`` are ignored.
    """
    first, last = start.toordinal(), end.toordinal()
    info = {lot.lot_id: lot for lot in lots}
    exposed = _exposed(exposures, info, first, last)

    by_key: dict[Key, dict[int, list[int]]] = defaultdict(dict)
    for patient, kind, onset, grade, serious in events:
        if onset > last or patient not in exposed.units:
            continue
        if is_serious_event(kind, grade, serious):
            by_key[kind, True].setdefault(patient, []).append(onset)
        if kind not in SERIOUS_KINDS:
            by_key[kind, False].setdefault(patient, []).append(onset)

    totals = _Totals(info, exposed)
    signals: list[Signal] = []
    tests = 0
    for key, onsets in sorted(by_key.items(), key=lambda item: (item[0][0].value, item[0][1])):
        for patient_onsets in onsets.values():
            patient_onsets.sort()
        window = WINDOW_DAYS[key[0]]
        cases = _count_cases(exposed, window, onsets)
        judged = totals.judge(key, cases)
        tests += judged.tests
        signals += _without_bystanders(judged.signals, cases, onsets, exposed, totals, key)
    # one line per lot and kind: the serious family's, when both flag it
    serious_pairs = {(s.lot.lot_id, s.kind) for s in signals if s.serious}
    signals = [s for s in signals if s.serious or (s.lot.lot_id, s.kind) not in serious_pairs]
    signals.sort(key=lambda s: (not s.serious, -s.score, s.lot.product, s.lot.lot_number))
    return SignalReport(
        start=start,
        end=end,
        method=METHOD,
        signals=tuple(signals),
        lots_examined=len(exposed.period_units),
        tests=tests,
    )


def _without_bystanders(
    found: list[Signal],
    cases: _Cases,
    onsets: dict[int, list[int]],
    exposed: _Exposed,
    totals: _Totals,
    key: Key,
) -> list[Signal]:
    """Lots used in the same blends share their cases (pharmacovigilance's "innocent
    bystanders"). Strongest first, a lot is kept unless an already kept lot explains it: without
    the cases that the kept lot's windows cover, it would not be flagged. When each of two lots
    explains the other away (the same patients had both), the data cannot tell them apart, and
    both are kept, each naming the other."""
    if len(found) <= 1:
        return found
    window = WINDOW_DAYS[key[0]]

    def flagged_without(lot: int) -> set[int]:
        # only the patients whose onsets the lot covers change: count them again without
        covered = _covered(exposed, lot, window, onsets)
        rest = {
            patient: [t for t in onsets[patient] if t not in removed]
            for patient, removed in covered.items()
        }
        again = _new_cases()
        again.add(cases, 1)
        again.add(_count_cases(exposed, window, onsets, covered), -1)
        again.add(_count_cases(exposed, window, rest), 1)
        return {s.lot.lot_id for s in totals.judge(key, again).signals}

    kept: list[Signal] = []
    companions: dict[int, list[LotInfo]] = defaultdict(list)
    without: dict[int, set[int]] = {}
    for signal in sorted(found, key=lambda s: -s.score):
        lot = signal.lot.lot_id
        explained_by = None
        for other in kept:
            other_lot = other.lot.lot_id
            if other_lot not in without:
                without[other_lot] = flagged_without(other_lot)
            if lot not in without[other_lot]:
                explained_by = other
                break
        if explained_by is None:
            kept.append(signal)
            continue
        if lot not in without:
            without[lot] = flagged_without(lot)
        if explained_by.lot.lot_id not in without[lot]:  # each explains the other
            kept.append(signal)
            companions[lot].append(explained_by.lot)
            companions[explained_by.lot.lot_id].append(signal.lot)
    return [replace(s, shares_cases_with=tuple(companions[s.lot.lot_id])) for s in kept]


@dataclass
class _Judged:
    signals: list[Signal]
    tests: int


class _Totals:
    """The clinic's and each product's totals, to hold each lot against the others."""

    def __init__(self, info: dict[int, LotInfo], exposed: _Exposed) -> None:
        self.info = info
        self.exposed = exposed
        self.clinic_weight: defaultdict[int, float] = defaultdict(float)
        self.product_weight: defaultdict[tuple[int, int], float] = defaultdict(float)
        for (lot, w), value in exposed.weight.items():
            self.clinic_weight[w] += value
            self.product_weight[info[lot].product_id, w] += value
        self.clinic_strata: Counter[tuple[int, int]] = Counter()
        self.product_strata: Counter[tuple[int, int, int]] = Counter()
        for (lot, w, k), n in exposed.strata.items():
            self.clinic_strata[w, k] += n
            self.product_strata[info[lot].product_id, w, k] += n
        self.clinic_units = sum(exposed.history_units.values())
        self.product_units: Counter[int] = Counter()
        for lot, n in exposed.history_units.items():
            self.product_units[info[lot].product_id] += n

    def judge(self, key: Key, cases: _Cases) -> _Judged:
        kind, serious = key
        w = WINDOW_DAYS[kind]
        info, exposed = self.info, self.exposed
        clinic_cases = sum(cases.history.values())
        clinic_after = sum(cases.after.values())
        clinic_case_strata: Counter[int] = Counter()
        product_cases: Counter[int] = Counter()
        product_after: defaultdict[int, float] = defaultdict(float)
        product_case_strata: Counter[tuple[int, int]] = Counter()
        for lot, n in cases.history.items():
            product_cases[info[lot].product_id] += n
            product_after[info[lot].product_id] += cases.after[lot]
        for (lot, k), n in cases.strata.items():
            clinic_case_strata[k] += n
            product_case_strata[info[lot].product_id, k] += n
        judged = _Judged([], 0)
        strata = range(1, STRATA + 1)
        for lot, observed in cases.period.items():
            if observed < MIN_CASES:
                continue
            lot_info = info[lot]
            product = lot_info.product_id
            own_units = exposed.history_units[lot]
            own_cases = cases.history[lot]
            others_of_product = self.product_units[product] - own_units
            # Infections (contamination: the clinic's hygiene, not the product's pharmacology)
            # against the whole clinic; every other kind, serious or not, against its product.
            if kind not in SERIOUS_KINDS and others_of_product >= MIN_COMPARISON:
                comparison = Comparison.PRODUCT
                comparison_units = others_of_product
                n_cases = product_cases[product] - own_cases - cases.shared_product[lot]
                at_risk = (self.product_weight[product, w] - exposed.weight[lot, w]) - (
                    product_after[product] - cases.after[lot] - cases.shared_product_after[lot]
                )
                units_by_k = [
                    self.product_strata[product, w, k] - exposed.strata[lot, w, k] for k in strata
                ]
                cases_by_k = [
                    product_case_strata[product, k]
                    - cases.strata[lot, k]
                    - cases.shared_strata_product[lot, k]
                    for k in strata
                ]
            else:
                comparison = Comparison.CLINIC
                comparison_units = self.clinic_units - own_units
                n_cases = clinic_cases - own_cases - cases.shared[lot]
                at_risk = (self.clinic_weight[w] - exposed.weight[lot, w]) - (
                    clinic_after - cases.after[lot] - cases.shared_after[lot]
                )
                units_by_k = [self.clinic_strata[w, k] - exposed.strata[lot, w, k] for k in strata]
                cases_by_k = [
                    clinic_case_strata[k] - cases.strata[lot, k] - cases.shared_strata[lot, k]
                    for k in strata
                ]
            if comparison_units <= 0 or at_risk <= 1e-9:
                continue  # nothing to compare with
            judged.tests += 1
            # The comparison's per-session hazard of a first case, with half a case added (the
            # Haldane-Anscombe correction of reporting odds ratios: a comparison group without
            # a single case of a kind does not make every case of the lot look unexpected) ...
            hazard = min(1.0, (n_cases + 0.5) / at_risk)
            # ... gives the model's chance of a case for a patient with k sessions. Patients
            # differ (the prone become cases early), so for common kinds the model misjudges
            # patients with few sessions of a lot against patients with many: each stratum of
            # the comparison speaks for itself once it holds a few cases' worth of evidence
            # (the model counts as PSEUDO_CASES cases; for rare kinds it keeps the say).
            expected = 0.0
            for k in strata:
                exposed_k = exposed.period_strata[lot, w, k]
                if not exposed_k:
                    continue
                model = max(1e-12, 1.0 - (1.0 - hazard) ** k)
                n_k = max(0, units_by_k[k - 1])
                c_k = min(n_k, max(0, cases_by_k[k - 1]))
                prior_units = PSEUDO_CASES / model
                expected += exposed_k * (c_k + PSEUDO_CASES) / (n_k + prior_units)
            if kind in SERIOUS_KINDS:
                threshold = SERIOUS_THRESHOLD
            elif comparison is Comparison.PRODUCT:
                threshold = ALL_GRADES_THRESHOLD
            else:
                threshold = CLINIC_FALLBACK_THRESHOLD
            comparison_cases = max(0, n_cases)
            if not ic025_above(observed, expected, threshold, comparison_cases):
                continue
            judged.signals.append(
                Signal(
                    lot=lot_info,
                    kind=kind,
                    serious=serious,
                    cases=observed,
                    exposed_patients=exposed.period_units[lot],
                    expected=expected,
                    ic=information_component(observed, expected),
                    score=ic025(observed, expected, comparison_cases),
                    comparison=comparison,
                    comparison_patients=comparison_units,
                    only_lot_of_product=others_of_product < MIN_COMPARISON,
                    window_days=w,
                )
            )
        return judged
