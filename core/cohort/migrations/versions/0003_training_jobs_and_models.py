"""Learners' training runs in the database (issue 18, items 2 and 3): `training_jobs` holds the job engine's state
(queue, owner, status, progress, stop flag, time stamps; one active run per learner and the cap on runs at once are
UNIQUE constraints), and `learner_models` holds the models learners trained, so every replica sees both.

Models trained before this revision stay in their files under the state directory (runs/<learner id>/);
core.jobs.runs imports a learner's old files into this table the first time it lists that learner's runs.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "learner_models",
        sa.Column("run_id", sa.String(length=40), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
        sa.Column("history", sa.Text(), nullable=True),
        sa.Column("extra", sa.Text(), nullable=False),
        sa.Column("val_text", sa.Text(), nullable=False),
        sa.Column("weights", sa.LargeBinary(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["learner_id"], ["learners.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_id"),
    )
    op.create_index(op.f("ix_learner_models_learner_id"), "learner_models", ["learner_id"], unique=False)
    op.create_table(
        "training_jobs",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("owner_uid", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("active_learner", sa.Integer(), nullable=True),
        sa.Column("slot", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("corpus", sa.String(length=200), nullable=False),
        sa.Column("spec", sa.Text(), nullable=False),
        sa.Column("info", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("seconds_budget", sa.Float(), nullable=False),
        sa.Column("seconds_used", sa.Float(), nullable=False),
        sa.Column("stop_requested", sa.Boolean(), nullable=False),
        sa.Column("stop_reason", sa.String(length=16), nullable=False),
        sa.Column("worker", sa.String(length=120), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("elapsed_s", sa.Float(), nullable=False),
        sa.Column("chars_per_s", sa.Float(), nullable=False),
        sa.Column("progress", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("run_id", sa.String(length=40), nullable=True),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["learner_id"], ["learners.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("active_learner", name="uq_training_jobs_active_learner"),
        sa.UniqueConstraint("slot", name="uq_training_jobs_slot"),
    )
    op.create_index(op.f("ix_training_jobs_learner_id"), "training_jobs", ["learner_id"], unique=False)
    op.create_index(op.f("ix_training_jobs_owner_uid"), "training_jobs", ["owner_uid"], unique=False)
    op.create_index(op.f("ix_training_jobs_queued_at"), "training_jobs", ["queued_at"], unique=False)
    op.create_index(op.f("ix_training_jobs_state"), "training_jobs", ["state"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_training_jobs_state"), table_name="training_jobs")
    op.drop_index(op.f("ix_training_jobs_queued_at"), table_name="training_jobs")
    op.drop_index(op.f("ix_training_jobs_owner_uid"), table_name="training_jobs")
    op.drop_index(op.f("ix_training_jobs_learner_id"), table_name="training_jobs")
    op.drop_table("training_jobs")
    op.drop_index(op.f("ix_learner_models_learner_id"), table_name="learner_models")
    op.drop_table("learner_models")
