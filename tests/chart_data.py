"""Plain records and dashboards for the chart tests and the chart benchmark (no database)."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from mesodesk.domain.analytics import (
    ClinicDashboard,
    GaisCounts,
    GroupRate,
    KindGrades,
    LotRate,
    MonthCounts,
)
from mesodesk.domain.enums import (
    ActionTaken,
    AEOutcome,
    BodyArea,
    Causality,
    CourseStatus,
    Grade,
    Indication,
    LaterInterval,
    NumbingAgent,
    ReportChannel,
    SideEffectKind,
    Technique,
)
from mesodesk.domain.schedule import CoursePlan
from mesodesk.domain.statistics import Proportion
from mesodesk.domain.treatment import (
    BlendLine,
    Course,
    OutcomeAssessment,
    PatientRecord,
    Session,
    SideEffect,
)

TODAY = date(2026, 11, 24)
START = date(2025, 1, 6)


def course(course_id: int = 1, indication: Indication = Indication.WRINKLES) -> Course:
    return Course(
        id=course_id,
        patient_id=1,
        indication=indication,
        indication_note="",
        areas=(BodyArea.FOREHEAD,),
        plan=CoursePlan(10, 5, 7, LaterInterval.BIWEEKLY, 4),
        price_per_session_cents=None,
        status=CourseStatus.ACTIVE,
        started_on=START,
        ended_on=None,
        end_reason="",
        notes="",
        sessions_done=0,
        total_price_cents=0,
        next_due=None,
    )


def session(
    number: int,
    when: date,
    *,
    session_id: int | None = None,
    course_id: int = 1,
    lot: str = "HA-2501-A",
    pain: int | None = 3,
    gais: int | None = 3,
) -> Session:
    return Session(
        id=session_id if session_id is not None else number,
        patient_id=1,
        course_id=course_id,
        number=number,
        started_at=datetime.combine(when, time(10, 0)),
        practitioner_id=None,
        practitioner="",
        areas=(BodyArea.FOREHEAD,),
        depth_mm=1.5,
        numbing_agent=NumbingAgent.NONE,
        technique=Technique.NAPPAGE,
        injection_points=None,
        total_volume_ml=None,
        blend=(BlendLine(1, 1, "Hyaluronic acid", lot, date(2028, 1, 1), 2.0),),
        pain_nrs=pain,
        gais=gais,
        satisfaction=None,
        price_cents=None,
        notes="",
    )


def side_effect(
    effect_id: int,
    onset: date,
    *,
    kind: SideEffectKind = SideEffectKind.SWELLING,
    grade: Grade = Grade.MILD,
    days: int | None = 3,
    session_id: int | None = None,
) -> SideEffect:
    resolved = onset + timedelta(days=days) if days is not None else None
    return SideEffect(
        id=effect_id,
        patient_id=1,
        session_id=session_id,
        session_started_at=None,
        lots=(),
        suspects_blend=False,
        kind=kind,
        kind_note="",
        onset_on=onset,
        resolved_on=resolved,
        grade=grade,
        pain_nrs=None,
        serious=grade >= Grade.LIFE_THREATENING,
        outcome=AEOutcome.RESOLVED if resolved else AEOutcome.ONGOING,
        causality=Causality.POSSIBLE,
        body_area=None if kind.systemic else BodyArea.FOREHEAD,
        body_area_note="",
        action_taken=ActionTaken.NONE,
        action_note="",
        reported_via=ReportChannel.PHONE,
        reported_at=datetime.combine(onset, time(12, 0)),
        recorded_by_id=None,
        notes="",
    )


def record(
    sessions: int = 0,
    effects: int = 0,
    *,
    ongoing: int = 0,
    seed: int = 1,
    lot_change_at: int | None = None,
    reviews: int = 0,
) -> PatientRecord:
    """A patient with ``sessions`` weekly sessions and ``effects`` side effects spread over them
    (the last ``ongoing`` of them still ongoing)."""
    rng = random.Random(seed)
    kinds = [k for k in SideEffectKind if k is not SideEffectKind.OTHER]
    made_sessions = tuple(
        session(
            i + 1,
            START + timedelta(days=7 * i),
            lot="HA-2501-A" if lot_change_at is None or i < lot_change_at else "HA-2507-C",
            pain=rng.randint(0, 10),
            gais=rng.randint(1, 5) if i else None,
        )
        for i in range(sessions)
    )
    span = max(7 * sessions, 60)
    made_effects = []
    for i in range(effects):
        onset = START + timedelta(days=rng.randrange(span))
        made_effects.append(
            side_effect(
                i + 1,
                onset,
                kind=rng.choice(kinds),
                grade=Grade(rng.choice((1, 1, 1, 2, 2, 3))),
                days=None if i >= effects - ongoing else rng.randint(1, 20),
            )
        )
    made_effects.sort(key=lambda e: (e.onset_on, e.id))
    outcomes = tuple(
        OutcomeAssessment(i + 1, 1, 1, START + timedelta(days=30 * (i + 1)), 2, 8, "")
        for i in range(reviews)
    )
    return PatientRecord(
        patient=None,
        courses=(course(),),
        sessions=made_sessions,
        side_effects=tuple(made_effects),
        outcomes=outcomes,
    )


def dashboard(*, empty: bool = False, bad_lot: bool = True) -> ClinicDashboard:
    """A small clinic's dashboard, with one lot of a much higher reaction rate when ``bad_lot``."""
    months = tuple(
        MonthCounts(
            date(2025, m, 1),
            0 if empty else 100 + 10 * m,
            {}
            if empty
            else {
                SideEffectKind.PAIN: 10 + m,
                SideEffectKind.SWELLING: 8,
                SideEffectKind.BRUISING: 5,
                SideEffectKind.NAUSEA: 1,
                SideEffectKind.REDNESS_BUMPS: 6,
                SideEffectKind.ITCHING: 2,
                SideEffectKind.INFECTION: m % 2,
            },
        )
        for m in range(1, 13)
    )
    lots = []
    if not empty:
        rows = [
            ("HA-2501-A", "Hyaluronic acid", 40, 400),
            ("HA-2507-C", "Hyaluronic acid", 45, 420),
        ]
        rows += [("VC-2502-B", "Vitamin C", 30, 300)]
        rows += [
            (
                "PC-2405-B" if bad_lot else "PC-2405-A",
                "Phosphatidylcholine",
                70 if bad_lot else 12,
                100,
            )
        ]
        rows += [("PC-2411-C", "Phosphatidylcholine", 14, 110)]
        for i, (number, product, k, n) in enumerate(rows):
            same = [(kk, nn) for num, prod, kk, nn in rows if prod == product and num != number]
            other = [(kk, nn) for num, prod, kk, nn in rows if num != number]
            comp = same or other
            comparison = Proportion.of(sum(c[0] for c in comp), sum(c[1] for c in comp))
            rate = Proportion.of(k, n)
            lots.append(LotRate(i + 1, number, product, rate, comparison, bool(same)))
        lots.sort(key=lambda r: -r.rate.low)
    total_k = sum(lot.rate.events for lot in lots)
    total_n = sum(lot.rate.total for lot in lots)
    return ClinicDashboard(
        start=date(2025, 1, 1),
        end=date(2025, 12, 31),
        sessions=sum(m.sessions for m in months),
        effects=sum(m.total_effects for m in months),
        severe=0 if empty else 4,
        unlinked_effects=0 if empty else 2,
        months=months,
        lots=tuple(lots),
        all_lots=Proportion.of(total_k, total_n),
        indications=()
        if empty
        else (
            GroupRate(Indication.LOCAL_FAT, 300, 120, 3),
            GroupRate(Indication.WRINKLES, 900, 200, 1),
        ),
        areas=()
        if empty
        else (GroupRate(BodyArea.ABDOMEN, 300, 120, 3), GroupRate(BodyArea.FOREHEAD, 900, 200, 1)),
        grades=()
        if empty
        else (
            KindGrades(SideEffectKind.PAIN, (90, 20, 2, 0, 0)),
            KindGrades(SideEffectKind.INFECTION, (0, 4, 2, 0, 0)),
        ),
        gais=()
        if empty
        else (
            GaisCounts(Indication.WRINKLES, (10, 20, 8, 2, 1)),
            GaisCounts(Indication.LOCAL_FAT, (5, 10, 5, 3, 0)),
        ),
    )


