"""The value lists of the domain (DOMAIN.md), each stored by its code.

Labels are English source strings, marked for Qt's lupdate (mesodesk.domain.i18n); the GUI
passes them through Qt's translation in the context "Values" (mesodesk.ui.labels.label).
"""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import Self

from mesodesk.domain.i18n import QT_TRANSLATE_NOOP


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
    FEMALE = ("female", QT_TRANSLATE_NOOP("Values", "Female"))
    MALE = ("male", QT_TRANSLATE_NOOP("Values", "Male"))
    OTHER = ("other", QT_TRANSLATE_NOOP("Values", "Other"))
    UNKNOWN = ("unknown", QT_TRANSLATE_NOOP("Values", "Not recorded"))


class Contraindication(Coded):
    PREGNANCY = ("pregnancy", QT_TRANSLATE_NOOP("Values", "Pregnancy or breast-feeding"))
    SKIN_INFECTION = (
        "skin_infection",
        QT_TRANSLATE_NOOP("Values", "Active skin infection or inflammation at the site"),
    )
    ANTICOAGULANT = (
        "anticoagulant",
        QT_TRANSLATE_NOOP("Values", "Anticoagulant or antiplatelet therapy"),
    )
    BLEEDING_DISORDER = ("bleeding_disorder", QT_TRANSLATE_NOOP("Values", "Bleeding disorder"))
    INGREDIENT_ALLERGY = (
        "ingredient_allergy",
        QT_TRANSLATE_NOOP("Values", "Known allergy to an ingredient"),
    )
    AUTOIMMUNE = ("autoimmune", QT_TRANSLATE_NOOP("Values", "Autoimmune disease"))
    DIABETES = ("diabetes", QT_TRANSLATE_NOOP("Values", "Uncontrolled diabetes"))
    CANCER = ("cancer", QT_TRANSLATE_NOOP("Values", "Active cancer or chemotherapy"))
    KELOID = ("keloid", QT_TRANSLATE_NOOP("Values", "History of keloid scarring"))


class Indication(Coded):
    WRINKLES = ("wrinkles", QT_TRANSLATE_NOOP("Values", "Wrinkles and laughter lines"))
    ACNE_SCARS = ("acne_scars", QT_TRANSLATE_NOOP("Values", "Acne scarring"))
    PIGMENTATION = ("pigmentation", QT_TRANSLATE_NOOP("Values", "Uneven tone and pigmentation"))
    LOCAL_FAT = ("local_fat", QT_TRANSLATE_NOOP("Values", "Local fat"))
    CELLULITE = ("cellulite", QT_TRANSLATE_NOOP("Values", "Cellulite"))
    SKIN_LAXITY = ("skin_laxity", QT_TRANSLATE_NOOP("Values", "Loose skin (tightening)"))
    HAIR_LOSS = ("hair_loss", QT_TRANSLATE_NOOP("Values", "Alopecia / hair loss"))
    REJUVENATION = ("rejuvenation", QT_TRANSLATE_NOOP("Values", "General skin rejuvenation"))
    OTHER = ("other", QT_TRANSLATE_NOOP("Values", "Other"))


class BodyArea(Coded):
    FOREHEAD = ("forehead", QT_TRANSLATE_NOOP("Values", "Forehead"))
    PERIORBITAL = ("periorbital", QT_TRANSLATE_NOOP("Values", "Around the eyes"))
    CHEEKS = ("cheeks", QT_TRANSLATE_NOOP("Values", "Cheeks"))
    PERIORAL = ("perioral", QT_TRANSLATE_NOOP("Values", "Around the mouth"))
    JAWLINE = ("jawline", QT_TRANSLATE_NOOP("Values", "Jawline and chin"))
    FACE = ("face", QT_TRANSLATE_NOOP("Values", "Whole face"))
    NECK = ("neck", QT_TRANSLATE_NOOP("Values", "Neck"))
    DECOLLETE = ("decollete", QT_TRANSLATE_NOOP("Values", "Décolleté"))
    SCALP = ("scalp", QT_TRANSLATE_NOOP("Values", "Scalp"))
    HANDS = ("hands", QT_TRANSLATE_NOOP("Values", "Hands"))
    UPPER_ARMS = ("upper_arms", QT_TRANSLATE_NOOP("Values", "Upper arms"))
    ABDOMEN = ("abdomen", QT_TRANSLATE_NOOP("Values", "Abdomen"))
    FLANKS = ("flanks", QT_TRANSLATE_NOOP("Values", "Hips and flanks"))
    BACK = ("back", QT_TRANSLATE_NOOP("Values", "Back"))
    BUTTOCKS = ("buttocks", QT_TRANSLATE_NOOP("Values", "Buttocks"))
    THIGHS = ("thighs", QT_TRANSLATE_NOOP("Values", "Thighs"))
    KNEES = ("knees", QT_TRANSLATE_NOOP("Values", "Knees"))
    OTHER = ("other", QT_TRANSLATE_NOOP("Values", "Other"))


