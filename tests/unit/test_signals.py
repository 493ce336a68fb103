"""The lot signals (mesodesk.domain.signals): the statistics against published values, the
counting rules on small clinics built by hand, and a tiny fixed simulation that guards the
method's behaviour (tests/bench/bench_signals.py measures it at scale)."""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

import pytest

from mesodesk.domain.enums import SideEffectKind as K
from mesodesk.domain.signals import (
    METHOD,
    Comparison,
    LotInfo,
    detect,
    gamma_quantile,
    ic025,
    ic025_above,
    information_component,
)

START = date(2025, 1, 1)
END = date(2025, 12, 31)

# -- the statistics ------------------------------------------------------------------------------


def test_gamma_quantiles_match_the_chi_square_tables() -> None:
    # Gamma(k/2, rate 1/2) is chi-square with k degrees of freedom
    assert 2 * gamma_quantile(0.025, 3.5) == pytest.approx(1.68987, abs=1e-4)  # chi2(7)
    assert 2 * gamma_quantile(0.025, 4.5) == pytest.approx(2.70039, abs=1e-4)  # chi2(9)
    assert 2 * gamma_quantile(0.975, 10.5) == pytest.approx(35.4789, abs=1e-3)  # chi2(21)
    assert gamma_quantile(0.5, 1.0) == pytest.approx(math.log(2), abs=1e-9)  # exponential
    with pytest.raises(ValueError):
        gamma_quantile(1.0, 2.0)


def test_ic025_is_noren_s_shrunk_lower_bound() -> None:
    assert information_component(3, 0.0) == pytest.approx(math.log2(7))
    # Norén 2013: log2 of the 2.5 % quantile of Gamma(O + 0.5, rate E + 0.5)
    assert ic025(3, 0.0) == pytest.approx(math.log2(0.844935 / 0.5), abs=1e-4)
    # three cases against nothing expected raise a signal, two do not (the shrinkage)
    assert ic025(3, 0.0) > 0 > ic025(2, 0.0)
    assert ic025_above(3, 0.1, 0.0) and not ic025_above(3, 0.4, 0.0)
    # the cheap test and the quantile agree
    for observed, expected in ((3, 0.3), (4, 0.0), (40, 10.0), (300, 250.0), (6, 1.2)):
        for threshold in (0.0, 1.0):
            assert ic025_above(observed, expected, threshold) == (
                ic025(observed, expected) > threshold
            )


def test_a_small_comparison_group_widens_the_interval() -> None:
    # with many comparison cases the expected count is as good as known: the same bound
    assert ic025(3, 0.3, 100_000) == pytest.approx(ic025(3, 0.3), abs=0.02)
    assert ic025(40, 10.0, 400) == pytest.approx(ic025(40, 10.0), abs=0.05)
    # with a handful, the bound is lower
    assert ic025(7, 0.59, 1) < ic025(7, 0.59) - 0.5
    assert ic025(15, 3.15, 2) < 1 < ic025(15, 3.15)
    # three serious infections against a clinic without one still flag
    assert ic025(3, 0.05, 0) > 0


# -- counting, on clinics built by hand ---------------------------------------------------------

HA_1 = LotInfo(1, 1, "Hyaluronic acid", "HA-1")
HA_2 = LotInfo(2, 1, "Hyaluronic acid", "HA-2")
VC_1 = LotInfo(3, 2, "Vitamin C", "VC-1")
NEW = LotInfo(4, 3, "New product", "NEW-1")
LOTS = [HA_1, HA_2, VC_1, NEW]


def day(offset: int) -> int:
    return (START + timedelta(days=offset)).toordinal()


def background(patients: range, lot: LotInfo, sessions: int = 4) -> list[tuple[int, int, int]]:
    """Each patient: weekly sessions with the lot, from a day that depends on the patient."""
    rows = []
    for p in patients:
        first = (p * 3) % 200
        rows += [(p, lot.lot_id, day(first + 7 * s)) for s in range(sessions)]
    return rows


