"""The safety rules, in one place: contraindications and the plausibility of a session, and the
coherence of a side effect. The services refuse or ask on their verdicts, the dialogs show each
beside its field, and `mesodesk check` lists the stored records that break one.

Each rule gives a ``Finding``: what to do (``block``: refused; ``ask``: saved once the
practitioner confirms; ``warn``: saved, and shown), the input field it belongs beside, the words
to show and the rule's code. An *overridable* block (an absolute contraindication, an open side
effect at a treated area) is lifted by an override reason recorded with the session.

Every rule's source is given where it is defined, and all of them in docs/safety-rules.md,
with where a source and the clinic's protocol (DOMAIN.md) disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from mesodesk.domain.dates import age_on
from mesodesk.domain.enums import (
    BodyArea,
    Causality,
    Contraindication,
    Grade,
    Sex,
    SideEffectKind,
)
from mesodesk.domain.schedule import MIN_INDUCTION_DAYS, add_months

if TYPE_CHECKING:
    from mesodesk.domain.patients import Patient
    from mesodesk.domain.treatment import Course, Session, SessionInput, SideEffect, SideEffectInput


class Level(StrEnum):
    BLOCK = "block"  # refused (an overridable one: unless an override reason is recorded)
    ASK = "ask"  # saved once the practitioner confirms
    WARN = "warn"  # saved; shown beside its field


@dataclass(frozen=True)
class Finding:
    level: Level
    rule: str  # the rule's code (RULES)
    field: str  # the input field it belongs beside ("patient": the patient as a whole)
    message: str
    overridable: bool = False

    @property
    def needs_answer(self) -> bool:
        """Whether saving needs the practitioner's word: a confirmation or an override reason."""
        return self.level is Level.ASK or (self.level is Level.BLOCK and self.overridable)


@dataclass(frozen=True)
class Rule:
    code: str
    level: Level
    title: str
    source: str
    overridable: bool = False


def _rules(*rules: Rule) -> dict[str, Rule]:
    return {r.code: r for r in rules}


CLINIC = "Clinic protocol (DOMAIN.md, 'Safety checks a clinician expects')"
ATX101 = "Kybella (deoxycholic acid, ATX-101) US prescribing information, 2015"
CTCAE = "NCI CTCAE v5.0 (27 Nov 2017)"

