"""Printing through CUPS without Qt: the job options, reading lpstat, and the command line
against a real (private) CUPS scheduler with a cups-pdf printer (tests/cups_server.py)."""

from __future__ import annotations

import json
import subprocess
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from mesodesk.cli import main
from mesodesk.domain.audit import AuditQuery
from mesodesk.domain.catalogue import LotInput, ProductInput
from mesodesk.domain.enums import BodyArea, Indication
from mesodesk.domain.errors import ValidationError
from mesodesk.domain.treatment import BlendInput, CourseInput, SessionInput
from mesodesk.services.printing import (
    CupsPrinting,
    PrintError,
    PrintOptions,
    parse_lpstat,
)
from tests.conftest import patient_input
from tests.cups_server import CupsUnavailable, PrivateCups, missing

LPSTAT = """\
printer Front-desk disabled since Thu Dec  3 10:24:20 2026 -
\tpaper jam
\tForm mounted:
\tDescription: Laser by the door
\tAlerts: paused
\tLocation: Room 2
\tConnection: direct
printer Office is idle.  enabled since Thu Dec  3 10:21:12 2026
\tForm mounted:
\tDescription: Office
\tLocation:
printer Old disabled since Thu Dec  3 10:24:20 2026 -
\treason unknown
\tForm mounted:
printer Refusing is idle.  enabled since Thu Dec  3 10:24:21 2026
\tmoving office
\tForm mounted:
Front-desk accepting requests since Thu Dec  3 10:24:20 2026
Office accepting requests since Thu Dec  3 10:21:12 2026
Old accepting requests since Thu Dec  3 10:24:20 2026
Refusing not accepting requests since Thu Dec  3 10:24:21 2026 -
\tmoving office
system default destination: Office
"""


def test_lpstat_is_read_with_states_reasons_and_the_default() -> None:
    found = parse_lpstat(LPSTAT)
    assert found.default == "Office"
    desk, office, old, refusing = found.printers
    assert (desk.name, desk.state, desk.reason) == ("Front-desk", "stopped", "paper jam")
    assert (desk.description, desk.location) == ("Laser by the door", "Room 2")
    assert (office.state, office.accepting, office.description) == ("idle", True, "")
    assert (old.state, old.reason) == ("stopped", "")  # "reason unknown" is no reason
    assert (refusing.state, refusing.accepting, refusing.reason) == (
        "idle",
        False,
        "moving office",
    )
    assert parse_lpstat("no system default destination\n").default is None


def test_the_dialogs_choices_become_lp_options() -> None:
    options = PrintOptions(
        printer="Office",
        copies=2,
        pages="1-2, 5",
        media="Letter",
        sides="two-sided-long-edge",
        color="monochrome",
        collate=True,
        title="MD-000001 summary",
        extra=(("number-up", "2"), ("job-billing", ""), ("media", "A4"), ("note", 'a "b" c')),
    )
    args = options.lp_arguments()
    assert args[:8] == ["-d", "Office", "-n", "2", "-t", "MD-000001 summary", "-P", "1-2,5"]
    pairs = [args[i + 1] for i in range(8, len(args), 2)]
    assert pairs == [
        "number-up=2",
        "media=Letter",  # the dialog's paper wins over the Properties tab's
        'note="a \\"b\\" c"',  # quoted as cupsParseOptions reads it
        "sides=two-sided-long-edge",
        "print-color-mode=monochrome",
        "collate=true",
    ]
    assert "-d" not in PrintOptions().lp_arguments()  # no printer: the default one


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"copies": 0}, "copies"),
        ({"copies": 1000}, "copies"),
        ({"pages": "1-"}, "pages"),
        ({"pages": "one"}, "pages"),
        ({"printer": "Front desk"}, "printer"),
        ({"printer": "../x"}, "printer"),
        ({"sides": "both"}, "sides"),
        ({"media": "A4; rm -rf"}, "media"),
        ({"extra": (("-o x", "1"),)}, "extra"),
    ],
)
def test_bad_options_are_refused_naming_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        PrintOptions(**changes).validated()
    assert field in caught.value.errors


def test_no_cups_client_is_said_in_words(tmp_path: Path) -> None:
    printing = CupsPrinting(lp=None, lpstat=None)
    printing.lp = printing.lpstat = None
    with pytest.raises(PrintError, match="not installed"):
        printing.printers()