class SideEffectKind(Coded):
    PAIN = ("pain", QT_TRANSLATE_NOOP("Values", "Pain"))
    SWELLING = ("swelling", QT_TRANSLATE_NOOP("Values", "Swelling"))
    NAUSEA = ("nausea", QT_TRANSLATE_NOOP("Values", "Nausea"))
    RASH = ("rash", QT_TRANSLATE_NOOP("Values", "Rash"))
    SENSITIVITY = ("sensitivity", QT_TRANSLATE_NOOP("Values", "Skin sensitivity"))
    INFECTION = ("infection", QT_TRANSLATE_NOOP("Values", "Infection"))
    HYPERPIGMENTATION = (
        "hyperpigmentation",
        QT_TRANSLATE_NOOP("Values", "Dark skin patches (hyperpigmentation)"),
    )
    ITCHING = ("itching", QT_TRANSLATE_NOOP("Values", "Itching"))
    REDNESS_BUMPS = (
        "redness_bumps",
        QT_TRANSLATE_NOOP("Values", "Redness and bumps at injection sites"),
    )
    BRUISING = ("bruising", QT_TRANSLATE_NOOP("Values", "Bruising"))
    NODULES = ("nodules", QT_TRANSLATE_NOOP("Values", "Nodules / lumps"))
    # Injection-site numbness (hypoaesthesia): 66 % of subjects on the deoxycholate label
    # (KYBELLA USPI, section 6.1), so the clinician needs it as its own kind.
    NUMBNESS = ("numbness", QT_TRANSLATE_NOOP("Values", "Numbness"))
    OTHER = ("other", QT_TRANSLATE_NOOP("Values", "Other"))

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
    Grade.MILD: QT_TRANSLATE_NOOP("Values", "1 Mild"),
    Grade.MODERATE: QT_TRANSLATE_NOOP("Values", "2 Moderate"),
    Grade.SEVERE: QT_TRANSLATE_NOOP("Values", "3 Severe"),
    Grade.LIFE_THREATENING: QT_TRANSLATE_NOOP("Values", "4 Life-threatening"),
    Grade.DEATH: QT_TRANSLATE_NOOP("Values", "5 Death"),
}

GRADE_DEFINITIONS = {
    Grade.MILD: QT_TRANSLATE_NOOP("Values", "Mild: no or mild symptoms; observation only."),
    Grade.MODERATE: QT_TRANSLATE_NOOP(
        "Values",
        "Moderate: minimal, local or non-invasive intervention indicated; "
        "limits instrumental activities of daily living.",
    ),
    Grade.SEVERE: QT_TRANSLATE_NOOP(
        "Values",
        "Severe or medically significant but not immediately life-threatening; "
        "hospitalisation indicated; limits self-care.",
    ),
    Grade.LIFE_THREATENING: QT_TRANSLATE_NOOP(
        "Values", "Life-threatening consequences; urgent intervention indicated."
    ),
    Grade.DEATH: QT_TRANSLATE_NOOP("Values", "Death related to the event."),
}


class Severity(Coded):
    MILD = ("mild", QT_TRANSLATE_NOOP("Values", "Mild"))
    MODERATE = ("moderate", QT_TRANSLATE_NOOP("Values", "Moderate"))
    SEVERE = ("severe", QT_TRANSLATE_NOOP("Values", "Severe"))


class AEOutcome(Coded):
    """FHIR AdverseEvent.outcome codes."""

    RESOLVED = ("resolved", QT_TRANSLATE_NOOP("Values", "Resolved"))
    RECOVERING = ("recovering", QT_TRANSLATE_NOOP("Values", "Recovering"))
    ONGOING = ("ongoing", QT_TRANSLATE_NOOP("Values", "Ongoing"))
    SEQUELAE = ("resolvedWithSequelae", QT_TRANSLATE_NOOP("Values", "Resolved with sequelae"))
    FATAL = ("fatal", QT_TRANSLATE_NOOP("Values", "Fatal"))
    UNKNOWN = ("unknown", QT_TRANSLATE_NOOP("Values", "Unknown"))


