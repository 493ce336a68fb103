"""The specialist's PDF summary, read back with pypdf."""

from __future__ import annotations

import io
import shutil
import subprocess
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from mesodesk.domain.catalogue import LotInput, PractitionerInput, ProductInput
from mesodesk.domain.enums import (
    AEOutcome,
    BodyArea,
    Indication,
    ReportChannel,
    Sex,
    SideEffectKind,
)
from mesodesk.domain.settings import ClinicSettings, Paper
from mesodesk.domain.summary import Section, SummaryInput, SummaryOptions
from mesodesk.domain.treatment import BlendInput, CourseInput, SessionInput, SideEffectInput
from mesodesk.reports.summary import MISSING, render_summary
from tests.conftest import NOW, patient_input


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


def flat(text: str) -> str:
    return " ".join(text.split())


def build_record(services: Any, sessions: int = 3, effects: int = 2, **patient: Any) -> Any:
    c = services.catalogue
    doctor = c.create_practitioner(PractitionerInput("Dr. Amelia Hart")).value
    ha = c.create_product(ProductInput("Hyaluronic acid 1.5%", ("Sodium hyaluronate",))).value
    lot = c.create_lot(LotInput(ha.id, "HA-2601-A", date(2028, 1, 1))).value
    p = services.patients.create(patient_input(**patient)).value
    course = services.courses.create_course(
        p.id,
        CourseInput(
            Indication.WRINKLES, date(2025, 1, 6), (BodyArea.FOREHEAD,), planned_sessions=15
        ),
    ).value
    logged = []
    for i in range(sessions):
        when = datetime(2025, 1, 6, 10) + timedelta(days=7 * i)
        logged.append(
            services.sessions.log_session(
                p.id,
                SessionInput(
                    course.id,
                    when,
                    (BodyArea.FOREHEAD,),
                    1.5,
                    (BlendInput(lot.id, 2.0),),
                    practitioner_id=doctor.id,
                    pain_nrs=3,
                    gais=2,
                    price_cents=35000,
                ),
            ).value
        )
    for i in range(effects):
        s = logged[i % len(logged)]
        onset = s.started_at.date() + timedelta(days=1)
        services.side_effects.record_side_effect(
            p.id,
            SideEffectInput(
                SideEffectKind.SWELLING,
                onset,
                1,
                body_area=BodyArea.FOREHEAD,
                session_id=s.id,
                lot_ids=(lot.id,),
                resolved_on=onset + timedelta(days=2),
                outcome=AEOutcome.RESOLVED,
                reported_at=datetime.combine(onset, datetime.min.time()),
                reported_via=ReportChannel.PHONE,
            ),
        )
    return services.treatment.record(p.id)


def render(
    record: Any, options: SummaryOptions | None = None, clinic: ClinicSettings | None = None
) -> bytes:
    out = io.BytesIO()
    data = SummaryInput(
        record,
        clinic or ClinicSettings(clinic_name="Clinique Étoile", clinic_phone="+1 555 0100"),
        made_at=NOW,
    )
    render_summary(data, options or SummaryOptions(), out)
    return out.getvalue()


def test_every_session_and_side_effect_is_in_the_text(services: Any) -> None:
    record = build_record(services, sessions=4, effects=3)
    text = flat(text_of(render(record)))
    for s in record.sessions:
        assert s.started_at.strftime("%d/%m/%Y") in text
    assert text.count("Swelling") >= 3
    assert "MD-000001" in text and "Müller, José" in text and "24/03/1985" in text
    assert "Clinique Étoile" in text
    assert "page 1 of 1" in text and "Confidential medical information" in text


def test_page_count_grows_and_the_header_repeats(services: Any) -> None:
    short = build_record(services, sessions=2, effects=1)
    pdf_short = render(short)
    long_record = replace(short, sessions=short.sessions * 60)
    pdf_long = render(long_record)
    pages = PdfReader(io.BytesIO(pdf_long)).pages
    assert len(pages) > len(PdfReader(io.BytesIO(pdf_short)).pages)
    assert len(pages) >= 3
    headers = [p.extract_text().count("Blend (product · lot · ml)") for p in pages]
    assert sum(headers) >= 2  # the sessions table's header on more than one page
    assert f"page {len(pages)} of {len(pages)}" in flat(pages[-1].extract_text())


