-- The schema `Base.metadata.create_all` made before migrations (core/cohort/tables.py at ca656b1), as SQLAlchemy emitted it for PostgreSQL.
CREATE TABLE learners (
    id SERIAL NOT NULL,
    token_hash VARCHAR(64) NOT NULL,
    display_name VARCHAR(40) NOT NULL,
    cohort_code VARCHAR(24),
    path VARCHAR(1),
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (id)
);

CREATE INDEX ix_learners_cohort_code ON learners (cohort_code);

CREATE UNIQUE INDEX ix_learners_token_hash ON learners (token_hash);

CREATE TABLE badge_awards (
    id SERIAL NOT NULL,
    learner_id INTEGER NOT NULL,
    badge_id VARCHAR(32) NOT NULL,
    evidence TEXT NOT NULL,
    awarded_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (learner_id, badge_id),
    FOREIGN KEY(learner_id) REFERENCES learners (id) ON DELETE CASCADE
);

CREATE INDEX ix_badge_awards_learner_id ON badge_awards (learner_id);

CREATE TABLE capstone_results (
    id SERIAL NOT NULL,
    learner_id INTEGER NOT NULL,
    run_id VARCHAR(40) NOT NULL,
    title VARCHAR(120) NOT NULL,
    corpus VARCHAR(200) NOT NULL,
    config TEXT NOT NULL,
    loss FLOAT NOT NULL,
    chars INTEGER NOT NULL,
    unigram_perplexity FLOAT NOT NULL,
    sample TEXT NOT NULL,
    evaluated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    category VARCHAR(64),
    track VARCHAR(16),
    submitted_at TIMESTAMP WITH TIME ZONE,
    hidden BOOLEAN NOT NULL,
    hidden_reason TEXT,
    moderated_at TIMESTAMP WITH TIME ZONE,
    PRIMARY KEY (id),
    UNIQUE (learner_id, run_id),
    FOREIGN KEY(learner_id) REFERENCES learners (id) ON DELETE CASCADE
);

CREATE INDEX ix_capstone_results_learner_id ON capstone_results (learner_id);

CREATE TABLE card_reviews (
    id SERIAL NOT NULL,
    learner_id INTEGER NOT NULL,
    card_id VARCHAR(96) NOT NULL,
    rating INTEGER NOT NULL,
    reviewed_at TIMESTAMP WITH TIME ZONE NOT NULL,
    due TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY(learner_id) REFERENCES learners (id) ON DELETE CASCADE
);

CREATE INDEX ix_card_reviews_learner_id ON card_reviews (learner_id);

CREATE TABLE deck_cards (
    id SERIAL NOT NULL,
    learner_id INTEGER NOT NULL,
    card_id VARCHAR(96) NOT NULL,
    module_id VARCHAR(16),
    source VARCHAR(128) NOT NULL,
    fsrs TEXT NOT NULL,
    due TIMESTAMP WITH TIME ZONE NOT NULL,
    added_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (learner_id, card_id),
    FOREIGN KEY(learner_id) REFERENCES learners (id) ON DELETE CASCADE
);

CREATE INDEX ix_deck_cards_learner_id ON deck_cards (learner_id);

CREATE TABLE gallery_samples (
    id SERIAL NOT NULL,
    learner_id INTEGER NOT NULL,
    run_id VARCHAR(40) NOT NULL,
    text TEXT NOT NULL,
    settings TEXT NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    hidden BOOLEAN NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY(learner_id) REFERENCES learners (id) ON DELETE CASCADE
);

CREATE INDEX ix_gallery_samples_learner_id ON gallery_samples (learner_id);

CREATE TABLE lab_attempts (
    id SERIAL NOT NULL,
    learner_id INTEGER NOT NULL,
    lab_id VARCHAR(64) NOT NULL,
    code TEXT NOT NULL,
    passed INTEGER NOT NULL,
    total INTEGER NOT NULL,
    results TEXT NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY(learner_id) REFERENCES learners (id) ON DELETE CASCADE
);

CREATE INDEX ix_lab_attempts_learner_id ON lab_attempts (learner_id);

CREATE TABLE learner_logins (
    subject_hash VARCHAR(64) NOT NULL,
    learner_id INTEGER NOT NULL,
    PRIMARY KEY (subject_hash),
    FOREIGN KEY(learner_id) REFERENCES learners (id) ON DELETE CASCADE
);

CREATE INDEX ix_learner_logins_learner_id ON learner_logins (learner_id);

