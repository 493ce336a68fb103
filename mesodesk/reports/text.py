"""Text in every script a clinic may type, laid out for the PDF.

Reportlab prints one font per run of text and no right-to-left order; its own shaping needs
rlbidi, which is not on PyPI for every platform. Text that needs more than that (right-to-left
scripts, and scripts whose letters join or reorder: Arabic, Hebrew, Devanagari, Thai) is laid
out here instead:

- each character gets the embedded font that has it (``fonts.family_for``);
- the Unicode bidirectional algorithm (python-bidi) gives each character its level;
- runs of one level and one font are shaped by HarfBuzz (uharfbuzz), with the whole paragraph
  as context, so that Arabic letters join and Indic clusters form;
- lines break at spaces (between CJK characters too, and inside a word only when the word is
  wider than the line, between clusters), and each line's runs are put in visual order
  (rule L2);
- each run is drawn glyph by glyph inside a marked-content span whose ActualText is the run as
  it was typed: a reader that copies or extracts the text (pdftotext, a PDF viewer) gets the
  characters back in their logical order, not the joined or reordered glyphs.

Everything else (Latin, Greek, Cyrillic, CJK) stays a reportlab Paragraph, which is faster.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from html import unescape
from typing import Any

from mesodesk.reports import fonts

# explicit bidi embeddings, overrides and isolates: invisible, and the way text is made to
# print in an order other than the one it was typed in ("Trojan Source"); they are dropped
BIDI_CONTROLS = frozenset([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
_TAG = re.compile(r"<[^>]*>|&#?\w+;|[^<&]+")
_FONT_NAME = re.compile(r"""name\s*=\s*["']([^"']+)["']""")
_classes: dict[str, Any] = {}


def needs_layout(text: str) -> bool:
    """Whether reportlab alone would print this text wrong (unjoined or in the wrong order)."""
    for ch in text:
        code = ord(ch)
        if code < 0x0590:
            continue
        if (
            0x0900 <= code <= 0x109F  # Indic, Sinhala, Thai, Lao, Tibetan, Myanmar
            or 0x1780 <= code <= 0x17FF  # Khmer
            or 0xA8E0 <= code <= 0xA8FF
            or 0x1CD0 <= code <= 0x1CFF
            or unicodedata.bidirectional(ch) in ("R", "AL", "AN")
        ):
            return True
    return False


@dataclass(frozen=True)
class Span:
    text: str
    family: str
    bold: bool


def parse(markup: str) -> list[list[Span]]:
    """Our own small markup (what summary.py makes: escaped text, <b>, <font name>, <br/>) as
    paragraphs of spans. Text that came from a person was escaped before, so every tag here is
    one the summary wrote."""
    paragraphs: list[list[Span]] = [[]]
    bold = 0
    families: list[str] = [fonts.BASE]
    for token in _TAG.findall(markup):
        if token.startswith("<"):
            tag = token.strip("<>/ ").split()[0].lower() if token.strip("<>/ ") else ""
            closing = token.startswith("</")
            if tag == "br":
                paragraphs.append([])
            elif tag == "b":
                bold += -1 if closing else 1
            elif tag == "font":
                if closing:
                    if len(families) > 1:
                        families.pop()
                else:
                    found = _FONT_NAME.search(token)
                    name = found.group(1) if found else families[-1]
                    families.append(name if name in fonts.family_names() else families[-1])
            continue
        text = unescape(token) if token.startswith("&") else token
        paragraphs[-1].append(Span(text, families[-1], bold > 0))
    return paragraphs


# -- bidi -------------------------------------------------------------------------------------


def bidi_levels(text: str) -> tuple[int, list[int]]:
    """The paragraph level and each character's embedding level (UAX #9, python-bidi)."""
    from bidi import algorithm as uba

    base = uba.get_base_level(text)
    storage = uba.get_empty_storage()
    storage["base_level"] = base
    storage["base_dir"] = ("L", "R")[base]
    uba.get_embedding_levels(text, storage)
    chars = list(storage["chars"])  # rule X9 drops some from the storage: keep them all here
    try:
        uba.explicit_embed_and_overrides(storage)
        uba.resolve_weak_types(storage)
        uba.resolve_neutral_types(storage, False)
        uba.resolve_implicit_levels(storage, False)
    except (AssertionError, IndexError, KeyError):  # pragma: no cover - a text it cannot resolve
        return base, [base + (unicodedata.bidirectional(c) in ("R", "AL")) for c in text]
    levels: list[int] = []
    last = base
    for ch in chars:
        level = ch["level"] if ch["level"] is not None else last
        levels.append(level)
        last = level
    if len(levels) != len(text):  # pragma: no cover - a surrogate pair on a narrow build
        return base, [base] * len(text)
    return base, levels