def test_a_machine_without_cups_fails_the_set_up_saying_what_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    lacking = missing(cupsd=tmp_path / "cupsd", backend=tmp_path / "cups-pdf")
    assert any("Debian package cups)" in x for x in lacking)
    assert any("printer-driver-cups-pdf" in x for x in lacking)
    assert any("cups-client" in x for x in lacking)
    with pytest.raises(CupsUnavailable, match=r"\./dev test"):
        PrivateCups().start()


# -- against the private CUPS scheduler ------------------------------------------------------


def seen_patient(services: Any, first: str = "Beatrix", last: str = "Holloway") -> Any:
    """A patient with one session. The name is ASCII: cups-pdf's printer is a PostScript one,
    and on the way through PostScript a PDF's text loses the table that maps its glyphs back to
    accented letters (they print right, but pdftotext no longer reads them)."""
    if not services.catalogue.lots():
        product = services.catalogue.create_product(
            ProductInput("HA", ("Sodium hyaluronate",))
        ).value
        services.catalogue.create_lot(LotInput(product.id, "L-1", date(2030, 1, 1)))
    lot = services.catalogue.lots()[0]
    p = services.patients.create(patient_input(first_name=first, last_name=last)).value
    course = services.courses.create_course(
        p.id, CourseInput(Indication.WRINKLES, date(2026, 11, 1), (BodyArea.FOREHEAD,))
    ).value
    services.sessions.log_session(
        p.id,
        SessionInput(
            course.id,
            datetime(2026, 11, 3, 10),
            (BodyArea.FOREHEAD,),
            1.5,
            (BlendInput(lot.id, 1.0),),
        ),
    )
    return p


