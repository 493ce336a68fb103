"""The course-end review: how the treated areas look at the end of a course, scored on the GAIS
by the practitioner and by the patient, the patient's satisfaction, and notes (words only: no
photos). Offered when a course is completed, and from the course's menu at any time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QPlainTextEdit, QWidget

from mesodesk.domain.catalogue import Practitioner
from mesodesk.domain.enums import Gais
from mesodesk.domain.treatment import Course, OutcomeAssessment, OutcomeInput, Session
from mesodesk.services.changes import Result
from mesodesk.services.registry import Services
from mesodesk.ui.form import FormDialog, fit_screen, validated
from mesodesk.ui.i18n import arg
from mesodesk.ui.jobs import JobRunner
from mesodesk.ui.labels import Formats, label
from mesodesk.ui.session_dialog import NONE, score_combo, set_combo
from mesodesk.ui.widgets import DateField


class CourseReviewDialog(FormDialog):
    def __init__(
        self,
        services: Services,
        runner: JobRunner,
        formats: Formats,
        course: Course,
        sessions: Sequence[Session],
        review: OutcomeAssessment | None = None,
        *,
        just_completed: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.runner = runner
        self.course = course
        self.review = review
        mine = [s for s in sessions if s.course_id == course.id]
        self.setWindowTitle(arg(self.tr("Course review · %1"), course.title))

        intro = self._intro(formats, course, mine, just_completed)
        form = self._review_form(formats)
        hint = QLabel(
            self.tr(
                "GAIS: 1 very much improved, 2 much improved, 3 improved, 4 no change, 5 worse. "
                "The practitioner's score is the one the clinic dashboard's “GAIS by "
                "indication” counts."
            )
        )
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #555555;")
        self.finish_layout(intro, form, hint)
        fit_screen(self, 560, 520)

        practitioner = mine[-1].practitioner_id if mine else None
        if review is not None:
            self.day.set_value(review.assessed_on)
            set_combo(self.gais, review.gais)
            set_combo(self.patient_gais, review.patient_gais)
            set_combo(self.satisfaction, review.satisfaction)
            self.notes.setPlainText(review.notes)
            practitioner = review.assessor_id
        else:
            self.day.set_value(course.ended_on or services.clock.today())
        self._practitioner = practitioner
        self.buttons.setEnabled(False)
        catalogue = services.catalogue
        runner.run(catalogue.practitioners).success(self._practitioners).failure(self.failed)

    def _intro(
        self, formats: Formats, course: Course, mine: list[Session], just_completed: bool
    ) -> QLabel:
        """What the course was, its sessions and their dates; just completed, what to do now."""
        first, last = (
            (mine[0].started_at.date(), mine[-1].started_at.date()) if mine else (None, None)
        )
        about = arg(
            self.tr("%1: %2 sessions, %3 to %4."),
            course.title,
            course.progress,
            formats.date(first) if first else "—",
            formats.date(last) if last else "—",
        )
        if just_completed:
            about += " " + self.tr(
                "The course is completed: record its review now, or later from the course's "
                "menu (Review…)."
            )
        intro = QLabel(about)
        intro.setWordWrap(True)
        return intro

    def _review_form(self, formats: Formats) -> QFormLayout:
        """The review's fields (date, assessor, both GAIS, satisfaction, notes) in a form."""
        self.day = DateField(formats)
        self.assessor = QComboBox()
        self.assessor.addItem(NONE, None)
        gais = {g.value: label(g) for g in Gais}
        self.gais = score_combo(1, 5, gais)
        self.patient_gais = score_combo(1, 5, gais)
        self.satisfaction = score_combo(0, 10)
        self.notes = QPlainTextEdit()
        self.notes.setTabChangesFocus(True)
        self.notes.setMinimumHeight(80)
        self.notes.setPlaceholderText(
            self.tr("What changed, what the patient said, what comes next (words only)")
        )

        form = QFormLayout()
        self.add_row(form, self.tr("Date of the review *"), "assessed_on", self.day)
        self.add_row(form, self.tr("Assessed by"), "assessor_id", self.assessor)
        self.add_row(form, self.tr("GAIS by the practitioner"), "gais", self.gais)
        self.add_row(form, self.tr("GAIS by the patient"), "patient_gais", self.patient_gais)
        self.add_row(
            form, self.tr("Patient satisfaction (0–10)"), "satisfaction", self.satisfaction
        )
        self.add_row(form, self.tr("Notes"), "notes", self.notes)
        return form

    def _practitioners(self, practitioners: list[Practitioner]) -> None:
        for p in practitioners:
            if p.active or p.id == self._practitioner:
                self.assessor.addItem(p.display, p.id)
        set_combo(self.assessor, self._practitioner)
        self.buttons.setEnabled(True)

    def collect(self) -> OutcomeInput:
        problems: dict[str, str] = {}
        day = self.date_of(self.day, "assessed_on", problems)
        data = OutcomeInput(
            assessed_on=day,
            course_id=self.course.id,
            gais=self.gais.currentData(),
            satisfaction=self.satisfaction.currentData(),
            notes=self.notes.toPlainText(),
            patient_gais=self.patient_gais.currentData(),
            assessor_id=self.assessor.currentData(),
        )
        if day is None and "assessed_on" not in problems:
            problems["assessed_on"] = self.tr("The date of the review is required.")
        return validated(problems, lambda: data.validated(self.services.clock.today()))

    def save(self) -> None:
        data = self.checked_input()
        if data is None:
            return
        service = self.services.outcomes
        review = self.review
        patient_id = self.course.patient_id
        if review is None:
            job = self.runner.run(lambda: service.record_outcome(patient_id, data))
        else:
            job = self.runner.run(lambda: service.update_outcome(review.id, data))
        job.success(self.saved_value).failure(self.failed)

    @classmethod
    def ask(
        cls,
        parent: QWidget,
        services: Services,
        runner: JobRunner,
        formats: Formats,
        course: Course,
        sessions: Sequence[Session],
        review: OutcomeAssessment | None = None,
        *,
        just_completed: bool = False,
    ) -> Result[Any] | None:
        """The saved review and what changed; None when cancelled."""
        dialog = cls(
            services,
            runner,
            formats,
            course,
            sessions,
            review,
            just_completed=just_completed,
            parent=parent,
        )
        return dialog.result_if_saved()
