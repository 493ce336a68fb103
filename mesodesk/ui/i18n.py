"""Filling a translated text's placeholders, the way Qt's ``QString::arg`` does.

Texts keep Qt's numbered placeholders (``%1``, ``%2``) so that Qt Linguist shows them to the
translator and checks that a translation keeps them, and a translation may put them in another
order. PySide6's ``tr()`` returns a Python str, which has no ``.arg()``: ``arg()`` below is the
one way mesodesk fills them. It replaces every placeholder in one pass, so a value that itself
contains ``%2`` (a note, a name, a file) is printed as typed and never filled in turn, which
chained ``str.replace`` calls would do.
"""

from __future__ import annotations

import re

_PLACEHOLDER = re.compile(r"%(\d{1,2})")


def arg(text: str, *values: object) -> str:
    """``text`` with ``%1`` replaced by the first value, ``%2`` by the second, and so on; a
    placeholder without a value is left as it is."""

    def fill(match: re.Match[str]) -> str:
        n = int(match.group(1))
        return str(values[n - 1]) if 1 <= n <= len(values) else match.group(0)

    return _PLACEHOLDER.sub(fill, text)
