"""Capstone records in the store: server-measured leaderboard entries, moderation, the gallery with likes and votes,
blinded peer review and badges, on SQLite and PostgreSQL."""

import math

import pytest

from core.cohort.store import StoreError


def _measure(db, learner, run_id, loss, title="run", corpus="tinyshakespeare"):
    return db.save_evaluation(learner.id, run_id, title, corpus, {"kind": "gru"}, loss, 5000, 20.0, "sample text")


def test_only_measured_runs_reach_the_leaderboard_ranked_by_the_servers_loss(db):
    ada, _ = db.create_learner("Ada", "C1")
    bob, _ = db.create_learner("Bob", "C1")
    with pytest.raises(StoreError, match="Measure this run"):
        db.submit_result(ada.id, "never-measured", "tinyshakespeare")
    _measure(db, ada, "r1", 1.6)
    _measure(db, ada, "r2", 1.5)
    _measure(db, bob, "b1", 1.55)
    for learner, run in ((ada, "r1"), (ada, "r2"), (bob, "b1")):
        db.submit_result(learner.id, run, "tinyshakespeare", "beginner")
    board = db.leaderboard(bob.id, "tinyshakespeare")
    assert [(r.rank, r.name, round(r.loss, 2)) for r in board] == [(1, "Ada", 1.5), (2, "Bob", 1.55)]
    assert board[0].perplexity == pytest.approx(math.exp(1.5))
    assert board[1].is_you and not board[0].is_you
    assert db.leaderboard_categories(ada.id) == ["tinyshakespeare"]
    db.withdraw_result(ada.id, "r2")
    assert [round(r.loss, 2) for r in db.leaderboard(bob.id, "tinyshakespeare")] == [1.55, 1.6]


def test_leaderboard_is_per_cohort(db):
    ada, _ = db.create_learner("Ada", "C1")
    eve, _ = db.create_learner("Eve", "C2")
    loner, _ = db.create_learner("Loner")
    _measure(db, ada, "r1", 1.5)
    db.submit_result(ada.id, "r1", "names")
    assert db.leaderboard(eve.id, "names") == [] and db.leaderboard(loner.id, "names") == []
    assert len(db.leaderboard(ada.id, "names")) == 1


def test_remeasuring_updates_numbers_and_keeps_moderation(db):
    ada, _ = db.create_learner("Ada")
    _measure(db, ada, "r1", 1.5)
    db.submit_result(ada.id, "r1", "names")
    entry = db.moderation_entries()[0]["entry"]
    db.moderate_result(entry, True, "sample is offensive")
    _measure(db, ada, "r1", 1.4)
    mine = db.my_results(ada.id)[0]
    assert mine.loss == pytest.approx(1.4) and mine.hidden and mine.hidden_reason == "sample is offensive"


def test_moderation_hides_and_restores_with_a_reason(db):
    ada, _ = db.create_learner("Ada", "C1")
    _measure(db, ada, "r1", 1.5)
    db.submit_result(ada.id, "r1", "names")
    entry = db.moderation_entries("C1")[0]
    assert entry["learner"] == "Ada" and not entry["hidden"]
    with pytest.raises(ValueError, match="reason"):
        db.moderate_result(entry["entry"], True, "  ")
    db.moderate_result(entry["entry"], True, "copied another learner's run")
    assert db.leaderboard(ada.id, "names") == [] and db.leaderboard_categories(ada.id) == []
    assert db.moderation_entries()[0]["hidden"] and db.my_results(ada.id)[0].hidden
    db.moderate_result(entry["entry"], False, "checked: original work")
    assert len(db.leaderboard(ada.id, "names")) == 1
    with pytest.raises(StoreError):
        db.moderate_result(9999, True, "x")


def test_invalid_measurements_are_refused(db):
    ada, _ = db.create_learner("Ada")
    for loss in (float("nan"), float("inf"), -1.0):
        with pytest.raises(ValueError):
            _measure(db, ada, "r1", loss)


def test_likes_one_per_learner_never_own_and_only_within_the_cohort(db):
    ada, _ = db.create_learner("Ada", "C1")
    bob, _ = db.create_learner("Bob", "C1")
    eve, _ = db.create_learner("Eve", "C2")
    sid = db.share_sample(ada.id, "r1", "to be or not", {"temperature": 0.8})
    with pytest.raises(ValueError, match="own"):
        db.like_sample(ada.id, sid)
    db.like_sample(bob.id, sid)
    db.like_sample(bob.id, sid)
    with pytest.raises(StoreError, match="not in your cohort"):
        db.like_sample(eve.id, sid)
    item = db.gallery(bob.id)[0]
    assert item.likes == 1 and item.liked and not item.mine
    assert db.gallery(ada.id)[0].mine and db.gallery(eve.id) == []
    db.like_sample(bob.id, sid, liked=False)
    assert db.my_samples(ada.id)[0].likes == 0