RULES = _rules(
    # -- contraindications (the patient's checklist at consultation) --------------------------
    Rule(
        "ci.pregnancy",
        Level.BLOCK,
        "Pregnancy or breast-feeding",
        f"{CLINIC}: absolute. {ATX101} §8.1 only says there are no adequate data.",
        overridable=True,
    ),
    Rule(
        "ci.skin_infection",
        Level.BLOCK,
        "Active skin infection or inflammation at the site",
        f"{ATX101} §4 (the one contraindication of the label: infection at the injection "
        f"sites); {CLINIC}: absolute.",
        overridable=True,
    ),
    Rule(
        "ci.anticoagulant",
        Level.BLOCK,
        "Anticoagulant or antiplatelet therapy",
        f"{CLINIC}: absolute. {ATX101} §5.3 lists it as a precaution (bleeding, hematoma).",
        overridable=True,
    ),
    Rule(
        "ci.bleeding_disorder",
        Level.BLOCK,
        "Bleeding disorder",
        f"{CLINIC}: absolute. {ATX101} §5.3: a precaution.",
        overridable=True,
    ),
    Rule(
        "ci.ingredient_allergy",
        Level.ASK,
        "Allergy to an ingredient ticked, but no allergy named",
        f"{CLINIC}: relative; the blend is checked against each allergy named (DOMAIN.md, "
        "'Allergy match'), which cannot be done without a name.",
    ),
    Rule("ci.autoimmune", Level.ASK, "Autoimmune disease", f"{CLINIC}: relative."),
    Rule("ci.diabetes", Level.ASK, "Uncontrolled diabetes", f"{CLINIC}: relative."),
    Rule("ci.cancer", Level.ASK, "Active cancer or chemotherapy", f"{CLINIC}: relative."),
    Rule("ci.keloid", Level.ASK, "History of keloid scarring", f"{CLINIC}: relative."),
    # -- the patient -------------------------------------------------------------------------
    Rule(
        "patient.pregnancy_male",
        Level.BLOCK,
        "Pregnancy recorded for a male patient",
        "Plausibility: a male patient cannot be pregnant or breast-feeding.",
    ),
    Rule(
        "patient.minor",
        Level.BLOCK,
        "Under 18 without a recorded guardian consent",
        f"DOMAIN.md: 'Under 18: not without a guardian's consent'; {ATX101} §8.4 (not "
        "established under 18).",
    ),
    Rule(
        "patient.before_birth",
        Level.BLOCK,
        "Session before the patient's birth",
        "Plausibility.",
    ),
    Rule(
        "patient.before_consent",
        Level.BLOCK,
        "Session before the consent was signed",
        "Informed consent comes before treatment (Italian Society of Mesotherapy, "
        "Mammucari et al., Clin Ter 2021;172(1):37-45).",
    ),
    Rule(
        "patient.no_consent",
        Level.WARN,
        "No consent date recorded",
        "Informed consent comes before treatment (Mammucari et al. 2021).",
    ),
    # -- the session -------------------------------------------------------------------------
    Rule(
        "session.open_effect",
        Level.BLOCK,
        "Ongoing infection or other open side effect at a treated area",
        f"{ATX101} §4 (infection at the injection site); {CLINIC}: active inflammation at the "
        "site.",
        overridable=True,
    ),
    Rule(
        "session.same_day",
        Level.ASK,
        "Two sessions the same day",
        "DOMAIN.md: one session every 7 to 10 days in induction, then 2 weeks or monthly.",
    ),
    Rule(
        "session.interval",
        Level.ASK,
        f"Less than {MIN_INDUCTION_DAYS} days after the course's previous session",
        "DOMAIN.md: one session every 7 to 10 days in induction, then 2 weeks or monthly.",
    ),
    Rule(
        "session.beyond_plan",
        Level.ASK,
        "More sessions than the course planned",
        "DOMAIN.md: a course has 3 to 15 sessions, then maintenance every 3 to 5 months.",
    ),
    Rule(
        "session.volume",
        Level.ASK,
        "Total volume not the sum of the blend's amounts",
        "Plausibility: the blend's amounts are what was injected.",
    ),
    Rule(
        "session.depth",
        Level.ASK,
        "Deeper than the usual limit for a treated area",
        "DEPTH_LIMITS_MM (docs/safety-rules.md): dermal thickness per area, Chopra et al. "
        "2015; Micheels & Goodman 2018; clinic protocol where no study fits.",
    ),
    # -- side effects ------------------------------------------------------------------------
    Rule(
        "effect.grade_range",
        Level.BLOCK,
        "Grade outside the CTCAE v5 term's grades",
        f"{CTCAE}: grades are term-specific (CTCAE_TERMS).",
    ),
    Rule(
        "effect.pain_nrs",
        Level.ASK,
        "Pain grade and NRS disagree",
        "NRS 1-3 mild, 4-6 moderate, 7-10 severe (DOMAIN.md); CTCAE v5 'Pain' grades 1-3.",
    ),
    Rule(
        "effect.serious_mild",
        Level.ASK,
        "A mild (grade 1) event marked serious",
        "ICH E2A: serious = death, life-threatening, hospitalisation, lasting disability; "
        "CTCAE grade 1: observation only.",
    ),
    Rule(
        "effect.severe_not_serious",
        Level.WARN,
        "A grade 3 event not marked serious",
        "CTCAE grade 3: hospitalisation indicated; ICH E2A: hospitalisation makes it serious.",
    ),
    Rule(
        "effect.causality_session",
        Level.BLOCK,
        "A causality assessment without a suspected session",
        "WHO-UMC causality categories assess a suspected product, given here by a session.",
    ),
    Rule(
        "effect.area",
        Level.WARN,
        "A local side effect at an area the suspected session did not treat",
        "Plausibility: a local reaction appears where the product went in.",
    ),
)

