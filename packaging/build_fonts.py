"""Make the fonts the PDF summary embeds (mesodesk/resources/fonts), from Debian's Noto packages.

    apt-get install fonts-noto-core fonts-noto-cjk
    .venv/bin/python packaging/build_fonts.py          # a few minutes: the CJK font is converted

The TrueType Noto fonts of fonts-noto-core are copied as they are. ReportLab embeds TrueType
outlines only, and Debian's Noto Sans CJK is a collection of CFF (PostScript-outline) fonts, so
its Simplified Chinese face is converted here: cut down to the characters it maps (dropping the
glyphs only vertical writing and the other regions' variants reach), its cubic outlines turned
into quadratic ones (fontTools' cu2qu, within one font unit), hinting dropped (the PDF is
printed, and viewers hint themselves), and the result compressed with xz. The PDF embeds
subsets only: a few kilobytes per script actually printed.
"""

from __future__ import annotations

import lzma
import shutil
import sys
from pathlib import Path

NOTO = Path("/usr/share/fonts/truetype/noto")
NOTO_CJK = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
CJK_FACE = "Noto Sans CJK SC"
OUT = Path(__file__).resolve().parent.parent / "mesodesk" / "resources" / "fonts"

COPIED = [
    f"NotoSans{script}-{weight}.ttf"
    for script in ("Arabic", "Hebrew", "Devanagari", "Thai")
    for weight in ("Regular", "Bold")
]


def convert_cjk(target: Path) -> None:
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.subset import Options, Subsetter
    from fontTools.ttLib import TTCollection, newTable

    collection = TTCollection(str(NOTO_CJK))
    font = next(f for f in collection.fonts if f["name"].getDebugName(4) == CJK_FACE)
    options = Options()
    # Hangul conjoining jamo and composed characters need these; the rest (vertical forms,
    # proportional widths, other regions' glyphs) a printed name or note does not
    options.layout_features = ["ccmp", "ljmo", "vjmo", "tjmo"]
    options.hinting = False
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.drop_tables += ["VORG", "vhea", "vmtx", "BASE"]
    subsetter = Subsetter(options)
    subsetter.populate(unicodes=font.getBestCmap().keys())
    subsetter.subset(font)

    glyphs = font.getGlyphSet()
    order = font.getGlyphOrder()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(None)
        glyphs[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
        glyf[name] = pen.glyph()
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    del font["CFF "]
    maxp = font["maxp"] = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for field in (
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, field, 0)
    maxp.maxZones = 1
    font["head"].indexToLocFormat = 1
    font["head"].glyphDataFormat = 0
    font["post"].formatType = 3.0
    font.sfntVersion = "\x00\x01\x00\x00"
    plain = target.with_suffix("")
    font.save(str(plain))
    with plain.open("rb") as src, lzma.open(target, "wb", preset=9 | lzma.PRESET_EXTREME) as dst:
        shutil.copyfileobj(src, dst)
    plain.unlink()


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        shutil.copyfile(NOTO / name, OUT / name)
        print(f"copied {name}")
    target = OUT / "NotoSansCJKsc-Regular.ttf.xz"
    convert_cjk(target)
    print(f"converted {CJK_FACE} into {target.name} ({target.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