def test_final_vote_is_one_per_learner_and_not_for_oneself(db):
    ada, _ = db.create_learner("Ada")
    bob, _ = db.create_learner("Bob")
    cy, _ = db.create_learner("Cy")
    a = db.share_sample(ada.id, "r", "ada's text", {})
    b = db.share_sample(bob.id, "r", "bob's text", {})
    with pytest.raises(ValueError):
        db.cast_vote(ada.id, a)
    db.cast_vote(cy.id, a)
    db.cast_vote(cy.id, b)  # changes the vote
    db.cast_vote(ada.id, b)
    assert db.vote_tally(cy.id) == {b: 2} and db.my_vote(cy.id) == b


def test_each_learner_gets_three_blinded_reviews_of_others(db):
    learners = [db.create_learner(f"L{i}")[0] for i in range(5)]
    samples = {db.share_sample(p.id, "r", f"text by {p.display_name}", {"temperature": 1.0}): p for p in learners}
    me = learners[0]
    tasks = db.review_tasks(me.id)
    assert len(tasks) == 3
    assert all("L0" not in t.text for t in tasks), "never one's own sample"
    assert len({t.text for t in tasks}) == 3
    for field in ("learner_id", "author", "reviewer_id", "name"):
        assert all(not hasattr(t, field) for t in tasks)
    assert [t.assignment_id for t in db.review_tasks(me.id)] == [t.assignment_id for t in tasks], "stable"
    for t in tasks:
        db.submit_review(me.id, t.assignment_id, 4, 3, 5)
    assert db.reviews_done(me.id) == 3 and all(t.done for t in db.review_tasks(me.id))
    with pytest.raises(ValueError):
        db.submit_review(me.id, tasks[0].assignment_id, 6, 3, 5)
    other = learners[1]
    with pytest.raises(StoreError, match="not assigned"):
        db.submit_review(other.id, tasks[0].assignment_id, 1, 1, 1)
    reviewed_authors = [p for sid, p in samples.items() if any(t.text == f"text by {p.display_name}" for t in tasks)]
    feedback = db.review_feedback(reviewed_authors[0].id)
    agg = next(iter(feedback.values()))
    assert agg.reviews == 1 and (agg.coherence, agg.creativity, agg.style) == (4, 3, 5)
    assert not any(hasattr(agg, f) for f in ("reviewer_id", "reviewers", "names"))
    assert db.review_feedback(me.id) == {}


def test_review_assignment_spreads_load_over_samples(db):
    learners = [db.create_learner(f"L{i}")[0] for i in range(6)]
    for p in learners:
        db.share_sample(p.id, "r", f"text by {p.display_name}", {})
    for p in learners:
        assert len(db.review_tasks(p.id)) == 3
    counts = {}
    for p in learners:
        for t in db.review_tasks(p.id):
            counts[t.text] = counts.get(t.text, 0) + 1
    # greedy by current load: every sample gets reviewed, none is left with fewer than two reviewers
    assert sum(counts.values()) == 18 and len(counts) == 6 and min(counts.values()) >= 2, counts


def test_badges_are_kept_once_awarded(db):
    ada, _ = db.create_learner("Ada")
    assert db.award_badges(ada.id, {"first-run": "run x"}) == ["first-run"]
    assert db.award_badges(ada.id, {"first-run": "run y", "peer-reviewer": "3"}) == ["peer-reviewer"]
    badges = db.badges(ada.id)
    assert set(badges) == {"first-run", "peer-reviewer"} and badges["first-run"].evidence == "run x"
    stats = db.cohort_capstone_stats(ada.id)
    assert stats["learners"] == 1 and stats["badges_per_learner"] == 2


def test_cohort_stats_count_learners_per_step_within_the_cohort(db):
    people = [db.create_learner(f"L{i}", "C1")[0] for i in range(4)]
    outsider, _ = db.create_learner("Out", "C2")
    for p in people[:3]:
        db.share_sample(p.id, "r", f"text {p.id}", {})
    _measure(db, people[0], "r1", 1.5)
    _measure(db, people[0], "r2", 1.4)
    _measure(db, people[1], "r1", 1.6)
    db.submit_result(people[1].id, "r1", "names")
    _measure(db, outsider, "r1", 1.0)
    for t in db.review_tasks(people[3].id):
        db.submit_review(people[3].id, t.assignment_id, 3, 3, 3)
    stats = db.cohort_capstone_stats(people[2].id)
    assert (stats["learners"], stats["measured"], stats["on_leaderboard"], stats["shared_sample"],
            stats["reviewed_three"]) == (4, 2, 1, 3, 1)


def test_deleting_a_learner_removes_their_capstone_records_and_others_stay(db):
    ada, _ = db.create_learner("Ada")
    bob, _ = db.create_learner("Bob")
    a = db.share_sample(ada.id, "r", "ada", {})
    b = db.share_sample(bob.id, "r", "bob", {})
    db.like_sample(bob.id, a)
    db.like_sample(ada.id, b)
    db.cast_vote(bob.id, a)
    db.review_tasks(bob.id)
    _measure(db, ada, "r1", 1.5)
    db.save_neuron_finding(ada.id, "r1", 0, 3, "space", 0.7, "fires on spaces")
    db.delete_learner(ada.id)
    assert [g.text for g in db.gallery(bob.id)] == ["bob"] and db.gallery(bob.id)[0].likes == 0
    assert db.my_vote(bob.id) is None and db.review_tasks(bob.id) == []
    assert db.moderation_entries() == []
