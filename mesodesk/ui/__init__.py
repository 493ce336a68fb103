"""The only package that imports PySide6: windows, dialogs, item models, the job runner."""

from __future__ import annotations

import ctypes
import platform
import sys

# PySide6 6.12.0 on CPython 3.11 drops one reference to None on every Qt call that returns
# nothing (setText, hide, processEvents...): after some 100,000 calls None's count reaches zero
# and the interpreter aborts ("Fatal Python error: none_dealloc"). CPython 3.12 made None
# immortal; on older CPythons we give it a reference count that a lifetime of calls cannot use
# up. PySide6-Pdf (QtPdf) exists only for 6.12, so pinning an older PySide6 is not an option.
_NONE_REFS = 1 << 40


def _make_none_immortal() -> None:
    if sys.version_info >= (3, 12) or platform.python_implementation() != "CPython":
        return
    count = ctypes.c_ssize_t.from_address(id(None))  # ob_refcnt is the first field
    if count.value < _NONE_REFS:
        count.value += _NONE_REFS


_make_none_immortal()
