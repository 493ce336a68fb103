"""The specialist's PDF summary (DOMAIN.md, "What the specialist's PDF summary holds").

Built with reportlab's platypus. Everything a person typed is escaped before reportlab sees it
(its Paragraph parses markup: ``a<b`` raises, ``<img src>`` opens a file, ``<a href>`` makes a
link), characters the embedded font cannot draw are replaced by a visible mark and explained in
a note, and tables split across pages with their header repeated. It reads in black and white:
meaning is carried by words and borders, never by colour alone.
"""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape

from mesodesk.domain.dates import DateOrder, age_on
from mesodesk.domain.enums import CourseStatus
from mesodesk.domain.settings import Paper
from mesodesk.domain.summary import Section, SummaryInput, SummaryOptions
from mesodesk.paths import resource_path

FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
MISSING = "\u25a1"  # a white square where the font has no glyph
CONFIDENTIAL = (
    "Confidential medical information, for the specialist it is addressed to. "
    "Do not pass on without the patient's consent."
)
CHART_DPI = 220
NBSP = "\u00a0"  # keeps a number with its unit, and "lot" with the lot number
CHART_HEADING = "Side effects and outcomes over time"

_registered = False
_cmap: set[int] = set()
_classes: dict[str, Any] = {}  # subclasses of reportlab's, made once reportlab is imported


def _register_fonts() -> None:
    global _registered
    if _registered:
        return
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    regular = TTFont(FONT, str(resource_path("fonts", "DejaVuSans.ttf")))
    bold = TTFont(FONT_BOLD, str(resource_path("fonts", "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFont(regular)
    pdfmetrics.registerFont(bold)
    for italic in (0, 1):
        addMapping(FONT, 0, italic, FONT)
        addMapping(FONT, 1, italic, FONT_BOLD)
    _cmap.update(regular.face.charToGlyph.keys())
    _registered = True


@dataclass
class _Text:
    """Turns what people typed into safe markup for reportlab, noting glyphs the font lacks."""

    replaced: int = 0

    def __call__(self, value: object, *, multiline: bool = False) -> str:
        text = "" if value is None else str(value)
        out = []
        for ch in text:
            code = ord(ch)
            if ch == "\n":
                out.append("\n" if multiline else " ")
            elif code < 32 or 0x7F <= code < 0xA0:
                out.append(" ")
            elif (code in _cmap or ch == " ") and not _needs_shaping(ch):
                out.append(ch)
            else:
                out.append(MISSING)
                self.replaced += 1
        safe = escape("".join(out))
        return safe.replace("\n", "<br/>") if multiline else safe


def _needs_shaping(ch: str) -> bool:
    """Right-to-left and Indic scripts: the font has some of their letters, but reportlab would
    print them unjoined and in the wrong order, which is worse than a visible mark."""
    code = ord(ch)
    if code < 0x0590:
        return False
    return unicodedata.bidirectional(ch) in ("R", "AL", "AN") or 0x0900 <= code <= 0x0DFF


@dataclass(frozen=True)
class SummaryResult:
    pages: int
    replaced_characters: int


def _styles() -> dict[str, Any]:
    from reportlab.lib.styles import ParagraphStyle

    base = ParagraphStyle("base", fontName=FONT, fontSize=9.5, leading=12.5)
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10),
        # one product of a blend: its continuation lines indented under it
        "item": ParagraphStyle(
            "item", parent=base, fontSize=8, leading=10, leftIndent=7, firstLineIndent=-7
        ),
        "head": ParagraphStyle("head", parent=base, fontName=FONT_BOLD, fontSize=8, leading=10),
        "title": ParagraphStyle("title", parent=base, fontName=FONT_BOLD, fontSize=16, leading=20),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=12,
            leading=15,
            spaceBefore=10,
            spaceAfter=4,
        ),
        "alert": ParagraphStyle(
            "alert", parent=base, fontName=FONT_BOLD, fontSize=10.5, leading=14
        ),
        "muted": ParagraphStyle(
            "muted", parent=base, fontSize=8.5, leading=11, textColor="#444444"
        ),
    }


