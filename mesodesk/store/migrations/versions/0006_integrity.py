"""Integrity you can prove: the clinic's identity, a keyed audit chain, and row seals.

- ``clinic``: which clinic the database belongs to (an id), the id of its key (the key itself is
  outside the file, mesodesk.store.keys) and the entry from which the chain is keyed.
- ``audit_entry.row_key`` / ``row_mac``: the row an entry leaves in a new state and the MAC of
  its content, so that `mesodesk check` finds rows changed outside mesodesk.
- ``audit_row_seal``: the row MACs of ``seal`` entries (rows written in bulk).
- Guard triggers for ``audit_row_seal`` and ``clinic``, like those of 0002 for the entries.

The data step (skipped when only the schema is built, for a restore or for `check`'s
comparison) carries the existing chain over: it checks the old, unkeyed chain once, records what
it found, and continues the chain keyed: the first keyed entry seals the old entries' last hash
and a digest of them all, so none of them can change later unnoticed. Then every existing row
is sealed as the upgrade found it. Nothing is rewritten and nothing is lost.

Revision ID: 0006
Revises: 0008 (it was written after 0007 and 0008 had shipped on main, so it runs after
them: a database at 0007 or 0008 gets it too, and it seals every row as the columns of 0007
and 0008 left it)
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

revision = "0006"
down_revision = "0008"
branch_labels = None
depends_on = None

TRIGGERS = {
    "audit_row_seal_no_update": (
        "CREATE TRIGGER audit_row_seal_no_update BEFORE UPDATE ON audit_row_seal "
        "BEGIN SELECT RAISE(ABORT, 'audit row seals cannot be changed'); END"
    ),
    "audit_row_seal_no_delete": (
        "CREATE TRIGGER audit_row_seal_no_delete BEFORE DELETE ON audit_row_seal "
        "BEGIN SELECT RAISE(ABORT, 'audit row seals cannot be deleted'); END"
    ),
    "clinic_no_update": (
        "CREATE TRIGGER clinic_no_update BEFORE UPDATE ON clinic "
        "BEGIN SELECT RAISE(ABORT, 'the clinic identity cannot be changed'); END"
    ),
    "clinic_no_delete": (
        "CREATE TRIGGER clinic_no_delete BEFORE DELETE ON clinic "
        "BEGIN SELECT RAISE(ABORT, 'the clinic identity cannot be deleted'); END"
    ),
}


def upgrade() -> None:
    op.create_table(
        "clinic",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(32), nullable=False),
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.Column("keyed_from", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinic")),
    )
    op.create_table(
        "audit_row_seal",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("keys", sa.Text(), nullable=False),
        sa.Column("macs", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("seq", "part", name=op.f("pk_audit_row_seal")),
    )
    # Plain ALTER TABLE ... ADD COLUMN (never a batch copy of audit_entry, which would lose its
    # guard triggers of 0002).
    op.add_column("audit_entry", sa.Column("row_key", sa.Text(), nullable=True))
    op.add_column("audit_entry", sa.Column("row_mac", sa.String(32), nullable=True))
    op.create_index("ix_audit_entry_row", "audit_entry", ["entity", "row_key", "seq"])
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for sql in TRIGGERS.values():
            op.execute(sql)
    attributes = context.config.attributes
    if attributes.get("schema_only"):
        return
    from datetime import UTC, datetime

    from mesodesk.domain.audit import Actor, format_at
    from mesodesk.store.integrity import start_keyed_chain
    from mesodesk.store.keys import FileKeyStore

    key = start_keyed_chain(
        bind,
        keys=attributes.get("clinic_keys") or FileKeyStore(),
        identity=attributes.get("clinic_identity"),
        revision=revision,
        actor=attributes.get("actor") or Actor.system(),
        at=format_at(attributes.get("now") or datetime.now(UTC)),
    )
    # the migrations after this one in the same run may add columns or rewrite the rows just
    # sealed: env.py seals every row again once they have run (store.integrity.UpgradeSeal)
    sealed = bind.execute(sa.text("SELECT 1 FROM audit_entry WHERE action = 'seal' LIMIT 1"))
    if sealed.first() is not None:
        attributes["sealed_by_0006"] = key


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_index("ix_audit_entry_row", table_name="audit_entry")
    op.drop_column("audit_entry", "row_mac")
    op.drop_column("audit_entry", "row_key")
    op.drop_table("audit_row_seal")
    op.drop_table("clinic")
