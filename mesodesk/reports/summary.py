"""The specialist's PDF summary (DOMAIN.md, "What the specialist's PDF summary holds").

Built with reportlab's platypus. Everything a person typed is escaped before reportlab sees it
(its Paragraph parses markup: ``a<b`` raises, ``<img src>`` opens a file, ``<a href>`` makes a
link), characters the embedded font cannot draw are replaced by a visible mark and explained in
a note, and tables split across pages with their header repeated. It reads in black and white:
meaning is carried by words and borders, never by colour alone.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape

from mesodesk.domain.dates import DateOrder, age_on
from mesodesk.domain.safety import RULES
from mesodesk.domain.schedule import DueState
from mesodesk.domain.settings import Paper
from mesodesk.domain.summary import (
    FreeText,
    Privacy,
    Section,
    SummaryInput,
    SummaryOptions,
    age_band,
    first_day,
    one_time_code,
    redact,
    relative_day,
)
from mesodesk.reports import fonts
from mesodesk.reports.text import (
    BIDI_CONTROLS,
    draw_string,
    needs_layout,
    parse,
    rich_text,
    text_width,
)

FONT = fonts.BASE
FONT_BOLD = fonts.font_name(fonts.BASE, bold=True)
MISSING = fonts.MISSING
CONFIDENTIAL = (
    "Confidential medical information, for the specialist it is addressed to. "
    "Do not pass on without the patient's consent."
)
CHART_DPI = 220
NBSP = "\u00a0"  # keeps a number with its unit, and "lot" with the lot number
CHART_HEADING = "Side effects and outcomes over time"

_classes: dict[str, Any] = {}  # subclasses of reportlab's, made once reportlab is imported


def _register_fonts() -> None:
    fonts.load(fonts.BASE)


@dataclass
class _Text:
    """Turns what people typed into safe markup for reportlab: escaped, each run of characters
    in the embedded font that has them (``<font name>``), and a visible mark, counted, for a
    character no embedded font has."""

    replaced: int = 0

    def __call__(self, value: object, *, multiline: bool = False, nbsp: bool = False) -> str:
        text = "" if value is None else str(value)
        out: list[str] = []
        run: list[str] = []
        family: str | None = None
        previous: str | None = None

        def flush() -> None:
            if run:
                safe = escape("".join(run))
                out.append(safe if family == fonts.BASE else f'<font name="{family}">{safe}</font>')
                run.clear()

        for ch in text:
            code = ord(ch)
            if ch == "\n":
                if multiline:
                    flush()
                    out.append("<br/>")
                    continue
                ch = " "
            elif code in BIDI_CONTROLS:
                continue
            elif code < 32 or 0x7F <= code < 0xA0:
                ch = " "
            if ch == " " and nbsp:
                ch = NBSP
            chosen = fonts.family_for(ch, previous)
            if chosen is None:
                ch, chosen = MISSING, fonts.BASE
                self.replaced += 1
            if chosen != family:
                flush()
                family = chosen
            run.append(ch)
            previous = chosen
        flush()
        return "".join(out)


def para(markup: str, style: Any) -> Any:
    """A paragraph of our markup: reportlab's own, or, for text that needs shaping or
    right-to-left order, mesodesk.reports.text's."""
    if needs_layout(markup):
        return rich_text(markup, style)
    from reportlab.platypus import Paragraph

    return Paragraph(markup, style)


def _width(markup: str, size: float) -> float:
    """The width of markup on one line (every font of it, shaped where it needs shaping)."""
    if needs_layout(markup):
        return text_width(markup, size)
    from reportlab.pdfbase.pdfmetrics import stringWidth

    total = 0.0
    for paragraph in parse(markup):
        total = max(
            total,
            sum(
                stringWidth(span.text, fonts.font_name(span.family, span.bold), size)
                for span in paragraph
            ),
        )
    return total