def test_three_serious_infections_on_one_lot_raise_a_serious_signal() -> None:
    # HA-1 is one lot among a clinic of 1,600 patients
    exposures = (background(range(1, 101), HA_1) + background(range(101, 801), HA_2)) + background(
        range(801, 1601), VC_1
    )
    # 3 patients of HA-1 with an infection 3 to 6 weeks after a session; one elsewhere
    events = [
        (5, K.INFECTION, day((5 * 3) % 200 + 30), 3, True),
        (17, K.INFECTION, day((17 * 3) % 200 + 40), 3, True),
        (40, K.INFECTION, day((40 * 3) % 200 + 21), 2, False),  # any grade: the outbreak kind
        (900, K.INFECTION, day((900 * 3) % 200 + 25), 3, True),
    ]
    report = detect(exposures, events, LOTS, START, END)
    assert report.method == METHOD
    assert report.lots_examined == 3
    [signal] = report.signals
    assert (signal.lot, signal.kind, signal.serious) == (HA_1, K.INFECTION, True)
    assert (signal.cases, signal.exposed_patients) == (3, 100)
    assert signal.comparison is Comparison.CLINIC
    assert signal.expected < 0.2 and signal.score > 0
    assert signal.window_days == 90


def test_a_patient_counts_once_and_only_inside_the_risk_window() -> None:
    exposures = background(range(1, 101), HA_1) + background(range(101, 301), HA_2)
    last_session = {p: (p * 3) % 200 + 21 for p in range(1, 101)}
    events = []
    # one patient, twelve nodule reports: one case
    events += [(1, K.NODULES, day(last_session[1] + 10 + i), 1, False) for i in range(12)]
    # infections 100 days after the last session: outside the 90-day window
    events += [(p, K.INFECTION, day(last_session[p] + 100), 3, True) for p in range(2, 8)]
    # pain 10 days after the last session: outside the 7-day window
    events += [(p, K.PAIN, day(last_session[p] + 10), 1, False) for p in range(8, 30)]
    report = detect(exposures, events, LOTS, START, END)
    assert report.signals == ()
    assert report.tests == 0  # nothing reached three cases


def test_common_reactions_at_the_usual_rate_raise_nothing() -> None:
    rng = random.Random(4)
    exposures = []
    events = []
    for p in range(1, 601):
        lot = (HA_1, HA_2, VC_1)[p % 3]
        first = rng.randint(0, 250)
        for s in range(rng.randint(1, 8)):
            when = first + 7 * s
            exposures.append((p, lot.lot_id, day(when)))
            for kind, chance in ((K.PAIN, 0.3), (K.REDNESS_BUMPS, 0.2), (K.BRUISING, 0.1)):
                if rng.random() < chance:
                    events.append((p, kind, day(when + rng.randint(0, 1)), 1, False))
    report = detect(exposures, events, LOTS, START, END)
    assert report.tests > 0 and report.signals == ()


def test_a_lot_with_excess_nodules_against_its_product() -> None:
    rng = random.Random(7)
    exposures, events = [], []
    for p in range(1, 401):
        lot = HA_1 if p <= 60 else HA_2
        first = rng.randint(0, 250)
        for s in range(4):
            exposures.append((p, lot.lot_id, day(first + 7 * s)))
            if rng.random() < (0.3 if lot is HA_1 else 0.02):
                events.append((p, K.NODULES, day(first + 7 * s + 20), 1, False))
    report = detect(exposures, events, LOTS, START, END)
    [signal] = report.signals
    assert (signal.lot, signal.kind, signal.serious) == (HA_1, K.NODULES, False)
    assert signal.comparison is Comparison.PRODUCT and not signal.only_lot_of_product
    assert signal.cases > 2 * signal.expected and signal.score >= 1


def test_a_product_with_no_other_lot_is_held_against_the_clinic_and_says_so() -> None:
    rng = random.Random(3)
    exposures, events = [], []
    for p in range(1, 301):
        lot = NEW if p <= 40 else (HA_1 if p % 2 else VC_1)
        first = rng.randint(0, 250)
        for s in range(3):
            exposures.append((p, lot.lot_id, day(first + 7 * s)))
            if rng.random() < (0.6 if lot is NEW else 0.01):
                events.append((p, K.RASH, day(first + 7 * s), 1, False))
    report = detect(exposures, events, LOTS, START, END)
    [signal] = report.signals
    assert signal.lot == NEW and signal.kind is K.RASH
    assert signal.comparison is Comparison.CLINIC and signal.only_lot_of_product
    # against the clinic a non-serious kind must stand four times above
    assert signal.score >= 2


def test_a_lot_given_in_the_same_blends_is_a_bystander() -> None:
    """VC-1 was in the blend of half of HA-1's patients: the infections are HA-1's."""
    exposures = background(range(1, 101), HA_1) + background(range(101, 301), HA_2)
    exposures += background(range(1, 51), VC_1) + background(range(301, 401), VC_1)
    cases = [3, 8, 11, 20, 60, 75, 90]  # HA-1 patients; the first four also had VC-1
    events = [(p, K.INFECTION, day((p * 3) % 200 + 30), 3, True) for p in cases]
    signals = detect(exposures, events, LOTS, START, END).signals
    assert [(s.lot, s.kind) for s in signals] == [(HA_1, K.INFECTION)]
    assert signals[0].shares_cases_with == ()


