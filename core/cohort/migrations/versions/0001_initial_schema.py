"""The initial schema: every table exactly as `Base.metadata.create_all` made it up to release ca656b1.

Every table and index is created only if absent (`if_not_exists`), so a database an older release left with some
tables missing gets them here; a complete pre-migration database is stamped at this revision instead (see
core.cohort.migrate).

Revision ID: 0001
Revises:
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "learners",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=40), nullable=False),
        sa.Column("cohort_code", sa.String(length=24), nullable=True),
        sa.Column("path", sa.String(length=1), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_index(op.f("ix_learners_cohort_code"), "learners", ["cohort_code"], unique=False, if_not_exists=True)
    op.create_index(op.f("ix_learners_token_hash"), "learners", ["token_hash"], unique=True, if_not_exists=True)
    op.create_table(
        "badge_awards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("badge_id", sa.String(length=32), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("awarded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["learner_id"], ["learners.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("learner_id", "badge_id"),
        if_not_exists=True,
    )
    op.create_index(op.f("ix_badge_awards_learner_id"), "badge_awards", ["learner_id"], unique=False, if_not_exists=True)
    op.create_table(
        "capstone_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("corpus", sa.String(length=200), nullable=False),
        sa.Column("config", sa.Text(), nullable=False),
        sa.Column("loss", sa.Float(), nullable=False),
        sa.Column("chars", sa.Integer(), nullable=False),
        sa.Column("unigram_perplexity", sa.Float(), nullable=False),
        sa.Column("sample", sa.Text(), nullable=False),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=True),
        sa.Column("track", sa.String(length=16), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("hidden_reason", sa.Text(), nullable=True),
        sa.Column("moderated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["learner_id"], ["learners.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("learner_id", "run_id"),
        if_not_exists=True,
    )
    op.create_index(op.f("ix_capstone_results_learner_id"), "capstone_results", ["learner_id"], unique=False, if_not_exists=True)
    op.create_table(
        "card_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.String(length=96), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["learner_id"], ["learners.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_index(op.f("ix_card_reviews_learner_id"), "card_reviews", ["learner_id"], unique=False, if_not_exists=True)
    op.create_table(
        "deck_cards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.String(length=96), nullable=False),
        sa.Column("module_id", sa.String(length=16), nullable=True),
        sa.Column("source", sa.String(length=128), nullable=False),
        sa.Column("fsrs", sa.Text(), nullable=False),
        sa.Column("due", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["learner_id"], ["learners.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("learner_id", "card_id"),
        if_not_exists=True,
    )
    op.create_index(op.f("ix_deck_cards_learner_id"), "deck_cards", ["learner_id"], unique=False, if_not_exists=True)
    op.create_table(
        "gallery_samples",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("settings", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["learner_id"], ["learners.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_index(op.f("ix_gallery_samples_learner_id"), "gallery_samples", ["learner_id"], unique=False, if_not_exists=True)
    op.create_table(
        "lab_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("lab_id", sa.String(length=64), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("passed", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("results", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["learner_id"], ["learners.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_index(op.f("ix_lab_attempts_learner_id"), "lab_attempts", ["learner_id"], unique=False, if_not_exists=True)
    op.create_table(
        "learner_logins",
        sa.Column("subject_hash", sa.String(length=64), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["learner_id"], ["learners.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("subject_hash"),
        if_not_exists=True,
    )
    op.create_index(op.f("ix_learner_logins_learner_id"), "learner_logins", ["learner_id"], unique=False, if_not_exists=True)
    op.create_table(
        "neuron_findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(length=40), nullable=False),
        sa.Column("layer", sa.Integer(), nullable=False),
        sa.Column("neuron", sa.Integer(), nullable=False),
        sa.Column("feature", sa.String(length=40), nullable=False),
        sa.Column("correlation", sa.Float(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["learner_id"], ["learners.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("learner_id", "run_id", "layer", "neuron"),
        if_not_exists=True,
    )
    op.create_index(op.f("ix_neuron_findings_learner_id"), "neuron_findings", ["learner_id"], unique=False, if_not_exists=True)
    op.create_table(
        "quiz_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("quiz_id", sa.String(length=64), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(length=64), nullable=False),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("correct", sa.Boolean(), nullable=True),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["learner_id"], ["learners.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_index("ix_quiz_answers_learner_quiz", "quiz_answers", ["learner_id", "quiz_id"], unique=False, if_not_exists=True)
    op.create_table(
        "quiz_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("quiz_id", sa.String(length=64), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("max_score", sa.Float(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["learner_id"], ["learners.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        if_not_exists=True,
    )
    op.create_index(op.f("ix_quiz_scores_learner_id"), "quiz_scores", ["learner_id"], unique=False, if_not_exists=True)
    op.create_table(
        "reflections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("quiz_id", sa.String(length=64), nullable=False),
        sa.Column("question_id", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["learner_id"], ["learners.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("learner_id", "quiz_id", "question_id"),
        if_not_exists=True,
    )
    op.create_index(op.f("ix_reflections_learner_id"), "reflections", ["learner_id"], unique=False, if_not_exists=True)
    op.create_table(
        "section_progress",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("module_id", sa.String(length=16), nullable=False),
        sa.Column("section_id", sa.String(length=16), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["learner_id"], ["learners.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("learner_id", "module_id", "section_id"),
        if_not_exists=True,
    )
    op.create_index(op.f("ix_section_progress_learner_id"), "section_progress", ["learner_id"], unique=False, if_not_exists=True)
    op.create_table(
        "challenge_votes",
        sa.Column("voter_id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("voted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["sample_id"], ["gallery_samples.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["voter_id"], ["learners.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("voter_id"),
        if_not_exists=True,
    )
    op.create_index(op.f("ix_challenge_votes_sample_id"), "challenge_votes", ["sample_id"], unique=False, if_not_exists=True)
    op.create_table(
        "review_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("coherence", sa.Integer(), nullable=True),
        sa.Column("creativity", sa.Integer(), nullable=True),
        sa.Column("style", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["reviewer_id"], ["learners.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["sample_id"], ["gallery_samples.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reviewer_id", "sample_id"),
        if_not_exists=True,
    )
    op.create_index(op.f("ix_review_assignments_reviewer_id"), "review_assignments", ["reviewer_id"], unique=False, if_not_exists=True)
    op.create_index(op.f("ix_review_assignments_sample_id"), "review_assignments", ["sample_id"], unique=False, if_not_exists=True)
    op.create_table(
        "sample_likes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["learner_id"], ["learners.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["sample_id"], ["gallery_samples.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("learner_id", "sample_id"),
        if_not_exists=True,
    )
    op.create_index(op.f("ix_sample_likes_learner_id"), "sample_likes", ["learner_id"], unique=False, if_not_exists=True)
    op.create_index(op.f("ix_sample_likes_sample_id"), "sample_likes", ["sample_id"], unique=False, if_not_exists=True)


def downgrade() -> None:
    op.drop_index(op.f("ix_sample_likes_sample_id"), table_name="sample_likes")
    op.drop_index(op.f("ix_sample_likes_learner_id"), table_name="sample_likes")
    op.drop_table("sample_likes")
    op.drop_index(op.f("ix_review_assignments_sample_id"), table_name="review_assignments")
    op.drop_index(op.f("ix_review_assignments_reviewer_id"), table_name="review_assignments")
    op.drop_table("review_assignments")
    op.drop_index(op.f("ix_challenge_votes_sample_id"), table_name="challenge_votes")
    op.drop_table("challenge_votes")
    op.drop_index(op.f("ix_section_progress_learner_id"), table_name="section_progress")
    op.drop_table("section_progress")
    op.drop_index(op.f("ix_reflections_learner_id"), table_name="reflections")
    op.drop_table("reflections")
    op.drop_index(op.f("ix_quiz_scores_learner_id"), table_name="quiz_scores")
    op.drop_table("quiz_scores")
    op.drop_index("ix_quiz_answers_learner_quiz", table_name="quiz_answers")
    op.drop_table("quiz_answers")
    op.drop_index(op.f("ix_neuron_findings_learner_id"), table_name="neuron_findings")
    op.drop_table("neuron_findings")
    op.drop_index(op.f("ix_learner_logins_learner_id"), table_name="learner_logins")
    op.drop_table("learner_logins")
    op.drop_index(op.f("ix_lab_attempts_learner_id"), table_name="lab_attempts")
    op.drop_table("lab_attempts")
    op.drop_index(op.f("ix_gallery_samples_learner_id"), table_name="gallery_samples")
    op.drop_table("gallery_samples")
    op.drop_index(op.f("ix_deck_cards_learner_id"), table_name="deck_cards")
    op.drop_table("deck_cards")
    op.drop_index(op.f("ix_card_reviews_learner_id"), table_name="card_reviews")
    op.drop_table("card_reviews")
    op.drop_index(op.f("ix_capstone_results_learner_id"), table_name="capstone_results")
    op.drop_table("capstone_results")
    op.drop_index(op.f("ix_badge_awards_learner_id"), table_name="badge_awards")
    op.drop_table("badge_awards")
    op.drop_index(op.f("ix_learners_token_hash"), table_name="learners")
    op.drop_index(op.f("ix_learners_cohort_code"), table_name="learners")
    op.drop_table("learners")
