"""The allergy check: a patient's allergies, as typed, against the products of a session (the
blend and the numbing product), by their names and their ingredients.

DOMAIN.md, "Allergy match": when a product holds an ingredient the patient is recorded as
allergic to, the clinician is warned before the session is saved. Allergies are free text
("Lidocaine", "allergic to procaine.", "EMLA", "local anaesthetics"), so each is read as words:

- an ingredient or a product name that holds the allergy's words (or is held by them) matches,
  case- and accent-blind ("lidocaine" / "Lidocaine hydrochloride"; "EMLA" / "EMLA cream 5%");
- a word of five letters or more in common matches ("allergic to procaine" / "Procaine HCl"),
  except the words that name a salt, a form or a kind of product ("hydrochloride", "cream",
  "vitamin"), which say nothing about what the patient reacts to;
- the local anaesthetics are known under each of their names (lidocaine is lignocaine in older
  British texts, tetracaine is amethocaine, Novocain is procaine), and an allergy to "local
  anaesthetics" matches every one of them;
- an allergy to an *ester* local anaesthetic (procaine, benzocaine, tetracaine, chloroprocaine)
  also matches the other esters: they share the metabolite para-aminobenzoic acid (PABA), and
  cross-react, whereas the *amides* (lidocaine, prilocaine, mepivacaine, bupivacaine, articaine)
  rarely cross-react with one another or with the esters, and are not matched across (Joint Task
  Force on Practice Parameters, "Drug allergy: an updated practice parameter", Ann Allergy Asthma
  Immunol 2010;105(4):259-273, local anaesthetics; Bhole et al., "IgE-mediated allergy to local
  anaesthetics: separating fact from perception", Br J Anaesth 2012;108(6):903-911).

A match is a warning for the clinician to weigh, never a refusal (docs/safety-rules.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from mesodesk.domain.text import fold

_SPLIT = re.compile(r"[^\w]+|_")

# Words that say nothing about what a patient reacts to: salts, forms, kinds of product, and the
# words of a sentence about an allergy.
GENERIC_WORDS = frozenset(
    [
        "allergy",
        "allergies",
        "allergic",
        "allergique",
        "alergia",
        "alergico",
        "known",
        "severe",
        "mild",
        "reaction",
        "reactions",
        "hydrochloride",
        "chlorhydrate",
        "hydrochloric",
        "sodium",
        "potassium",
        "calcium",
        "magnesium",
        "sulfate",
        "sulphate",
        "acetate",
        "citrate",
        "phosphate",
        "chloride",
        "base",
        "salt",
        "solution",
        "injection",
        "injectable",
        "cream",
        "creme",
        "creams",
        "spray",
        "sprays",
        "gel",
        "ointment",
        "patch",
        "topical",
        "extract",
        "complex",
        "vitamin",
        "vitamins",
        "acid",
        "acids",
        "product",
        "products",
        "other",
        "unknown",
    ]
)

# Local anaesthetics: each name (folded) -> (the name used in messages, its class).
AMIDE = "amide"
ESTER = "ester"
LOCAL_ANAESTHETICS: dict[str, tuple[str, str]] = {
    "lidocaine": ("lidocaine", AMIDE),
    "lignocaine": ("lidocaine", AMIDE),
    "xylocaine": ("lidocaine", AMIDE),
    "prilocaine": ("prilocaine", AMIDE),
    "mepivacaine": ("mepivacaine", AMIDE),
    "bupivacaine": ("bupivacaine", AMIDE),
    "levobupivacaine": ("levobupivacaine", AMIDE),
    "ropivacaine": ("ropivacaine", AMIDE),
    "articaine": ("articaine", AMIDE),
    "procaine": ("procaine", ESTER),
    "novocaine": ("procaine", ESTER),
    "novocain": ("procaine", ESTER),
    "chloroprocaine": ("chloroprocaine", ESTER),
    "benzocaine": ("benzocaine", ESTER),
    "tetracaine": ("tetracaine", ESTER),
    "amethocaine": ("tetracaine", ESTER),
}
# "local anaesthetic(s)", however it is spelt, names them all
_GROUP_WORDS = frozenset({"anaesthetic", "anaesthetics", "anesthetic", "anesthetics", "caines"})
# para-aminobenzoic acid: what the esters are broken down to
_PABA = frozenset({"paba", "aminobenzoic"})


@dataclass(frozen=True)
class AllergyMatch:
    allergy: str  # as the patient's record has it
    product: str
    ingredient: str  # "" when the product's name matched
    why: str = ""  # for a match through a class of drugs: why it counts


def _words(text: str) -> list[str]:
    return [w for w in _SPLIT.split(fold(text)) if w]


def _phrase(words: Sequence[str]) -> str:
    return " ".join(words)


def _significant(words: Iterable[str]) -> set[str]:
    return {w for w in words if len(w) >= 5 and w not in GENERIC_WORDS}


def _anaesthetics(words: Iterable[str]) -> dict[str, str]:
    """The local anaesthetics named by these words: canonical name -> class."""
    found = {}
    for w in words:
        known = LOCAL_ANAESTHETICS.get(w)
        if known is not None:
            found[known[0]] = known[1]
    return found


def _contains(outer: str, inner: str) -> bool:
    return len(inner) >= 3 and inner in outer


def _text_match(allergy: list[str], other: list[str]) -> bool:
    a, o = _phrase(allergy), _phrase(other)
    if _contains(o, a) or _contains(a, o):
        return True
    return bool(_significant(allergy) & _significant(other))


def _class_match(allergy: list[str], other: list[str]) -> str | None:
    """Why a local anaesthetic in ``other`` matches ``allergy`` through its names or class
    (None: it does not)."""
    given = _anaesthetics(other)
    if not given:
        return None
    named = _anaesthetics(allergy)
    for name, kind in given.items():
        if name in named:
            return f"{name} is known by several names"
        if kind == ESTER and (ESTER in named.values() or _PABA & set(allergy)):
            return "ester local anaesthetics cross-react (a shared metabolite, PABA)"
    words = set(allergy)
    # "every amide local anaesthetic" names the amides only: a class word narrows the group
    classes = set()
    if {"ester", "esters"} & words:
        classes.add(ESTER)
    if {"amide", "amides"} & words:
        classes.add(AMIDE)
    if classes:
        if ESTER in classes and ESTER in given.values():
            return "an ester local anaesthetic"
        if AMIDE in classes and AMIDE in given.values():
            return "an amide local anaesthetic"
        return None
    if words & _GROUP_WORDS or {"local", "anaesthesia"} <= words:
        return "a local anaesthetic"
    return None


def allergy_matches(
    allergies: Iterable[str], products: Mapping[str, Sequence[str]]
) -> list[AllergyMatch]:
    """What in these products (name -> ingredient names) matches a recorded allergy: each
    ingredient that does, and the product's name when none of its ingredients did."""
    found: list[AllergyMatch] = []
    for allergy in allergies:
        a = _words(allergy)
        if len(_phrase(a)) < 3 or all(w in GENERIC_WORDS for w in a):
            continue  # too short, or only words such as "cream" or "allergy"
        for product, ingredients in products.items():
            hit = False
            for ingredient in ingredients:
                i = _words(ingredient)
                if _text_match(a, i):
                    found.append(AllergyMatch(allergy, product, ingredient))
                    hit = True
                    continue
                why = _class_match(a, i)
                if why is not None:
                    found.append(AllergyMatch(allergy, product, ingredient, why))
                    hit = True
            if not hit:
                n = _words(product)
                if _text_match(a, n):
                    found.append(AllergyMatch(allergy, product, ""))
                else:
                    why = _class_match(a, n)
                    if why is not None:
                        found.append(AllergyMatch(allergy, product, "", why))
    return found


def describe(match: AllergyMatch) -> str:
    """A match in words (English; the dialogs put their own words around the parts)."""
    what = f"{match.ingredient} in {match.product}" if match.ingredient else f"{match.product}"
    tail = f"; {match.why}" if match.why else ""
    return f"{what} (allergy: {match.allergy}{tail})"
