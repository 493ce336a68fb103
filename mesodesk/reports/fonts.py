"""The fonts the PDF summary embeds, and which one prints each character.

DejaVu Sans (matplotlib's copy, which the charts use as well) prints Latin, Greek and Cyrillic
(and more); the Noto families in mesodesk/resources/fonts print what it lacks:
Arabic, Hebrew, Devanagari, Thai, and Chinese, Japanese and Korean in one font (Noto Sans CJK,
converted to TrueType outlines by packaging/build_fonts.py and stored compressed). A font is
read only when a character needs it: most summaries never load the 12 MB CJK font. The PDF
embeds subsets of them, never a whole font.

Where a family has no bold (CJK), bold text prints in its regular weight: a name in bold in
the title is still printed, only not bold.
"""

from __future__ import annotations

import io
import lzma
import threading
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mesodesk.paths import resource_path

BASE = "DejaVuSans"
MISSING = "\u25a1"  # a white square where no embedded font has the character


@dataclass(frozen=True)
class Family:
    name: str
    regular: str  # file under resources/fonts
    bold: str | None
    # the characters this family prints before the base font is asked (its script's blocks)
    ranges: tuple[tuple[int, int], ...] = ()


FAMILIES: tuple[Family, ...] = (
    # DejaVu Sans is matplotlib's own copy (the charts use it too): shipped once
    Family(BASE, "mpl:DejaVuSans.ttf", "mpl:DejaVuSans-Bold.ttf"),
    Family(
        "NotoSansArabic",
        "NotoSansArabic-Regular.ttf",
        "NotoSansArabic-Bold.ttf",
        (
            (0x0600, 0x06FF),
            (0x0750, 0x077F),
            (0x0870, 0x08FF),
            (0xFB50, 0xFDFF),
            (0xFE70, 0xFEFF),
        ),
    ),
    Family(
        "NotoSansHebrew",
        "NotoSansHebrew-Regular.ttf",
        "NotoSansHebrew-Bold.ttf",
        ((0x0590, 0x05FF), (0xFB1D, 0xFB4F)),
    ),
    Family(
        "NotoSansDevanagari",
        "NotoSansDevanagari-Regular.ttf",
        "NotoSansDevanagari-Bold.ttf",
        ((0x0900, 0x097F), (0xA8E0, 0xA8FF), (0x1CD0, 0x1CFF)),
    ),
    Family(
        "NotoSansThai", "NotoSansThai-Regular.ttf", "NotoSansThai-Bold.ttf", ((0x0E00, 0x0E7F),)
    ),
    Family(
        "NotoSansCJK",
        "NotoSansCJKsc-Regular.ttf.xz",
        None,
        (
            (0x1100, 0x11FF),  # Hangul jamo
            (0x2E80, 0x2FDF),  # CJK radicals
            (0x3000, 0x303F),  # CJK symbols and punctuation
            (0x3040, 0x30FF),  # hiragana, katakana
            (0x3100, 0x31FF),  # bopomofo, compatibility jamo, kana extensions
            (0x3200, 0x33FF),  # enclosed and compatibility
            (0x3400, 0x4DBF),  # extension A
            (0x4E00, 0x9FFF),  # unified ideographs
            (0xA960, 0xA97F),
            (0xAC00, 0xD7FF),  # Hangul syllables and jamo extended B
            (0xF900, 0xFAFF),  # compatibility ideographs
            (0xFE30, 0xFE4F),
            (0xFF00, 0xFFEF),  # half- and full-width forms
            (0x20000, 0x3134F),  # extensions B to G
        ),
    ),
)
_BY_NAME = {f.name: f for f in FAMILIES}


@dataclass
class _Loaded:
    regular: Any  # reportlab TTFont
    bold: Any
    cmap: frozenset[int]
    pua: dict[tuple[str, int], int] = field(default_factory=dict)


_lock = threading.Lock()
_loaded: dict[str, _Loaded] = {}
_mapped: set[str] = set()


def family_names() -> frozenset[str]:
    return frozenset(_BY_NAME)


def font_name(family: str, bold: bool) -> str:
    """The name reportlab knows a family's weight by (bold falls back to regular)."""
    fam = _BY_NAME[family]
    return f"{fam.name}-Bold" if bold and fam.bold else fam.name