@dataclass(frozen=True)
class SummaryResult:
    pages: int
    replaced_characters: int
    code: str = ""


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
    `mesodesk audit verify --anchor` checks later (a trail cut or rewritten since shows).
    ``clinic`` and ``title`` are markup (our ``_Text``'s): a name in any script prints there too."""
    from reportlab.pdfgen import canvas as rl_canvas

    class NumberedCanvas(rl_canvas.Canvas):  # type: ignore[misc]  # reportlab has no types
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
            draw_string(self, 40, height - 28, f"<b>{clinic}</b>", 8.5)
            draw_string(self, width - 40, height - 28, title, 8.5, align="right")
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

        class SplitTable(Table):  # type: ignore[misc]  # reportlab has no types
            def split(self, availWidth: float, availHeight: float) -> list[Any]:
                parts: list[Any] = super().split(availWidth, availHeight)
                return [parts[0], FrameBreak(), *parts[1:]] if len(parts) > 1 else parts

        table = _classes["table"] = SplitTable
    return table


def _table(
    rows: list[list[Any]], widths: list[float], *, header: bool = True, spans: Any = ()
) -> Any:
    """``spans``: the rows whose first cell spans the whole width (a line under a row)."""
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
    for row in spans:
        style.append(("SPAN", (0, row), (-1, row)))
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

        class KeepWithStart(KeepTogether):  # type: ignore[misc]  # reportlab has no types
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
    try:
        for text in repeats:
            text.set_visible(False)
        picture = _rendered(figure)
    finally:
        for text in repeats:
            text.set_visible(True)
    top = 0
    if repeats:
        from PIL import ImageOps

        box = ImageOps.invert(picture.convert("L")).getbbox()
        top = max(0, box[1] - int(0.08 * CHART_DPI)) if box else 0
    height = width * (picture.height - top) / picture.width
    if top:
        picture = picture.crop((0, top, picture.width, picture.height))
    return Image(opaque(picture), width=width, height=height)


def _rendered(figure: Any) -> Any:
    """The figure at CHART_DPI on white, as a PIL image: Agg's pixels as they are (no PNG
    written and read back)."""
    from PIL import Image as PILImage

    buffer = io.BytesIO()
    figure.savefig(buffer, format="raw", dpi=CHART_DPI, facecolor="white")
    data = buffer.getvalue()
    w_in, h_in = figure.get_size_inches()
    for width in dict.fromkeys((int(w_in * CHART_DPI), round(w_in * CHART_DPI))):
        height, rest = divmod(len(data), 4 * width) if width > 0 else (0, 1)
        if rest == 0 and abs(height - h_in * CHART_DPI) <= 1:
            return PILImage.frombuffer("RGBA", (width, height), data, "raw", "RGBA", 0, 1)
    buffer = io.BytesIO()  # a size Agg rounded otherwise: the slower way, through PNG
    figure.savefig(buffer, format="png", dpi=CHART_DPI, facecolor="white")
    buffer.seek(0)
    return PILImage.open(buffer)


def opaque(picture: Any) -> io.BytesIO:
    """A picture without an alpha channel, on white, as PNG.

    An image with an alpha channel becomes a soft mask (SMask) in the PDF, and a page with a
    soft mask is transparent: the PostScript path of CUPS (pdftops, for every PostScript or
    PPD-driven printer) then prints that whole page as one picture, text and all. Opaque,
    the page goes to the printer as text and lines.
    """
    from PIL import Image as PILImage

    if picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info:
        rgba = picture.convert("RGBA")
        flat = PILImage.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        picture = flat
    elif picture.mode not in ("RGB", "L"):
        picture = picture.convert("RGB")
    out = io.BytesIO()
    picture.save(out, format="png", compress_level=1)
    out.seek(0)
    return out


class _Page:
    """What every section of one summary shares: the record as ``redact`` left it, the clinic,
    the options, the escaper and the styles, the width of the text, and how a date, an amount
    and a list are written."""

    def __init__(
        self, data: SummaryInput, options: SummaryOptions, code: str, redacted: Any, pagesize: Any
    ) -> None:
        self.data = data
        self.options = options
        self.code = code
        self.left_out = {**redacted.left_out, **data.left_out}
        self.t = _Text()
        self.st = _styles()
        self.record: Any = redacted.record
        self.patient: Any = self.record.patient
        self.clinic = data.clinic
        self.order: DateOrder = self.clinic.date_order
        self.made_on = data.made_at.date()
        self.zero = first_day(self.record, self.made_on) if options.relative_dates else None
        self.privacy = options.privacy
        self.pagesize = pagesize
        self.width = pagesize[0] - 2 * 40
        if self.privacy is Privacy.IDENTIFIED:
            patient = self.patient
            self.who = f"{patient.last_name}, {patient.first_name}"
            self.who_tail = f" · {patient.record_no}"
            self.title = "Summary for the specialist"
        else:
            self.who, self.who_tail = code, ""
            self.title = f"Summary for the specialist ({self.privacy.label.lower()})"
        if self.zero is not None:
            self.made = f"{data.made_at.year}, {relative_day(self.made_on, self.zero)}"
        else:
            self.made = f"{self.order.show(self.made_on)} {data.made_at:%H:%M}"
        self.sessions = [s for s in self.record.sessions if options.includes(s.started_at.date())]
        self.effects = [e for e in self.record.side_effects if options.includes(e.onset_on)]
        self.numbers = {s.id: s.number for s in self.record.sessions}

    def amount(self, cents: int | None) -> str:
        return "—" if cents is None else f"{cents / 100:,.2f}"

    def day(self, value: date) -> str:
        """A date as the clinic writes it, or as days from the first session."""
        zero = self.zero
        return relative_day(value, zero) if zero is not None else self.order.show(value)

    def joined(self, parts: list[str]) -> str:
        """Parts of one line, each kept whole: the line wraps only between them."""
        return " · ".join(self.t(part, nbsp=True) for part in parts)

    def cell(self, value: object, bold: bool = False) -> Any:
        return para(self.t(value), self.st["head"] if bold else self.st["cell"])

    def number(self, value: object) -> str:
        """A number in a cell as a plain string: no markup to parse, nothing to wrap (a long
        summary has thousands of them)."""
        return str(value)

    def items(self, values: list[str], column: float) -> list[Any]:
        """One entry a line, so that no comma can start one: in one paragraph when every entry
        fits its line in the column, else a paragraph each, its continuation lines indented
        (fewer paragraphs: a long summary lays out in half the time)."""
        if not values:
            return [self.cell("—")]
        lines = [self.t(v) for v in values]
        room = column - 6  # the cell's padding
        if all(_width(line, self.st["cell"].fontSize) <= room for line in lines):
            return [para("<br/>".join(lines), self.st["cell"])]
        return [para(line, self.st["item"]) for line in lines]


def render_summary(
    data: SummaryInput, options: SummaryOptions, out: str | Path | IO[bytes]
) -> SummaryResult:
    """Write the summary PDF. Never fails because of what a person typed.

    A pseudonymised or de-identified summary is made from the record as ``redact`` leaves it
    (the caller may have redacted it already, to draw the charts from it): nothing it took out
    can reach a page, a page header, the PDF's metadata or its dates. One builder per section,
    in the order the specialist reads them."""
    from reportlab.lib.pagesizes import A4, LETTER

    options = options.validated()
    _register_fonts()
    code = data.code or (one_time_code() if options.redacted else "")
    redacted = redact(data.record, options, code)
    pagesize = LETTER if options.paper is Paper.LETTER else A4
    p = _Page(data, options, code, redacted, pagesize)
    story: list[Any] = []
    for section in (
        _header,
        _safety,
        _courses,
        _sessions,
        _side_effects,
        _charts,
        _notes,
        _replaced_note,
    ):
        story += section(p)
    return _build(p, story, out)


def _header(p: _Page) -> list[Any]:
    """The clinic and the patient (or the one-time code), the period and what was left out.
    Over 80 lines: the identified and the redacted identity side by side read best together."""
    from reportlab.lib.units import mm
    from reportlab.platypus import Spacer, Table, TableStyle

    story: list[Any] = []
    clinic_lines = [f"<b>{p.t(p.clinic.clinic_name)}</b>"] if p.clinic.clinic_name else []
    if p.clinic.clinic_address:
        clinic_lines.append(p.t(p.clinic.clinic_address, multiline=True))
    if p.clinic.clinic_phone:
        clinic_lines.append(p.t(p.clinic.clinic_phone))
    clinic_block: list[Any] = (
        [para("<br/>".join(clinic_lines), p.st["small"])] if clinic_lines else []
    )
    # the clinic's column is as wide as its longest line (at most 38 % of the width): the
    # patient's identity gets the rest, and needs it
    clinic_width = max(
        (
            _width(line, p.st["small"].fontSize)
            for line in "<br/>".join(clinic_lines).split("<br/>")
        ),
        default=0.0,
    )
    logo = Path(p.clinic.logo_path) if p.clinic.logo_path else None
    if logo is not None and logo.is_file():
        try:
            from PIL import Image as PILImage
            from reportlab.lib.utils import ImageReader
            from reportlab.platypus import Image

            with PILImage.open(logo) as picture:
                picture.load()
                flat = opaque(picture)  # a transparent logo would print page 1 as a picture
            w, h = ImageReader(flat).getSize()
            flat.seek(0)
            height = 16 * mm
            clinic_block.insert(0, Image(flat, width=height * w / h, height=height))
            clinic_width = max(clinic_width, height * w / h)
        except Exception:
            clinic_block.append(para("(The clinic logo could not be read.)", p.st["muted"]))
            clinic_width = p.width * 0.38

    age = age_on(p.patient.birth_date, p.made_on)
    if p.privacy is Privacy.IDENTIFIED:
        identity = [
            para(p.t(f"{p.patient.last_name}, {p.patient.first_name}"), p.st["title"]),
            para(
                p.joined(
                    [
                        f"Record number {p.patient.record_no}",
                        f"born {p.order.show(p.patient.birth_date)} ({age} years)",
                        p.patient.sex.label,
                    ]
                ),
                p.st["body"],
            ),
        ]
        contact = " · ".join(x for x in (p.patient.phone, p.patient.email) if x)
        if contact:
            identity.append(para(p.t(contact), p.st["small"]))
        if p.patient.address:
            identity.append(para(p.t(p.patient.address, multiline=True), p.st["small"]))
    else:
        band = age_band(p.patient.birth_date, p.made_on)
        identity = [
            para(p.t(f"Patient {p.code}"), p.st["title"]),
            para(p.joined([p.patient.sex.label, f"age {band} years"]), p.st["body"]),
            para(
                p.t(
                    "Pseudonymised: a one-time code for this letter, no name, record number, "
                    "date of birth or contact details."
                    if p.privacy is Privacy.PSEUDONYMISED
                    else "De-identified: no name, record number, date of birth, contact "
                    "details, practitioner names or free text; dates are days from the first "
                    f"session (day 0, in {p.zero.year if p.zero else p.made_on.year})."
                ),
                p.st["small"],
            ),
        ]
    report_line = f"Report date: {p.made}"
    period = "all records"
    if p.options.date_from or p.options.date_to:
        start = p.day(p.options.date_from) if p.options.date_from else "the first record"
        end = p.day(p.options.date_to) if p.options.date_to else "today"
        period = f"{start} to {end}"
    identity.append(para(p.joined([report_line, f"Period: {period}"]), p.st["muted"]))
    if p.left_out:
        counted = ", ".join(
            f"{field.label.lower()} ({n})" if n > 1 else field.label.lower()
            for field, n in sorted(p.left_out.items(), key=lambda kv: list(FreeText).index(kv[0]))
        )
        identity.append(
            para(
                p.t(f"Free text left out of this copy (it may name the patient): {counted}."),
                p.st["muted"],
            )
        )
    clinic_width = min(p.width * 0.38, clinic_width + 14) if clinic_block else 0.0
    head = (
        Table([[identity, clinic_block]], colWidths=[p.width - clinic_width, clinic_width])
        if clinic_block
        else Table([[identity]], colWidths=[p.width])
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
    return story


def _safety(p: _Page) -> list[Any]:
    """Allergies and contraindications, boxed: nobody may miss them."""
    from reportlab.lib import colors
    from reportlab.platypus import Spacer, Table, TableStyle

    story: list[Any] = []
    if Section.SAFETY in p.options.sections:
        lines = []
        if p.patient.allergies:
            lines.append(f"ALLERGIES: {p.t(', '.join(p.patient.allergies))}")
        elif p.left_out.get(FreeText.ALLERGIES):
            n = p.left_out[FreeText.ALLERGIES]
            lines.append(
                f"ALLERGIES: {n} recorded, left out of this copy (typed as free text): "
                "ask the clinic before any treatment."
            )
        if p.patient.contraindications:
            labels = sorted(c.label for c in p.patient.contraindications)
            lines.append(f"CONTRAINDICATIONS: {p.t('; '.join(labels))}")
        if p.patient.contraindication_note:
            lines.append("Note: " + p.t(p.patient.contraindication_note, multiline=True))
        elif p.left_out.get(FreeText.CONTRAINDICATION_NOTE):
            lines.append("A contraindication note is recorded (free text, left out here).")
        if not lines:
            lines.append("No known allergies or contraindications recorded.")
        box = Table([[para("<br/>".join(lines), p.st["alert"])]], colWidths=[p.width])
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
    return story


def _courses(p: _Page) -> list[Any]:
    """One row per course, its review under it."""

    story: list[Any] = []
    if Section.COURSES in p.options.sections:
        heading = para("Courses", p.st["h2"])
        if p.record.courses:
            rows = [
                [
                    p.cell(h, True)
                    for h in (
                        "Indication",
                        "Areas",
                        "Status",
                        "Started",
                        "Sessions done of planned",
                        "Next due",
                        f"Price / session ({p.clinic.currency})",
                        f"Total ({p.clinic.currency})",
                    )
                ]
            ]
            spans = []
            for c in p.record.courses:
                due = c.next_due
                due_text = f"{p.day(due.on)} ({due.phase.label.lower()})" if due else "—"
                # the same words as `mesodesk show` and the due list (domain.schedule)
                state = due.state(p.made_on) if due else None
                if state is DueState.LAPSED:
                    assert due is not None and due.lapses_on is not None
                    due_text += f", lapsed since {p.day(due.lapses_on)}"
                elif due is None and c.maintenance_ended_by is not None:
                    due_text = "— (maintenance ended by a newer course)"
                overdue = state is DueState.OVERDUE
                rows.append(
                    [
                        p.cell(c.title or c.indication.label),
                        p.items([a.label for a in c.areas], 0.15 * p.width),
                        p.cell(c.status.label + (f" ({c.end_reason})" if c.end_reason else "")),
                        p.cell(p.day(c.started_on)),
                        p.cell(c.progress),
                        para(  # only the word in bold: bold "(maintenance)" would not fit
                            p.t(due_text) + (", <b>overdue</b>" if overdue else ""), p.st["cell"]
                        ),
                        p.number(p.amount(c.price_per_session_cents)),
                        p.number(p.amount(c.total_price_cents)),
                    ]
                )
                review = p.record.review_of(c.id)
                if review is not None:
                    # the course-end review under its course (its notes go with the notes)
                    by = f", assessed by {review.assessor}" if review.assessor else ""
                    spans.append(len(rows))
                    rows.append(
                        [
                            para(
                                f"<b>Course review</b> of {p.t(p.day(review.assessed_on))}: "
                                f"{p.t(review.scores or 'no scores recorded')}{p.t(by)}",
                                p.st["cell"],
                            ),
                            *([""] * 7),
                        ]
                    )
            table = _table(
                rows,
                [w * p.width for w in (0.17, 0.15, 0.11, 0.11, 0.13, 0.14, 0.09, 0.10)],
                spans=spans,
            )
            story.append(_keep_with_start([heading, table]))
        else:
            story.append(_keep_with_start([heading, para("No course recorded.", p.st["body"])]))
    return story


def _sessions(p: _Page) -> list[Any]:
    """One row per session in the period, an override of a contraindication under it.
    Over 80 lines: the columns' widths and the helpers that fit blend lines into them go
    together."""

    story: list[Any] = []
    if Section.SESSIONS in p.options.sections:
        lead = [
            para(f"Sessions ({len(p.sessions)})", p.st["h2"]),
            para(
                "Pain during the session on the NRS, 0 (none) to 10; GAIS 1 (very much improved) "
                "to 5 (worse).",
                p.st["muted"],
            ),
        ]
        if p.sessions:
            # date (with the practitioner), procedure, pain, GAIS, price: "Pain" and "GAIS" in
            # bold just fit their columns, and "09:15 (no. 10)" its date's; areas and blend
            # share the rest, the areas as much as their words need when the blend's lines
            # still fit on one line each, and at least "Forehead" on a line
            fixed = (0.13, 0.17, 0.055, 0.055, 0.09)
            shared = (1 - sum(fixed)) * p.width
            size = p.st["cell"].fontSize

            def one_line(text: str) -> float:
                return _width(p.t(text), size) + 6

            def lot_and_ml(b: Any) -> str:
                return f"lot {b.lot_number} · {b.amount_ml:g} ml"

            blend_need = max(
                (one_line(f"{b.product} · {lot_and_ml(b)}") for s in p.sessions for b in s.blend),
                default=0.0,
            )
            indent = p.st["item"].leftIndent
            areas_need = max(
                (one_line(a.label) + indent for s in p.sessions for a in s.areas), default=0.0
            )
            areas = min(areas_need, max(0.09 * p.width, shared - blend_need), 0.2 * p.width)
            areas = max(areas, one_line("Forehead") + indent)
            widths = [fixed[0] * p.width, areas, shared - areas, *(w * p.width for w in fixed[1:])]
            room = widths[2] - indent

            def blend_item(b: Any) -> Any:
                """A line breaks after the product's name, and never inside "lot X · 2.85 ml"
                unless a long lot number makes that too wide: then never inside "lot X" nor
                "2.85 ml"."""
                words = lot_and_ml(b)
                if one_line(words) <= room:
                    words = p.t(words, nbsp=True)
                else:
                    words = " · ".join(
                        p.t(x, nbsp=True) for x in (f"lot {b.lot_number}", f"{b.amount_ml:g} ml")
                    )
                return para(f"{p.t(b.product)} · {words}", p.st["item"])

            def procedure(s: Any) -> list[Any]:
                """How the blend went in: technique and depth, points, total volume and the
                numbing agent (item 15 of issue 15)."""
                # a number stays with its unit (no-break spaces)
                lines = [f"{s.technique.label}, {s.depth_mm:g}{NBSP}mm"]
                amounts = []
                if s.injection_points is not None:
                    amounts.append(f"{s.injection_points:,}{NBSP}points")
                if s.total_volume_ml is not None:
                    amounts.append(f"{s.total_volume_ml:g}{NBSP}ml{NBSP}total")
                if amounts:
                    lines.append(" · ".join(amounts))
                if s.numbing is not None:  # the product and its lot (issue 15, item 5)
                    lines.append(f"Numbing: {s.numbing.product}, lot{NBSP}{s.numbing.lot_number}")
                else:
                    lines.append(f"Numbing: {s.numbing_agent.label.lower()}")
                return p.items(lines, widths[3])

            rows = [
                [
                    p.cell(h, True)
                    for h in (
                        "Date, practitioner",
                        "Areas",
                        "Blend (product · lot · ml)",
                        "Procedure",
                        "Pain",
                        "GAIS",
                        f"Price ({p.clinic.currency})",
                    )
                ]
            ]
            spans = []
            for s in p.sessions:
                rows.append(
                    [
                        para(
                            p.t(p.day(s.started_at.date()))
                            + "<br/>"
                            + ("" if p.zero is not None else f"{s.started_at:%H:%M} ")
                            + f"(no.{NBSP}{s.number})"
                            + (f"<br/>{p.t(s.practitioner)}" if s.practitioner else ""),
                            p.st["cell"],
                        ),
                        p.items([a.label for a in s.areas], widths[1]),
                        [blend_item(b) for b in s.blend] or [p.cell("—")],
                        procedure(s),
                        p.number("—" if s.pain_nrs is None else s.pain_nrs),
                        p.number("—" if s.gais is None else s.gais),
                        p.number(p.amount(s.price_cents)),
                    ]
                )
                overridden = [
                    RULES[c].title
                    for c in s.safety_confirmed
                    if c in RULES and RULES[c].overridable
                ]
                if overridden:
                    # the practitioner's override of a blocking contraindication, under the
                    # session it allowed (in bold: it must not be missed in black and white)
                    spans.append(len(rows))
                    rows.append(
                        [
                            para(
                                f"<b>Contraindication overridden</b> ({p.t('; '.join(overridden))}"
                                f"): {p.t(s.override_reason or 'reason left out', multiline=True)}",
                                p.st["cell"],
                            ),
                            *([""] * (len(widths) - 1)),
                        ]
                    )
            story.append(_keep_with_start([*lead, _table(rows, widths, spans=spans)]))
        else:
            story.append(
                _keep_with_start([*lead, para("No session in this period.", p.st["body"])])
            )
    return story


def _side_effects(p: _Page) -> list[Any]:
    """One row per side effect in the period."""

    story: list[Any] = []
    if Section.SIDE_EFFECTS in p.options.sections:
        heading = para(f"Side effects ({len(p.effects)})", p.st["h2"])
        if p.effects:
            rows = [
                [
                    p.cell(h, True)
                    for h in (
                        "Side effect",
                        "After the session, suspected product and lot",
                        "Grade (CTCAE)",
                        "Onset",
                        "Resolution",
                        "Outcome",
                        "Causality",
                        "Action taken",
                    )
                ]
            ]
            widths = [w * p.width for w in (0.16, 0.22, 0.09, 0.11, 0.11, 0.1, 0.1, 0.11)]
            for e in p.effects:
                what = [e.title or e.kind.label]
                what.append(e.body_area.label if e.body_area else "systemic")
                if e.pain_nrs is not None:
                    what.append(f"NRS {e.pain_nrs}")
                grade = f"{int(e.grade)} {e.grade.severity.label.lower()}" + (
                    ", serious" if e.serious else ""
                )
                action = e.action_taken.label + (f": {e.action_note}" if e.action_note else "")
                # in bold, what the specialist must not read past in black and white
                rows.append(
                    [
                        p.cell(" · ".join(what)),
                        p.items(_suspected(e, p.numbers, p.day), widths[1]),
                        p.cell(grade, bold=e.serious or int(e.grade) >= 3),
                        p.cell(p.day(e.onset_on)),
                        p.cell(
                            p.day(e.resolved_on)
                            if e.resolved_on
                            else f"ongoing ({e.duration_days(p.made_on)} days)",
                            bold=e.resolved_on is None,
                        ),
                        p.cell(e.outcome.label),
                        p.cell(e.causality.label),
                        p.cell(action),
                    ]
                )
            table = _table(
                rows, [w * p.width for w in (0.16, 0.22, 0.09, 0.11, 0.11, 0.1, 0.1, 0.11)]
            )
            story.append(_keep_with_start([heading, table]))
        else:
            story.append(
                _keep_with_start(
                    [heading, para("No side effect reported in this period.", p.st["body"])]
                )
            )
    return story


def _charts(p: _Page) -> list[Any]:
    """The charts, under one heading."""
    from reportlab.platypus import KeepTogether, Spacer

    story: list[Any] = []
    if Section.CHARTS in p.options.sections and p.data.charts:
        # the heading once: a chart's own title that repeats it is left out of the image
        images = [_figure_image(figure, p.width, CHART_HEADING) for figure in p.data.charts]
        story.append(_keep_with_start([para(CHART_HEADING, p.st["h2"]), images[0]]))
        story.append(Spacer(1, 6))
        for image in images[1:]:
            story.append(KeepTogether([image, Spacer(1, 6)]))
    return story


def _notes(p: _Page) -> list[Any]:
    """The notes there are, each labelled."""
    from reportlab.platypus import Spacer

    story: list[Any] = []
    # only the notes there are (a section that says "No notes." can fill a page alone)
    if Section.NOTES in p.options.sections:
        notes: list[tuple[str, str]] = []
        if p.patient.medical_notes:
            notes.append(("Medical notes", p.patient.medical_notes))
        for c in p.record.courses:
            if c.notes:
                notes.append((f"Course: {c.title or c.indication.label}", c.notes))
            review = p.record.review_of(c.id)
            if review is not None and review.notes:
                notes.append((f"Course review: {c.title or c.indication.label}", review.notes))
        for s in p.sessions:
            if s.notes:
                notes.append(
                    (f"Session of {p.day(s.started_at.date())} (no.{NBSP}{s.number})", s.notes)
                )
        for e in p.effects:
            if e.notes:
                notes.append(
                    (f"Side effect of {p.day(e.onset_on)} ({e.title or e.kind.label})", e.notes)
                )
        heading = para("Notes", p.st["h2"])
        for i, (label, text) in enumerate(notes):
            # each note's label stays with its first lines, the first also with "Notes"
            note = [
                para(f"<b>{p.t(label)}</b>", p.st["body"]),
                para(p.t(text, multiline=True), p.st["body"]),
            ]
            story.append(_keep_with_start([heading, *note] if i == 0 else note))
            story.append(Spacer(1, 3))
    return story


def _replaced_note(p: _Page) -> list[Any]:
    """Why some characters show as a mark."""
    from reportlab.platypus import Spacer

    story: list[Any] = []
    if p.t.replaced:
        story.append(Spacer(1, 8))
        story.append(
            para(
                f"Note: {p.t.replaced} character(s) of names or notes are in a script none of "
                f"this summary's fonts has; each is shown as {MISSING}. The full text is in "
                "mesodesk.",
                p.st["muted"],
            )
        )
    return story


def _build(p: _Page, story: list[Any], out: str | Path | IO[bytes]) -> SummaryResult:
    """Lay the story out on pages with their header and footer, and the PDF's metadata."""
    from reportlab.platypus import SimpleDocTemplate

    if p.privacy is Privacy.IDENTIFIED:
        subject = f"Summary of {p.patient.first_name} {p.patient.last_name} ({p.patient.record_no})"
        meta_who = p.patient.record_no
        author = p.clinic.clinic_name or p.data.author or "mesodesk"
    else:
        subject = f"Summary of patient {p.code}"
        meta_who = p.code
        author = p.clinic.clinic_name or "mesodesk"
    doc = SimpleDocTemplate(
        out if not isinstance(out, Path) else str(out),
        pagesize=p.pagesize,
        # the frame pads by 6 pt: headings and text then start at 40 pt, like the tables
        # (exactly the frame's width) and the rules of the page header and footer
        leftMargin=34,
        rightMargin=34,
        topMargin=46,
        bottomMargin=52,
        title=f"{p.title}: {meta_who}",
        author=author,
        subject=subject,
        keywords=f"mesodesk audit anchor {p.data.anchor}" if p.data.anchor else "",
        creator="mesodesk",
        producer="mesodesk",
        # a redacted summary's file dates would be the date it was made: a fixed one instead
        invariant=1 if p.options.redacted else 0,
    )
    # the page header: the clinic on the left, the title and the patient on the right, cut
    # short with "…" where a long name would run into the clinic's
    clinic_head = p.t(p.clinic.clinic_name or "mesodesk")
    room = p.width - _width(f"<b>{clinic_head}</b>", 8.5) - 24
    head_title = f"{p.t(p.title)} · {p.t(p.who)}{p.t(p.who_tail)}"
    if _width(head_title, 8.5) > room:
        low, high = 0, len(p.who)
        while low < high:
            mid = (low + high + 1) // 2
            cut = f"{p.t(p.title)} · {p.t(p.who[:mid].rstrip() + '…')}{p.t(p.who_tail)}"
            if _width(cut, 8.5) <= room:
                low = mid
            else:
                high = mid - 1
        head_title = f"{p.t(p.title)} · {p.t(p.who[:low].rstrip() + '…')}{p.t(p.who_tail)}"
    canvas = _make_canvas(p.made, clinic_head, head_title, p.data.anchor)
    pages: list[int] = []
    doc.build(
        story,
        canvasmaker=canvas,
        onLaterPages=lambda c, d: pages.append(d.page),
        onFirstPage=lambda c, d: pages.append(d.page),
    )
    return SummaryResult(pages=len(pages), replaced_characters=p.t.replaced, code=p.code)


def _suspected(e: Any, numbers: dict[int, int], day: Any) -> list[str]:
    """The session a side effect followed and the products and lots suspected (one or several
    of the lots it used - its blend's and its numbing product's - or every one of them): lot
    numbers repeat across products, so each lot goes with its product."""
    lines = []
    if e.session_id is not None and e.session_started_at is not None:
        number = numbers.get(e.session_id)
        lines.append(
            f"Session {number}, {day(e.session_started_at.date())}"
            if number
            else f"Session of {day(e.session_started_at.date())}"
        )
    else:
        lines.append("No session named")
    if e.suspects_blend:
        lines.append("every lot of the session:")
    for lot in e.lots:
        lines.append(
            f"{lot.product} · lot {lot.lot_number}" if lot.product else f"lot {lot.lot_number}"
        )
    if not e.lots and e.session_id is not None:
        lines.append("No lot named")
    return lines
