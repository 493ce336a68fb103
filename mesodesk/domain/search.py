"""What a clinician types in the search box, taken apart into terms the store can match."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from mesodesk.domain.dates import DateOrder, parse_date
from mesodesk.domain.errors import ValidationError
from mesodesk.domain.patients import MAX_SEARCH, RECORD_PREFIX
from mesodesk.domain.text import digits, fold, name_tokens, words

MAX_TERMS = 6
MIN_PHONE_DIGITS = 6
# Prefixes up to this length are looked up in the prefix table, already ranked and sorted;
# longer ones in the token table, where they match few patients.
SHORT_PREFIX = 3

# Token weights: which part of the record a token came from. A match on the last name ranks
# above one on the first name, which ranks above a phone or record-number match.
WEIGHT_OTHER = 1
WEIGHT_FIRST = 2
WEIGHT_LAST = 3
WEIGHT_RECORD = 4
MAX_SCORE = 2 * WEIGHT_RECORD
RECORD_MARK = "#"

_RECORD = re.compile(r"^" + RECORD_PREFIX.rstrip("-").casefold() + r"-?(\d{1,9})$")
_CHUNKS = re.compile(r"[\s,;]+")
_PHONE_ONLY = re.compile(r"^\+?[0-9 ()./\-]+$")


class PatientSort(StrEnum):
    RELEVANCE = "relevance"
    NAME = "name"
    RECORD_NO = "record_no"
    BIRTH_DATE = "birth_date"
    PHONE = "phone"
    LAST_SESSION = "last_session"
    NEXT_DUE = "next_due"
    CREATED = "created"


@dataclass(frozen=True)
class PatientQuery:
    text: str = ""
    include_archived: bool = False
    archived_only: bool = False
    sort: PatientSort = PatientSort.RELEVANCE
    descending: bool = False


@dataclass(frozen=True)
class SearchTerms:
    prefixes: tuple[str, ...]
    birth_dates: tuple[date, ...]

    @property
    def empty(self) -> bool:
        return not self.prefixes and not self.birth_dates


def parse_search(text: str, order: DateOrder, today: date | None = None) -> SearchTerms:
    """Split a search into token prefixes (all must match) and dates of birth."""
    if len(text) > MAX_SEARCH:
        raise ValidationError.single(
            "search", f"Search text is too long (at most {MAX_SEARCH} characters)."
        )
    text = text.strip()
    if not text:
        return SearchTerms((), ())
    phone_like = _PHONE_ONLY.match(text) and len(digits(text)) >= MIN_PHONE_DIGITS
    if phone_like and " " in text and parse_date(text, order, today) is None:
        # "555 123 4567": one number typed in groups
        return SearchTerms((_national(digits(text)),), ())

    prefixes: list[str] = []
    dates: list[date] = []
    for chunk in _CHUNKS.split(text):
        if not chunk:
            continue
        when = parse_date(chunk, order, today)
        if when is not None:
            dates.append(when)
            continue
        folded = fold(chunk)
        record = _RECORD.match(folded)
        if record:
            prefixes.append(record_token(int(record.group(1))))
            continue
        # "O'Brien" and "García-López" are typed as one word: match them joined.
        joined = "".join(words(chunk))
        if joined.isdigit() and len(joined) >= MIN_PHONE_DIGITS:
            joined = _national(joined)
        if joined:
            prefixes.append(joined)
    prefixes = list(dict.fromkeys(prefixes))
    if len(prefixes) > MAX_TERMS:
        # Long pasted text: the longest words are the most selective.
        prefixes = sorted(prefixes, key=len, reverse=True)[:MAX_TERMS]
    return SearchTerms(tuple(prefixes), tuple(dict.fromkeys(dates)))


def record_token(number: int) -> str:
    """The token of a record number typed with its prefix (MD-000123 -> #000123).

    The mark keeps "m" or "md" typed as the start of a name from matching every record.
    """
    return f"{RECORD_MARK}{number:06d}"


def sort_key(first_folded: str, last_folded: str) -> str:
    """Orders like (last name, first name): the separator sorts below every character."""
    return f"{last_folded}\x1f{first_folded}"[:201]


def score(weight: int, exact: bool) -> int:
    return weight * (2 if exact else 1)


def prefix_entries(tokens: dict[str, int]) -> dict[str, int]:
    """Each prefix (1 to SHORT_PREFIX characters) of a patient's name and record-number tokens,
    with the best score among the tokens it starts. Phone tokens are left out: a phone is
    searched with at least four digits."""
    best: dict[str, int] = {}
    for token, weight in tokens.items():
        if weight == WEIGHT_OTHER or token.startswith(RECORD_MARK):
            continue
        for length in range(1, min(SHORT_PREFIX, len(token)) + 1):
            prefix = token[:length]
            value = score(weight, prefix == token)
            if best.get(prefix, 0) < value:
                best[prefix] = value
    return best


def _national(number: str) -> str:
    """A phone typed with its trunk or international prefix (06..., 0033...) without it, as
    its tokens are stored."""
    return number.lstrip("0") or number


def phone_tokens(phone: str) -> list[str]:
    """Tokens that let a phone be found by its full digits or by its last groups.

    "+1 (555) 123-4567" -> 15551234567, 5551234567, 1234567, 4567: typing "555 123" or "4567"
    finds it by prefix.
    """
    groups = [digits(g) for g in re.split(r"[^0-9]+", phone)]
    groups = [g for g in groups if g]
    tokens: list[str] = []
    for i in range(len(groups)):
        joined = "".join(groups[i:])
        if len(joined) >= 3:
            tokens.append(joined)
    return list(dict.fromkeys(_national(t) for t in tokens if t))


def patient_tokens(
    first_name: str, last_name: str, record_number: int, phone: str
) -> dict[str, int]:
    """Every search token of a patient with its weight (the highest when a token repeats)."""
    tokens: dict[str, int] = {}

    def put(token: str, weight: int) -> None:
        token = token[:64]
        if token and tokens.get(token, 0) < weight:
            tokens[token] = weight

    for token in name_tokens(first_name):
        put(token, WEIGHT_FIRST)
    for token in name_tokens(last_name):
        put(token, WEIGHT_LAST)
    put(record_token(record_number), WEIGHT_RECORD)
    put(str(record_number), WEIGHT_RECORD)
    for token in phone_tokens(phone):
        put(token, WEIGHT_OTHER)
    return tokens


def prefix_upper_bound(prefix: str) -> str:
    """The smallest string greater than every string that starts with ``prefix``."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)
