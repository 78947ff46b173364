"""A learner can read and change only their own records: learner B, using every learner-scoped query of the
store, never sees or alters what learner A stored. New store methods must be classified here (the test fails
until they are), so isolation is re-checked whenever the store grows."""

import inspect
from datetime import UTC, datetime, timedelta

from core.cohort.store import Store

NOW = datetime.now(UTC)

# learner-scoped writes, each called for learner A with these arguments (after the learner id)
WRITES = {
    "set_path": ("B",),
    "set_cohort": ("TEAM-A",),
    "set_section_done": ("m02", "2.1"),
    "record_quiz_score": ("m02", 4, 5),
    "record_quiz_attempt": ("m02", [("q1", "A's answer", True, 1.0)]),
    "save_reflection": ("m01", "r1", "A's private reflection"),
    "add_to_deck": ("card-1", "{}", NOW + timedelta(days=1), "quiz:m02", "m02"),
    "record_review": ("card-1", 3, "{}", NOW + timedelta(days=3), NOW),
    "save_lab_attempt": ("rnn_step", "A's code", 1, 3, "[]"),
    "save_evaluation": ("r1", "A's run", "tinyshakespeare", {"kind": "gru"}, 1.5, 5000, 20.0, "A's sample"),
    "submit_result": ("r1", "tinyshakespeare", "beginner"),
    "share_sample": ("r1", "A's shared sample", {"temperature": 0.8}),
    "award_badges": ({"first-run": "A's run"},),
    "save_neuron_finding": ("r1", 0, 3, "space", 0.7, "A's neuron"),
}
# learner-scoped reads: for learner B each must come back empty
READS = {
    "completed_sections": (),
    "best_quiz_scores": (),
    "quiz_answers": (),
    "reflections": (),
    "reflection_times": (),
    "deck": (),
    "reviews": (),
    "latest_lab_code": ("rnn_step",),
    "lab_summary": (),
    "my_results": (),
    "my_samples": (),
    "badges": (),
    "neuron_findings": (),
}
# shared with the learner's cohort by design, never with an author or reviewer id: checked in
# test_cohort_features_share_only_what_they_must below
COHORT = {"leaderboard", "leaderboard_categories", "gallery", "like_sample", "cast_vote", "my_vote", "vote_tally",
          "review_tasks", "submit_review", "reviews_done", "review_feedback", "cohort_capstone_stats",
          "withdraw_result", "delete_sample"}
# instructor-only capstone moderation (pages guard it with the instructor role)
INSTRUCTOR = {"moderation_entries", "moderate_result"}
# neither: identity, aggregate counts, instructor-only queries (guarded by the instructor role on pages),
# and B's own deletion (checked below not to touch A)
OTHER = {"create_learner", "learner_for_login", "find_learner", "learner", "cohort_size", "cohort_overview",
         "cohort_codes", "cohort_activity", "export_learner", "delete_learner", "remove_from_deck"}


def public_methods() -> set[str]:
    return {n for n, f in inspect.getmembers(Store, inspect.isfunction) if not n.startswith("_")}


def test_every_store_method_is_classified_for_isolation():
    assert public_methods() == set(WRITES) | set(READS) | OTHER | COHORT | INSTRUCTOR


def test_learner_b_sees_and_changes_nothing_of_learner_a(db):
    a, _ = db.create_learner("A")
    b, _ = db.create_learner("B")
    for name, args in WRITES.items():
        getattr(db, name)(a.id, *args)
    a_before = {name: getattr(db, name)(a.id, *args) for name, args in READS.items()}
    assert all(a_before.values()), "learner A's data was written through every write"

    for name, args in READS.items():
        assert not getattr(db, name)(b.id, *args), f"{name} leaked learner A's data to learner B"
    exported = db.export_learner(b.id)
    assert "A's" not in repr(exported) and "TEAM-A" not in repr(exported)

    db.remove_from_deck(b.id, "card-1")
    db.delete_learner(b.id)
    assert {name: getattr(db, name)(a.id, *args) for name, args in READS.items()} == a_before
    assert db.learner(a.id).path == "B" and db.learner(a.id).cohort_code == "TEAM-A"


def test_cohort_features_share_only_what_they_must(db):
    a, _ = db.create_learner("Ada", "TEAM-1")
    b, _ = db.create_learner("Bob", "TEAM-1")
    outsider, _ = db.create_learner("Eve", "TEAM-2")
    db.save_evaluation(a.id, "r1", "A's run", "names", {}, 1.9, 5000, 20.0, "A's sample")
    db.save_evaluation(a.id, "r2", "A's unsubmitted run", "names", {}, 1.8, 5000, 20.0, "A's secret sample")
    db.submit_result(a.id, "r1", "names")
    sid = db.share_sample(a.id, "r1", "A's shared sample", {"temperature": 0.8})

    # B changes nothing of A's through the calls that take B's id
    db.withdraw_result(b.id, "r1")
    db.delete_sample(b.id, sid)
    assert db.my_results(a.id)[1].category == "names" and db.my_samples(a.id)

    # what B sees of A: the submitted entry (display name, server numbers), the sample without its author
    board = db.leaderboard(b.id, "names")
    assert [r.title for r in board] == ["A's run"] and "secret" not in repr(board)
    assert not any(hasattr(r, "learner_id") for r in board)
    assert [g.text for g in db.gallery(b.id)] == ["A's shared sample"]
    assert "learner_id" not in repr(db.gallery(b.id)) and "r1" not in repr(db.gallery(b.id))
    tasks = db.review_tasks(b.id)
    assert [t.text for t in tasks] == ["A's shared sample"] and "Ada" not in repr(tasks)
    db.submit_review(b.id, tasks[0].assignment_id, 5, 4, 3)
    feedback = db.review_feedback(a.id)
    assert "Bob" not in repr(feedback) and str(b.id) not in repr(vars(feedback[sid]).values())
    assert db.review_feedback(b.id) == {} and db.reviews_done(a.id) == 0

    # another cohort sees nothing at all
    assert db.leaderboard(outsider.id, "names") == [] and db.gallery(outsider.id) == []
    assert db.review_tasks(outsider.id) == [] and db.vote_tally(outsider.id) == {}
    assert db.leaderboard_categories(outsider.id) == []
    stats = db.cohort_capstone_stats(outsider.id)
    assert stats["learners"] == 1 and stats["with_badges"] == 0