class Causality(Coded):
    """WHO-UMC causality categories, and "not yet assessed": what a side effect says until a
    clinician has assessed it (never a silent "possible")."""

    NOT_ASSESSED = ("not_assessed", QT_TRANSLATE_NOOP("Values", "Not yet assessed"))
    CERTAIN = ("certain", QT_TRANSLATE_NOOP("Values", "Certain"))
    PROBABLE = ("probable", QT_TRANSLATE_NOOP("Values", "Probable / likely"))
    POSSIBLE = ("possible", QT_TRANSLATE_NOOP("Values", "Possible"))
    UNLIKELY = ("unlikely", QT_TRANSLATE_NOOP("Values", "Unlikely"))
    CONDITIONAL = ("conditional", QT_TRANSLATE_NOOP("Values", "Conditional / unclassified"))
    UNASSESSABLE = ("unassessable", QT_TRANSLATE_NOOP("Values", "Unassessable / unclassifiable"))


class ActionTaken(Coded):
    NONE = ("none", QT_TRANSLATE_NOOP("Values", "None"))
    COLD_COMPRESS = ("cold_compress", QT_TRANSLATE_NOOP("Values", "Cold compress"))
    TOPICAL = ("topical", QT_TRANSLATE_NOOP("Values", "Topical treatment"))
    ANTIHISTAMINE = ("antihistamine", QT_TRANSLATE_NOOP("Values", "Antihistamine"))
    ANTIBIOTIC = ("antibiotic", QT_TRANSLATE_NOOP("Values", "Antibiotic"))
    REFERRAL = ("referral", QT_TRANSLATE_NOOP("Values", "Referral"))
    OTHER = ("other", QT_TRANSLATE_NOOP("Values", "Other"))


class ReportChannel(Coded):
    PHONE = ("phone", QT_TRANSLATE_NOOP("Values", "Patient by phone"))
    IN_CLINIC = ("in_clinic", QT_TRANSLATE_NOOP("Values", "Seen in clinic"))
    MESSAGE = ("message", QT_TRANSLATE_NOOP("Values", "Patient by message or e-mail"))
    FOLLOW_UP = ("follow_up", QT_TRANSLATE_NOOP("Values", "Found at follow-up session"))
    OTHER = ("other", QT_TRANSLATE_NOOP("Values", "Other"))


class CourseStatus(Coded):
    ACTIVE = ("active", QT_TRANSLATE_NOOP("Values", "Active"))
    COMPLETED = ("completed", QT_TRANSLATE_NOOP("Values", "Completed"))
    STOPPED = ("stopped", QT_TRANSLATE_NOOP("Values", "Stopped"))


class LaterInterval(Coded):
    """How often sessions follow once induction is over."""

    BIWEEKLY = ("2w", QT_TRANSLATE_NOOP("Values", "Every 2 weeks"))
    MONTHLY = ("1m", QT_TRANSLATE_NOOP("Values", "Monthly"))


class Technique(Coded):
    NAPPAGE = ("nappage", QT_TRANSLATE_NOOP("Values", "Nappage"))
    PAPULE = ("papule", QT_TRANSLATE_NOOP("Values", "Papules"))
    POINT_BY_POINT = ("point", QT_TRANSLATE_NOOP("Values", "Point by point"))
    LINEAR = ("linear", QT_TRANSLATE_NOOP("Values", "Linear retrograde"))
    INJECTOR = ("injector", QT_TRANSLATE_NOOP("Values", "Injector gun"))
    OTHER = ("other", QT_TRANSLATE_NOOP("Values", "Other"))


class NumbingAgent(Coded):
    NONE = ("none", QT_TRANSLATE_NOOP("Values", "None"))
    TOPICAL_ANAESTHETIC = ("topical", QT_TRANSLATE_NOOP("Values", "Topical anaesthetic cream"))
    COLD = ("cold", QT_TRANSLATE_NOOP("Values", "Cold / ice"))
    OTHER = ("other", QT_TRANSLATE_NOOP("Values", "Other"))


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
    Gais.VERY_MUCH_IMPROVED: QT_TRANSLATE_NOOP("Values", "1 Very much improved"),
    Gais.MUCH_IMPROVED: QT_TRANSLATE_NOOP("Values", "2 Much improved"),
    Gais.IMPROVED: QT_TRANSLATE_NOOP("Values", "3 Improved"),
    Gais.NO_CHANGE: QT_TRANSLATE_NOOP("Values", "4 No change"),
    Gais.WORSE: QT_TRANSLATE_NOOP("Values", "5 Worse"),
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