def test_two_lots_always_given_together_cannot_be_told_apart() -> None:
    exposures = background(range(1, 101), HA_1) + background(range(1, 101), VC_1)
    exposures += background(range(101, 401), HA_2)
    events = [(p, K.INFECTION, day((p * 3) % 200 + 30), 3, True) for p in (3, 8, 11, 20)]
    signals = detect(exposures, events, LOTS, START, END).signals
    assert {s.lot for s in signals} == {HA_1, VC_1}
    for s in signals:
        assert [lot.lot_number for lot in s.shares_cases_with] == [
            ({HA_1, VC_1} - {s.lot}).pop().lot_number
        ]


def test_the_period_selects_the_lot_s_sessions_and_nothing_after_its_end() -> None:
    exposures = background(range(1, 101), HA_1) + background(range(101, 1601), HA_2)
    events = [(p, K.INFECTION, day((p * 3) % 200 + 30), 3, True) for p in (3, 8, 11)]
    onsets = sorted(date.fromordinal(e[2]) for e in events)
    # ends the day before the third infection: not seen yet
    early = detect(exposures, events, LOTS, START, onsets[-1] - timedelta(days=1))
    assert early.signals == ()
    assert [s.lot for s in detect(exposures, events, LOTS, START, onsets[-1]).signals] == [HA_1]
    # a period after all of HA-1's sessions does not examine it
    later = detect(exposures, events, LOTS, date(2025, 10, 1), END)
    assert HA_1.lot_id not in {s.lot.lot_id for s in later.signals}


def test_nothing_to_compare_with_raises_nothing() -> None:
    exposures = background(range(1, 51), HA_1)
    events = [(p, K.INFECTION, day((p * 3) % 200 + 30), 3, True) for p in range(1, 11)]
    assert detect(exposures, events, LOTS, START, END).signals == ()
    assert detect([], [], LOTS, START, END).lots_examined == 0


# -- a tiny fixed simulation --------------------------------------------------------------------


@pytest.fixture(scope="module")
def clinic() -> object:
    from mesodesk.services.demo import simulate_clinic

    return simulate_clinic(700, 11, date(2026, 11, 24), years=3, anomalies=False)


def test_a_simulated_clinic_without_a_bad_lot_raises_next_to_nothing(clinic: object) -> None:
    report = detect(clinic.exposures, clinic.events, clinic.lots, clinic.start, clinic.end)  # type: ignore[attr-defined]
    assert report.lots_examined > 50 and report.tests > 50
    assert len(report.signals) <= 1


def test_a_simulated_outbreak_of_three_infections_is_flagged(clinic: object) -> None:
    from tests.bench.bench_signals import detected, outbreak

    rng = random.Random(5)
    found = 0
    for _ in range(5):
        made = outbreak(clinic, rng)
        assert made is not None
        lot, events, as_of = made
        found += detected(clinic, lot, events, as_of)
    assert found == 5


def test_serious_reactions_of_other_kinds_are_their_own_family_against_the_product() -> None:
    """Four grade-3 swellings on one lot: drowned among hundreds of mild swellings if pooled,
    a serious signal on their own; held against the product's other lots, not the clinic."""
    rng = random.Random(9)
    exposures, events = [], []
    for p in range(1, 801):
        lot = HA_1 if p <= 80 else HA_2
        first = rng.randint(0, 250)
        for s in range(4):
            exposures.append((p, lot.lot_id, day(first + 7 * s)))
            if rng.random() < 0.3:
                events.append((p, K.SWELLING, day(first + 7 * s), 1, False))
        if lot is HA_1 and p % 16 == 0:  # patients 16, 32, 48, 64, 80
            events.append((p, K.SWELLING, day(first + 7), 3, True))
    signals = detect(exposures, events, LOTS, START, END).signals
    assert [(s.lot, s.kind, s.serious) for s in signals] == [(HA_1, K.SWELLING, True)]
    [signal] = signals
    assert signal.cases == 5 and signal.comparison is Comparison.PRODUCT
    assert signal.comparison_words == "the other lots of the product"
    assert not signal.clinic_fallback and signal.score >= 1
