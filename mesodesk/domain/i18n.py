"""Marking the domain's words for translation, without Qt.

The domain is plain Python, so it cannot call Qt's translation; the GUI translates its labels
(mesodesk.ui.labels.label translates a value's label in the context "Values"). Qt's
``pyside6-lupdate`` finds the texts to translate by reading the source: it recognises a call
named ``QT_TRANSLATE_NOOP(context, text)`` wherever it is defined, so each label is written as
one, and the .ts file a translator receives lists every label. The function returns the text
as it is.
"""

from __future__ import annotations


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:
    return text