# The contraindications of the checklist, by rule. The absolute ones block unless overridden;
# the relative ones ask.
CONTRAINDICATION_RULES: dict[Contraindication, str] = {
    Contraindication.PREGNANCY: "ci.pregnancy",
    Contraindication.SKIN_INFECTION: "ci.skin_infection",
    Contraindication.ANTICOAGULANT: "ci.anticoagulant",
    Contraindication.BLEEDING_DISORDER: "ci.bleeding_disorder",
    Contraindication.INGREDIENT_ALLERGY: "ci.ingredient_allergy",
    Contraindication.AUTOIMMUNE: "ci.autoimmune",
    Contraindication.DIABETES: "ci.diabetes",
    Contraindication.CANCER: "ci.cancer",
    Contraindication.KELOID: "ci.keloid",
}
ABSOLUTE = frozenset(c for c, code in CONTRAINDICATION_RULES.items() if RULES[code].overridable)

ADULT_AGE = 18
MIN_OVERRIDE_REASON = 10  # characters: a reason, not "ok"
VOLUME_TOLERANCE_ML = 0.05  # amounts are entered to the hundredth of a ml


@dataclass(frozen=True)
class CtcaeTerm:
    term: str
    low: int
    high: int


# The CTCAE v5.0 term each kind of side effect is graded by, with the grades that term has
# (NCI CTCAE v5.0, 27 Nov 2017; a "-" in a grade's column means the term has no such grade).
# Keyed by kind code, so that a kind added later (numbness) finds its term here.
CTCAE_TERMS: dict[str, CtcaeTerm] = {
    "pain": CtcaeTerm("Pain", 1, 3),
    "swelling": CtcaeTerm("Localized edema (Edema face on the face)", 1, 3),
    "nausea": CtcaeTerm("Nausea", 1, 3),
    "rash": CtcaeTerm("Rash maculo-papular", 1, 3),
    "sensitivity": CtcaeTerm("Pain of skin", 1, 3),
    "infection": CtcaeTerm("Skin infection", 2, 5),
    "hyperpigmentation": CtcaeTerm("Skin hyperpigmentation", 1, 2),
    "itching": CtcaeTerm("Pruritus", 1, 3),
    "redness_bumps": CtcaeTerm("Injection site reaction", 1, 4),
    "bruising": CtcaeTerm("Bruising", 1, 2),
    "nodules": CtcaeTerm("Injection site reaction", 1, 4),
    "numbness": CtcaeTerm("Paresthesia", 1, 3),
    "other": CtcaeTerm("Other, specify", 1, 5),
}

# The deepest a deposit usually goes in each area, in mm (the session's depth is checked against
# the shallowest of its areas). Mesotherapy is intradermal (Mammucari et al., Eur Rev Med
# Pharmacol Sci 2011;15:682-694); the facial dermis is 0.76 mm (upper eyelid) to 1.97 mm thick
# (Chopra et al., Aesthet Surg J 2015;35(8):1007-1013), about 1 mm with the epidermis over the
# cheekbone (Iyengar et al., Dermatol Surg 2018;44(6)), and injections said to be intradermal
# mostly end in the fat (Micheels & Goodman, J Drugs Dermatol 2018;17(1):89-96). The body's
# dermis is thicker and fat-reduction treatments aim below it: the full 4 mm of DOMAIN.md.
# The scalp's 2.5 mm and the neck's, décolleté's and hands' 2 mm are the clinic's protocol
# (no published table found): see docs/safety-rules.md.
DEPTH_LIMITS_MM: dict[BodyArea, float] = {
    BodyArea.PERIORBITAL: 1.0,
    BodyArea.FOREHEAD: 2.0,
    BodyArea.CHEEKS: 2.0,
    BodyArea.PERIORAL: 2.0,
    BodyArea.JAWLINE: 2.0,
    BodyArea.FACE: 2.0,
    BodyArea.NECK: 2.0,
    BodyArea.DECOLLETE: 2.0,
    BodyArea.HANDS: 2.0,
    BodyArea.SCALP: 2.5,
    BodyArea.UPPER_ARMS: 4.0,
    BodyArea.ABDOMEN: 4.0,
    BodyArea.FLANKS: 4.0,
    BodyArea.BACK: 4.0,
    BodyArea.BUTTOCKS: 4.0,
    BodyArea.THIGHS: 4.0,
    BodyArea.KNEES: 4.0,
    BodyArea.OTHER: 4.0,
}

