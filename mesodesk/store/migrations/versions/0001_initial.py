"""Initial schema for the whole domain: patients, catalogue, courses, sessions, side effects, outcomes.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "app_setting",
        sa.Column("key", sa.String(80), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_app_setting")),
    )
    op.create_table(
        "counter",
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_counter")),
    )
    op.create_table(
        "patient",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_number", sa.Integer(), nullable=False),
        sa.Column("first_name", sa.String(100), nullable=False),
        sa.Column("last_name", sa.String(100), nullable=False),
        sa.Column("first_folded", sa.String(100), nullable=False),
        sa.Column("last_folded", sa.String(100), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("sex", sa.String(16), nullable=False),
        sa.Column("phone", sa.String(40), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("allergies", sa.JSON(), nullable=False),
        sa.Column("contraindications", sa.JSON(), nullable=False),
        sa.Column("contraindication_note", sa.Text(), nullable=False),
        sa.Column("medical_notes", sa.Text(), nullable=False),
        sa.Column("consent_date", sa.Date(), nullable=True),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_session_at", sa.DateTime(), nullable=True),
        sa.Column("next_due", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient")),
        sa.UniqueConstraint("record_number", name=op.f("uq_patient_record_number")),
    )
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.create_index("ix_patient_birth", ["archived", "birth_date"], unique=False)
        batch_op.create_index("ix_patient_created", ["archived", "created_at"], unique=False)
        batch_op.create_index(
            "ix_patient_last_session", ["archived", "last_session_at"], unique=False
        )
        batch_op.create_index(
            "ix_patient_name", ["archived", "last_folded", "first_folded", "id"], unique=False
        )
        batch_op.create_index("ix_patient_next_due", ["archived", "next_due"], unique=False)
        batch_op.create_index("ix_patient_phone", ["archived", "phone"], unique=False)
        batch_op.create_index("ix_patient_record", ["archived", "record_number"], unique=False)

    op.create_table(
        "practitioner",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("title", sa.String(60), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practitioner")),
    )
    op.create_table(
        "product",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("manufacturer", sa.String(120), nullable=False),
        sa.Column("category", sa.String(60), nullable=False),
        sa.Column("unit", sa.String(16), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product")),
        sa.UniqueConstraint("name", name=op.f("uq_product_name")),
    )
    op.create_table(
        "course",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("indication", sa.String(32), nullable=False),
        sa.Column("indication_note", sa.String(200), nullable=False),
        sa.Column("areas", sa.JSON(), nullable=False),
        sa.Column("planned_sessions", sa.Integer(), nullable=False),
        sa.Column("induction_sessions", sa.Integer(), nullable=False),
        sa.Column("induction_interval_days", sa.Integer(), nullable=False),
        sa.Column("later_interval", sa.String(8), nullable=False),
        sa.Column("maintenance_interval_months", sa.Integer(), nullable=True),
        sa.Column("price_per_session_cents", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("end_reason", sa.String(500), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("next_due", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "induction_interval_days BETWEEN 7 AND 10", name=op.f("ck_course_induction_interval")
        ),
        sa.CheckConstraint(
            "induction_sessions BETWEEN 1 AND planned_sessions",
            name=op.f("ck_course_induction_sessions"),
        ),
        sa.CheckConstraint(
            "maintenance_interval_months BETWEEN 3 AND 5",
            name=op.f("ck_course_maintenance_interval"),
        ),
        sa.CheckConstraint(
            "planned_sessions BETWEEN 3 AND 15", name=op.f("ck_course_planned_sessions")
        ),
        sa.CheckConstraint("price_per_session_cents >= 0", name=op.f("ck_course_price")),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_course_patient_id_patient"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course")),
    )
    with op.batch_alter_table("course", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_course_patient_id"), ["patient_id"], unique=False)
        batch_op.create_index("ix_course_status_due", ["status", "next_due"], unique=False)

    op.create_table(
        "ingredient",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("folded", sa.String(120), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["product.id"],
            name=op.f("fk_ingredient_product_id_product"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingredient")),
    )
    with op.batch_alter_table("ingredient", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ingredient_folded"), ["folded"], unique=False)
        batch_op.create_index(batch_op.f("ix_ingredient_product_id"), ["product_id"], unique=False)

    op.create_table(
        "patient_prefix",
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("prefix", sa.String(3), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("sort_key", sa.String(201), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_patient_prefix_patient_id_patient"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("patient_id", "prefix", name=op.f("pk_patient_prefix")),
    )
    with op.batch_alter_table("patient_prefix", schema=None) as batch_op:
        batch_op.create_index(
            "ix_patient_prefix_lookup",
            ["prefix", "archived", "rank", "sort_key", "patient_id"],
            unique=False,
        )

    op.create_table(
        "patient_token",
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_patient_token_patient_id_patient"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("patient_id", "token", name=op.f("pk_patient_token")),
    )
    with op.batch_alter_table("patient_token", schema=None) as batch_op:
        batch_op.create_index(
            "ix_patient_token_token", ["token", "patient_id", "weight"], unique=False
        )

    op.create_table(
        "product_lot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("lot_number", sa.String(60), nullable=False),
        sa.Column("expiry_date", sa.Date(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["product.id"],
            name=op.f("fk_product_lot_product_id_product"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_lot")),
    )
    with op.batch_alter_table("product_lot", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_product_lot_lot_number"), ["lot_number"], unique=False)
        batch_op.create_index(
            "uq_product_lot_product_number", ["product_id", "lot_number"], unique=True
        )

    op.create_table(
        "treatment_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("practitioner_id", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("areas", sa.JSON(), nullable=False),
        sa.Column("depth_mm", sa.Float(), nullable=False),
        sa.Column("numbing_agent", sa.String(16), nullable=False),
        sa.Column("technique", sa.String(16), nullable=False),
        sa.Column("injection_points", sa.Integer(), nullable=True),
        sa.Column("total_volume_ml", sa.Float(), nullable=True),
        sa.Column("pain_nrs", sa.Integer(), nullable=True),
        sa.Column("gais", sa.Integer(), nullable=True),
        sa.Column("satisfaction", sa.Integer(), nullable=True),
        sa.Column("price_cents", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "depth_mm >= 1 AND depth_mm <= 4", name=op.f("ck_treatment_session_depth")
        ),
        sa.CheckConstraint("gais BETWEEN 1 AND 5", name=op.f("ck_treatment_session_gais")),
        sa.CheckConstraint(
            "injection_points >= 0", name=op.f("ck_treatment_session_injection_points")
        ),
        sa.CheckConstraint("pain_nrs BETWEEN 0 AND 10", name=op.f("ck_treatment_session_pain_nrs")),
        sa.CheckConstraint("price_cents >= 0", name=op.f("ck_treatment_session_price")),
        sa.CheckConstraint(
            "satisfaction BETWEEN 0 AND 10", name=op.f("ck_treatment_session_satisfaction")
        ),
        sa.CheckConstraint("total_volume_ml >= 0", name=op.f("ck_treatment_session_total_volume")),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_treatment_session_course_id_course"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_treatment_session_patient_id_patient"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["practitioner_id"],
            ["practitioner.id"],
            name=op.f("fk_treatment_session_practitioner_id_practitioner"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_treatment_session")),
    )
    with op.batch_alter_table("treatment_session", schema=None) as batch_op:
        batch_op.create_index(
            "ix_treatment_session_course_start", ["course_id", "started_at"], unique=False
        )
        batch_op.create_index(
            "ix_treatment_session_patient_start", ["patient_id", "started_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_treatment_session_started_at"), ["started_at"], unique=False
        )

    op.create_table(
        "blend_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("amount_ml", sa.Float(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.CheckConstraint("amount_ml > 0", name=op.f("ck_blend_item_amount")),
        sa.ForeignKeyConstraint(
            ["lot_id"],
            ["product_lot.id"],
            name=op.f("fk_blend_item_lot_id_product_lot"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["treatment_session.id"],
            name=op.f("fk_blend_item_session_id_treatment_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blend_item")),
    )
    with op.batch_alter_table("blend_item", schema=None) as batch_op:
        batch_op.create_index("ix_blend_item_lot_session", ["lot_id", "session_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_blend_item_session_id"), ["session_id"], unique=False)

    op.create_table(
        "outcome_assessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=True),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("gais", sa.Integer(), nullable=True),
        sa.Column("satisfaction", sa.Integer(), nullable=True),
        sa.Column("assessor_id", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("gais BETWEEN 1 AND 5", name=op.f("ck_outcome_assessment_gais")),
        sa.CheckConstraint(
            "satisfaction BETWEEN 0 AND 10", name=op.f("ck_outcome_assessment_satisfaction")
        ),
        sa.ForeignKeyConstraint(
            ["assessor_id"],
            ["practitioner.id"],
            name=op.f("fk_outcome_assessment_assessor_id_practitioner"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["course.id"],
            name=op.f("fk_outcome_assessment_course_id_course"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_outcome_assessment_patient_id_patient"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["treatment_session.id"],
            name=op.f("fk_outcome_assessment_session_id_treatment_session"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcome_assessment")),
    )
    with op.batch_alter_table("outcome_assessment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outcome_assessment_course_id"), ["course_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_outcome_assessment_patient_id"), ["patient_id"], unique=False
        )

    op.create_table(
        "side_effect",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("lot_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("kind_note", sa.String(200), nullable=False),
        sa.Column("onset_on", sa.Date(), nullable=False),
        sa.Column("resolved_on", sa.Date(), nullable=True),
        sa.Column("grade", sa.Integer(), nullable=False),
        sa.Column("pain_nrs", sa.Integer(), nullable=True),
        sa.Column("serious", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("causality", sa.String(32), nullable=False),
        sa.Column("body_area", sa.String(32), nullable=True),
        sa.Column("body_area_note", sa.String(200), nullable=False),
        sa.Column("action_taken", sa.String(32), nullable=False),
        sa.Column("action_note", sa.String(200), nullable=False),
        sa.Column("reported_via", sa.String(32), nullable=False),
        sa.Column("reported_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("grade BETWEEN 1 AND 5", name=op.f("ck_side_effect_grade")),
        sa.CheckConstraint("pain_nrs BETWEEN 0 AND 10", name=op.f("ck_side_effect_pain_nrs")),
        sa.CheckConstraint(
            "resolved_on IS NULL OR resolved_on >= onset_on", name=op.f("ck_side_effect_resolution")
        ),
        sa.ForeignKeyConstraint(
            ["lot_id"],
            ["product_lot.id"],
            name=op.f("fk_side_effect_lot_id_product_lot"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_side_effect_patient_id_patient"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["practitioner.id"],
            name=op.f("fk_side_effect_recorded_by_id_practitioner"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["treatment_session.id"],
            name=op.f("fk_side_effect_session_id_treatment_session"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_side_effect")),
    )
    with op.batch_alter_table("side_effect", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_side_effect_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_side_effect_lot_id"), ["lot_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_side_effect_onset_on"), ["onset_on"], unique=False)
        batch_op.create_index(
            "ix_side_effect_patient_onset", ["patient_id", "onset_on"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_side_effect_session_id"), ["session_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("side_effect", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_side_effect_session_id"))
        batch_op.drop_index("ix_side_effect_patient_onset")
        batch_op.drop_index(batch_op.f("ix_side_effect_onset_on"))
        batch_op.drop_index(batch_op.f("ix_side_effect_lot_id"))
        batch_op.drop_index(batch_op.f("ix_side_effect_kind"))

    op.drop_table("side_effect")
    with op.batch_alter_table("outcome_assessment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outcome_assessment_patient_id"))
        batch_op.drop_index(batch_op.f("ix_outcome_assessment_course_id"))

    op.drop_table("outcome_assessment")
    with op.batch_alter_table("blend_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_blend_item_session_id"))
        batch_op.drop_index("ix_blend_item_lot_session")

    op.drop_table("blend_item")
    with op.batch_alter_table("treatment_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_treatment_session_started_at"))
        batch_op.drop_index("ix_treatment_session_patient_start")
        batch_op.drop_index("ix_treatment_session_course_start")

    op.drop_table("treatment_session")
    with op.batch_alter_table("product_lot", schema=None) as batch_op:
        batch_op.drop_index("uq_product_lot_product_number")
        batch_op.drop_index(batch_op.f("ix_product_lot_lot_number"))

    op.drop_table("product_lot")
    with op.batch_alter_table("patient_token", schema=None) as batch_op:
        batch_op.drop_index("ix_patient_token_token")

    op.drop_table("patient_token")
    with op.batch_alter_table("patient_prefix", schema=None) as batch_op:
        batch_op.drop_index("ix_patient_prefix_lookup")

    op.drop_table("patient_prefix")
    with op.batch_alter_table("ingredient", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ingredient_product_id"))
        batch_op.drop_index(batch_op.f("ix_ingredient_folded"))

    op.drop_table("ingredient")
    with op.batch_alter_table("course", schema=None) as batch_op:
        batch_op.drop_index("ix_course_status_due")
        batch_op.drop_index(batch_op.f("ix_course_patient_id"))

    op.drop_table("course")
    op.drop_table("product")
    op.drop_table("practitioner")
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.drop_index("ix_patient_record")
        batch_op.drop_index("ix_patient_phone")
        batch_op.drop_index("ix_patient_next_due")
        batch_op.drop_index("ix_patient_name")
        batch_op.drop_index("ix_patient_last_session")
        batch_op.drop_index("ix_patient_created")
        batch_op.drop_index("ix_patient_birth")

    op.drop_table("patient")
    op.drop_table("counter")
    op.drop_table("app_setting")