def busy_dashboard(lot_count: int = 134) -> ClinicDashboard:
    """A busy clinic over four years: many lots with long product names, every indication and
    treated area, every grade and GAIS score (what the charts must fit at every size)."""
    rng = random.Random(7)
    months = []
    first = date(2022, 12, 1)
    for i in range(49):
        year, month = divmod(first.month - 1 + i, 12)
        months.append(
            MonthCounts(
                date(first.year + year, month + 1, 1),
                rng.randint(40, 90),
                {kind: rng.randint(0, 12) for kind in list(SideEffectKind)[:9]},
            )
        )
    products = [
        "Phosphatidylcholine 5% / deoxycholate 2.5%",
        "Polyrevitalising complex with hyaluronic acid",
        "Artichoke extract",
        "L-carnitine 20%",
        "Vitamin C 20%",
        "Organic silicon 0.5%",
        "Lidocaine 2%",
    ]
    lots = []
    for i in range(lot_count):
        product = products[i % len(products)]
        n = rng.randint(4, 200)
        k = rng.randint(0, n)
        lots.append(
            LotRate(
                i + 1,
                f"{product[:2].upper()}-{2300 + i:04d}-{chr(65 + i % 26)}",
                product,
                Proportion.of(k, n),
                Proportion.of(400, 1600),
                i % 9 != 0,
            )
        )
    lots.sort(key=lambda r: -r.rate.low)
    return ClinicDashboard(
        start=date(2022, 12, 23),
        end=date(2026, 12, 3),
        sessions=sum(m.sessions for m in months),
        effects=sum(m.total_effects for m in months),
        severe=12,
        unlinked_effects=3,
        months=tuple(months),
        lots=tuple(lots),
        all_lots=Proportion.of(sum(x.rate.events for x in lots), sum(x.rate.total for x in lots)),
        indications=tuple(
            GroupRate(ind, rng.randint(100, 800), rng.randint(50, 500), rng.randint(0, 5))
            for ind in Indication
        ),
        areas=tuple(
            GroupRate(area, rng.randint(50, 600), rng.randint(20, 300), rng.randint(0, 4))
            for area in BodyArea
        ),
        grades=tuple(
            KindGrades(kind, (rng.randint(5, 400), rng.randint(0, 90), rng.randint(0, 9), 1, 0))
            for kind in SideEffectKind
        ),
        gais=tuple(
            GaisCounts(ind, tuple(rng.randint(0, 20) for _ in range(5))) for ind in Indication
        ),
    )