def visual_order(levels: list[int]) -> list[int]:
    """Rule L2: the order in which runs of these levels are drawn, left to right."""
    order = list(range(len(levels)))
    if not levels:
        return order
    highest = max(levels)
    odd = [lv for lv in levels if lv % 2]
    lowest_odd = min(odd) if odd else highest + 1
    for level in range(highest, lowest_odd - 1, -1):
        i = 0
        while i < len(order):
            if levels[order[i]] >= level:
                j = i
                while j < len(order) and levels[order[j]] >= level:
                    j += 1
                order[i:j] = reversed(order[i:j])
                i = j
            else:
                i += 1
    return order


# -- shaping ----------------------------------------------------------------------------------


@dataclass
class _Run:
    start: int
    end: int
    family: str
    bold: bool
    level: int
    glyphs: list[tuple[int, int, float, float, float]] = field(default_factory=list)
    # (cluster, code, advance, dx, dy) in points, in HarfBuzz's (visual) order


@dataclass
class Piece:
    """Part of a line in one font and direction, ready to draw."""

    font: str
    size: float
    glyphs: list[tuple[int, float, float, float]]  # (code, advance, dx, dy), left to right
    text: str  # as typed (logical order)
    width: float
    rtl: bool
    actual: bool  # its glyphs are not its characters one for one (a conjunct, a joined form)


@dataclass
class Line:
    pieces: list[Piece]
    width: float
    indent: float = 0.0
    text: str = ""  # as typed (logical order)
    rtl: bool = False  # holds right-to-left text
    right_to_left: bool = False  # of a right-to-left paragraph: aligned on the right


def _shape(codepoints: list[int], run: _Run, size: float) -> None:
    import uharfbuzz as hb

    font = fonts.harfbuzz_font(run.family, run.bold)
    buf = hb.Buffer()
    buf.add_codepoints(codepoints, run.start, run.end - run.start)
    buf.direction = "rtl" if run.level % 2 else "ltr"
    buf.guess_segment_properties()
    hb.shape(font, buf, {"kern": True, "liga": True})
    scale = size / 1000.0
    for info, pos in zip(buf.glyph_infos, buf.glyph_positions, strict=True):
        code = fonts.glyph_code(run.family, run.bold, info.codepoint, pos.x_advance)
        run.glyphs.append(
            (
                info.cluster,
                code,
                pos.x_advance * scale,
                pos.x_offset * scale,
                pos.y_offset * scale,
            )
        )


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def _assign(spans: list[Span]) -> tuple[str, list[str | None], list[bool]]:
    """Characters with the family that prints each (None: none does) and their weight."""
    chars: list[str] = []
    families: list[str | None] = []
    bolds: list[bool] = []
    previous: str | None = None
    for span in spans:
        for ch in span.text:
            code = ord(ch)
            if code in BIDI_CONTROLS:
                continue
            if ch in "\t\r\n" or code < 32 or 0x7F <= code < 0xA0:
                ch = " "
            family = (
                span.family
                if span.family != fonts.BASE and code in fonts.load(span.family).cmap
                else fonts.family_for(ch, previous)
            )
            chars.append(ch)
            families.append(family)
            bolds.append(span.bold)
            if family is not None:
                previous = family
    return "".join(chars), families, bolds


