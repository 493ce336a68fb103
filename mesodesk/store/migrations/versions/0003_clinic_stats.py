"""Running totals for the clinic dashboard, kept by triggers.

The dashboard rates (side effects per 100 sessions by month, kind, indication and body area; each
product lot's reaction rate) need every session of a period joined to its course, its blend lines
and its side effects. Over a million sessions that join alone takes seconds in SQLite, whatever
the index. These tables hold the same counts per day, and triggers keep them in the transaction of
every change, so that the dashboard sums a few thousand rows:

- ``stats_session_day``: sessions per day and indication, per treated area, per lot of the blend;
- ``stats_effect_day``: side effects per day of their suspected session, per kind, indication of
  the course and body area, each by grade;
- ``stats_lot_reaction``: each (lot, session) pair with a side effect that suspects that lot.

The ``stats_*_rows`` views say what each session, blend line and side effect contributes; the
triggers on rare changes (a session's date, areas or course; a course's indication; deleting a
session) take away what a row contributed before and add what it contributes after, through the
views. Triggers on inserts, and on single blend lines and side effects, spell the same rows out
with NEW and OLD, because they run for every row of a bulk load (the demo clinic).

SQLite only (like the audit guards of 0002). A later batch migration that copies
``treatment_session``, ``blend_item``, ``side_effect`` or ``course`` must drop these views and
triggers first and create them again afterwards (SQLite refuses to rename a table under a view
that names a missing one, and a copied table loses its triggers); the tests check that every one
of them exists at head and that the totals match a recount.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

# ruff: noqa: S608 - the SQL below is put together from constant pieces only

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

DAY = "substr({}.started_at, 1, 10)"
AREAS = "json_each(CASE WHEN json_valid({0}.areas) THEN {0}.areas ELSE '[]' END)"

VIEWS = {
    "stats_session_rows": f"""
        SELECT s.id AS session_id, {DAY.format("s")} AS day, 'indication' AS dim,
               c.indication AS code
          FROM treatment_session s JOIN course c ON c.id = s.course_id
        UNION ALL
        SELECT s.id, {DAY.format("s")}, 'area', a.value
          FROM treatment_session s, {AREAS.format("s")} AS a
         WHERE a.type = 'text'""",
    "stats_blend_rows": f"""
        SELECT b.id AS blend_id, b.session_id, {DAY.format("s")} AS day, 'lot' AS dim,
               CAST(b.lot_id AS TEXT) AS code
          FROM blend_item b JOIN treatment_session s ON s.id = b.session_id""",
    "stats_effect_rows": f"""
        SELECT fx.id AS effect_id, fx.session_id, {DAY.format("s")} AS day, 'kind' AS dim,
               fx.kind AS code, fx.grade
          FROM side_effect fx JOIN treatment_session s ON s.id = fx.session_id
        UNION ALL
        SELECT fx.id, fx.session_id, {DAY.format("s")}, 'indication', c.indication, fx.grade
          FROM side_effect fx JOIN treatment_session s ON s.id = fx.session_id
          JOIN course c ON c.id = s.course_id
        UNION ALL
        SELECT fx.id, fx.session_id, {DAY.format("s")}, 'area', fx.body_area, fx.grade
          FROM side_effect fx JOIN treatment_session s ON s.id = fx.session_id
         WHERE fx.body_area IS NOT NULL""",
    "stats_reaction_rows": f"""
        SELECT fx.id AS effect_id, fx.lot_id, fx.session_id, {DAY.format("s")} AS day
          FROM side_effect fx JOIN treatment_session s ON s.id = fx.session_id
         WHERE fx.lot_id IS NOT NULL""",
}

ON_SESSION = "ON CONFLICT (dim, code, day) DO UPDATE SET sessions = sessions + excluded.sessions"
ON_EFFECT = "ON CONFLICT (dim, code, grade, day) DO UPDATE SET effects = effects + excluded.effects"
ON_REACTION = (
    "ON CONFLICT (lot_id, session_id) DO UPDATE SET effects = effects + excluded.effects, "
    "day = excluded.day"
)


def _through_views(where: str, sign: str, cleanup: str) -> str:
    """Add (sign '') or take away (sign '-') everything the sessions matching ``where`` (a
    condition on session_id) contribute, as the views see them now."""
    return f"""
        INSERT INTO stats_session_day (dim, code, day, sessions)
        SELECT dim, code, day, {sign}1 FROM stats_session_rows WHERE {where} {ON_SESSION};
        INSERT INTO stats_session_day (dim, code, day, sessions)
        SELECT dim, code, day, {sign}1 FROM stats_blend_rows WHERE {where} {ON_SESSION};
        INSERT INTO stats_effect_day (dim, code, grade, day, effects)
        SELECT dim, code, grade, day, {sign}1 FROM stats_effect_rows WHERE {where} {ON_EFFECT};
        INSERT INTO stats_lot_reaction (lot_id, session_id, day, effects)
        SELECT lot_id, session_id, day, {sign}1 FROM stats_reaction_rows WHERE {where}
        {ON_REACTION};
        DELETE FROM stats_lot_reaction WHERE effects <= 0 AND {cleanup};"""


def _blend(row: str, sign: str) -> str:
    return f"""
        INSERT INTO stats_session_day (dim, code, day, sessions)
        SELECT 'lot', CAST({row}.lot_id AS TEXT), {DAY.format("s")}, {sign}1
          FROM treatment_session s WHERE s.id = {row}.session_id {ON_SESSION};"""


def _effect(row: str, sign: str) -> str:
    text = f"""
        INSERT INTO stats_effect_day (dim, code, grade, day, effects)
        SELECT 'kind', {row}.kind, {row}.grade, {DAY.format("s")}, {sign}1
          FROM treatment_session s WHERE s.id = {row}.session_id {ON_EFFECT};
        INSERT INTO stats_effect_day (dim, code, grade, day, effects)
        SELECT 'indication', c.indication, {row}.grade, {DAY.format("s")}, {sign}1
          FROM treatment_session s JOIN course c ON c.id = s.course_id
         WHERE s.id = {row}.session_id {ON_EFFECT};
        INSERT INTO stats_effect_day (dim, code, grade, day, effects)
        SELECT 'area', {row}.body_area, {row}.grade, {DAY.format("s")}, {sign}1
          FROM treatment_session s
         WHERE s.id = {row}.session_id AND {row}.body_area IS NOT NULL {ON_EFFECT};
        INSERT INTO stats_lot_reaction (lot_id, session_id, day, effects)
        SELECT {row}.lot_id, {row}.session_id, {DAY.format("s")}, {sign}1
          FROM treatment_session s
         WHERE s.id = {row}.session_id AND {row}.lot_id IS NOT NULL {ON_REACTION};"""
    if sign:
        text += f"""
        DELETE FROM stats_lot_reaction
         WHERE lot_id = {row}.lot_id AND session_id = {row}.session_id AND effects <= 0;"""
    return text


SESSION_OF = "session_id = {}.id"
COURSE_OF = "session_id IN (SELECT id FROM treatment_session WHERE course_id = {}.id)"
SESSION_COLUMNS = "started_at, course_id, areas"
EFFECT_COLUMNS = "session_id, lot_id, kind, grade, body_area"

TRIGGERS = {
    "stats_session_insert": f"""AFTER INSERT ON treatment_session BEGIN
        INSERT INTO stats_session_day (dim, code, day, sessions)
        SELECT 'indication', c.indication, {DAY.format("NEW")}, 1
          FROM course c WHERE c.id = NEW.course_id {ON_SESSION};
        INSERT INTO stats_session_day (dim, code, day, sessions)
        SELECT 'area', a.value, {DAY.format("NEW")}, 1
          FROM {AREAS.format("NEW")} AS a WHERE a.type = 'text' {ON_SESSION};
        END""",
    "stats_session_delete": f"""BEFORE DELETE ON treatment_session BEGIN
        {_through_views(SESSION_OF.format("OLD"), "-", SESSION_OF.format("OLD"))}
        END""",
    "stats_session_update_before": f"""BEFORE UPDATE OF {SESSION_COLUMNS} ON treatment_session
        BEGIN {_through_views(SESSION_OF.format("OLD"), "-", SESSION_OF.format("OLD"))} END""",
    "stats_session_update_after": f"""AFTER UPDATE OF {SESSION_COLUMNS} ON treatment_session
        BEGIN {_through_views(SESSION_OF.format("NEW"), "", SESSION_OF.format("NEW"))} END""",
    "stats_course_update_before": f"""BEFORE UPDATE OF indication ON course
        BEGIN {_through_views(COURSE_OF.format("OLD"), "-", COURSE_OF.format("OLD"))} END""",
    "stats_course_update_after": f"""AFTER UPDATE OF indication ON course
        BEGIN {_through_views(COURSE_OF.format("NEW"), "", COURSE_OF.format("NEW"))} END""",
    "stats_blend_insert": f"AFTER INSERT ON blend_item BEGIN {_blend('NEW', '')} END",
    "stats_blend_delete": f"BEFORE DELETE ON blend_item BEGIN {_blend('OLD', '-')} END",
    "stats_blend_update_before": (
        f"BEFORE UPDATE OF session_id, lot_id ON blend_item BEGIN {_blend('OLD', '-')} END"
    ),
    "stats_blend_update_after": (
        f"AFTER UPDATE OF session_id, lot_id ON blend_item BEGIN {_blend('NEW', '')} END"
    ),
    "stats_effect_insert": f"AFTER INSERT ON side_effect BEGIN {_effect('NEW', '')} END",
    "stats_effect_delete": f"BEFORE DELETE ON side_effect BEGIN {_effect('OLD', '-')} END",
    "stats_effect_update_before": (
        f"BEFORE UPDATE OF {EFFECT_COLUMNS} ON side_effect BEGIN {_effect('OLD', '-')} END"
    ),
    "stats_effect_update_after": (
        f"AFTER UPDATE OF {EFFECT_COLUMNS} ON side_effect BEGIN {_effect('NEW', '')} END"
    ),
}

BACKFILL = (
    """INSERT INTO stats_session_day (dim, code, day, sessions)
       SELECT dim, code, day, count(*) FROM (
           SELECT dim, code, day FROM stats_session_rows
           UNION ALL SELECT dim, code, day FROM stats_blend_rows)
        GROUP BY dim, code, day""",
    """INSERT INTO stats_effect_day (dim, code, grade, day, effects)
       SELECT dim, code, grade, day, count(*) FROM stats_effect_rows
        GROUP BY dim, code, grade, day""",
    """INSERT INTO stats_lot_reaction (lot_id, session_id, day, effects)
       SELECT lot_id, session_id, max(day), count(*) FROM stats_reaction_rows
        GROUP BY lot_id, session_id""",
)


def upgrade() -> None:
    op.create_table(
        "stats_session_day",
        sa.Column("dim", sa.String(16), nullable=False),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("sessions", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("dim", "code", "day", name=op.f("pk_stats_session_day")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "stats_effect_day",
        sa.Column("dim", sa.String(16), nullable=False),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("grade", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("effects", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("dim", "code", "grade", "day", name=op.f("pk_stats_effect_day")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "stats_lot_reaction",
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("effects", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("lot_id", "session_id", name=op.f("pk_stats_lot_reaction")),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_stats_lot_reaction_lot_day", "stats_lot_reaction", ["lot_id", "day"])
    op.create_index("ix_stats_lot_reaction_session", "stats_lot_reaction", ["session_id"])
    if op.get_bind().dialect.name != "sqlite":
        return
    for name, body in VIEWS.items():
        op.execute(f"CREATE VIEW {name} AS {body}")
    for name, body in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")
    for sql in BACKFILL:
        op.execute(sql)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        for name in VIEWS:
            op.execute(f"DROP VIEW IF EXISTS {name}")
    op.drop_index("ix_stats_lot_reaction_session", table_name="stats_lot_reaction")
    op.drop_index("ix_stats_lot_reaction_lot_day", table_name="stats_lot_reaction")
    op.drop_table("stats_lot_reaction")
    op.drop_table("stats_effect_day")
    op.drop_table("stats_session_day")
