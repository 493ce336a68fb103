"""The specialist's PDF summary as a use case: gather the record, draw the charts, render the
PDF (mesodesk.reports, Qt-free), and write the audit entry. The file appears whole or not at
all: it is written beside its destination and renamed into place.

Printing hands the finished PDF to a ``Sender`` (CUPS through ``services.printing``, or Qt on
Windows); the audit entry "pdf_print" is written once the print service has taken the job, with
the printer and the job, never before (a cancelled print dialog printed nothing)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from mesodesk.domain.clock import Clock
from mesodesk.domain.errors import MesodeskError
from mesodesk.domain.settings import Paper
from mesodesk.domain.summary import (
    FreeText,
    Privacy,
    Section,
    SummaryInput,
    SummaryOptions,
    first_day,
    one_time_code,
    redact,
    redacted_file_name,
)
from mesodesk.domain.treatment import PatientRecord
from mesodesk.files import os_error_message, private_dir, write_atomically
from mesodesk.services.audit import AuditService
from mesodesk.services.printing import PrintError, PrintJob, Sender
from mesodesk.services.settings import SettingsService
from mesodesk.services.treatment import TreatmentService


@dataclass(frozen=True)
class SummaryWritten:
    path: Path
    pages: int
    replaced_characters: int
    record_no: str = ""  # the record number, or the one-time code of a redacted summary
    code: str = ""  # the one-time code of a pseudonymised or de-identified summary
    warning: str = ""  # written, but its audit entry could not be (a read-only database)


@dataclass(frozen=True)
class SummaryPrinted:
    patient_id: int
    pages: int
    job: PrintJob
    saved: Path | None  # where a copy was kept, if one was
    replaced_characters: int = 0
    code: str = ""  # the one-time code of a pseudonymised or de-identified summary
    warning: str = ""  # printed, but its audit entry could not be written (a read-only database)


@dataclass
class BatchOutcome:
    """What a batch did: letters saved, letters printed, and why it stopped early, if it did."""

    written: list[SummaryWritten] = field(default_factory=list)
    printed: list[SummaryPrinted] = field(default_factory=list)
    total: int = 0
    cancelled: bool = False
    failure: str = ""


def print_title(record_no: str) -> str:
    """The job's name in the print queue: the record number, never the patient's name (the
    queue is seen by everyone on the network, and CUPS logs it)."""
    return f"{record_no} summary"


def summary_charts(
    record: PatientRecord, today: date, day_zero: date | None = None
) -> tuple[Any, ...]:
    """The figures the summary prints: the patient's timeline and outcomes (``day_zero``: the
    dates as days from that day, for a de-identified summary)."""
    from mesodesk.reports.timeline import summary_figures

    return tuple(summary_figures(record, today, day_zero=day_zero))


class SummaryService:
    def __init__(
        self,
        treatment: TreatmentService,
        settings: SettingsService,
        audit: AuditService,
        clock: Clock | None = None,
    ) -> None:
        self.treatment = treatment
        self.settings = settings
        self.audit = audit
        self.clock = clock or Clock()

    def options(
        self,
        *,
        date_from: date | None = None,
        date_to: date | None = None,
        privacy: Privacy | str = Privacy.IDENTIFIED,
        free_text: Iterable[FreeText] = (),
        paper: str | Paper | None = None,
        sections: Iterable[Section] | None = None,
        charts: bool = True,
    ) -> SummaryOptions:
        chosen = frozenset(sections) if sections is not None else frozenset(Section)
        if not charts:
            chosen = chosen - {Section.CHARTS}
        return SummaryOptions(
            date_from=date_from,
            date_to=date_to,
            sections=chosen,
            privacy=Privacy(privacy),
            free_text=frozenset(free_text),
            paper=Paper(paper) if paper else self.settings.get().paper,
        ).validated()

    def write(
        self,
        patient_id: int,
        out: Path,
        options: SummaryOptions,
        *,
        action: str | None = "pdf_export",
        code: str | None = None,
    ) -> SummaryWritten:
        """Render the summary of a patient into ``out`` and record it in the audit trail
        (``action=None``: no entry, for a file made only to be printed or previewed).
        ``code``: the one-time code of a redacted summary, when the caller made it already (to
        name the file after it); otherwise one is made here."""
        from mesodesk.reports.summary import render_summary

        record = self.treatment.record(patient_id)
        today = self.clock.today()
        # a redacted summary is drawn, charts and all, from the record with what it leaves out
        # taken out; its one-time code goes in the audit entry, the clinic's way back
        code = (code or one_time_code()) if options.redacted else ""
        redacted = redact(record, options, code)
        zero = first_day(record, today) if options.relative_dates else None
        figures = (
            summary_charts(redacted.record, today, zero)
            if Section.CHARTS in options.sections
            else ()
        )
        data = SummaryInput(
            redacted.record,
            self.settings.get(),
            made_at=self.clock.now(),
            charts=figures,
            code=code,
            left_out=redacted.left_out,
            anchor=self.audit.anchor(),
        )
        out = Path(out)
        folder = out.parent if str(out.parent) else Path(".")
        try:
            private_dir(folder)
        except OSError as exc:
            raise MesodeskError(os_error_message(exc, folder, "create the folder")) from exc
        try:
            # whole or not at all, owner-only, never through a link or onto a device
            result = write_atomically(out, lambda fh: render_summary(data, options, fh))
        finally:
            for figure in figures:
                _close(figure)
        warning = ""
        if action is not None:
            try:
                self.audit.record_event(
                    action,
                    patient_id=patient_id,
                    entity="patient",
                    entity_id=patient_id,
                    details={"file": out.name, "pages": result.pages, **_period(options, code)},
                )
            except MesodeskError as exc:
                warning = f"the summary was written, but its audit entry could not be: {exc}"
        record_no = code or str(getattr(record.patient, "record_no", ""))
        return SummaryWritten(
            out, result.pages, result.replaced_characters, record_no, code, warning
        )

    def record_printed(
        self,
        patient_id: int,
        job: PrintJob,
        pages: int,
        options: SummaryOptions | None = None,
        code: str = "",
    ) -> None:
        """The audit entry for a summary the print service has taken."""
        self.audit.record_event(
            "pdf_print",
            patient_id=patient_id,
            entity="patient",
            entity_id=patient_id,
            details={
                "printer": job.printer,
                "job": job.job_id,
                "copies": job.copies,
                "pages": pages,
                **(_period(options, code) if options is not None else {}),
            },
        )

    def print_summary(
        self,
        patient_id: int,
        options: SummaryOptions,
        send: Sender,
        *,
        keep: Path | None = None,
        code: str | None = None,
    ) -> SummaryPrinted:
        """Make the summary and hand it to the print service as a document. ``keep``: also save
        it there (audited as an export); otherwise the file lives only until the print service
        has its own copy."""
        if keep is not None:
            written = self.write(patient_id, keep, options, code=code)
            job = send(written.path, print_title(written.record_no))
        else:
            # A private folder (0700), gone as soon as the print service has its own copy.
            with tempfile.TemporaryDirectory(prefix="mesodesk-print-") as folder:
                written = self.write(
                    patient_id, Path(folder) / "summary.pdf", options, action=None, code=code
                )
                job = send(written.path, print_title(written.record_no))
        warning = written.warning
        try:
            self.record_printed(patient_id, job, written.pages, options, written.code)
        except MesodeskError as exc:
            warning = f"the summary was printed, but its audit entry could not be written: {exc}"
        return SummaryPrinted(
            patient_id,
            written.pages,
            job,
            keep,
            written.replaced_characters,
            written.code,
            warning,
        )

    def seen_between(self, date_from: date, date_to: date) -> list[int]:
        """Patients with a session in the period (for batch summaries), by record number."""
        return self.treatment.patients_seen(date_from, date_to)

    def write_batch(
        self,
        patient_ids: list[int],
        folder: Path,
        options: SummaryOptions,
        name_of: Callable[[int], str],
        progress: Callable[[int, int, str], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> list[SummaryWritten]:
        return self.run_batch(
            patient_ids,
            options,
            folder=folder,
            name_of=name_of,
            progress=progress,
            cancelled=cancelled,
        ).written

    def run_batch(
        self,
        patient_ids: list[int],
        options: SummaryOptions,
        *,
        folder: Path | None = None,
        name_of: Callable[[int], str] | None = None,
        send: Sender | None = None,
        progress: Callable[[int, int, str], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> BatchOutcome:
        """A summary for each patient: saved into ``folder``, printed through ``send`` (one job
        per letter), or both. Cancel stops between letters. A print service that refuses a job
        stops the batch there: the next letters would meet the same refusal, and the person
        must know which ones went."""
        if folder is None and send is None:
            raise ValueError("a batch saves, prints, or both")
        outcome = BatchOutcome(total=len(patient_ids))
        total = len(patient_ids)
        verb = "printed" if folder is None else "saved and printed" if send else "written"
        for i, patient_id in enumerate(patient_ids):
            if cancelled is not None and cancelled():
                outcome.cancelled = True
                break
            if progress is not None:
                progress(i, total, f"{i:,} of {total:,} summaries {verb}")
            code = one_time_code() if options.redacted else None
            keep = None
            if folder is not None:
                # a redacted letter is named after its code, whatever name_of would say
                if code is not None:
                    keep = folder / redacted_file_name(code, options.privacy)
                elif name_of is not None:
                    keep = folder / name_of(patient_id)
            if send is None:
                assert keep is not None
                outcome.written.append(self.write(patient_id, keep, options, code=code))
                continue
            try:
                printed = self.print_summary(patient_id, options, send, keep=keep, code=code)
            except PrintError as exc:
                outcome.failure = str(exc)
                break
            outcome.printed.append(printed)
            if printed.saved is not None:
                outcome.written.append(
                    SummaryWritten(printed.saved, printed.pages, printed.replaced_characters)
                )
        count = len(outcome.printed) if send is not None else len(outcome.written)
        if progress is not None:
            progress(count, total, f"{count:,} of {total:,} summaries {verb}")
        return outcome


def _period(options: SummaryOptions, code: str = "") -> dict[str, object]:
    details: dict[str, object] = {"privacy": options.privacy.value}
    if options.redacted:
        details["code"] = code
        details["free_text"] = sorted(f.value for f in options.free_text)
    return details | {
        "from": options.date_from.isoformat() if options.date_from else None,
        "to": options.date_to.isoformat() if options.date_to else None,
    }


def _close(figure: Any) -> None:
    """Figures are not pyplot's, so nothing holds them; drop their canvases' buffers early."""
    clear = getattr(figure, "clear", None)
    if clear is not None:
        clear()
