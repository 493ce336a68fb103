from dataclasses import replace
from datetime import date, datetime

import pytest

from mesodesk.domain.allergy import allergy_matches
from mesodesk.domain.enums import (
    AEOutcome,
    BodyArea,
    Grade,
    Indication,
    ReportChannel,
    SideEffectKind,
    nrs_band,
)
from mesodesk.domain.errors import ValidationError
from mesodesk.domain.treatment import (
    BlendInput,
    CourseInput,
    SessionInput,
    SideEffectInput,
    check_lots,
)

NOW = datetime(2026, 11, 24, 10, 0)


def errors(fn: object) -> dict[str, str]:
    with pytest.raises(ValidationError) as info:
        fn()  # type: ignore[operator]
    return info.value.errors


COURSE = CourseInput(Indication.WRINKLES, date(2026, 11, 1), (BodyArea.FOREHEAD,))


def test_course_rules() -> None:
    assert COURSE.validated(NOW.date()).planned_sessions == 10
    bad = replace(
        COURSE,
        planned_sessions=2,
        induction_sessions=2,
        induction_interval_days=12,
        maintenance_interval_months=6,
        areas=(),
    )
    found = errors(lambda: bad.validated(NOW.date()))
    assert set(found) == {
        "planned_sessions",
        "induction_interval_days",
        "maintenance_interval_months",
        "areas",
    }
    assert "3 and 15" in found["planned_sessions"]
    assert "indication_note" in errors(
        lambda: replace(COURSE, indication=Indication.OTHER).validated(NOW.date())
    )
    assert "induction_sessions" in errors(
        lambda: replace(COURSE, induction_sessions=11).validated(NOW.date())
    )


SESSION = SessionInput(
    course_id=1,
    started_at=NOW,
    areas=(BodyArea.CHEEKS,),
    depth_mm=1.5,
    blend=(BlendInput(1, 2.0),),
    pain_nrs=3,
    gais=2,
    satisfaction=8,
)


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"depth_mm": 0.0}, "depth_mm", "between 1 and 4"),
        ({"depth_mm": 7.0}, "depth_mm", "between 1 and 4"),
        ({"depth_mm": None}, "depth_mm", "required"),
        ({"pain_nrs": 11}, "pain_nrs", "0 and 10"),
        ({"pain_nrs": -1}, "pain_nrs", "0 and 10"),
        ({"gais": 6}, "gais", "1 and 5"),
        ({"satisfaction": 12}, "satisfaction", "0 and 10"),
        ({"blend": ()}, "blend", "at least one"),
        ({"blend": (BlendInput(1, 1.0), BlendInput(1, 2.0))}, "blend", "twice"),
        ({"blend": (BlendInput(1, 0.0),)}, "blend", "above 0"),
        ({"areas": ()}, "areas", "at least one"),
        ({"started_at": None}, "started_at", "required"),
        ({"started_at": datetime(2026, 11, 27)}, "started_at", "ahead"),
        ({"price_cents": -5}, "price_cents", "between"),
    ],
)
def test_session_rules(changes: dict[str, object], field: str, words: str) -> None:
    found = errors(lambda: replace(SESSION, **changes).validated(NOW))
    assert words in found[field]


def test_depth_bounds_are_inclusive() -> None:
    assert replace(SESSION, depth_mm=1.0).validated(NOW).depth_mm == 1.0
    assert replace(SESSION, depth_mm=4.0).validated(NOW).depth_mm == 4.0


def test_expired_lot_is_refused_by_name() -> None:
    lots = {1: ("HA-2301-A", date(2026, 10, 31)), 2: ("VC-2402-B", date(2027, 1, 1))}
    check_lots([BlendInput(2, 1.0)], lots, date(2026, 11, 24))
    found = errors(lambda: check_lots([BlendInput(1, 1.0)], lots, date(2026, 11, 24)))
    assert "HA-2301-A" in found["blend"] and "expired" in found["blend"]
    # valid on the day of its expiry
    check_lots([BlendInput(1, 1.0)], lots, date(2026, 10, 31))


EFFECT = SideEffectInput(
    kind=SideEffectKind.SWELLING,
    onset_on=date(2026, 11, 20),
    grade=1,
    body_area=BodyArea.CHEEKS,
    session_id=1,
    reported_at=datetime(2026, 11, 21, 9, 0),
    reported_via=ReportChannel.PHONE,
)


