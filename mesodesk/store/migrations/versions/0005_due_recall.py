"""One truth for "due", and lot recall by product and lot.

- ``course.lapses_on``: the day a course's maintenance lapses; ``patient.due_valid_from``,
  ``patient.due_valid_before`` and ``patient.lapsed_since``: the days the cached
  ``patient.next_due`` holds for. Every course's and patient's due dates are recomputed here with
  ``mesodesk.domain.schedule`` (the function everything else uses), which also repairs the caches
  that older versions and the demo loader left out of step.
- ``product_lot.lot_folded``: the lot number folded case- and accent-blind
  (``mesodesk.domain.text.fold``), filled for every lot, indexed, and required for new ones
  (the table is copied once to make it NOT NULL; no view or trigger names it).

The SQL below reads and writes only the columns as they are at this revision, so that it keeps
working whatever later revisions add.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from mesodesk.domain.clock import Clock
from mesodesk.domain.enums import CourseStatus, LaterInterval
from mesodesk.domain.schedule import CourseFacts, CoursePlan, course_dues, patient_due
from mesodesk.domain.text import clean_line, fold

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

CHUNK = 5_000  # patients per pass


def _day(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    return value.date() if isinstance(value, datetime) else value


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _recompute_due_dates(conn: sa.Connection, today: date) -> None:
    low, high = conn.execute(sa.text("SELECT min(id), max(id) FROM patient")).one()
    if low is None:
        return
    for start in range(low, high + 1, CHUNK):
        bounds = {"low": start, "high": start + CHUNK - 1}
        dates: dict[int, list[date]] = defaultdict(list)
        for course_id, started in conn.execute(
            sa.text(
                "SELECT course_id, started_at FROM treatment_session "
                "WHERE patient_id BETWEEN :low AND :high"
            ),
            bounds,
        ):
            day = _day(started)
            assert day is not None
            dates[course_id].append(day)
        facts: dict[int, list[CourseFacts]] = defaultdict(list)
        for r in conn.execute(
            sa.text(
                "SELECT id, patient_id, indication, indication_note, planned_sessions, "
                "induction_sessions, induction_interval_days, later_interval, "
                "maintenance_interval_months, status, started_on FROM course "
                "WHERE patient_id BETWEEN :low AND :high"
            ),
            bounds,
        ):
            started_on = _day(r[10])
            assert started_on is not None
            facts[r[1]].append(
                CourseFacts(
                    r[0],
                    r[2],
                    r[3] or "",
                    CoursePlan(r[4], r[5], r[6], LaterInterval.parse(r[7]), r[8]),
                    CourseStatus.parse(r[9]),
                    started_on,
                    tuple(dates.get(r[0], ())),
                )
            )
        courses: list[dict[str, Any]] = []
        patients: list[dict[str, Any]] = []
        for (pid,) in conn.execute(
            sa.text("SELECT id FROM patient WHERE id BETWEEN :low AND :high"), bounds
        ):
            dues = course_dues(facts.get(pid, ()))
            for cid, result in dues.items():
                due = result.due
                courses.append(
                    {
                        "cid": cid,
                        "due": _iso(due.on) if due else None,
                        "lapses": _iso(due.lapses_on) if due else None,
                    }
                )
            mine = patient_due((d.due for d in dues.values()), today)
            patients.append(
                {
                    "pid": pid,
                    "due": _iso(mine.next_due),
                    "from": _iso(mine.valid_from),
                    "before": _iso(mine.valid_before),
                    "lapsed": _iso(mine.lapsed_since),
                }
            )
        if courses:
            conn.execute(
                sa.text("UPDATE course SET next_due = :due, lapses_on = :lapses WHERE id = :cid"),
                courses,
            )
        if patients:
            conn.execute(
                sa.text(
                    "UPDATE patient SET next_due = :due, due_valid_from = :from, "
                    "due_valid_before = :before, lapsed_since = :lapsed WHERE id = :pid"
                ),
                patients,
            )


def upgrade() -> None:
    op.add_column("course", sa.Column("lapses_on", sa.Date(), nullable=True))
    op.add_column("patient", sa.Column("due_valid_from", sa.Date(), nullable=True))
    op.add_column("patient", sa.Column("due_valid_before", sa.Date(), nullable=True))
    op.add_column("patient", sa.Column("lapsed_since", sa.Date(), nullable=True))
    op.create_index("ix_patient_due_valid_from", "patient", ["due_valid_from"], unique=False)
    op.create_index("ix_patient_due_valid_before", "patient", ["due_valid_before"], unique=False)
    op.create_index("ix_course_lapses_on", "course", ["lapses_on"], unique=False)
    conn = op.get_bind()
    _recompute_due_dates(conn, Clock().today())

    op.add_column("product_lot", sa.Column("lot_folded", sa.String(120), nullable=True))
    keys = [
        {"lid": lot_id, "key": fold(clean_line(number))}
        for lot_id, number in conn.execute(sa.text("SELECT id, lot_number FROM product_lot"))
    ]
    if keys:
        conn.execute(sa.text("UPDATE product_lot SET lot_folded = :key WHERE id = :lid"), keys)
    with op.batch_alter_table("product_lot", recreate="always") as batch_op:
        batch_op.alter_column("lot_folded", existing_type=sa.String(120), nullable=False)
        batch_op.create_index("ix_product_lot_folded", ["lot_folded", "product_id"], unique=False)


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+), not a batch copy: ``course`` carries the dashboard's
    # triggers (0003), which a copied table would lose.
    with op.batch_alter_table("product_lot", recreate="always") as batch_op:
        batch_op.drop_index("ix_product_lot_folded")
        batch_op.drop_column("lot_folded")
    op.drop_index("ix_course_lapses_on", table_name="course")
    op.drop_index("ix_patient_due_valid_before", table_name="patient")
    op.drop_index("ix_patient_due_valid_from", table_name="patient")
    for table, column in (
        ("patient", "lapsed_since"),
        ("patient", "due_valid_before"),
        ("patient", "due_valid_from"),
        ("course", "lapses_on"),
    ):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
