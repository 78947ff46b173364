"""A learner can read and change only their own records: learner B, using every learner-scoped query of the
store, never sees or alters what learner A stored. New store methods must be classified here (the test fails
until they are), so isolation is re-checked whenever the store grows."""

import inspect
from datetime import UTC, datetime, timedelta

from core.store import Store

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
}
# learner-scoped reads: for learner B each must come back empty
READS = {
    "completed_sections": (),
    "best_quiz_scores": (),
    "quiz_answers": (),
    "reflections": (),
    "deck": (),
    "reviews": (),
    "latest_lab_code": ("rnn_step",),
    "lab_summary": (),
}
# neither: identity, aggregate counts, instructor-only queries (guarded by the instructor role on pages),
# and B's own deletion (checked below not to touch A)
OTHER = {"create_learner", "learner_for_login", "find_learner", "learner", "cohort_size", "cohort_overview",
         "cohort_codes", "cohort_activity", "export_learner", "delete_learner", "remove_from_deck"}


def public_methods() -> set[str]:
    return {n for n, f in inspect.getmembers(Store, inspect.isfunction) if not n.startswith("_")}


def test_every_store_method_is_classified_for_isolation():
    assert public_methods() == set(WRITES) | set(READS) | OTHER


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