def _open(filename: str) -> Any:
    if filename.startswith("mpl:"):
        import matplotlib

        return str(Path(matplotlib.get_data_path(), "fonts", "ttf", filename[len("mpl:") :]))
    path = resource_path("fonts", filename)
    if filename.endswith(".xz"):
        with lzma.open(path) as fh:
            data = io.BytesIO(fh.read())
        data.name = filename[: -len(".xz")]
        return data
    return str(path)


def load(family: str) -> _Loaded:
    """Register a family with reportlab (once per process) and return it."""
    got = _loaded.get(family)
    if got is not None:
        return got
    with _lock:
        got = _loaded.get(family)
        if got is not None:
            return got
        from reportlab.lib.fonts import addMapping
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        fam = _BY_NAME[family]
        regular = TTFont(fam.name, _open(fam.regular))
        pdfmetrics.registerFont(regular)
        bold = regular
        if fam.bold:
            bold = TTFont(f"{fam.name}-Bold", _open(fam.bold))
            pdfmetrics.registerFont(bold)
        for italic in (0, 1):
            addMapping(fam.name, 0, italic, regular.fontName)
            addMapping(fam.name, 1, italic, bold.fontName)
            if bold is not regular:
                addMapping(bold.fontName, 0, italic, bold.fontName)
                addMapping(bold.fontName, 1, italic, bold.fontName)
        got = _Loaded(regular, bold, frozenset(regular.face.charToGlyph))
        _loaded[family] = got
        return got


def base_cmap() -> frozenset[int]:
    return load(BASE).cmap


def _claimed(code: int) -> Family | None:
    if code < 0x0590:
        return None
    for fam in FAMILIES[1:]:
        for lo, hi in fam.ranges:
            if lo <= code <= hi:
                return fam
    return None


def family_for(ch: str, previous: str | None = None) -> str | None:
    """The family that prints ``ch``, or None when no embedded font has it.

    A character of no script of its own (a space, punctuation, a digit, a combining mark) stays
    in the font of the character before it when that font has it, so that a run of Arabic or
    Thai with its spaces and marks is shaped as one piece."""
    code = ord(ch)
    if previous is not None and previous != BASE and _neutral(ch) and code in load(previous).cmap:
        return previous
    fam = _claimed(code)
    if fam is not None and code in load(fam.name).cmap:
        return fam.name
    if code in base_cmap():
        return BASE
    for other in FAMILIES[1:]:
        if other is not fam and other.name != "NotoSansCJK" and code in load(other.name).cmap:
            return other.name
    return None


def _neutral(ch: str) -> bool:
    category = unicodedata.category(ch)
    return category[0] in "ZPNM" or category in ("Sk", "Sm", "Cf")


def glyph_code(family: str, bold: bool, gid: int, advance_1000: float) -> int:
    """A character code that stands for glyph ``gid`` in reportlab's subset of this font: the
    character the font maps to it, or a private-use code given to the glyph (a joined Arabic
    letter or an Indic conjunct has none). The text a reader copies comes from the ActualText
    the drawing code puts around it, not from this code."""
    loaded = load(family)
    font = loaded.bold if bold else loaded.regular
    face = font.face
    chars = face.glyphToChar.get(gid)
    if chars:
        return int(chars[0])
    key = (font.fontName, gid)
    code = loaded.pua.get(key)
    if code is None:
        code = 0xE000
        while code in face.charToGlyph:
            code += 1
        if code > 0xF8FF:  # more glyphs without a character than the private-use area holds
            return 0
        face.charToGlyph[code] = gid
        face.glyphToChar.setdefault(gid, []).append(code)
        face.charWidths[code] = advance_1000
        loaded.pua[key] = code
    return code


def harfbuzz_font(family: str, bold: bool) -> Any:
    """A HarfBuzz font of the same file, at 1000 units per em (reportlab's text space)."""
    loaded = load(family)
    font = loaded.bold if bold else loaded.regular
    hb = getattr(font, "_mesodesk_hb", None)
    if hb is None:
        import uharfbuzz

        face = uharfbuzz.Face(uharfbuzz.Blob(font.face._ttf_data))
        hb = uharfbuzz.Font(face)
        hb.scale = (1000, 1000)
        font._mesodesk_hb = hb
    return hb
