"""The safety core: a side effect suspects one or several lots of its session (or the whole
blend); sessions keep the safety rules confirmed or overridden, and why; a minor's guardian.

- ``side_effect_lot`` (side effect, lot) replaces ``side_effect.lot_id``: the values there are
  moved into it, then the column goes. ``side_effect.suspects_blend`` says "the whole blend"
  (every lot of the session is then linked too, so counting stays one join).
- ``treatment_session.safety_confirmed`` / ``side_effect.safety_confirmed``: the codes of the
  rules (mesodesk.domain.safety) the practitioner confirmed or overrode when saving;
  ``treatment_session.override_reason``: why a blocking contraindication was overridden.
- ``patient.guardian_name``: who consented for a patient under 18.

The dashboard's running totals (migration 0003) now read the suspected lots from
``side_effect_lot``: ``stats_reaction_rows`` joins it, triggers on it add and take away a lot's
reaction, and the side effect's own triggers no longer look at a lot. The totals already stored
stay as they are: each moved lot counts exactly as it did (a test and a recount on a migrated demo
clinic check it).

Copying ``side_effect`` (to drop its column) needs every view and trigger of 0003 out of the way
first (SQLite refuses to rename a table under a view that names a missing one, and the copy
loses its triggers): they are dropped and made again, in their new form.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

# ruff: noqa: S608 - the SQL below is put together from constant pieces only

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

DAY = "substr({}.started_at, 1, 10)"
AREAS = "json_each(CASE WHEN json_valid({0}.areas) THEN {0}.areas ELSE '[]' END)"

OLD_VIEWS = ("stats_session_rows", "stats_blend_rows", "stats_effect_rows", "stats_reaction_rows")
OLD_TRIGGERS = (
    "stats_session_insert",
    "stats_session_delete",
    "stats_session_update_before",
    "stats_session_update_after",
    "stats_course_update_before",
    "stats_course_update_after",
    "stats_blend_insert",
    "stats_blend_delete",
    "stats_blend_update_before",
    "stats_blend_update_after",
    "stats_effect_insert",
    "stats_effect_delete",
    "stats_effect_update_before",
    "stats_effect_update_after",
)

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
    # one row per suspected lot of each side effect that has a suspected session
    "stats_reaction_rows": f"""
        SELECT fx.id AS effect_id, sl.lot_id, fx.session_id, {DAY.format("s")} AS day
          FROM side_effect_lot sl JOIN side_effect fx ON fx.id = sl.side_effect_id
          JOIN treatment_session s ON s.id = fx.session_id""",
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
        {_reactions(where, sign, cleanup)}"""


