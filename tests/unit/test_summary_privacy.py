"""Pseudonymised and de-identified summaries of a patient whose free text names them: the
name, the phone number and the rest of the identity appear nowhere in the PDF, not in the text
pdftotext reads, not in its metadata (pdfinfo), not in the bytes of the decompressed file
(qpdf --qdf), not in the charts' data; and what each mode keeps, it keeps."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from mesodesk.domain.audit import AuditQuery
from mesodesk.domain.catalogue import LotInput, PractitionerInput, ProductInput
from mesodesk.domain.enums import (
    ActionTaken,
    BodyArea,
    Contraindication,
    Indication,
    ReportChannel,
    SideEffectKind,
)
from mesodesk.domain.summary import (
    FreeText,
    Privacy,
    SummaryOptions,
    age_band,
    redact,
    relative_day,
)
from mesodesk.domain.treatment import BlendInput, CourseInput, SessionInput, SideEffectInput
from tests.conftest import patient_input

needs_poppler = pytest.mark.skipif(
    not (shutil.which("pdftotext") and shutil.which("pdfinfo") and shutil.which("qpdf")),
    reason="poppler-utils and qpdf needed",
)

FIRST, LAST = "Josephine", "Marchetti"
PHONE = "+39 333 987 6543"
EMAIL = "josephine.marchetti@example.org"
DOCTOR = "Dr. Amelia Hart"
# what must never be in a redacted summary, in any form
SECRETS = (
    FIRST,
    LAST,
    "333 987 6543",
    "3339876543",
    "987 6543",
    "josephine.marchetti",
    "Via Rivoli",
    "MD-000001",
    "J.M.",
    "24/03/1985",
    "1985-03-24",
    "secret-allergy",
    "secret-course",
    "secret-session",
    "secret-effect",
)


def build(services: Any) -> Any:
    c = services.catalogue
    doctor = c.create_practitioner(PractitionerInput(DOCTOR)).value
    product = c.create_product(ProductInput("Hyaluronic acid 1.5%", ("Sodium hyaluronate",)))
    lot = c.create_lot(LotInput(product.value.id, "HA-2601-A", date(2028, 1, 1))).value
    p = services.patients.create(
        patient_input(
            first_name=FIRST,
            last_name=LAST,
            phone=PHONE,
            email=EMAIL,
            address="12 Via Rivoli\nTorino",
            allergies=(f"Lidocaine, says {FIRST} {LAST} ({PHONE}) secret-allergy",),
            contraindications=frozenset({Contraindication.ANTICOAGULANT}),
            contraindication_note=f"Warfarin, {LAST} family doctor {PHONE}",
            medical_notes=f"{FIRST} {LAST} asked to be called on {PHONE}.",
        )
    ).value
    course = services.courses.create_course(
        p.id,
        CourseInput(
            Indication.OTHER,
            date(2025, 1, 6),
            (BodyArea.FOREHEAD,),
            indication_note=f"{LAST} wedding secret-course",
            notes=f"Course planned with {FIRST} secret-course",
        ),
    ).value
    sessions = []
    for i in range(3):
        sessions.append(
            services.sessions.log_session(
                p.id,
                SessionInput(
                    course.id,
                    datetime(2025, 1, 6, 10) + timedelta(days=14 * i),
                    (BodyArea.FOREHEAD,),
                    1.5,
                    (BlendInput(lot.id, 2.0),),
                    practitioner_id=doctor.id,
                    injection_points=120,
                    total_volume_ml=2.0,
                    pain_nrs=3,
                    gais=2,
                    notes=f"{FIRST} tolerated it, call {PHONE} secret-session",
                ),
                # the anticoagulant blocks the session unless the practitioner says why
                override_reason=f"{LAST} stopped warfarin, says {PHONE} secret-session",
            ).value
        )
    services.side_effects.record_side_effect(
        p.id,
        SideEffectInput(
            SideEffectKind.OTHER,
            date(2025, 1, 21),
            2,
            body_area=BodyArea.OTHER,
            body_area_note=f"{LAST}'s left temple secret-effect",
            session_id=sessions[1].id,
            lot_ids=(lot.id,),
            reported_via=ReportChannel.PHONE,
            kind_note=f"Rash {FIRST} secret-effect",
            action_taken=ActionTaken.OTHER,
            action_note=f"Phoned {FIRST} on {PHONE} secret-effect",
            notes=f"{FIRST} {LAST} sent photos from {PHONE} secret-effect",
            reported_at=datetime(2025, 1, 21, 9),
        ),
    )
    return p


def run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def everything_in(path: Path, tmp_path: Path) -> str:
    """The text pdftotext reads, the metadata pdfinfo shows, and the decompressed file's
    bytes (with every hex string, such as an ActualText or a UTF-16 title, decoded)."""
    text = run("pdftotext", "-enc", "UTF-8", str(path), "-")
    info = run("pdfinfo", "-enc", "UTF-8", str(path))
    qdf = tmp_path / f"{path.stem}.qdf.pdf"
    subprocess.run(["qpdf", "--qdf", "--object-streams=disable", str(path), str(qdf)], check=True)
    raw = qdf.read_bytes()
    decoded = []
    for hexstr in re.findall(rb"<([0-9A-Fa-f\s]{4,})>", raw):
        data = bytes.fromhex(hexstr.decode().replace(" ", "").replace("\n", ""))
        if data.startswith(b"\xfe\xff"):
            decoded.append(data[2:].decode("utf-16-be", "replace"))
    return "\n".join([text, info, raw.decode("latin-1"), raw.decode("utf-8", "replace"), *decoded])


@needs_poppler
@pytest.mark.parametrize("privacy", [Privacy.PSEUDONYMISED, Privacy.DEIDENTIFIED])
def test_the_patients_name_and_phone_are_nowhere_in_the_file(
    services: Any, tmp_path: Path, privacy: Privacy
) -> None:
    patient = build(services)
    out = tmp_path / f"{privacy.value}.pdf"
    written = services.summaries.write(patient.id, out, services.summaries.options(privacy=privacy))
    everything = everything_in(out, tmp_path)
    for secret in SECRETS:
        assert secret not in everything, (privacy, secret)
    text = " ".join(run("pdftotext", "-enc", "UTF-8", str(out), "-").split())
    info = run("pdfinfo", "-enc", "UTF-8", str(out))
    code = written.code
    assert re.fullmatch(r"P-[2-9A-HJKMNP-Z]{8}", code)
    assert f"Patient {code}" in text and code in info  # title, subject
    assert "Male" in text and f"age {age_band(date(1985, 3, 24), date(2026, 11, 24))}" in text
    assert "40–44" in text
    # what it left out, it says, and the allergy is flagged, not lost silently
    assert "1 recorded, left out of this copy" in text
    assert "Free text left out of this copy" in text
    assert "Anticoagulant" in text  # the checklist is coded, not free text: it stays
    assert "Hyaluronic acid 1.5%" in text and "HA-2601-A" in text  # the suspected product, lot
    # the file's dates are reportlab's fixed ones, not the day it was made
    assert "2026" not in re.findall(r"(?m)^(?:CreationDate|ModDate):.*$", info).__str__()
    if privacy is Privacy.PSEUDONYMISED:
        assert "06/01/2025" in text and DOCTOR in text  # dates and practitioners kept
        assert "day 0" not in text
    else:
        for kept_out in ("06/01/2025", "20/01/2025", "2025-01", DOCTOR, "Amelia", "10:00"):
            assert kept_out not in everything, kept_out
        assert "day 0" in text and "day 14" in text and "day 15" in text  # onset: day 15
        assert "day 0, in 2025" in text
    entry = services.audit.search(AuditQuery(patient_id=patient.id, action="pdf_export"))
    assert entry.total == 1 and entry.entries[0].after["code"] == code  # the way back


@needs_poppler
def test_pseudonymised_includes_only_the_fields_ticked(services: Any, tmp_path: Path) -> None:
    patient = build(services)
    out = tmp_path / "p.pdf"
    services.summaries.write(
        patient.id,
        out,
        services.summaries.options(
            privacy=Privacy.PSEUDONYMISED, free_text=[FreeText.SESSION_NOTES]
        ),
    )
    text = " ".join(run("pdftotext", "-enc", "UTF-8", str(out), "-").split())
    # the practitioner chose to send these: three session notes and three override reasons
    assert text.count("secret-session") == 6
    for other in ("secret-allergy", "secret-course", "secret-effect"):
        assert other not in text


def test_the_charts_are_drawn_from_the_redacted_record(
    services: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    from mesodesk.services import summary as service

    patient = build(services)
    seen: list[tuple[Any, Any]] = []

    def charts(record: Any, today: date, day_zero: date | None = None) -> tuple[Any, ...]:
        seen.append((record, day_zero))
        return ()

    monkeypatch.setattr(service, "summary_charts", charts)
    services.summaries.write(
        patient.id, tmp_path / "d.pdf", services.summaries.options(privacy=Privacy.DEIDENTIFIED)
    )
    record, zero = seen[0]
    assert zero == date(2025, 1, 6)
    dump = repr(record)
    for secret in (FIRST, LAST, "3339876543", "987 6543", "MD-000001", "secret-", "Amelia"):
        assert secret not in dump, secret


def test_redact_takes_out_what_the_mode_leaves_out(services: Any) -> None:
    record = services.treatment.record(build(services).id)
    same = redact(record, SummaryOptions(), "")
    assert same.record is record and same.left_out == {}
    pseudo = redact(record, SummaryOptions(privacy=Privacy.PSEUDONYMISED), "P-23456789")
    p = pseudo.record.patient
    assert (p.first_name, p.last_name, p.phone, p.email, p.address) == ("",) * 5
    assert p.record_no == "P-23456789" and p.initials == ""
    assert pseudo.record.sessions[0].practitioner == DOCTOR  # kept when pseudonymised
    assert pseudo.left_out == {
        FreeText.ALLERGIES: 1,
        FreeText.CONTRAINDICATION_NOTE: 1,
        FreeText.MEDICAL_NOTES: 1,
        FreeText.COURSE_NOTES: 2,
        FreeText.SESSION_NOTES: 6,  # three notes, three override reasons
        FreeText.SIDE_EFFECT_NOTES: 4,
    }
    deid = redact(record, SummaryOptions(privacy=Privacy.DEIDENTIFIED), "P-23456789")
    assert all(s.practitioner == "" for s in deid.record.sessions)
    with pytest.raises(Exception, match="no free text"):
        SummaryOptions(privacy=Privacy.DEIDENTIFIED, free_text=frozenset(FreeText)).validated()


def test_age_bands_and_relative_days() -> None:
    on = date(2026, 11, 24)
    assert age_band(date(2009, 1, 1), on) == "under 18"
    assert age_band(date(2008, 11, 24), on) == "18–19"
    assert age_band(date(1985, 3, 24), on) == "40–44"
    assert age_band(date(1937, 1, 1), on) == "85–89"
    assert age_band(date(1936, 11, 24), on) == "90 or older"  # Safe Harbor: 90+ as one
    assert relative_day(date(2025, 1, 20), date(2025, 1, 6)) == "day 14"
    assert relative_day(date(2025, 1, 1), date(2025, 1, 6)) == "day −5"


def test_the_command_line_offers_both_modes(services: Any, db_path: Path, tmp_path: Path) -> None:
    from mesodesk.cli import main

    build(services)
    services.close()
    out = tmp_path / "cli.pdf"
    base = ["--db", str(db_path), "report", "MD-000001", "--out", str(out), "--no-charts"]
    assert main([*base, "--pseudonymise", "--include", "session_notes"]) == 0
    assert main([*base, "--deidentify"]) == 0
    with pytest.raises(SystemExit) as refused:
        main([*base, "--deidentify", "--include", "session_notes"])
    assert refused.value.code == 2
    with pytest.raises(SystemExit) as both:
        main([*base, "--deidentify", "--pseudonymise"])
    assert both.value.code == 2


def test_a_redacted_batch_names_each_letter_after_its_own_code(
    services: Any, tmp_path: Path
) -> None:
    patient = build(services)
    other = services.patients.create(patient_input(first_name="Other", last_name="Person"))
    assert other.value.id != patient.id
    folder = tmp_path / "batch"
    outcome = services.summaries.run_batch(
        [patient.id],
        services.summaries.options(privacy=Privacy.DEIDENTIFIED, charts=False),
        folder=folder,
        name_of=lambda pid: f"{LAST} {FIRST}.pdf",  # what an identified batch would call it
    )
    names = [p.name for p in folder.iterdir()]
    code = outcome.written[0].code
    assert names == [f"Summary {code} (de-identified).pdf"]
