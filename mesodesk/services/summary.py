"""The specialist's PDF summary as a use case: gather the record, draw the charts, render the
PDF (mesodesk.reports, Qt-free), and write the audit entry. The file appears whole or not at
all: it is written beside its destination and renamed into place."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from mesodesk.domain.clock import Clock
from mesodesk.domain.errors import MesodeskError
from mesodesk.domain.settings import Paper
from mesodesk.domain.summary import Section, SummaryInput, SummaryOptions
from mesodesk.domain.treatment import PatientRecord
from mesodesk.files import os_error_message, private_dir, write_atomically
from mesodesk.services.audit import AuditService
from mesodesk.services.settings import SettingsService
from mesodesk.services.treatment import TreatmentService


@dataclass(frozen=True)
class SummaryWritten:
    path: Path
    pages: int
    replaced_characters: int
    warning: str = ""  # written, but its audit entry could not be (a read-only database)


def summary_charts(record: PatientRecord, today: date) -> tuple[Any, ...]:
    """The figures the summary prints: the patient's timeline and outcomes."""
    try:
        from mesodesk.reports import charts
    except ImportError:  # pragma: no cover - the charts module ships with mesodesk
        return ()
    builder = getattr(charts, "summary_figures", None)
    return tuple(builder(record, today)) if builder is not None else ()


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
        deidentify: bool = False,
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
            deidentify=deidentify,
            paper=Paper(paper) if paper else self.settings.get().paper,
        ).validated()

    def write(
        self, patient_id: int, out: Path, options: SummaryOptions, *, action: str = "pdf_export"
    ) -> SummaryWritten:
        """Render the summary of a patient into ``out`` and record it in the audit trail."""
        from mesodesk.reports.summary import render_summary

        record = self.treatment.record(patient_id)
        today = self.clock.today()
        figures = summary_charts(record, today) if Section.CHARTS in options.sections else ()
        data = SummaryInput(
            record,
            self.settings.get(),
            made_at=self.clock.now(),
            charts=figures,
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
        try:
            self.audit.record_event(
                action,
                patient_id=patient_id,
                entity="patient",
                entity_id=patient_id,
                details={
                    "file": out.name,
                    "pages": result.pages,
                    "deidentified": options.deidentify,
                    "from": options.date_from.isoformat() if options.date_from else None,
                    "to": options.date_to.isoformat() if options.date_to else None,
                },
            )
        except MesodeskError as exc:
            warning = f"the summary was written, but its audit entry could not be: {exc}"
        return SummaryWritten(out, result.pages, result.replaced_characters, warning)

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
        written = []
        total = len(patient_ids)
        for i, patient_id in enumerate(patient_ids):
            if cancelled is not None and cancelled():
                break
            if progress is not None:
                progress(i, total, f"{i:,} of {total:,} summaries")
            written.append(self.write(patient_id, folder / name_of(patient_id), options))
        if progress is not None:
            progress(len(written), total, f"{len(written):,} of {total:,} summaries")
        return written


def _close(figure: Any) -> None:
    """Figures are not pyplot's, so nothing holds them; drop their canvases' buffers early."""
    clear = getattr(figure, "clear", None)
    if clear is not None:
        clear()