def _make_canvas(made: str, clinic: str, title: str, anchor: str = "") -> Any:
    """A canvas that writes, on every page, the clinic, "page X of Y", the date the summary was
    made, the confidentiality line (Y is known only once all pages are laid out) and the audit
    trail's anchor: the entry and seal the trail ended with when the summary was made, which
    `mesodesk audit verify --anchor` checks later (a trail cut or rewritten since shows)."""
    from reportlab.pdfgen import canvas as rl_canvas

    class NumberedCanvas(rl_canvas.Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            # The embedded font from the start: reportlab's default Helvetica would be a font
            # that is referenced but not embedded.
            kwargs["initialFontName"] = kwargs.get("initialFontName") or FONT
            kwargs["initialFontSize"] = kwargs.get("initialFontSize") or 9
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._decorate(total)
                super().showPage()
            super().save()

        def _decorate(self, total: int) -> None:
            width, height = self._pagesize
            self.saveState()
            self.setFont(FONT_BOLD, 8.5)
            self.drawString(40, height - 28, clinic)
            self.setFont(FONT, 8.5)
            self.drawRightString(width - 40, height - 28, title)
            self.setLineWidth(0.6)
            self.line(40, height - 33, width - 40, height - 33)
            self.line(40, 42, width - 40, 42)
            self.setFont(FONT, 7.5)
            self.drawString(40, 31, CONFIDENTIAL)
            self.drawRightString(
                width - 40, 20, f"Made {made}  ·  page {self._pageNumber} of {total}"
            )
            if anchor:
                self.drawString(40, 20, f"Audit anchor {anchor}")
            self.restoreState()

    return NumberedCanvas


def _table_class() -> Any:
    """A Table whose rest, once split, starts on the next page. Reportlab would otherwise try
    the rest again in the space left under the first part, and a row too tall for it would be
    split there: the header printed a second time on the page over the first lines of a row."""
    table = _classes.get("table")
    if table is None:
        from reportlab.platypus import Table
        from reportlab.platypus.doctemplate import FrameBreak

        class SplitTable(Table):
            def split(self, availWidth: float, availHeight: float) -> list[Any]:
                parts: list[Any] = super().split(availWidth, availHeight)
                return [parts[0], FrameBreak(), *parts[1:]] if len(parts) > 1 else parts

        table = _classes["table"] = SplitTable
    return table


def _table(rows: list[list[Any]], widths: list[float], *, header: bool = True) -> Any:
    from reportlab.lib import colors
    from reportlab.platypus import TableStyle

    table = _table_class()(rows, colWidths=widths, repeatRows=1 if header else 0, splitInRow=1)
    style = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#777777")),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    if header:
        style += [
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDDDDD")),
            ("LINEBELOW", (0, 0), (-1, 0), 1.0, colors.black),
        ]
    table.setStyle(TableStyle(style))
    return table


def _keep_with_start(flowables: list[Any]) -> Any:
    """A section heading (and any lines that introduce the section) kept on the page where its
    content starts: the last flowable is the content, and the whole moves to the next page
    unless the heading and the start of the content (a table's header and first row, a chart,
    the first lines of a note) fit where it stands. Unlike KeepTogether, a long table or note
    still starts right under its heading and splits across pages. Reportlab's own keepWithNext
    cannot do this: it keeps nothing with a KeepTogether (a chart) and moves a whole table."""
    keep = _classes.get("keep")
    if keep is None:
        from reportlab.platypus import KeepTogether
        from reportlab.platypus.doctemplate import FrameBreak

        class KeepWithStart(KeepTogether):
            def split(self, aW: float, aH: float) -> list[Any]:
                frame = getattr(self, "_frame", None)
                content = list(self._content)
                if (frame is not None and getattr(frame, "_atTop", False)) or self._starts(aW, aH):
                    return content
                return [FrameBreak(), *content]

            def _starts(self, aW: float, aH: float) -> bool:
                *lead, body = self._content
                left = aH
                for i, f in enumerate(lead):
                    left -= (f.getSpaceBefore() if i else 0) + f.wrapOn(self.canv, aW, left)[1]
                    left -= f.getSpaceAfter()
                left -= body.getSpaceBefore() if lead else 0
                if left <= 0:
                    return False
                if body.wrapOn(self.canv, aW, left)[1] <= left:
                    return True
                return bool(body.splitOn(self.canv, aW, left))

        keep = _classes["keep"] = KeepWithStart
    return keep(flowables)


def _figure_image(figure: Any, width: float, heading: str = "") -> Any:
    """A matplotlib Figure as an image sharp enough to print (CHART_DPI). A title of the figure
    that only repeats the section heading above it is left out, with the blank it leaves."""
    from reportlab.platypus import Image

    repeats = [
        text
        for text in getattr(figure, "texts", ())
        if text.get_visible() and text.get_text().strip().casefold() == heading.casefold()
    ]
    buffer = io.BytesIO()
    try:
        for text in repeats:
            text.set_visible(False)
        figure.savefig(buffer, format="png", dpi=CHART_DPI, facecolor="white")
    finally:
        for text in repeats:
            text.set_visible(True)
    buffer.seek(0)
    if repeats:
        from PIL import Image as PILImage
        from PIL import ImageOps

        picture = PILImage.open(buffer)
        box = ImageOps.invert(picture.convert("L")).getbbox()
        top = max(0, box[1] - int(0.08 * CHART_DPI)) if box else 0
        if top:
            buffer = io.BytesIO()
            picture.crop((0, top, picture.width, picture.height)).save(
                buffer, format="png", compress_level=1
            )
            buffer.seek(0)
        return Image(buffer, width=width, height=width * (picture.height - top) / picture.width)
    w_in, h_in = figure.get_size_inches()
    return Image(buffer, width=width, height=width * h_in / w_in)


def render_summary(
    data: SummaryInput, options: SummaryOptions, out: str | Path | IO[bytes]
) -> SummaryResult:
    """Write the summary PDF. Never fails because of what a person typed."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, LETTER
    from reportlab.lib.units import mm
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.platypus import (
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    options = options.validated()
    _register_fonts()
    t = _Text()
    st = _styles()
    record: Any = data.record
    patient: Any = record.patient
    clinic = data.clinic
    order: DateOrder = clinic.date_order

    def amount(cents: int | None) -> str:
        return "—" if cents is None else f"{cents / 100:,.2f}"

    day = order.show
    pagesize = LETTER if options.paper is Paper.LETTER else A4
    width = pagesize[0] - 2 * 40
    deid = options.deidentify

    who = (
        f"{patient.initials} · {patient.record_no}"
        if deid
        else f"{patient.last_name}, {patient.first_name} · {patient.record_no}"
    )
    title = "Summary for the specialist" + (" (de-identified)" if deid else "")
    made = f"{day(data.made_at.date())} {data.made_at:%H:%M}"
    story: list[Any] = []

    # -- header: clinic and patient --------------------------------------------------------
    clinic_lines = [f"<b>{t(clinic.clinic_name)}</b>"] if clinic.clinic_name else []
    if clinic.clinic_address:
        clinic_lines.append(t(clinic.clinic_address, multiline=True))
    if clinic.clinic_phone:
        clinic_lines.append(t(clinic.clinic_phone))
    clinic_block: list[Any] = (
        [Paragraph("<br/>".join(clinic_lines), st["small"])] if clinic_lines else []
    )
    # the clinic's column is as wide as its longest line (at most 38 % of the width): the
    # patient's identity gets the rest, and needs it
    lines_and_fonts = [(clinic.clinic_name, FONT_BOLD)] if clinic.clinic_name else []
    lines_and_fonts += [(line, FONT) for line in (clinic.clinic_address or "").splitlines()]
    lines_and_fonts += [(clinic.clinic_phone, FONT)] if clinic.clinic_phone else []
    clinic_width = max(
        (stringWidth(_plain(line), font, st["small"].fontSize) for line, font in lines_and_fonts),
        default=0.0,
    )
    logo = Path(clinic.logo_path) if clinic.logo_path else None
    if logo is not None and logo.is_file():
        try:
            from reportlab.lib.utils import ImageReader
            from reportlab.platypus import Image

            reader = ImageReader(str(logo))
            w, h = reader.getSize()
            height = 16 * mm
            clinic_block.insert(0, Image(str(logo), width=height * w / h, height=height))
            clinic_width = max(clinic_width, height * w / h)
        except Exception:
            clinic_block.append(Paragraph("(The clinic logo could not be read.)", st["muted"]))
            clinic_width = width * 0.38
    if deid:
        identity = [
            Paragraph(t(f"Patient {patient.initials}"), st["title"]),
            Paragraph(
                f"{t(f'Record number {patient.record_no}').replace(' ', NBSP)} · "
                + "de-identified: no name, date of birth or contact details".replace(" ", NBSP),
                st["body"],
            ),
        ]
    else:
        identity = [
            Paragraph(t(f"{patient.last_name}, {patient.first_name}"), st["title"]),
            Paragraph(
                " · ".join(
                    t(part).replace(" ", NBSP)
                    for part in (
                        f"Record number {patient.record_no}",
                        f"born {day(patient.birth_date)} "
                        f"({age_on(patient.birth_date, data.made_at.date())} years)",
                        patient.sex.label,
                    )
                ),
                st["body"],
            ),
        ]
        contact = " · ".join(x for x in (patient.phone, patient.email) if x)
        if contact:
            identity.append(Paragraph(t(contact), st["small"]))
        if patient.address:
            identity.append(Paragraph(t(patient.address, multiline=True), st["small"]))
    period = "all records"
    if options.date_from or options.date_to:
        start = day(options.date_from) if options.date_from else "the first record"
        end = day(options.date_to) if options.date_to else "today"
        period = f"{start} to {end}"
    identity.append(Paragraph(t(f"Period: {period}"), st["muted"]))
    clinic_width = min(width * 0.38, clinic_width + 14) if clinic_block else 0.0
    head = (
        Table([[identity, clinic_block]], colWidths=[width - clinic_width, clinic_width])
        if clinic_block
        else Table([[identity]], colWidths=[width])
    )
    head.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (-1, 0), (-1, -1), 0),
            ]
        )
    )
    story += [head, Spacer(1, 6)]

    # -- safety: nobody may miss it ------------------------------------------------------------
    if Section.SAFETY in options.sections:
        lines = []
        if patient.allergies:
            lines.append(f"ALLERGIES: {t(', '.join(patient.allergies))}")
        if patient.contraindications:
            labels = sorted(c.label for c in patient.contraindications)
            lines.append(f"CONTRAINDICATIONS: {t('; '.join(labels))}")
        if patient.contraindication_note:
            if deid:
                lines.append("A contraindication note is recorded (free text, left out here).")
            else:
                lines.append("Note: " + t(patient.contraindication_note, multiline=True))
        if not lines:
            lines.append("No known allergies or contraindications recorded.")
        box = Table([[Paragraph("<br/>".join(lines), st["alert"])]], colWidths=[width])
        box.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), FONT),
                    ("BOX", (0, 0), (-1, -1), 2.0, colors.black),
                    ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#EEEEEE")),
                    ("LEFTPADDING", (0, 0), (-1, -1), 6),
                    ("TOPPADDING", (0, 0), (-1, -1), 5),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
                ]
            )
        )
        story += [box, Spacer(1, 4)]

    def cell(value: object, bold: bool = False) -> Any:
        return Paragraph(t(value), st["head"] if bold else st["cell"])

    sessions = [s for s in record.sessions if options.includes(s.started_at.date())]
    effects = [e for e in record.side_effects if options.includes(e.onset_on)]

    # -- courses -------------------------------------------------------------------------------
    if Section.COURSES in options.sections:
        heading = Paragraph("Courses", st["h2"])
        if record.courses:
            rows = [
                [
                    cell(h, True)
                    for h in (
                        "Indication",
                        "Areas",
                        "Status",
                        "Started",
                        "Sessions done of planned",
                        "Next due",
                        f"Price / session ({clinic.currency})",
                        f"Total ({clinic.currency})",
                    )
                ]
            ]
            for c in record.courses:
                due = c.next_due
                due_text = f"{day(due.on)} ({due.phase.label.lower()})" if due else "—"
                overdue = bool(
                    due and due.on < data.made_at.date() and c.status is not CourseStatus.STOPPED
                )
                rows.append(
                    [
                        cell(c.title),
                        cell(", ".join(a.label for a in c.areas)),
                        cell(
                            c.status.label
                            + (f" ({c.end_reason})" if c.end_reason and not deid else "")
                        ),
                        cell(day(c.started_on)),
                        cell(c.progress),
                        Paragraph(  # only the word in bold: bold "(maintenance)" would not fit
                            t(due_text) + (", <b>overdue</b>" if overdue else ""), st["cell"]
                        ),
                        cell(amount(c.price_per_session_cents)),
                        cell(amount(c.total_price_cents)),
                    ]
                )
            table = _table(
                rows, [w * width for w in (0.17, 0.15, 0.11, 0.11, 0.13, 0.14, 0.09, 0.10)]
            )
            story.append(_keep_with_start([heading, table]))
        else:
            story.append(_keep_with_start([heading, Paragraph("No course recorded.", st["body"])]))

    # -- sessions ------------------------------------------------------------------------------
    if Section.SESSIONS in options.sections:
        lead = [
            Paragraph(f"Sessions ({len(sessions)})", st["h2"]),
            Paragraph(
                "Pain during the session on the NRS, 0 (none) to 10; GAIS 1 (very much improved) "
                "to 5 (worse).",
                st["muted"],
            ),
        ]
        if sessions:
            # "Practitioner", "Depth", "Pain" and "GAIS" in bold just fit their columns, and
            # "09:15 (no. 10)" its date's; areas and blend share the rest, the areas as much as
            # their words need when the blend's lines still fit on one line each, and at least
            # "Forehead" on a line
            fixed = (0.125, 0.065, 0.12, 0.055, 0.055, 0.09)
            shared = (1 - sum(fixed)) * width

            def one_line(text: str) -> float:
                return stringWidth(_plain(text), FONT, st["cell"].fontSize) + 6

            def lot_and_ml(b: Any) -> str:
                return f"lot {b.lot_number} · {b.amount_ml:g} ml"

            blend_need = max(
                (one_line(f"{b.product} · {lot_and_ml(b)}") for s in sessions for b in s.blend),
                default=0.0,
            )
            areas_need = max(one_line(", ".join(a.label for a in s.areas)) for s in sessions)
            areas = min(areas_need, max(0.09 * width, shared - blend_need), 0.2 * width)
            areas = max(areas, one_line("Forehead"))
            widths = [fixed[0] * width, areas, shared - areas, *(w * width for w in fixed[1:])]
            room = widths[2] - st["item"].leftIndent

            def blend_item(b: Any) -> Any:
                """A line breaks after the product's name, and never inside "lot X · 2.85 ml"
                unless a long lot number makes that too wide: then never inside "lot X" nor
                "2.85 ml"."""
                words = lot_and_ml(b)
                if one_line(words) <= room:
                    words = t(words).replace(" ", NBSP)
                else:
                    words = " · ".join(
                        t(x).replace(" ", NBSP)
                        for x in (f"lot {b.lot_number}", f"{b.amount_ml:g} ml")
                    )
                return Paragraph(f"{t(b.product)} · {words}", st["item"])

            rows = [
                [
                    cell(h, True)
                    for h in (
                        "Date",
                        "Areas",
                        "Blend (product · lot · ml)",
                        "Depth (mm)",
                        "Practitioner",
                        "Pain",
                        "GAIS",
                        f"Price ({clinic.currency})",
                    )
                ]
            ]
            for s in sessions:
                rows.append(
                    [
                        Paragraph(
                            f"{t(day(s.started_at.date()))}<br/>"
                            f"{s.started_at:%H:%M} (no.{NBSP}{s.number})",
                            st["cell"],
                        ),
                        cell(", ".join(a.label for a in s.areas)),
                        [blend_item(b) for b in s.blend] or [cell("—")],
                        cell(f"{s.depth_mm:g}"),
                        cell(s.practitioner or "—"),
                        cell("—" if s.pain_nrs is None else s.pain_nrs),
                        cell("—" if s.gais is None else s.gais),
                        cell(amount(s.price_cents)),
                    ]
                )
            story.append(_keep_with_start([*lead, _table(rows, widths)]))
        else:
            story.append(
                _keep_with_start([*lead, Paragraph("No session in this period.", st["body"])])
            )

    # -- side effects --------------------------------------------------------------------------
    if Section.SIDE_EFFECTS in options.sections:
        heading = Paragraph(f"Side effects ({len(effects)})", st["h2"])
        if effects:
            rows = [
                [
                    cell(h, True)
                    for h in (
                        "Side effect",
                        "Grade (CTCAE)",
                        "Onset",
                        "Resolution",
                        "Outcome",
                        "Causality",
                        "Action taken",
                    )
                ]
            ]
            for e in effects:
                what = e.title + (f" · {e.body_area.label}" if e.body_area else " · systemic")
                if e.pain_nrs is not None:
                    what += f" · NRS {e.pain_nrs}"
                if e.lot_number:
                    what += f" · lot {e.lot_number}"
                grade = f"{int(e.grade)} {e.grade.severity.label.lower()}" + (
                    ", serious" if e.serious else ""
                )
                action = e.action_taken.label + (
                    f": {e.action_note}" if e.action_note and not deid else ""
                )
                # in bold, what the specialist must not read past in black and white
                rows.append(
                    [
                        cell(what),
                        cell(grade, bold=e.serious or int(e.grade) >= 3),
                        cell(day(e.onset_on)),
                        cell(
                            day(e.resolved_on)
                            if e.resolved_on
                            else f"ongoing ({e.duration_days(data.made_at.date())} days)",
                            bold=e.resolved_on is None,
                        ),
                        cell(e.outcome.label),
                        cell(e.causality.label),
                        cell(action),
                    ]
                )
            table = _table(rows, [w * width for w in (0.26, 0.12, 0.11, 0.14, 0.12, 0.12, 0.13)])
            story.append(_keep_with_start([heading, table]))
        else:
            story.append(
                _keep_with_start(
                    [heading, Paragraph("No side effect reported in this period.", st["body"])]
                )
            )

    # -- charts --------------------------------------------------------------------------------
    if Section.CHARTS in options.sections and data.charts:
        # the heading once: a chart's own title that repeats it is left out of the image
        images = [_figure_image(figure, width, CHART_HEADING) for figure in data.charts]
        story.append(_keep_with_start([Paragraph(CHART_HEADING, st["h2"]), images[0]]))
        story.append(Spacer(1, 6))
        for image in images[1:]:
            story.append(KeepTogether([image, Spacer(1, 6)]))

    # -- notes ---------------------------------------------------------------------------------
    if Section.NOTES in options.sections:
        heading = Paragraph("Notes", st["h2"])
        if deid:
            story.append(
                _keep_with_start(
                    [
                        heading,
                        Paragraph(
                            "Free-text notes are left out of the de-identified summary: "
                            "they may name the patient.",
                            st["muted"],
                        ),
                    ]
                )
            )
        else:
            notes: list[tuple[str, str]] = []
            if patient.medical_notes:
                notes.append(("Medical notes", patient.medical_notes))
            for c in record.courses:
                if c.notes:
                    notes.append((f"Course: {c.title}", c.notes))
            for s in sessions:
                if s.notes:
                    notes.append((f"Session of {day(s.started_at.date())}", s.notes))
            for e in effects:
                if e.notes:
                    notes.append((f"Side effect of {day(e.onset_on)} ({e.title})", e.notes))
            if not notes:
                story.append(_keep_with_start([heading, Paragraph("No notes.", st["body"])]))
            for i, (label, text) in enumerate(notes):
                # each note's label stays with its first lines, the first also with "Notes"
                note = [
                    Paragraph(f"<b>{t(label)}</b>", st["body"]),
                    Paragraph(t(text, multiline=True), st["body"]),
                ]
                story.append(_keep_with_start([heading, *note] if i == 0 else note))
                story.append(Spacer(1, 3))

    if t.replaced:
        story.append(Spacer(1, 8))
        story.append(
            Paragraph(
                f"Note: {t.replaced} character(s) of names or notes are in a script this summary "
                f"cannot print (for example Chinese, Japanese, Arabic or Hebrew); each is shown "
                f"as {MISSING}. The full text is in mesodesk.",
                st["muted"],
            )
        )

    subject = (
        f"Summary of {patient.record_no}"
        if deid
        else f"Summary of {patient.first_name} {patient.last_name} ({patient.record_no})"
    )
    doc = SimpleDocTemplate(
        out if not isinstance(out, Path) else str(out),
        pagesize=pagesize,
        # the frame pads by 6 pt: headings and text then start at 40 pt, like the tables
        # (exactly the frame's width) and the rules of the page header and footer
        leftMargin=34,
        rightMargin=34,
        topMargin=46,
        bottomMargin=52,
        title=f"{title}: {patient.record_no}",
        author=clinic.clinic_name or data.author or "mesodesk",
        subject=subject,
        creator="mesodesk",
        producer="mesodesk",
        keywords=f"mesodesk audit anchor {data.anchor}" if data.anchor else "",
    )
    canvas = _make_canvas(
        made, _plain(clinic.clinic_name or "mesodesk"), f"{title} · {_plain(who)}", data.anchor
    )
    pages: list[int] = []
    doc.build(
        story,
        canvasmaker=canvas,
        onLaterPages=lambda c, d: pages.append(d.page),
        onFirstPage=lambda c, d: pages.append(d.page),
    )
    return SummaryResult(pages=len(pages), replaced_characters=t.replaced)


def _plain(text: str) -> str:
    """Text drawn straight on the canvas: no markup there, but the same missing-glyph marks."""
    return "".join(
        ch if ord(ch) in _cmap or ch == " " else MISSING for ch in text.replace("\n", " ")
    )