def test_metadata_paper_and_period(services: Any) -> None:
    record = build_record(services, sessions=4)
    pdf = render(
        record,
        SummaryOptions(paper=Paper.LETTER, date_from=date(2025, 1, 10), date_to=date(2025, 1, 20)),
    )
    reader = PdfReader(io.BytesIO(pdf))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)
    assert "Müller" in reader.metadata.subject and reader.metadata.author == "Clinique Étoile"
    text = flat(text_of(pdf))
    assert "Sessions (2)" in text  # 13 and 20 January only
    assert "06/01/2025" not in text.split("Sessions (2)")[1].split("Side effects")[0]


def test_sections_can_be_left_out(services: Any) -> None:
    record = build_record(services)
    text = flat(text_of(render(record, SummaryOptions(sections=frozenset({Section.SAFETY})))))
    assert "Sessions (" not in text and "Courses" not in text
    assert "No known allergies or contraindications recorded." in text


def test_a_long_note_and_a_cell_longer_than_a_page_lay_out(services: Any) -> None:
    record = build_record(services, medical_notes="Lorem ipsum dolor sit amet. " * 700)  # 19,600
    huge_session = replace(record.sessions[0], practitioner="x" * 9000)
    record = replace(record, sessions=(huge_session,))
    pdf = render(record)
    assert len(PdfReader(io.BytesIO(pdf)).pages) >= 3


def test_characters_no_embedded_font_has_get_a_mark_and_a_note(services: Any) -> None:
    # Chinese, Arabic, Greek and Cyrillic print (tests/unit/test_summary_scripts.py); Egyptian
    # hieroglyphs are in none of the summary's fonts
    record = build_record(
        services, first_name="李", last_name="Σοφία-Ольга", medical_notes="مرحبا 𓀀𓀁"
    )
    text = flat(text_of(render(record)))
    assert "Σοφία-Ольга" in text and "李" in text
    assert text.count(MISSING) >= 2 and "2 character(s)" in text and "none of" in text


