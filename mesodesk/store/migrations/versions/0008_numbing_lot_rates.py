"""A numbing product's lot counts as a lot the session used, in the dashboard's lot rates too.

Migration 0007 gave a session its numbing product's lot (``treatment_session.numbing_lot_id``);
the running totals of the dashboard (0003/0004) still counted only the lots of the blend, so a
numbing cream lot had no rate. The rule is now one (mesodesk.store.session_lots): a session used
each lot of its blend and its numbing product's lot.

- ``stats_blend_rows`` (its name kept: the session and course triggers of 0004 read it) holds a
  row per lot each session used, the numbing product's lot included.
- ``stats_session_insert`` counts a new session's numbing lot; ``stats_session_update_before`` /
  ``_after`` also follow a change of ``numbing_lot_id`` (deleting a session already goes through
  the view).
- The sessions already saved with a numbing lot are counted once, here.

``stats_lot_reaction`` needs nothing: it follows ``side_effect_lot``, where a side effect that
suspects a numbing lot links it like any other. No audited row is written.

SQLite only, like the totals themselves.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

# ruff: noqa: S608 - the SQL below is put together from constant pieces only

from __future__ import annotations

import importlib

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# 0004 is fixed for good: its views and triggers are the ones replaced here, and made again on
# the way down
_0004 = importlib.import_module("mesodesk.store.migrations.versions.0004_safety_core")
DAY, AREAS, ON_SESSION = _0004.DAY, _0004.AREAS, _0004.ON_SESSION
SESSION_OF = _0004.SESSION_OF

VIEW = "stats_blend_rows"
VIEW_SQL = f"""
        SELECT b.id AS blend_id, b.session_id, {DAY.format("s")} AS day, 'lot' AS dim,
               CAST(b.lot_id AS TEXT) AS code
          FROM blend_item b JOIN treatment_session s ON s.id = b.session_id
        UNION ALL
        SELECT NULL, s.id, {DAY.format("s")}, 'lot', CAST(s.numbing_lot_id AS TEXT)
          FROM treatment_session s
         WHERE s.numbing_lot_id IS NOT NULL"""

SESSION_COLUMNS = "started_at, course_id, areas, numbing_lot_id"
TRIGGERS = {
    "stats_session_insert": f"""AFTER INSERT ON treatment_session BEGIN
        INSERT INTO stats_session_day (dim, code, day, sessions)
        SELECT 'indication', c.indication, {DAY.format("NEW")}, 1
          FROM course c WHERE c.id = NEW.course_id {ON_SESSION};
        INSERT INTO stats_session_day (dim, code, day, sessions)
        SELECT 'area', a.value, {DAY.format("NEW")}, 1
          FROM {AREAS.format("NEW")} AS a WHERE a.type = 'text' {ON_SESSION};
        INSERT INTO stats_session_day (dim, code, day, sessions)
        SELECT 'lot', CAST(NEW.numbing_lot_id AS TEXT), {DAY.format("NEW")}, 1
         WHERE NEW.numbing_lot_id IS NOT NULL {ON_SESSION};
        END""",
    "stats_session_update_before": f"""BEFORE UPDATE OF {SESSION_COLUMNS} ON treatment_session
        BEGIN {_0004._through_views(SESSION_OF.format("OLD"), "-", SESSION_OF.format("OLD"))}
        END""",
    "stats_session_update_after": f"""AFTER UPDATE OF {SESSION_COLUMNS} ON treatment_session
        BEGIN {_0004._through_views(SESSION_OF.format("NEW"), "", SESSION_OF.format("NEW"))}
        END""",
}

NUMBING_DAYS = f"""
    SELECT 'lot', CAST(s.numbing_lot_id AS TEXT), {DAY.format("s")}, {{sign}}count(*)
      FROM treatment_session s
     WHERE s.numbing_lot_id IS NOT NULL
     GROUP BY s.numbing_lot_id, {DAY.format("s")}"""


def _replace(view: str, triggers: dict[str, str]) -> None:
    for name in triggers:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute(f"DROP VIEW IF EXISTS {VIEW}")
    op.execute(f"CREATE VIEW {VIEW} AS {view}")
    for name, body in triggers.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def _count_numbing_lots(sign: str) -> None:
    op.execute(
        "INSERT INTO stats_session_day (dim, code, day, sessions) "
        f"SELECT * FROM ({NUMBING_DAYS.format(sign=sign)}) WHERE true {ON_SESSION}"
    )
    op.execute("DELETE FROM stats_session_day WHERE sessions = 0")


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    _replace(VIEW_SQL, TRIGGERS)
    _count_numbing_lots("")


def downgrade() -> None:
    """Back to 0007: the numbing lots leave the totals (and their rates) again."""
    if op.get_bind().dialect.name != "sqlite":
        return
    _count_numbing_lots("-")
    _replace(_0004.VIEWS[VIEW], {name: _0004.TRIGGERS[name] for name in TRIGGERS})