# "Whole face" holds the parts of the face: an effect on the cheeks after a session on the whole
# face is at a treated area, and the other way round.
_FACE_PARTS = frozenset(
    {
        BodyArea.FOREHEAD,
        BodyArea.PERIORBITAL,
        BodyArea.CHEEKS,
        BodyArea.PERIORAL,
        BodyArea.JAWLINE,
    }
)


def areas_overlap(a: BodyArea, b: BodyArea) -> bool:
    """Whether two areas share skin ("Other" may be anywhere)."""
    if a is b or BodyArea.OTHER in (a, b):
        return True
    return {a, b} <= _FACE_PARTS | {BodyArea.FACE} and BodyArea.FACE in (a, b)


def _finding(code: str, field: str, message: str) -> Finding:
    rule = RULES[code]
    return Finding(rule.level, code, field, message, rule.overridable)


def _day(d: date) -> str:
    return d.isoformat()


# -- the patient form ---------------------------------------------------------------------------


def patient_findings(sex: Sex, contraindications: Iterable[Contraindication]) -> list[Finding]:
    """What the patient form refuses: pregnancy for a male patient."""
    if sex is Sex.MALE and Contraindication.PREGNANCY in set(contraindications):
        return [
            _finding(
                "patient.pregnancy_male",
                "contraindications",
                "Pregnancy or breast-feeding cannot be recorded for a male patient: untick it, "
                "or correct the sex.",
            )
        ]
    return []


# -- a session ----------------------------------------------------------------------------------


def session_findings(
    data: SessionInput,
    patient: Patient,
    course: Course,
    sessions: Sequence[Session],
    side_effects: Sequence[SideEffect],
    *,
    session_id: int | None = None,
    look_ahead: bool = True,
) -> list[Finding]:
    """Everything the rules say about saving ``data`` (checked by SessionInput.validated) as a
    session of ``patient`` in ``course``. ``sessions`` and ``side_effects`` are the patient's
    whole record; ``session_id`` is the session being edited (left out of the comparisons).
    Without ``look_ahead`` a session is compared with the sessions before it only (a check of
    stored sessions then says each pair that is too close once, at its second session)."""
    assert data.started_at is not None
    when = data.started_at
    day = when.date()
    others = [s for s in sessions if s.id != session_id]
    found: list[Finding] = []
    found += _patient_on(patient, day)
    found += _contraindications(patient)
    found += _open_effects(data, day, side_effects, session_id)
    if not look_ahead:
        others = [s for s in others if (s.started_at, s.id) < (when, session_id or 0)]
    found += _timing(data, course, others, when)
    found += _volume(data)
    found += _depth(data)
    return found


def _patient_on(patient: Patient, day: date) -> list[Finding]:
    found = []
    if day < patient.birth_date:
        found.append(
            _finding(
                "patient.before_birth",
                "started_at",
                f"The session is before the patient's birth ({_day(patient.birth_date)}).",
            )
        )
        return found
    consent = patient.consent_date
    if consent is not None and day < consent:
        found.append(
            _finding(
                "patient.before_consent",
                "started_at",
                f"The session is before the consent was signed ({_day(consent)}): correct the "
                "date, or the consent date in the patient's record.",
            )
        )
    age = age_on(patient.birth_date, day)
    guardian = getattr(patient, "guardian_name", "")
    if age < ADULT_AGE and (not guardian or consent is None):
        found.append(
            _finding(
                "patient.minor",
                "patient",
                f"The patient is {age} on the day of the session: record the guardian who "
                "consented and the consent date in the patient's record first.",
            )
        )
    elif consent is None:
        found.append(
            _finding(
                "patient.no_consent",
                "patient",
                "No signed consent is recorded for this patient (patient record, 'Consent "
                "signed on').",
            )
        )
    return found


def _contraindications(patient: Patient) -> list[Finding]:
    found = []
    for item, code in CONTRAINDICATION_RULES.items():
        if item not in patient.contraindications:
            continue
        if item is Contraindication.INGREDIENT_ALLERGY:
            if patient.allergies:
                continue  # each named allergy is matched against the blend's ingredients
            message = (
                "An allergy to an ingredient is ticked but none is named: the blend cannot be "
                "checked against it."
            )
        elif item in ABSOLUTE:
            message = (
                f"Contraindication: {item.label}. Record why the session goes ahead anyway "
                "(override reason), or do not treat."
            )
        else:
            message = f"Relative contraindication: {item.label}. Confirm the session goes ahead."
        found.append(_finding(code, "patient", message))
    return found