def pdftotext(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_printers_lists_the_queues_and_the_default(cups: Any, capsys: Any) -> None:
    assert main(["printers"]) == 0
    out = capsys.readouterr().out
    assert f"{cups.queue} *" in out and f"Default: {cups.queue}" in out
    assert main(["printers", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["default"] == cups.queue
    assert {"name": cups.queue, "state": "idle", "accepting": True}.items() <= next(
        p for p in listed["printers"] if p["name"] == cups.queue
    ).items()


def test_report_print_sends_the_pdf_as_a_document(
    cups: Any, services: Any, db_path: Path, tmp_path: Path, capsys: Any
) -> None:
    patient = seen_patient(services)
    saved = tmp_path / "kept.pdf"
    code = main(["--db", str(db_path), "report", patient.record_no, "--print", "--out", str(saved)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"sent to the printer {cups.queue} as job {cups.queue}-" in out
    job_id = out.split(" as job ")[1].split()[0]
    printed = cups.wait_for_job(job_id)
    # what came out of CUPS's filters: every page, and text, not pictures
    assert len(PdfReader(str(printed)).pages) == len(PdfReader(str(saved)).pages)
    text = pdftotext(printed)
    assert "Holloway, Beatrix" in text and patient.record_no in text
    entries = services.audit.search(AuditQuery(patient_id=patient.id, action="pdf_print"))
    assert entries.total == 1
    details = entries.entries[0].after
    assert details is not None
    assert (details["printer"], details["job"], details["pages"]) == (cups.queue, job_id, 1)


def test_report_print_with_printer_and_copies_and_no_file_left(
    cups: Any, services: Any, db_path: Path, tmp_path: Path, capsys: Any, monkeypatch: Any
) -> None:
    cups.add_queue("second-desk", description="Second desk")
    patient = seen_patient(services)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    code = main(
        [
            "--db",
            str(db_path),
            "report",
            patient.record_no,
            "--print",
            "--printer",
            "second-desk",
            "--copies",
            "3",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "as job second-desk-" in out and "3 copies" in out
    cups.wait_for_job(out.split(" as job ")[1].split()[0])
    assert not list(tmp_path.glob("mesodesk-print-*")), "the temporary PDF is removed"


def test_a_refused_job_is_said_in_words_and_nothing_audited(
    cups: Any, services: Any, db_path: Path, capsys: Any
) -> None:
    patient = seen_patient(services)
    code = main(["--db", str(db_path), "report", patient.record_no, "--print", "--printer", "nope"])
    err = capsys.readouterr().err
    assert code == 1
    assert "refused the job: The printer or class does not exist" in err
    assert "Holloway" not in err
    assert services.audit.search(AuditQuery(patient_id=patient.id, action="pdf_print")).total == 0


def test_a_stopped_printer_takes_the_job_and_says_it_waits(cups: Any, tmp_path: Path) -> None:
    cups.add_queue("jammed")
    cups.lp_tool("cupsdisable", "-r", "paper jam", "jammed")
    from reportlab.pdfgen.canvas import Canvas

    pdf = tmp_path / "one.pdf"
    canvas = Canvas(str(pdf))
    canvas.drawString(72, 720, "one page")
    canvas.save()
    job = CupsPrinting().submit(pdf, PrintOptions(printer="jammed"))
    assert job.job_id.startswith("jammed-")
    assert "stopped (paper jam)" in job.warning and "waits" in job.warning
    cups.lp_tool("cancel", "-a", "jammed")


def test_print_options_need_print(capsys: Any) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["report", "MD-000001", "--out", "x.pdf", "--copies", "2"])
    assert caught.value.code == 2
    assert "go with --print" in capsys.readouterr().err


def test_the_summary_has_no_transparency_so_postscript_printers_get_text(
    services: Any, tmp_path: Path
) -> None:
    """A soft mask (an image with an alpha channel: matplotlib's PNG, a logo with a transparent
    background) makes a page transparent, and CUPS's PostScript path prints such a page as one
    picture. The charts and the logo go in opaque, at the size they had."""
    from PIL import Image as PILImage

    from mesodesk.domain.settings import ClinicSettings

    logo = tmp_path / "logo.png"
    PILImage.new("RGBA", (300, 100), (0, 0, 0, 0)).save(logo)  # all transparent: white, not black
    services.settings.update(ClinicSettings(clinic_name="Clinic", logo_path=str(logo)))
    patient = seen_patient(services)
    out = tmp_path / "summary.pdf"
    services.summaries.write(patient.id, out, services.summaries.options())
    data = out.read_bytes()
    assert b"/SMask" not in data
    listing = subprocess.run(
        ["pdfimages", "-list", str(out)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    kinds = [line.split()[2] for line in listing]
    assert kinds.count("image") >= 2 and "smask" not in kinds  # the logo and the chart
    subprocess.run(
        ["pdfimages", "-png", "-f", "1", "-l", "1", str(out), str(tmp_path / "img")], check=True
    )
    with PILImage.open(tmp_path / "img-000.png") as embedded:  # the logo, first on page 1
        assert embedded.size == (300, 100)
        assert embedded.convert("L").getextrema() == (255, 255)  # transparent is white, not black


def test_a_batch_prints_one_job_per_letter_and_stops_at_a_refusal(
    services: Any, tmp_path: Path
) -> None:
    from mesodesk.services.printing import PrintJob

    ids = [seen_patient(services, first=name).id for name in ("Ada", "Bea", "Cleo")]
    sent: list[tuple[bytes, str]] = []

    def send(path: Path, title: str) -> PrintJob:
        sent.append((path.read_bytes()[:5], title))
        if len(sent) == 2:
            raise PrintError("The print service refused the job: Paper out.")
        return PrintJob("Office", f"Office-{len(sent)}")

    reports: list[tuple[int, int]] = []
    outcome = services.summaries.run_batch(
        ids,
        services.summaries.options(charts=False),
        send=send,
        progress=lambda done, total, _m: reports.append((done, total)),
    )
    assert [s[0] for s in sent] == [b"%PDF-", b"%PDF-"]
    assert [s[1] for s in sent] == ["MD-000001 summary", "MD-000002 summary"]
    assert [p.job.job_id for p in outcome.printed] == ["Office-1"]
    assert outcome.failure.endswith("Paper out.") and not outcome.written
    assert reports[-1] == (1, 3)
    audited = services.audit.search(AuditQuery(action="pdf_print"))
    assert audited.total == 1 and audited.entries[0].patient_id == ids[0]

    # saved and printed, and cancelled after the first letter
    jobs: list[str] = []

    def send_and_count(path: Path, title: str) -> PrintJob:
        jobs.append(title)
        return PrintJob("Office", f"Office-{10 + len(jobs)}")

    outcome = services.summaries.run_batch(
        ids,
        services.summaries.options(charts=False),
        folder=tmp_path / "kept",
        name_of=lambda pid: f"{pid}.pdf",
        send=send_and_count,
        cancelled=lambda: len(jobs) >= 1,
    )
    assert outcome.cancelled and jobs == ["MD-000001 summary"]
    assert [w.path.name for w in outcome.written] == [f"{ids[0]}.pdf"]
    assert (tmp_path / "kept" / f"{ids[0]}.pdf").read_bytes()[:5] == b"%PDF-"
    assert sorted(p.name for p in (tmp_path / "kept").iterdir()) == [f"{ids[0]}.pdf"]
