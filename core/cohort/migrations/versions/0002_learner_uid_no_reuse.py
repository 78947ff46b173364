"""Learners: a random `uid` (32 hex digits, unique) for per-learner files, jobs and caches, and ids that never come
back after a deletion (issue 17, item 4).

PostgreSQL's SERIAL never hands out an id twice; SQLite reuses the highest rowid unless the table is AUTOINCREMENT,
which only a rebuilt table can be (batch mode, with foreign keys off so the rebuild cascades into nothing; see
core.cohort.migrate). Existing learners get a fresh uid each; their ids stay.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# 32 random hex digits per existing learner, in SQL so that offline (--sql) scripts work too
RANDOM_UID = {
    "sqlite": "lower(hex(randomblob(16)))",
    "postgresql": "replace(gen_random_uuid()::text, '-', '')",  # PostgreSQL 13+
}


def _learners(uid_nullable: bool) -> sa.Table:
    """The learners table as 0001 made it plus `uid`: what batch mode copies on SQLite (no reflection needed, so
    `alembic upgrade head --sql` works too)."""
    return sa.Table(
        "learners",
        sa.MetaData(),
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=40), nullable=False),
        sa.Column("cohort_code", sa.String(length=24), nullable=True),
        sa.Column("path", sa.String(length=1), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uid", sa.String(length=32), nullable=uid_nullable),
        sa.Index("ix_learners_cohort_code", "cohort_code"),
        sa.Index("ix_learners_token_hash", "token_hash", unique=True),
    )


def upgrade() -> None:
    op.add_column("learners", sa.Column("uid", sa.String(length=32), nullable=True))
    dialect = op.get_context().dialect.name
    op.execute(f"UPDATE learners SET uid = {RANDOM_UID.get(dialect, RANDOM_UID['postgresql'])}")
    sqlite = dialect == "sqlite"
    with op.batch_alter_table("learners", recreate="always" if sqlite else "auto", copy_from=_learners(True),
                              table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.alter_column("uid", existing_type=sa.String(length=32), nullable=False)
        batch.create_index(batch.f("ix_learners_uid"), ["uid"], unique=True)


def downgrade() -> None:
    sqlite = op.get_context().dialect.name == "sqlite"
    with op.batch_alter_table("learners", recreate="always" if sqlite else "auto", copy_from=_learners(False),
                              table_kwargs={"sqlite_autoincrement": False}) as batch:
        batch.drop_index(batch.f("ix_learners_uid"))
        batch.drop_column("uid")