def _reactions(where: str, sign: str, cleanup: str) -> str:
    """The lot reactions of the rows of ``stats_reaction_rows`` matching ``where``."""
    return f"""
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
    return f"""
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
         WHERE s.id = {row}.session_id AND {row}.body_area IS NOT NULL {ON_EFFECT};"""


def _suspect(row: str, sign: str) -> str:
    """One suspected lot of a side effect (a row of side_effect_lot)."""
    text = f"""
        INSERT INTO stats_lot_reaction (lot_id, session_id, day, effects)
        SELECT {row}.lot_id, fx.session_id, {DAY.format("s")}, {sign}1
          FROM side_effect fx JOIN treatment_session s ON s.id = fx.session_id
         WHERE fx.id = {row}.side_effect_id {ON_REACTION};"""
    if sign:
        text += f"""
        DELETE FROM stats_lot_reaction
         WHERE lot_id = {row}.lot_id AND effects <= 0
           AND session_id = (SELECT session_id FROM side_effect WHERE id = {row}.side_effect_id);"""
    return text


SESSION_OF = "session_id = {}.id"
COURSE_OF = "session_id IN (SELECT id FROM treatment_session WHERE course_id = {}.id)"
EFFECT_OF = "effect_id = {}.id"
EFFECT_SESSION = "session_id = {}.session_id"
SESSION_COLUMNS = "started_at, course_id, areas"
EFFECT_COLUMNS = "session_id, kind, grade, body_area"

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
    # A side effect is written before its suspected lots, so a new one has none to count yet.
    "stats_effect_insert": f"AFTER INSERT ON side_effect BEGIN {_effect('NEW', '')} END",
    # Its suspected lots go first, through their own trigger (with foreign keys off, as in the
    # sqlite3 shell, the cascade would not run and they would be left behind).
    "stats_effect_delete": f"""BEFORE DELETE ON side_effect BEGIN {_effect("OLD", "-")}
        DELETE FROM side_effect_lot WHERE side_effect_id = OLD.id; END""",
    "stats_effect_update_before": f"""BEFORE UPDATE OF {EFFECT_COLUMNS} ON side_effect BEGIN
        {_effect("OLD", "-")}
        {_reactions(EFFECT_OF.format("OLD"), "-", EFFECT_SESSION.format("OLD"))} END""",
    "stats_effect_update_after": f"""AFTER UPDATE OF {EFFECT_COLUMNS} ON side_effect BEGIN
        {_effect("NEW", "")}
        {_reactions(EFFECT_OF.format("NEW"), "", EFFECT_SESSION.format("NEW"))} END""",
    "stats_suspect_insert": f"AFTER INSERT ON side_effect_lot BEGIN {_suspect('NEW', '')} END",
    "stats_suspect_delete": f"BEFORE DELETE ON side_effect_lot BEGIN {_suspect('OLD', '-')} END",
    "stats_suspect_update_before": (
        f"BEFORE UPDATE ON side_effect_lot BEGIN {_suspect('OLD', '-')} END"
    ),
    "stats_suspect_update_after": f"AFTER UPDATE ON side_effect_lot BEGIN {_suspect('NEW', '')} END",
}


def _drop_stats() -> None:
    for name in OLD_TRIGGERS + tuple(TRIGGERS):
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    for name in OLD_VIEWS:
        op.execute(f"DROP VIEW IF EXISTS {name}")


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        _drop_stats()
    op.create_table(
        "side_effect_lot",
        sa.Column("side_effect_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["side_effect_id"],
            ["side_effect.id"],
            name=op.f("fk_side_effect_lot_side_effect_id_side_effect"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lot_id"],
            ["product_lot.id"],
            name=op.f("fk_side_effect_lot_lot_id_product_lot"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("side_effect_id", "lot_id", name=op.f("pk_side_effect_lot")),
    )
    op.create_index("ix_side_effect_lot_lot", "side_effect_lot", ["lot_id", "side_effect_id"])
    # every suspected lot kept (a lot no longer in the catalogue was already set to NULL by the
    # old foreign key's ON DELETE SET NULL)
    op.execute(
        "INSERT INTO side_effect_lot (side_effect_id, lot_id) "
        "SELECT id, lot_id FROM side_effect "
        "WHERE lot_id IS NOT NULL AND lot_id IN (SELECT id FROM product_lot)"
    )
    with op.batch_alter_table("side_effect") as batch:
        batch.drop_index("ix_side_effect_lot_id")
        batch.drop_constraint("fk_side_effect_lot_id_product_lot", type_="foreignkey")
        batch.drop_column("lot_id")
        batch.add_column(
            sa.Column("suspects_blend", sa.Boolean(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("safety_confirmed", sa.JSON(), nullable=False, server_default="[]")
        )
    with op.batch_alter_table("treatment_session") as batch:
        batch.add_column(
            sa.Column("safety_confirmed", sa.JSON(), nullable=False, server_default="[]")
        )
        batch.add_column(sa.Column("override_reason", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("patient") as batch:
        batch.add_column(
            sa.Column("guardian_name", sa.String(120), nullable=False, server_default="")
        )
    if sqlite:
        for name, body in VIEWS.items():
            op.execute(f"CREATE VIEW {name} AS {body}")
        for name, body in TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    """Back to 0003. A side effect keeps one suspected lot (the lowest id among its lots): 0003
    has room for one only. Restoring the backup made before the upgrade loses nothing."""
    import importlib

    old = importlib.import_module("mesodesk.store.migrations.versions.0003_clinic_stats")
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        _drop_stats()
    with op.batch_alter_table("patient") as batch:
        batch.drop_column("guardian_name")
    with op.batch_alter_table("treatment_session") as batch:
        batch.drop_column("override_reason")
        batch.drop_column("safety_confirmed")
    with op.batch_alter_table("side_effect") as batch:
        batch.add_column(sa.Column("lot_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_side_effect_lot_id_product_lot",
            "product_lot",
            ["lot_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index("ix_side_effect_lot_id", ["lot_id"])
        batch.drop_column("safety_confirmed")
        batch.drop_column("suspects_blend")
    op.execute(
        "UPDATE side_effect SET lot_id = (SELECT min(lot_id) FROM side_effect_lot "
        "WHERE side_effect_id = side_effect.id)"
    )
    op.drop_index("ix_side_effect_lot_lot", table_name="side_effect_lot")
    op.drop_table("side_effect_lot")
    if sqlite:
        for name, body in old.VIEWS.items():
            op.execute(f"CREATE VIEW {name} AS {body}")
        for name, body in old.TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")
