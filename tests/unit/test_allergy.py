"""The allergy check reads each free-text allergy against product names and ingredients: whole
words, salts and forms ignored, local anaesthetics under every name, and the esters together."""

from __future__ import annotations

import pytest

from mesodesk.domain.allergy import allergy_matches, describe

EMLA = {"Lidocaine 2.5% / prilocaine 2.5% cream": ["Lidocaine", "Prilocaine"]}
TETRACAINE = {"Tetracaine 4% gel": ["Tetracaine"]}
PROCAINE = {"Procaine 2%": ["Procaine hydrochloride"]}
VITAMIN = {"Vitamin C 20%": ["Ascorbic acid"]}


@pytest.mark.parametrize(
    ("allergy", "products", "matches"),
    [
        # an ingredient, case- and accent-blind, in a sentence, with punctuation
        ("Lidocaine", EMLA, True),
        ("allergic to lidocaine.", EMLA, True),
        ("LIDOCAÏNE (rash, 2019)", EMLA, True),
        # under another of its names
        ("Lignocaine", EMLA, True),
        ("Amethocaine", TETRACAINE, True),
        ("Novocaine", PROCAINE, True),
        # the whole class
        ("Local anaesthetics", EMLA, True),
        ("local anesthetic", TETRACAINE, True),
        # the esters cross-react with one another; the amides are not matched across
        ("Procaine", TETRACAINE, True),
        ("Benzocaine", PROCAINE, True),
        ("Lidocaine", TETRACAINE, False),
        ("Procaine", EMLA, False),
        # a class word narrows "local anaesthetic" to that class
        ("Lidocaine and every amide local anaesthetic", PROCAINE, False),
        ("Lidocaine and every amide local anaesthetic", EMLA, True),
        ("ester local anaesthetics", TETRACAINE, True),
        ("ester local anaesthetics", EMLA, False),
        # a salt or form in common says nothing
        ("Lidocaine hydrochloride", PROCAINE, False),
        ("cream", EMLA, False),
        # a product's name
        ("EMLA", {"EMLA cream 5%": ["Lidocaine", "Prilocaine"]}, True),
        ("Vitamin C", VITAMIN, True),
        # nothing to do with it
        ("Latex", EMLA, False),
        ("Penicillin", VITAMIN, False),
        ("ab", {"Abacus extract": ["Abacus"]}, False),
    ],
)
def test_free_text_allergies_against_names_and_ingredients(
    allergy: str, products: dict[str, list[str]], matches: bool
) -> None:
    assert bool(allergy_matches([allergy], products)) is matches


def test_a_match_says_what_matched_and_why() -> None:
    (by_name,) = allergy_matches(["EMLA"], {"EMLA cream 5%": ["Lidocaine"]})
    assert by_name.ingredient == "" and describe(by_name) == "EMLA cream 5% (allergy: EMLA)"
    (by_class,) = allergy_matches(["procaine"], TETRACAINE)
    assert by_class.ingredient == "Tetracaine" and "PABA" in by_class.why
    assert describe(by_class).startswith("Tetracaine in Tetracaine 4% gel (allergy: procaine;")
    # each ingredient that matches is named once
    found = allergy_matches(["Lidocaine", "Prilocaine"], EMLA)
    assert [(m.allergy, m.ingredient) for m in found] == [
        ("Lidocaine", "Lidocaine"),
        ("Prilocaine", "Prilocaine"),
    ]
