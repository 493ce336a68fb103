"""Folding text for accent- and case-blind matching, and cleaning what people type."""

from __future__ import annotations

import re
import unicodedata

# Letters that Unicode does not decompose into a base letter plus a mark.
_SPECIAL = str.maketrans(
    {
        "ø": "o",
        "Ø": "o",
        "ł": "l",
        "Ł": "l",
        "đ": "d",
        "Đ": "d",
        "ð": "d",
        "Ð": "d",
        "þ": "th",
        "Þ": "th",
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        "ı": "i",
        "ħ": "h",
        "ŧ": "t",
    }
)
_WORD_SPLIT = re.compile(r"[^\w]+|_+")
# Lone surrogates (\ud800-\udfff: a badly decoded file name, a broken paste) cannot be encoded
# to UTF-8, so SQLite could never store them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_CONTROL_LINE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")


def fold(text: str) -> str:
    """Lower-case, accent-free form: "José Müller-Łukasz" -> "jose muller-lukasz"."""
    text = text.translate(_SPECIAL)
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped.casefold())


def words(text: str) -> list[str]:
    """The folded words of a text, split at anything that is not a letter or digit."""
    return [w for w in _WORD_SPLIT.split(fold(text)) if w]


def name_tokens(text: str) -> list[str]:
    """Search tokens of a name: each word, and each joined multi-part word ("O'Brien" -> obrien)."""
    tokens: list[str] = []
    for chunk in text.split():
        parts = words(chunk)
        tokens.extend(parts)
        if len(parts) > 1:
            tokens.append("".join(parts))
    return list(dict.fromkeys(tokens))


def digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isascii() and ch.isdigit())


def has_control_chars(text: str, *, multiline: bool = False) -> bool:
    """True when text holds characters that no keyboard types (NUL, escape, ...)."""
    pattern = _CONTROL if multiline else _CONTROL_LINE
    return pattern.search(text) is not None


def clean_line(text: str | None) -> str:
    """A single-line field as stored: surrounding white space removed, inner runs collapsed."""
    if text is None:
        return ""
    return " ".join(text.split())


def clean_block(text: str | None) -> str:
    """A multi-line field as stored: line endings unified, trailing white space removed."""
    if text is None:
        return ""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n")
