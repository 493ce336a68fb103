"""The summary prints every script a clinic may type: names and notes in nine scripts go in,
and pdftotext gives them back as they were typed; the fonts that print them are embedded, as
subsets. (poppler's pdftotext, as a specialist's viewer would read the file.)"""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from mesodesk.domain.catalogue import LotInput, PractitionerInput, ProductInput
from mesodesk.domain.enums import AEOutcome, BodyArea, Indication, ReportChannel, SideEffectKind
from mesodesk.domain.settings import ClinicSettings
from mesodesk.domain.summary import Section, SummaryInput, SummaryOptions
from mesodesk.domain.treatment import BlendInput, CourseInput, SessionInput, SideEffectInput
from mesodesk.reports.summary import MISSING, render_summary
from mesodesk.reports.text import bidi_levels, visual_order
from tests.conftest import NOW, patient_input

pytestmark = pytest.mark.skipif(
    not (shutil.which("pdftotext") and shutil.which("pdffonts")), reason="poppler-utils missing"
)

# what a clinic types, in nine scripts: a name, and a note with a word or two of Latin in it
SCRIPTS = {
    "Arabic": ("ليلى", "الحسيني", "حساسية من الليدوكائين منذ 2019، لا تستعمل الكريم"),
    "Hebrew": ("נועה", "כהן", "רגישות ללידוקאין (2019), בלי קרם הרדמה"),
    "Chinese": ("丽华", "王", "对利多卡因过敏，不要使用麻醉膏"),
    "Japanese": ("さくら", "山田", "リドカインにアレルギーあり。麻酔クリームは使わない"),
    "Korean": ("지민", "김", "리도카인 알레르기, 마취 크림 사용 금지"),
    "Greek": ("Σοφία", "Παπαδοπούλου", "Αλλεργία στη λιδοκαΐνη, όχι αναισθητική κρέμα"),
    "Cyrillic": ("Ольга", "Иванова", "Аллергия на лидокаин, без анестезирующего крема"),
    "Devanagari": ("प्रिया", "शर्मा", "लिडोकेन से एलर्जी, सुन्न करने वाली क्रीम नहीं"),
    "Thai": ("สมศรี", "ใจดี", "แพ้ลิโดเคน ห้ามใช้ครีมชา"),
}


# the invisible marks pdftotext puts around right-to-left text (embedding, pop)
_MARKS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u200e\u200f"))


def normal(text: str) -> str:
    """NFKC (an Arabic presentation form is its letter), without the bidi marks pdftotext adds
    around right-to-left text, whitespace made single spaces."""
    return " ".join(unicodedata.normalize("NFKC", text).translate(_MARKS).split())


def pdftotext(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def record_with(services: Any, first: str, last: str, note: str) -> Any:
    c = services.catalogue
    doctor = c.create_practitioner(PractitionerInput(f"Dr. {last}")).value
    product = c.create_product(ProductInput(f"{first} serum", ("Sodium hyaluronate",))).value
    lot = c.create_lot(LotInput(product.id, "L-1", date(2028, 1, 1))).value
    p = services.patients.create(
        patient_input(first_name=first, last_name=last, medical_notes=note, allergies=(note[:40],))
    ).value
    course = services.courses.create_course(
        p.id, CourseInput(Indication.WRINKLES, date(2025, 1, 6), (BodyArea.FOREHEAD,))
    ).value
    session = services.sessions.log_session(
        p.id,
        SessionInput(
            course.id,
            datetime(2025, 1, 6, 10),
            (BodyArea.FOREHEAD,),
            1.5,
            (BlendInput(lot.id, 2.0),),
            practitioner_id=doctor.id,
            notes=note,
        ),
    ).value
    services.side_effects.record_side_effect(
        p.id,
        SideEffectInput(
            SideEffectKind.OTHER,
            date(2025, 1, 7),
            1,
            body_area=BodyArea.FOREHEAD,
            session_id=session.id,
            lot_ids=(lot.id,),
            reported_via=ReportChannel.PHONE,
            kind_note=last,
            resolved_on=date(2025, 1, 9),
            outcome=AEOutcome.RESOLVED,
            notes=note,
            reported_at=datetime(2025, 1, 7, 9),
        ),
    )
    return services.treatment.record(p.id)


@pytest.mark.parametrize("script", list(SCRIPTS))
def test_each_script_prints_and_reads_back_as_typed(
    services: Any, tmp_path: Path, script: str
) -> None:
    first, last, note = SCRIPTS[script]
    record = record_with(services, first, last, note)
    path = tmp_path / f"{script}.pdf"
    with path.open("wb") as out:
        result = render_summary(
            SummaryInput(record, ClinicSettings(clinic_name=f"{last} clinic"), made_at=NOW),
            SummaryOptions(sections=frozenset(Section) - {Section.CHARTS}),
            out,
        )
    assert result.replaced_characters == 0
    text = normal(pdftotext(path))
    assert MISSING not in text
    for typed in (first, last, note, f"{last}, {first}", f"{first} serum", f"Dr. {last}"):
        assert normal(typed) in text, (script, typed, text[:600])
    # the name in the page header too, on every page
    assert text.count(f"{normal(last)}, {normal(first)} · MD-") >= result.pages


def test_all_nine_scripts_in_one_summary_embed_subsets(services: Any, tmp_path: Path) -> None:
    first = " ".join(f for f, _, _ in SCRIPTS.values())
    last = " ".join(last for _, last, _ in SCRIPTS.values())
    note = "\n".join(n for _, _, n in SCRIPTS.values())
    record = record_with(services, first[:100], last[:100], note)
    path = tmp_path / "nine.pdf"
    with path.open("wb") as out:
        render_summary(SummaryInput(record, ClinicSettings(), made_at=NOW), SummaryOptions(), out)
    text = normal(pdftotext(path))
    for _, _, typed in SCRIPTS.values():
        assert normal(typed) in text, typed
    fonts = subprocess.run(
        ["pdffonts", str(path)], check=True, capture_output=True, text=True
    ).stdout.splitlines()[2:]
    names = {row.split()[0] for row in fonts}
    for family in ("DejaVuSans", "NotoSansArabic", "NotoSansHebrew", "NotoSansCJK", "Thai"):
        assert any(family in name for name in names), (family, names)
    assert any("Devanagari" in name for name in names), names
    for row in fonts:
        cells = row.split()
        assert cells[-5:-2] == ["yes", "yes", "yes"], row  # embedded, subset, ToUnicode
        assert re.match(r"[A-Z]{6}\+", cells[0]), row  # a subset's name
    assert path.stat().st_size < 400_000  # subsets: a few kilobytes a script, not whole fonts


def test_right_to_left_order_follows_the_unicode_bidi_algorithm() -> None:
    # "abc" then two Arabic words then "def": the Arabic words are drawn right to left
    text = "abc مرحبا بك def"
    base, levels = bidi_levels(text)
    assert base == 0
    assert levels[:4] == [0, 0, 0, 0] and levels[4:12] == [1] * 8 and levels[-4:] == [0] * 4
    # runs at levels 0, 1, 2 (a number in right-to-left text), 1: the number stays
    # left-to-right, the rest of the middle reverses
    assert visual_order([0, 1, 2, 1, 0]) == [0, 3, 2, 1, 4]
    # a right-to-left paragraph: its first strong character decides
    assert bidi_levels("שלום abc")[0] == 1