def layout(spans: list[Span], size: float, widths: tuple[float, float] | None) -> list[Line]:
    """One paragraph broken into lines: ``widths`` is (first line, other lines), or None for
    a single line however long."""
    text, families, bolds = _assign(spans)
    if not text.strip():
        return [Line([], 0.0)]
    missing = fonts.MISSING
    text = "".join(
        ch if fam is not None else missing for ch, fam in zip(text, families, strict=True)
    )
    families = [fam if fam is not None else fonts.BASE for fam in families]
    base, levels = bidi_levels(text)
    codepoints = [ord(c) for c in text]
    runs: list[_Run] = []
    for i in range(len(text)):
        key = (families[i], bolds[i], levels[i])
        if runs and (runs[-1].family, runs[-1].bold, runs[-1].level) == key:
            runs[-1].end = i + 1
        else:
            runs.append(_Run(i, i + 1, families[i] or fonts.BASE, bolds[i], levels[i]))
    advance = [0.0] * (len(text) + 1)
    starts = [False] * (len(text) + 1)
    for run in runs:
        _shape(codepoints, run, size)
        for cluster, _, adv, _, _ in run.glyphs:
            advance[cluster] += adv
            starts[cluster] = True
    starts[len(text)] = True
    prefix = [0.0]
    for a in advance[:-1]:
        prefix.append(prefix[-1] + a)

    def width(a: int, b: int) -> float:
        while b > a and text[b - 1] == " ":
            b -= 1
        return prefix[b] - prefix[a]

    # where a line may break: after spaces, and on either side of a CJK character
    breaks = [
        i
        for i in range(1, len(text))
        if starts[i]
        and text[i] != " "
        and (text[i - 1] == " " or _wide(text[i]) or _wide(text[i - 1]))
    ]
    breaks.append(len(text))
    spans_of_lines: list[tuple[int, int]] = []
    a = 0
    k = 0
    while a < len(text):
        avail = None if widths is None else widths[0 if not spans_of_lines else 1]
        if avail is None:
            spans_of_lines.append((a, len(text)))
            break
        best = None
        while k < len(breaks) and breaks[k] <= a:
            k += 1
        j = k
        while j < len(breaks) and width(a, breaks[j]) <= avail + 1e-6:
            best = breaks[j]
            j += 1
        if best is None:  # a word wider than the line: break it between clusters
            b = a + 1
            while b < len(text) and not starts[b]:
                b += 1
            best = b
            while best < len(text):
                c = best + 1
                while c < len(text) and not starts[c]:
                    c += 1
                if width(a, c) > avail + 1e-6:
                    break
                best = c
        spans_of_lines.append((a, best))
        a = best
        while a < len(text) and text[a] == " ":
            a += 1
    lines: list[Line] = []
    for a, b in spans_of_lines:
        while b > a and text[b - 1] == " ":
            b -= 1
        segments = [
            (max(run.start, a), min(run.end, b), run)
            for run in runs
            if run.start < b and run.end > a
        ]
        order = visual_order([run.level for _, _, run in segments])
        pieces = []
        for index in order:
            start, end, run = segments[index]
            rtl = bool(run.level % 2)
            glyphs = [
                (code, adv, dx, dy)
                for cluster, code, adv, dx, dy in run.glyphs
                if start <= cluster < end
            ]
            piece_text = text[start:end]
            drawn = "".join(chr(g[0]) for g in glyphs)
            pieces.append(
                Piece(
                    fonts.font_name(run.family, run.bold),
                    size,
                    glyphs,
                    piece_text,
                    sum(g[1] for g in glyphs),
                    rtl=rtl,
                    actual=drawn != piece_text,
                )
            )
        lines.append(
            Line(
                pieces,
                sum(p.width for p in pieces),
                text=text[a:b],
                rtl=any(p.rtl for p in pieces),
                right_to_left=bool(base),
            )
        )
    return lines


