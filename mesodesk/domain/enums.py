"""The value lists of the domain (DOMAIN.md), each stored by its code.

Labels are English source strings; the GUI passes them through Qt's translation.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import Self


class Coded(StrEnum):
    """A value stored as a short code, shown by its label."""

    label: str

    def __new__(cls, code: str, label: str) -> Self:
        obj = str.__new__(cls, code)
        obj._value_ = code
        obj.label = label
        return obj

    def __str__(self) -> str:
        return self.value

    @classmethod
    def parse(cls, value: str | Self) -> Self:
        """The member for a code or label, case-blind; ValueError when there is none."""
        if isinstance(value, cls):
            return value
        member = cls._value2member_map_.get(value)  # a stored code: the common case, fast
        if member is not None:
            return member  # type: ignore[return-value]
        text = str(value).strip().casefold()
        for member in cls:
            if text in (member.value.casefold(), member.label.casefold()):
                return member
        raise ValueError(f"{value!r} is not one of: {', '.join(m.value for m in cls)}")

    @classmethod
    def codes(cls) -> list[str]:
        return [m.value for m in cls]


class Sex(Coded):
    FEMALE = ("female", "Female")
    MALE = ("male", "Male")
    OTHER = ("other", "Other")
    UNKNOWN = ("unknown", "Not recorded")


class Contraindication(Coded):
    PREGNANCY = ("pregnancy", "Pregnancy or breast-feeding")
    SKIN_INFECTION = ("skin_infection", "Active skin infection or inflammation at the site")
    ANTICOAGULANT = ("anticoagulant", "Anticoagulant or antiplatelet therapy")
    BLEEDING_DISORDER = ("bleeding_disorder", "Bleeding disorder")
    INGREDIENT_ALLERGY = ("ingredient_allergy", "Known allergy to an ingredient")
    AUTOIMMUNE = ("autoimmune", "Autoimmune disease")
    DIABETES = ("diabetes", "Uncontrolled diabetes")
    CANCER = ("cancer", "Active cancer or chemotherapy")
    KELOID = ("keloid", "History of keloid scarring")


class Indication(Coded):
    WRINKLES = ("wrinkles", "Wrinkles and laughter lines")
    ACNE_SCARS = ("acne_scars", "Acne scarring")
    PIGMENTATION = ("pigmentation", "Uneven tone and pigmentation")
    LOCAL_FAT = ("local_fat", "Local fat")
    CELLULITE = ("cellulite", "Cellulite")
    SKIN_LAXITY = ("skin_laxity", "Loose skin (tightening)")
    HAIR_LOSS = ("hair_loss", "Alopecia / hair loss")
    REJUVENATION = ("rejuvenation", "General skin rejuvenation")
    OTHER = ("other", "Other")


class BodyArea(Coded):
    FOREHEAD = ("forehead", "Forehead")
    PERIORBITAL = ("periorbital", "Around the eyes")
    CHEEKS = ("cheeks", "Cheeks")
    PERIORAL = ("perioral", "Around the mouth")
    JAWLINE = ("jawline", "Jawline and chin")
    FACE = ("face", "Whole face")
    NECK = ("neck", "Neck")
    DECOLLETE = ("decollete", "Décolleté")
    SCALP = ("scalp", "Scalp")
    HANDS = ("hands", "Hands")
    UPPER_ARMS = ("upper_arms", "Upper arms")
    ABDOMEN = ("abdomen", "Abdomen")
    FLANKS = ("flanks", "Hips and flanks")
    BACK = ("back", "Back")
    BUTTOCKS = ("buttocks", "Buttocks")
    THIGHS = ("thighs", "Thighs")
    KNEES = ("knees", "Knees")
    OTHER = ("other", "Other")


class SideEffectKind(Coded):
    PAIN = ("pain", "Pain")
    SWELLING = ("swelling", "Swelling")
    NAUSEA = ("nausea", "Nausea")
    RASH = ("rash", "Rash")
    SENSITIVITY = ("sensitivity", "Skin sensitivity")
    INFECTION = ("infection", "Infection")
    HYPERPIGMENTATION = ("hyperpigmentation", "Dark skin patches (hyperpigmentation)")
    ITCHING = ("itching", "Itching")
    REDNESS_BUMPS = ("redness_bumps", "Redness and bumps at injection sites")
    BRUISING = ("bruising", "Bruising")
    NODULES = ("nodules", "Nodules / lumps")
    # Injection-site numbness (hypoaesthesia): 66 % of subjects on the deoxycholate label
    # (KYBELLA USPI, section 6.1), so the clinician needs it as its own kind.
    NUMBNESS = ("numbness", "Numbness")
    OTHER = ("other", "Other")

    @property
    def systemic(self) -> bool:
        """Systemic effects have no body area."""
        return self is SideEffectKind.NAUSEA


class Grade(IntEnum):
    """CTCAE v5 grade."""

    MILD = 1
    MODERATE = 2
    SEVERE = 3
    LIFE_THREATENING = 4
    DEATH = 5

    @property
    def label(self) -> str:
        return GRADE_LABELS[self]

    @property
    def definition(self) -> str:
        return GRADE_DEFINITIONS[self]

    @property
    def severity(self) -> Severity:
        """FHIR severity: grade 1 mild, 2 moderate, 3 and above severe."""
        if self == Grade.MILD:
            return Severity.MILD
        if self == Grade.MODERATE:
            return Severity.MODERATE
        return Severity.SEVERE


GRADE_LABELS = {
    Grade.MILD: "1 Mild",
    Grade.MODERATE: "2 Moderate",
    Grade.SEVERE: "3 Severe",
    Grade.LIFE_THREATENING: "4 Life-threatening",
    Grade.DEATH: "5 Death",
}

GRADE_DEFINITIONS = {
    Grade.MILD: "Mild: no or mild symptoms; observation only.",
    Grade.MODERATE: (
        "Moderate: minimal, local or non-invasive intervention indicated; "
        "limits instrumental activities of daily living."
    ),
    Grade.SEVERE: (
        "Severe or medically significant but not immediately life-threatening; "
        "hospitalisation indicated; limits self-care."
    ),
    Grade.LIFE_THREATENING: "Life-threatening consequences; urgent intervention indicated.",
    Grade.DEATH: "Death related to the event.",
}


class Severity(Coded):
    MILD = ("mild", "Mild")
    MODERATE = ("moderate", "Moderate")
    SEVERE = ("severe", "Severe")


class AEOutcome(Coded):
    """FHIR AdverseEvent.outcome codes."""

    RESOLVED = ("resolved", "Resolved")
    RECOVERING = ("recovering", "Recovering")
    ONGOING = ("ongoing", "Ongoing")
    SEQUELAE = ("resolvedWithSequelae", "Resolved with sequelae")
    FATAL = ("fatal", "Fatal")
    UNKNOWN = ("unknown", "Unknown")


class Causality(Coded):
    """WHO-UMC causality categories, and "not yet assessed": what a side effect says until a
    clinician has assessed it (never a silent "possible")."""

    NOT_ASSESSED = ("not_assessed", "Not yet assessed")
    CERTAIN = ("certain", "Certain")
    PROBABLE = ("probable", "Probable / likely")
    POSSIBLE = ("possible", "Possible")
    UNLIKELY = ("unlikely", "Unlikely")
    CONDITIONAL = ("conditional", "Conditional / unclassified")
    UNASSESSABLE = ("unassessable", "Unassessable / unclassifiable")


class ActionTaken(Coded):
    NONE = ("none", "None")
    COLD_COMPRESS = ("cold_compress", "Cold compress")
    TOPICAL = ("topical", "Topical treatment")
    ANTIHISTAMINE = ("antihistamine", "Antihistamine")
    ANTIBIOTIC = ("antibiotic", "Antibiotic")
    REFERRAL = ("referral", "Referral")
    OTHER = ("other", "Other")


class ReportChannel(Coded):
    PHONE = ("phone", "Patient by phone")
    IN_CLINIC = ("in_clinic", "Seen in clinic")
    MESSAGE = ("message", "Patient by message or e-mail")
    FOLLOW_UP = ("follow_up", "Found at follow-up session")
    OTHER = ("other", "Other")


class CourseStatus(Coded):
    ACTIVE = ("active", "Active")
    COMPLETED = ("completed", "Completed")
    STOPPED = ("stopped", "Stopped")


class LaterInterval(Coded):
    """How often sessions follow once induction is over."""

    BIWEEKLY = ("2w", "Every 2 weeks")
    MONTHLY = ("1m", "Monthly")


class Technique(Coded):
    NAPPAGE = ("nappage", "Nappage")
    PAPULE = ("papule", "Papules")
    POINT_BY_POINT = ("point", "Point by point")
    LINEAR = ("linear", "Linear retrograde")
    INJECTOR = ("injector", "Injector gun")
    OTHER = ("other", "Other")


class NumbingAgent(Coded):
    NONE = ("none", "None")
    TOPICAL_ANAESTHETIC = ("topical", "Topical anaesthetic cream")
    COLD = ("cold", "Cold / ice")
    OTHER = ("other", "Other")


class Gais(IntEnum):
    """Global Aesthetic Improvement Scale."""

    VERY_MUCH_IMPROVED = 1
    MUCH_IMPROVED = 2
    IMPROVED = 3
    NO_CHANGE = 4
    WORSE = 5

    @property
    def label(self) -> str:
        return GAIS_LABELS[self]


GAIS_LABELS = {
    Gais.VERY_MUCH_IMPROVED: "1 Very much improved",
    Gais.MUCH_IMPROVED: "2 Much improved",
    Gais.IMPROVED: "3 Improved",
    Gais.NO_CHANGE: "4 No change",
    Gais.WORSE: "5 Worse",
}


def nrs_band(value: int) -> str:
    """Numeric rating scale 0-10 in words: 0 none, 1-3 mild, 4-6 moderate, 7-10 severe."""
    if not 0 <= value <= 10:
        raise ValueError("NRS is 0 to 10")
    if value == 0:
        return "none"
    if value <= 3:
        return "mild"
    if value <= 6:
        return "moderate"
    return "severe"


NRS_MEANINGFUL_CHANGE = 2