CREATE TABLE neuron_findings (
    id SERIAL NOT NULL,
    learner_id INTEGER NOT NULL,
    run_id VARCHAR(40) NOT NULL,
    layer INTEGER NOT NULL,
    neuron INTEGER NOT NULL,
    feature VARCHAR(40) NOT NULL,
    correlation FLOAT NOT NULL,
    label VARCHAR(200) NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (learner_id, run_id, layer, neuron),
    FOREIGN KEY(learner_id) REFERENCES learners (id) ON DELETE CASCADE
);

CREATE INDEX ix_neuron_findings_learner_id ON neuron_findings (learner_id);

CREATE TABLE quiz_answers (
    id SERIAL NOT NULL,
    learner_id INTEGER NOT NULL,
    quiz_id VARCHAR(64) NOT NULL,
    attempt INTEGER NOT NULL,
    question_id VARCHAR(64) NOT NULL,
    response TEXT NOT NULL,
    correct BOOLEAN,
    score FLOAT NOT NULL,
    answered_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY(learner_id) REFERENCES learners (id) ON DELETE CASCADE
);

CREATE INDEX ix_quiz_answers_learner_quiz ON quiz_answers (learner_id, quiz_id);

CREATE TABLE quiz_scores (
    id SERIAL NOT NULL,
    learner_id INTEGER NOT NULL,
    quiz_id VARCHAR(64) NOT NULL,
    score FLOAT NOT NULL,
    max_score FLOAT NOT NULL,
    taken_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY(learner_id) REFERENCES learners (id) ON DELETE CASCADE
);

CREATE INDEX ix_quiz_scores_learner_id ON quiz_scores (learner_id);

CREATE TABLE reflections (
    id SERIAL NOT NULL,
    learner_id INTEGER NOT NULL,
    quiz_id VARCHAR(64) NOT NULL,
    question_id VARCHAR(64) NOT NULL,
    text TEXT NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (learner_id, quiz_id, question_id),
    FOREIGN KEY(learner_id) REFERENCES learners (id) ON DELETE CASCADE
);

CREATE INDEX ix_reflections_learner_id ON reflections (learner_id);

CREATE TABLE section_progress (
    id SERIAL NOT NULL,
    learner_id INTEGER NOT NULL,
    module_id VARCHAR(16) NOT NULL,
    section_id VARCHAR(16) NOT NULL,
    completed_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (learner_id, module_id, section_id),
    FOREIGN KEY(learner_id) REFERENCES learners (id) ON DELETE CASCADE
);

CREATE INDEX ix_section_progress_learner_id ON section_progress (learner_id);

CREATE TABLE challenge_votes (
    voter_id INTEGER NOT NULL,
    sample_id INTEGER NOT NULL,
    voted_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (voter_id),
    FOREIGN KEY(voter_id) REFERENCES learners (id) ON DELETE CASCADE,
    FOREIGN KEY(sample_id) REFERENCES gallery_samples (id) ON DELETE CASCADE
);

CREATE INDEX ix_challenge_votes_sample_id ON challenge_votes (sample_id);

CREATE TABLE review_assignments (
    id SERIAL NOT NULL,
    reviewer_id INTEGER NOT NULL,
    sample_id INTEGER NOT NULL,
    assigned_at TIMESTAMP WITH TIME ZONE NOT NULL,
    coherence INTEGER,
    creativity INTEGER,
    style INTEGER,
    reviewed_at TIMESTAMP WITH TIME ZONE,
    PRIMARY KEY (id),
    UNIQUE (reviewer_id, sample_id),
    FOREIGN KEY(reviewer_id) REFERENCES learners (id) ON DELETE CASCADE,
    FOREIGN KEY(sample_id) REFERENCES gallery_samples (id) ON DELETE CASCADE
);

CREATE INDEX ix_review_assignments_reviewer_id ON review_assignments (reviewer_id);

CREATE INDEX ix_review_assignments_sample_id ON review_assignments (sample_id);

CREATE TABLE sample_likes (
    id SERIAL NOT NULL,
    learner_id INTEGER NOT NULL,
    sample_id INTEGER NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (learner_id, sample_id),
    FOREIGN KEY(learner_id) REFERENCES learners (id) ON DELETE CASCADE,
    FOREIGN KEY(sample_id) REFERENCES gallery_samples (id) ON DELETE CASCADE
);

CREATE INDEX ix_sample_likes_learner_id ON sample_likes (learner_id);

CREATE INDEX ix_sample_likes_sample_id ON sample_likes (sample_id);