HOSTILE = st.one_of(
    st.sampled_from(
        [
            "a<b",
            "<b>bold</b>",
            "&",
            "&amp;",
            "<img src='/etc/passwd'/>",
            '<a href="http://evil">x</a>',
            "<font name='Courier'>x</font>",
            "<para>",
            "]]>",
            "<!--",
            "\\",
            "%s%n",
            "\x00\x07",
            "<br/>",
            "<link href='file:///etc'>y</link>",
            "<seq/>",
            "<onDraw name='x'/>",
            "\u202e\u200b",
            "𝔘𝔫𝔦",
        ]
    ),
    st.text(min_size=1, max_size=60),
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(first=HOSTILE, last=HOSTILE, note=HOSTILE)
def test_hostile_text_never_breaks_the_export(
    services: Any, first: str, last: str, note: str
) -> None:
    record = _hostile_record(services)
    patient = replace(
        record.patient, first_name=first, last_name=last, medical_notes=note, allergies=(note,)
    )
    session = replace(record.sessions[0], notes=note, practitioner=first)
    pdf = render(
        replace(record, patient=patient, sessions=(session,)),
        SummaryOptions(sections=frozenset(Section) - {Section.CHARTS}),
    )
    reader = PdfReader(io.BytesIO(pdf))
    for page in reader.pages:
        assert "/Annots" not in page  # no link came from user text
        resources = page.get("/Resources") or {}
        assert "/XObject" not in resources  # no image either
    text = flat(text_of(pdf))
    plain = [w for w in note.split() if w.isascii() and w.isalnum() and len(w) > 3]
    for word in plain[:3]:
        assert word in text


_cache: dict[int, Any] = {}


def _hostile_record(services: Any) -> Any:
    key = id(services)
    if key not in _cache:
        _cache.clear()
        _cache[key] = build_record(services, sessions=1, effects=0)
    return _cache[key]


@pytest.mark.skipif(
    not (shutil.which("qpdf") and shutil.which("pdffonts")), reason="qpdf/poppler not installed"
)
def test_qpdf_check_and_every_font_embedded(services: Any, tmp_path: Path) -> None:
    record = build_record(services, first_name="Zoë", last_name="Παπαδοπούλου")
    path = tmp_path / "s.pdf"
    path.write_bytes(render(record))
    subprocess.run(["qpdf", "--check", str(path)], check=True, capture_output=True)
    fonts = subprocess.run(
        ["pdffonts", str(path)], check=True, capture_output=True, text=True
    ).stdout
    rows = fonts.splitlines()[2:]
    assert rows and all(row.split()[-5] == "yes" for row in rows), fonts  # the "emb" column


def test_service_writes_whole_files_and_audits(services: Any, tmp_path: Path) -> None:
    record = build_record(services)
    out = tmp_path / "deep" / "summary.pdf"
    written = services.summaries.write(
        record.patient.id, out, services.summaries.options(charts=False)
    )
    assert out.exists() and written.pages == 1
    assert not list(out.parent.glob(".mesodesk-*"))
    from mesodesk.domain.audit import AuditQuery

    page = services.audit.search(AuditQuery(patient_id=record.patient.id, action="pdf_export"))
    assert page.total == 1


CHART_HEADING = "Side effects and outcomes over time"


def _page_has_image(page: Any) -> bool:
    resources = page.get("/Resources") or {}
    xobjects = resources.get("/XObject") or {}
    return any(xobjects[name].get("/Subtype") == "/Image" for name in xobjects)


def test_a_section_heading_is_never_left_alone_at_the_foot_of_a_page(services: Any) -> None:
    """Sweep the length of the sessions table so that every heading after it falls, in some
    layout, near the foot of a page: it must always be on the same page as the start of its
    content, and printed once."""
    from mesodesk.services.summary import summary_charts

    record = build_record(services, sessions=3, effects=3, medical_notes="Tolerates well.")
    charts = summary_charts(record, NOW.date())
    assert charts
    expected_next = {
        "Courses": "Indication",
        "Sessions (": "Blend (product · lot · ml)",
        "Side effects (": "Causality",
        "Notes": "Medical notes",
    }
    for copies in range(1, 30, 3):
        sessions = record.sessions * copies
        out = io.BytesIO()
        render_summary(
            SummaryInput(
                replace(record, sessions=sessions),
                ClinicSettings(clinic_name="Clinique Étoile"),
                made_at=NOW,
                charts=charts,
            ),
            SummaryOptions(),
            out,
        )
        pages = PdfReader(io.BytesIO(out.getvalue())).pages
        texts = [page.extract_text() or "" for page in pages]
        assert sum(flat(t).count(CHART_HEADING) for t in texts) == 1, copies
        for page, text in zip(pages, texts, strict=True):
            lines = [line.strip() for line in text.splitlines()]
            if CHART_HEADING in lines:
                assert _page_has_image(page), (copies, text)
            for heading, follower in expected_next.items():
                at = [i for i, line in enumerate(lines) if line.startswith(heading)]
                at = [i for i in at if heading.endswith("(") or lines[i] == heading]
                if at:
                    assert follower in "\n".join(lines[at[0] + 1 :]), (copies, heading, text)
    # the chart's own title, which repeats the heading, is left out of the image only
    titles = [
        text for figure in charts for text in figure.texts if CHART_HEADING in text.get_text()
    ]
    assert titles and all(text.get_visible() for text in titles)


def test_the_identity_line_is_not_wrapped_needlessly(services: Any) -> None:
    record = build_record(services, sessions=1, effects=0, sex=Sex.UNKNOWN)
    clinics = (
        ClinicSettings(),
        ClinicSettings(clinic_name="Clinique Étoile", clinic_address="4 Rue de la Paix\nParis"),
    )
    for paper in Paper:
        for clinic in clinics:
            pdf = render(record, SummaryOptions(paper=paper), clinic=clinic)
            lines = PdfReader(io.BytesIO(pdf)).pages[0].extract_text().splitlines()
            identity = [line for line in lines if line.startswith("Record number")]
            assert identity and identity[0].rstrip().endswith("Not recorded"), lines[:8]


def test_a_split_table_goes_on_on_the_next_page_with_its_header_once(services: Any) -> None:
    """After a table splits between rows, its rest starts the next page: it is not squeezed
    into the space left under the first part, header and all, by splitting a tall row there."""
    record = build_record(services, sessions=1, effects=0)
    short = record.sessions[0]
    tall = replace(short, practitioner="Dr. Amelia Hart " * 12)
    for before in range(20, 32):
        sessions = (short,) * before + (tall,) + (short,) * 30
        options = SummaryOptions(sections=frozenset({Section.SESSIONS}))
        pdf = render(replace(record, sessions=sessions), options)
        for page in PdfReader(io.BytesIO(pdf)).pages:
            assert page.extract_text().count("Blend (product · lot · ml)") <= 1, before


def test_an_overridden_contraindication_is_printed_under_its_session(services: Any) -> None:
    record = build_record(services, sessions=2, effects=0)
    reason = "Stopped breast-feeding in <May>; the patient asked & consented."
    overridden = replace(
        record.sessions[1], safety_confirmed=("ci.pregnancy",), override_reason=reason
    )
    record = replace(record, sessions=(record.sessions[0], overridden))
    text = flat(text_of(render(record)))
    assert f"Contraindication overridden (Pregnancy or breast-feeding): {reason}" in text
    assert text.count("Contraindication overridden") == 1  # under that session only