def _actual_text(text: str) -> str:
    data = text.encode("utf-16-be")
    return "<FEFF" + data.hex().upper() + ">"


RLM = "\u200f"


def _strong_rtl(ch: str) -> bool:
    return unicodedata.bidirectional(ch) in ("R", "AL")


def _ltr_or_number(ch: str) -> bool:
    """A left-to-right letter, or what poppler counts as part of a number: digits, and the
    separators and terminators of numbers (, . : / + - # $ %, the no-break space, the Arabic
    comma...)."""
    return unicodedata.bidirectional(ch) in ("L", "EN", "AN", "ES", "ET", "CS")


def reading_order(text: str) -> str:
    """The ActualText of a line with right-to-left text in it.

    Extractors read a PDF's glyphs left to right and turn right-to-left stretches around
    themselves; poppler (pdftotext, Evince, Okular) takes each stretch that starts with a
    right-to-left letter and holds no left-to-right letter nor anything of a number (a digit,
    a comma, a full stop...), and reverses it. So
    the line's characters go in the order that this turning gives back as typed: each such
    stretch reversed, and an invisible RIGHT-TO-LEFT MARK before a stretch that ends in a space
    or a comma, so that it is turned with it rather than left in front of it. A reader sees the
    glyphs, which are in the visual order of the bidi algorithm; what is copied is the text as
    typed (plus that invisible mark)."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        j = i
        while j < n and not _strong_rtl(text[j]):
            j += 1
        out.append(text[i:j])
        i = j
        while j < n and not _ltr_or_number(text[j]):
            j += 1
        if j > i:
            stretch = text[i:j]
            if not _strong_rtl(stretch[-1]):
                out.append(RLM)
            out.append(stretch[::-1])
            i = j
    return "".join(out)


def draw_line(canvas: Any, line: Line, x: float, y: float, color: Any = None) -> None:
    """Draw a laid-out line with its left end at (x, y) on the baseline, inside marked content
    whose ActualText is what a reader copies: the whole line when it holds right-to-left text
    (``reading_order``), else each piece whose glyphs are not its characters one for one."""
    tx = canvas.beginText()
    if color is not None:
        tx.setFillColor(color)
    if line.rtl:
        tx._code.append(f"/Span <</ActualText {_actual_text(reading_order(line.text))}>> BDC")
    for piece in line.pieces:
        span = piece.actual and not line.rtl
        if span:
            tx._code.append(f"/Span <</ActualText {_actual_text(piece.text)}>> BDC")
        tx.setFont(piece.font, piece.size)
        for code, adv, dx, dy in piece.glyphs:
            if code:
                tx.setTextOrigin(x + dx, y + dy)
                tx.textOut(chr(code))
            x += adv
        if span:
            tx._code.append("EMC")
    if line.rtl:
        tx._code.append("EMC")
    canvas.drawText(tx)


def text_width(markup: str, size: float) -> float:
    """The width of the widest paragraph of this markup on one line."""
    return max(
        (sum(line.width for line in layout(spans, size, None)) for spans in parse(markup)),
        default=0.0,
    )


def draw_string(
    canvas: Any, x: float, y: float, markup: str, size: float, *, align: str = "left"
) -> None:
    """A line of markup drawn on the canvas (page header and footer), every script shaped."""
    paragraphs = parse(markup)
    if not paragraphs:
        return
    if not needs_layout(markup):
        from reportlab.pdfbase.pdfmetrics import stringWidth

        pieces = [(fonts.font_name(s.family, s.bold), s.text) for s in paragraphs[0] if s.text]
        widths = [stringWidth(text, font, size) for font, text in pieces]
        left = x - sum(widths) if align == "right" else x
        for (font, text), w in zip(pieces, widths, strict=True):
            canvas.setFont(font, size)
            canvas.drawString(left, y, text)
            left += w
        return
    for line in layout(paragraphs[0], size, None)[:1]:
        draw_line(canvas, line, x - line.width if align == "right" else x, y)


def rich_text(markup: str, style: Any) -> Any:
    """A flowable for text that needs its own layout: wraps, splits across pages, draws."""
    cls = _classes.get("rich")
    if cls is None:
        from reportlab.platypus.flowables import Flowable

        class RichText(Flowable):  # type: ignore[misc]  # reportlab has no types
            def __init__(self, markup: str, style: Any, lines: list[Line] | None = None) -> None:
                super().__init__()
                self.markup = markup
                self.style = style
                self._lines = lines
                self._laid_for: float | None = None if lines is None else -1.0

            def _layout(self, width: float) -> list[Line]:
                if self._laid_for == -1.0 and self._lines is not None:
                    return self._lines
                if self._lines is None or self._laid_for != width:
                    st = self.style
                    first = width - st.leftIndent - st.firstLineIndent - st.rightIndent
                    rest = width - st.leftIndent - st.rightIndent
                    lines: list[Line] = []
                    for spans in parse(self.markup):
                        laid = layout(spans, st.fontSize, (max(first, 1.0), max(rest, 1.0)))
                        for i, line in enumerate(laid):
                            line.indent = st.leftIndent + (st.firstLineIndent if i == 0 else 0)
                        lines += laid
                    self._lines = lines
                    self._laid_for = width
                return self._lines

            def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
                self.width = availWidth
                self.height = len(self._layout(availWidth)) * self.style.leading
                return availWidth, self.height

            def split(self, availWidth: float, availHeight: float) -> list[Any]:
                lines = self._layout(availWidth)
                fit = int((availHeight + 1e-6) // self.style.leading)
                if fit >= len(lines):
                    return [self]
                if fit < 1:
                    return []
                return [
                    RichText(self.markup, self.style, lines[:fit]),
                    RichText(self.markup, self.style, lines[fit:]),
                ]

            def getSpaceBefore(self) -> float:
                return float(self.style.spaceBefore)

            def getSpaceAfter(self) -> float:
                return float(self.style.spaceAfter)

            def draw(self) -> None:
                st = self.style
                y = self.height - st.fontSize
                for line in self._lines or []:
                    # a right-to-left paragraph's lines start on the right, where its reader
                    # starts reading
                    x = (
                        self.width - st.rightIndent - line.width
                        if line.right_to_left
                        else line.indent
                    )
                    draw_line(self.canv, line, x, y, st.textColor)
                    y -= st.leading

        cls = _classes["rich"] = RichText
    return cls(markup, style)


# a word in each script the embedded fonts are there for (mesodesk --smoke prints them all)
SAMPLES = {
    fonts.BASE: "Zoë Παπαδοπούλου Иванова",
    "NotoSansArabic": "ليلى الحسيني",
    "NotoSansHebrew": "נועה כהן",
    "NotoSansDevanagari": "प्रिया शर्मा",
    "NotoSansThai": "สมศรี ใจดี",
    "NotoSansCJK": "王丽华 山田さくら 김지민",
}


def self_check() -> int:
    """Every embedded font is there, has its script, and shapes: the number of glyphs laid out
    (an exception names the font that failed)."""
    count = 0
    for family, sample in SAMPLES.items():
        for ch in sample.replace(" ", ""):
            if fonts.family_for(ch) != family:
                raise RuntimeError(f"{family} cannot print {ch!r}")
        for bold in (False, True):
            for line in layout([Span(sample, family, bold)], 10, None):
                count += sum(len(piece.glyphs) for piece in line.pieces)
    return count