def test_side_effect_rules() -> None:
    ok = EFFECT.validated(
        NOW, first_session_on=date(2026, 11, 1), suspected_session_on=date(2026, 11, 19)
    )
    assert ok.grade == 1
    found = errors(lambda: replace(EFFECT, grade=6).validated(NOW))
    assert "1 and 5" in found["grade"]
    found = errors(lambda: replace(EFFECT, grade=0).validated(NOW))
    assert "grade" in found
    found = errors(lambda: EFFECT.validated(NOW, first_session_on=date(2026, 11, 21)))
    assert "first session" in found["onset_on"]
    found = errors(lambda: EFFECT.validated(NOW, suspected_session_on=date(2026, 11, 22)))
    assert "suspected session" in found["onset_on"]
    found = errors(
        lambda: replace(
            EFFECT, resolved_on=date(2026, 11, 19), outcome=AEOutcome.RESOLVED
        ).validated(NOW)
    )
    assert "before the onset" in found["resolved_on"]
    found = errors(lambda: replace(EFFECT, onset_on=date(2026, 11, 25)).validated(NOW))
    assert "future" in found["onset_on"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"resolved_on": date(2026, 11, 22)}, "outcome"),  # resolved but outcome ongoing
        ({"outcome": AEOutcome.RESOLVED}, "resolved_on"),  # resolved outcome without a date
        ({"pain_nrs": 5}, "pain_nrs"),  # NRS for pain only
        ({"kind": SideEffectKind.PAIN, "pain_nrs": 11}, "pain_nrs"),
        ({"kind": SideEffectKind.NAUSEA}, "body_area"),  # systemic: no area
        ({"body_area": None}, "body_area"),  # local: an area is needed
        ({"kind": SideEffectKind.OTHER}, "kind_note"),
        ({"grade": 4}, "serious"),
        ({"grade": 5, "serious": True}, "outcome"),
        ({"outcome": AEOutcome.FATAL, "resolved_on": date(2026, 11, 22)}, "grade"),
        ({"reported_at": datetime(2026, 11, 19, 9)}, "reported_at"),
        ({"lot_ids": (3,), "session_id": None}, "lot_ids"),
        ({"suspects_blend": True, "session_id": None}, "suspects_blend"),
        ({"reported_via": None}, "reported_via"),
    ],
)
def test_side_effect_consistency(changes: dict[str, object], field: str) -> None:
    assert field in errors(lambda: replace(EFFECT, **changes).validated(NOW))


def test_duration_is_derived() -> None:
    from mesodesk.domain.enums import ActionTaken, Causality, ReportChannel
    from mesodesk.domain.treatment import SideEffect

    effect = SideEffect(
        1,
        1,
        None,
        None,
        (),
        False,
        SideEffectKind.PAIN,
        "",
        date(2026, 11, 1),
        None,
        Grade.MILD,
        3,
        False,
        AEOutcome.ONGOING,
        Causality.POSSIBLE,
        BodyArea.CHEEKS,
        "",
        ActionTaken.NONE,
        "",
        ReportChannel.PHONE,
        NOW,
        None,
        "",
    )
    assert effect.ongoing and effect.duration_days(date(2026, 11, 24)) == 23
    done = replace(effect, resolved_on=date(2026, 11, 4))
    assert not done.ongoing and done.duration_days(date(2026, 11, 24)) == 3


@pytest.mark.parametrize(
    ("allergy", "ingredient", "matches"),
    [
        ("Lidocaine", "Lidocaine hydrochloride", True),
        ("LIDOCAÍNE", "lidocaine hydrochloride", True),
        ("lidocaine", "Procaine hydrochloride", False),
        ("allergic to procaine", "Procaine", True),
        ("Hyaluronidase", "Sodium hyaluronate", False),
        ("Latex", "Caffeine", False),
        ("ab", "abacus extract", False),
    ],
)
def test_allergy_matching_is_case_and_accent_blind(
    allergy: str, ingredient: str, matches: bool
) -> None:
    found = allergy_matches([allergy], {"Product": [ingredient]})
    assert bool(found) is matches


def test_grades_and_nrs() -> None:
    assert Grade(1).severity.value == "mild"
    assert Grade(2).severity.value == "moderate"
    assert Grade(3).severity.value == Grade(5).severity.value == "severe"
    assert "hospitalisation" in Grade(3).definition
    assert [nrs_band(n) for n in (0, 1, 3, 4, 6, 7, 10)] == [
        "none",
        "mild",
        "mild",
        "moderate",
        "moderate",
        "severe",
        "severe",
    ]
    with pytest.raises(ValueError):
        nrs_band(11)
    with pytest.raises(ValueError):
        Grade(6)
