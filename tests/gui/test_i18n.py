"""Placeholders are filled the way Qt's QString::arg fills them: in one pass."""

from mesodesk.ui.i18n import arg


def test_placeholders_are_filled_in_one_pass_in_any_order() -> None:
    assert arg("%1 of %2", 3, 10) == "3 of 10"
    assert arg("%2 sur %1", 10, 3) == "3 sur 10"  # a translation may reorder them
    # a value that holds a placeholder is printed as typed, never filled in turn
    assert arg("Note: %1 (by %2)", "100%2 sure", "Ana") == "Note: 100%2 sure (by Ana)"
    assert arg("%1%", 50) == "50%"
    assert arg("%1 and %3", "a") == "a and %3"  # no value: left for the reader to notice
    assert arg("%10 then %1", *range(1, 11)) == "10 then 1"