def _open_effects(
    data: SessionInput, day: date, side_effects: Sequence[SideEffect], session_id: int | None
) -> list[Finding]:
    found = []
    for effect in side_effects:
        area = effect.body_area
        if area is None or (session_id is not None and effect.session_id == session_id):
            continue
        # open on the day: begun before it (an onset that day may be this session's own doing),
        # and not resolved by then
        if effect.onset_on >= day or (effect.resolved_on is not None and effect.resolved_on <= day):
            continue
        if not any(areas_overlap(area, treated) for treated in data.areas):
            continue
        what = "An infection" if effect.kind is SideEffectKind.INFECTION else effect.title
        found.append(
            _finding(
                "session.open_effect",
                "areas",
                f"{what} (grade {int(effect.grade)}, since {_day(effect.onset_on)}) is still "
                f"open at {area.label}. Mark it resolved if it has gone; otherwise do not treat "
                "there, or record why (override reason).",
            )
        )
    return found


def _timing(
    data: SessionInput, course: Course, others: Sequence[Session], when: datetime
) -> list[Finding]:
    found = []
    day = when.date()
    same_day = [s for s in others if s.started_at.date() == day]
    if same_day:
        found.append(
            _finding(
                "session.same_day",
                "started_at",
                f"This patient already has a session on {_day(day)} "
                f"(at {same_day[0].started_at:%H:%M}). Confirm a second one the same day.",
            )
        )
    mine = sorted((s for s in others if s.course_id == course.id), key=lambda s: s.started_at)
    before = [s for s in mine if s.started_at < when]
    after = [s for s in mine if s.started_at >= when]
    for neighbour in (before[-1] if before else None, after[0] if after else None):
        if neighbour is None:
            continue
        gap = abs((neighbour.started_at.date() - day).days)
        if 0 < gap < MIN_INDUCTION_DAYS:
            found.append(
                _finding(
                    "session.interval",
                    "started_at",
                    f"Only {gap} day{'s' if gap > 1 else ''} from the course's session of "
                    f"{_day(neighbour.started_at.date())}: sessions are at least "
                    f"{MIN_INDUCTION_DAYS} days apart.",
                )
            )
            break
    number = len(before) + 1
    planned = course.plan.planned_sessions
    if number > planned and not _maintenance(course, before, day):
        found.append(
            _finding(
                "session.beyond_plan",
                "course_id",
                f"This would be session {number} of a course planned for {planned}. Confirm it, "
                "or extend the course.",
            )
        )
    return found


def _maintenance(course: Course, before: Sequence[Session], day: date) -> bool:
    """A session past the planned number is a maintenance session when the course has a
    maintenance interval and it comes no more than a month early for it."""
    months = course.plan.maintenance_interval_months
    if months is None or not before:
        return False
    return day >= add_months(before[-1].started_at.date(), months - 1)


def _volume(data: SessionInput) -> list[Finding]:
    return volume_findings(data.total_volume_ml, [item.amount_ml for item in data.blend])


def volume_findings(total_ml: float | None, amounts_ml: Sequence[float]) -> list[Finding]:
    """Rule ``session.volume``: the total volume against the blend's amounts. The session
    dialog asks it as the clinician types (beside the total), and again on Save."""
    if total_ml is None or not amounts_ml:
        return []
    blend = round(sum(amounts_ml), 2)
    if abs(blend - total_ml) <= VOLUME_TOLERANCE_ML:
        return []
    return [
        _finding(
            "session.volume",
            "total_volume_ml",
            f"The total volume ({total_ml:g} ml) is not what the blend's amounts "
            f"add up to ({blend:g} ml).",
        )
    ]


def _depth(data: SessionInput) -> list[Finding]:
    if data.depth_mm is None or not data.areas:
        return []
    area = min(data.areas, key=lambda a: DEPTH_LIMITS_MM.get(a, 4.0))
    limit = DEPTH_LIMITS_MM.get(area, 4.0)
    if data.depth_mm <= limit:
        return []
    return [
        _finding(
            "session.depth",
            "depth_mm",
            f"{data.depth_mm:g} mm is deeper than the usual {limit:g} mm for {area.label}.",
        )
    ]


