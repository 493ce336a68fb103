"""Placeholders are filled the way Qt's QString::arg fills them: in one pass."""

import re
from pathlib import Path

from mesodesk.ui.i18n import arg


def test_placeholders_are_filled_in_one_pass_in_any_order() -> None:
    assert arg("%1 of %2", 3, 10) == "3 of 10"
    assert arg("%2 sur %1", 10, 3) == "3 sur 10"  # a translation may reorder them
    # a value that holds a placeholder is printed as typed, never filled in turn
    assert arg("Note: %1 (by %2)", "100%2 sure", "Ana") == "Note: 100%2 sure (by Ana)"
    assert arg("%1%", 50) == "50%"
    assert arg("%1 and %3", "a") == "a and %3"  # no value: left for the reader to notice
    assert arg("%10 then %1", *range(1, 11)) == "10 then 1"


def test_the_gui_fills_placeholders_only_through_arg() -> None:
    """One way to fill %1: a chained .replace("%1", ...) is the bug arg() exists to avoid."""
    root = Path(__file__).resolve().parents[2] / "mesodesk"
    chained = []
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"""\.replace\(\s*["']%\d""", text):
            chained.append(f"{path.relative_to(root)}:{text.count(chr(10), 0, match.start()) + 1}")
    assert chained == []
