"""The numbing product with its lot, and the course-end review scored by the patient too.

- ``product.numbing``: a catalogue product that is a numbing cream or spray (a topical
  anaesthetic put on the skin before the session, never injected). Existing products are not
  numbing ones until the clinic ticks them.
- ``treatment_session.numbing_lot_id``: the lot of the numbing product a session used, so that
  the allergy check reads its ingredients and the record and the summary name it. Sessions saved
  before keep their numbing agent (none, topical anaesthetic cream, cold, other) and no lot.
- ``outcome_assessment.patient_gais``: the GAIS as the patient scores it at the course-end
  review, beside the practitioner's (``gais``).

``product`` and ``outcome_assessment`` get their column in place. ``treatment_session`` is copied
(its foreign key must be a named table constraint); the views and triggers (the dashboard's
running totals of 0003/0004, and any other) are set aside and made again exactly as they were,
so the totals stay as they are: a copy fires no trigger.

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0005"
branch_labels = None
depends_on = None

SQLITE_COLUMNS = (
    "ALTER TABLE product ADD COLUMN numbing BOOLEAN DEFAULT '0' NOT NULL",
    "ALTER TABLE outcome_assessment ADD COLUMN patient_gais INTEGER "
    "CONSTRAINT ck_outcome_assessment_patient_gais CHECK (patient_gais BETWEEN 1 AND 5)",
)
FK = "fk_treatment_session_numbing_lot_id_product_lot"
INDEX = "ix_treatment_session_numbing_lot_id"


def _set_aside_views_and_triggers() -> list[tuple[str, str]]:
    """Drop every view and trigger, and return them to be made again as they were: copying
    ``treatment_session`` loses its triggers, and SQLite refuses to rename a table that a view
    or another table's trigger names (the dashboard's of 0003/0004, and any a later revision
    adds before this one)."""
    bind = op.get_bind()
    kept = [
        (kind, name, sql)
        for kind, name, sql in bind.execute(
            sa.text(
                "SELECT type, name, sql FROM sqlite_master "
                "WHERE type IN ('view', 'trigger') AND sql IS NOT NULL ORDER BY rowid"
            )
        )
    ]
    for kind, name, _sql in reversed(kept):
        op.execute(f'DROP {kind.upper()} IF EXISTS "{name}"')
    return [(kind, sql) for kind, _name, sql in kept]


def _restore(kept: list[tuple[str, str]]) -> None:
    for kind in ("view", "trigger"):
        for what, sql in kept:
            if what == kind:
                op.execute(sql)


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    kept = _set_aside_views_and_triggers() if sqlite else []
    if sqlite:
        for statement in SQLITE_COLUMNS:
            op.execute(statement)
    else:
        op.add_column(
            "product", sa.Column("numbing", sa.Boolean(), server_default="0", nullable=False)
        )
        op.add_column("outcome_assessment", sa.Column("patient_gais", sa.Integer()))
        op.create_check_constraint(
            "ck_outcome_assessment_patient_gais",
            "outcome_assessment",
            "patient_gais BETWEEN 1 AND 5",
        )
    # a named foreign key: SQLite only reads a constraint's name back from a table's own
    # FOREIGN KEY clause, which ALTER TABLE cannot add, so the table is copied
    with op.batch_alter_table("treatment_session", recreate="always") as batch:
        batch.add_column(sa.Column("numbing_lot_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(FK, "product_lot", ["numbing_lot_id"], ["id"], ondelete="RESTRICT")
        batch.create_index(INDEX, ["numbing_lot_id"])
    _restore(kept)


def downgrade() -> None:
    # What the columns held is lost on the way down: a numbing product's lot, the patient's GAIS.
    sqlite = op.get_bind().dialect.name == "sqlite"
    kept = _set_aside_views_and_triggers() if sqlite else []
    with op.batch_alter_table("treatment_session", recreate="always") as batch:
        batch.drop_index(INDEX)
        batch.drop_constraint(FK, type_="foreignkey")
        batch.drop_column("numbing_lot_id")
    if sqlite:
        # SQLite drops a column in place when nothing else names it (3.35 and later)
        op.execute("ALTER TABLE outcome_assessment DROP COLUMN patient_gais")
        op.execute("ALTER TABLE product DROP COLUMN numbing")
    else:
        op.drop_constraint("ck_outcome_assessment_patient_gais", "outcome_assessment")
        op.drop_column("outcome_assessment", "patient_gais")
        op.drop_column("product", "numbing")
    _restore(kept)