# -- a side effect ------------------------------------------------------------------------------


def nrs_grade(nrs: int) -> int | None:
    """The pain grade an NRS score bridges to: 1-3 mild (1), 4-6 moderate (2), 7-10 severe (3);
    0 is no pain."""
    if nrs <= 0:
        return None
    return 1 if nrs <= 3 else 2 if nrs <= 6 else 3


def side_effect_findings(data: SideEffectInput, session: Session | None) -> list[Finding]:
    """Everything the rules say about a side effect as entered, given its suspected session
    (None: no session, or not known yet - the rules that need it are then left out)."""
    found: list[Finding] = []
    kind = data.kind if isinstance(data.kind, SideEffectKind) else None
    grade = data.grade if isinstance(data.grade, int) and 1 <= data.grade <= 5 else None
    if kind is not None and grade is not None:
        term = CTCAE_TERMS.get(kind.value)
        if term is not None and not term.low <= grade <= term.high:
            found.append(
                _finding(
                    "effect.grade_range",
                    "grade",
                    f"{kind.label} is graded by the CTCAE v5 term “{term.term}”, which has "
                    f"grades {term.low} to {term.high} only.",
                )
            )
    if kind is SideEffectKind.PAIN and grade is not None and data.pain_nrs is not None:
        bridged = nrs_grade(data.pain_nrs)
        if bridged != grade:
            band = {None: "no pain", 1: "mild", 2: "moderate", 3: "severe"}[bridged]
            found.append(
                _finding(
                    "effect.pain_nrs",
                    "pain_nrs",
                    f"NRS {data.pain_nrs} is {band} pain, and the grade is {grade} "
                    f"({Grade(grade).label.partition(' ')[2].lower()}). Check both.",
                )
            )
    if grade == Grade.MILD and data.serious:
        found.append(
            _finding(
                "effect.serious_mild",
                "serious",
                "A grade 1 (mild) event is marked serious. Serious means death, a threat to "
                "life, hospitalisation or lasting disability.",
            )
        )
    if grade == Grade.SEVERE and not data.serious:
        found.append(
            _finding(
                "effect.severe_not_serious",
                "serious",
                "Grade 3 means hospitalisation is indicated: if the patient was hospitalised, "
                "the event is serious.",
            )
        )
    assessed = data.causality not in (Causality.NOT_ASSESSED, Causality.UNASSESSABLE)
    if assessed and data.session_id is None and isinstance(data.causality, Causality):
        found.append(
            _finding(
                "effect.causality_session",
                "causality",
                f"Causality “{data.causality.label}” is about a suspected session: choose the "
                "session, or leave it “Not yet assessed”.",
            )
        )
    area = data.body_area
    if (
        session is not None
        and isinstance(area, BodyArea)
        and session.areas
        and not any(areas_overlap(area, treated) for treated in session.areas)
    ):
        treated = ", ".join(a.label for a in session.areas)
        found.append(
            _finding(
                "effect.area",
                "body_area",
                f"{area.label} was not treated at the suspected session ({treated}).",
            )
        )
    return found


# -- answers ------------------------------------------------------------------------------------


def unanswered(
    findings: Iterable[Finding], confirmed: Iterable[str], override_reason: str = ""
) -> list[Finding]:
    """The findings that still need the practitioner's word: each question not confirmed, each
    overridable block without an override reason."""
    yes = set(confirmed)
    reason = len(" ".join(override_reason.split())) >= MIN_OVERRIDE_REASON
    return [
        f
        for f in findings
        if (f.level is Level.ASK and f.rule not in yes)
        or (f.level is Level.BLOCK and f.overridable and not reason)
    ]


def refused(findings: Iterable[Finding]) -> dict[str, str]:
    """The blocks nothing can lift, by field (one message per field)."""
    errors: dict[str, str] = {}
    for f in findings:
        if f.level is Level.BLOCK and not f.overridable:
            errors.setdefault(f.field, f.message)
    return errors


def acknowledged(findings: Iterable[Finding]) -> list[str]:
    """The codes stored with a record: the questions confirmed and the blocks overridden."""
    return sorted({f.rule for f in findings if f.needs_answer})


def recorded_overrides(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.level is Level.BLOCK and f.overridable]
