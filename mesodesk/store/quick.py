"""The first page of the patient list, read with Python's own sqlite3 before anything else loads.

Loading SQLAlchemy, sqlmodel and the services takes about a second; this takes milliseconds, so
the window can show the clinic's real patients at once while the rest loads behind it. It reads
only, only an up-to-date mesodesk file, and gives up (None) at the first thing that is not
ordinary: the normal start-up then does everything, with all its checks.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from mesodesk.domain.dates import DateOrder
from mesodesk.domain.patients import PatientPage, PatientRow, format_record_no
from mesodesk.store.schema import HEAD_REVISION

SQLITE_HEADER = b"SQLite format 3\x00"


@dataclass(frozen=True)
class QuickStart:
    page: PatientPage
    date_order: DateOrder
    currency: str


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value[:10]) if value else None


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def first_page(path: Path, limit: int = 200) -> QuickStart | None:
    """Patients not archived, by name (the list's first order), and how many there are."""
    try:
        with path.open("rb") as fh:
            if fh.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
                return None
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=0.5)
    except (OSError, sqlite3.Error, ValueError):
        return None
    try:
        (revision,) = con.execute("SELECT version_num FROM alembic_version").fetchone() or (None,)
        if revision != HEAD_REVISION:
            return None
        settings = dict(con.execute("SELECT key, value FROM app_setting").fetchall())
        try:
            order = DateOrder(settings.get("date_order", DateOrder.DMY.value))
        except ValueError:
            order = DateOrder.DMY
        (total,) = con.execute("SELECT count(*) FROM patient WHERE archived = 0").fetchone()
        rows = [
            PatientRow(
                id=r[0],
                record_no=format_record_no(r[1]),
                first_name=r[2],
                last_name=r[3],
                birth_date=date.fromisoformat(r[4]),
                phone=r[5],
                last_session_at=_moment(r[6]),
                next_due=_day(r[7]),
                archived=bool(r[8]),
                lapsed_since=_day(r[9]),
            )
            for r in con.execute(
                "SELECT id, record_number, first_name, last_name, birth_date, phone, "
                "last_session_at, next_due, archived, lapsed_since FROM patient "
                "WHERE archived = 0 ORDER BY last_folded, first_folded, id LIMIT ?",
                (limit,),
            )
        ]
        # A next due date written before a course lapsed is recomputed by the normal start-up
        # (store.derived); until then this page would show it.
        today = date.today().isoformat()
        (stale,) = con.execute(
            "SELECT EXISTS (SELECT 1 FROM patient WHERE due_valid_before <= ?) "
            "OR EXISTS (SELECT 1 FROM patient WHERE due_valid_from > ?)",
            (today, today),
        ).fetchone()
        if stale:
            return None
    except (sqlite3.Error, TypeError, ValueError):
        return None
    finally:
        con.close()
    return QuickStart(
        PatientPage(rows=rows, total=int(total)), order, settings.get("currency", "USD")
    )
