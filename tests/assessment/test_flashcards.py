"""Flashcards: the card set, FSRS scheduling, the mastery view, the Anki export, and assessment data that
survives a restart (a fresh process on the same database file)."""

import json
import sqlite3
import subprocess
import sys
import zipfile
from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest
from fsrs import Rating

from core.assessment import flashcards, quiz
from core.cohort import store
from core.course import content, curriculum
from core.settings import REPO_ROOT

ROOT = REPO_ROOT
CARDS = flashcards.load_cards()
BY_ID = flashcards.by_id(CARDS)
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_the_card_set_is_complete_and_well_formed():
    assert len(CARDS) >= 40
    sources = {s: [c for c in CARDS if c.source == s] for s in flashcards.SOURCES}
    assert len(sources["seed"]) == 13, "every card of the course's flashcard list, rewritten"
    assert len(sources["interview"]) >= 6, "Appendix E's questions"
    assert len(sources["glossary"]) >= 40, "one card per glossary term"
    for module_id in curriculum.load_course().modules:
        assert len([c for c in CARDS if c.module == module_id]) >= 3, module_id
    for c in CARDS:
        assert c.level in flashcards.LEVELS and c.kind in flashcards.KINDS and c.tags and c.front and c.back


def test_seed_cards_keep_their_tags_level_and_kind():
    ctc = BY_ID["seed-ctc"]
    assert ctc.tags == ("ctc", "alignment", "blank-token", "forward-backward")
    assert (ctc.level, ctc.kind) == ("Advanced", "concept")
    assert (BY_ID["seed-why-transformers"].level, BY_ID["seed-why-transformers"].kind) == ("Expert", "concept")
    assert BY_ID["seed-vanilla-rnn"].tags == ("rnn", "hidden-state", "recurrence", "weight-sharing")


def test_cards_filter_by_tag_level_module_and_kind():
    lstm = flashcards.filter_cards(CARDS, tags=["lstm"])
    assert lstm and all("lstm" in c.tags for c in lstm)
    expert = flashcards.filter_cards(CARDS, levels=["Expert"])
    assert {c.id for c in expert} >= {"seed-why-transformers", "seed-irnn", "seed-streaming-speech"}
    both = flashcards.filter_cards(CARDS, modules=["m03"], kinds=["math"])
    assert both and all(c.module == "m03" and c.kind == "math" for c in both)
    assert flashcards.filter_cards(CARDS) == list(CARDS)


def test_rating_good_moves_the_due_date_forward_and_again_brings_it_back():
    state = flashcards.new_state("seed-ctc", NOW).to_json()
    first = flashcards.review(state, Rating.Good, NOW)
    assert first.due > NOW
    second = flashcards.review(first.to_json(), Rating.Good, first.due)
    third = flashcards.review(second.to_json(), Rating.Good, second.due)
    assert third.due - second.due > second.due - first.due > timedelta(days=1), "intervals grow with each Good"
    again = flashcards.review(third.to_json(), Rating.Again, third.due)
    assert again.due - third.due <= timedelta(minutes=10), "a lapse comes back within minutes"
    preview = flashcards.next_due(third.to_json(), third.due)
    assert preview[Rating.Again] < preview[Rating.Hard] < preview[Rating.Good] < preview[Rating.Easy]


def test_reviews_are_stored_per_learner_and_due_cards_leave_the_queue(db):
    ada, _ = db.create_learner("Ada")
    bob, _ = db.create_learner("Bob")
    card = BY_ID["m03-gates"]
    assert flashcards.add_to_deck(db, ada.id, card, "browse", NOW)
    assert not flashcards.add_to_deck(db, ada.id, card, "browse", NOW), "a card is in a deck once"
    assert flashcards.due_now(db.deck(ada.id), NOW) == ["m03-gates"]
    due = flashcards.rate(db, ada.id, "m03-gates", Rating.Good, NOW)
    assert due > NOW and flashcards.due_now(db.deck(ada.id), NOW) == []
    assert flashcards.due_now(db.deck(ada.id), due) == ["m03-gates"]
    assert db.deck(ada.id)["m03-gates"].module_id == "m03"
    assert db.deck(bob.id) == {} and db.reviews(bob.id) == []
    with pytest.raises(KeyError):
        flashcards.rate(db, bob.id, "m03-gates", Rating.Good, NOW)


def test_mastery_puts_missed_and_due_concepts_first(db):
    learner, _ = db.create_learner("Ada")
    qz = quiz.load_quiz("m03")
    answers = [("gate-matching", {}, False, 0.0), ("why-vanish", "x", True, 1.0), ("analogy", "x", True, 1.0)]
    db.record_quiz_attempt(learner.id, "m03", answers)
    db.record_quiz_attempt(learner.id, "m03", [("gate-matching", {}, True, 1.0), ("analogy", "y", False, 0.0)])
    flashcards.add_to_deck(db, learner.id, BY_ID["m03-conveyor"], "quiz:m03:analogy", NOW)
    flashcards.add_to_deck(db, learner.id, BY_ID["m02-three-matrices"], "browse", NOW)
    flashcards.rate(db, learner.id, "m02-three-matrices", Rating.Good, NOW)
    rows = flashcards.mastery(db.deck(learner.id), db.quiz_answers(learner.id),
                              flashcards.question_cards([qz]), BY_ID, NOW + timedelta(minutes=1))
    by_card = {m.card_id: m for m in rows}
    assert rows[0].card_id == "m03-conveyor" and rows[0].status(NOW) == "review now"
    assert (by_card["m03-gates"].quiz_right, by_card["m03-gates"].quiz_total) == (1, 1), "the latest attempt counts"
    assert by_card["m03-gradient-product"].score == 1.0
    assert by_card["m02-three-matrices"].recall is not None and by_card["m02-three-matrices"].quiz_total == 0


@pytest.mark.parametrize("rating", [Rating.Good, Rating.Easy])
def test_a_card_just_rated_good_or_easy_is_not_marked_review_now(db, rating):
    learner, _ = db.create_learner("Ada")
    flashcards.add_to_deck(db, learner.id, BY_ID["m03-gates"], "browse", NOW)
    assert flashcards.due_now(db.deck(learner.id), NOW) == ["m03-gates"]
    flashcards.rate(db, learner.id, "m03-gates", rating, NOW)
    for later in (NOW, NOW + timedelta(minutes=5)):
        deck = db.deck(learner.id)
        row = flashcards.mastery(deck, [], {}, BY_ID, later)[0]
        assert row.status(later) != "review now" and flashcards.due_now(deck, later) == []


def read_apkg(data: bytes, tmp_path) -> tuple[list[str], dict]:
    with zipfile.ZipFile(BytesIO(data)) as z:
        assert "collection.anki2" in z.namelist()
        (tmp_path / "collection.anki2").write_bytes(z.read("collection.anki2"))
    con = sqlite3.connect(tmp_path / "collection.anki2")
    try:
        fields = [row[0] for row in con.execute("select flds from notes")]
        guids = [row[0] for row in con.execute("select guid from notes")]
        decks, models = con.execute("select decks, models from col").fetchone()
    finally:
        con.close()
    return fields, {"guids": guids, "decks": json.loads(decks), "models": json.loads(models)}


def test_anki_export_is_a_valid_package_listing_every_card(tmp_path):
    data = flashcards.export_apkg(CARDS)
    fields, meta = read_apkg(data, tmp_path)
    assert len(fields) == len(CARDS)
    fronts = {f.split("\x1f")[0] for f in fields}
    assert flashcards.to_html(BY_ID["seed-ctc"].front) in fronts
    assert str(flashcards.ANKI_DECK_ID) in meta["decks"] and str(flashcards.ANKI_MODEL_ID) in meta["models"]
    again, meta_again = read_apkg(flashcards.export_apkg(CARDS), tmp_path)
    assert meta_again["guids"] == meta["guids"], "stable note ids: re-importing updates instead of duplicating"


def test_a_filtered_export_holds_only_the_filtered_cards(tmp_path):
    subset = flashcards.filter_cards(CARDS, modules=["m07"])
    fields, _ = read_apkg(flashcards.export_apkg(subset, "RNN Course (filtered)"), tmp_path)
    assert len(fields) == len(subset) < len(CARDS)


def test_card_markdown_becomes_anki_html():
    html = flashcards.to_html("**Bold** and $x^2$ and `a<b`\n\n```python\nif a < b:\n    pass\n```")
    assert "<b>Bold</b>" in html and r"\(x^2\)" in html and "<code>a&lt;b</code>" in html
    assert "<pre><code>if a &lt; b:\n    pass</code></pre>" in html


READ_BACK = """
import json, sys
from core.cohort import store
db = store.open_store(sys.argv[1])
learner = db.find_learner(sys.argv[2])
print(json.dumps({
    "answers": [[a.attempt, a.question_id, a.response, a.correct] for a in db.quiz_answers(learner.id, "m03")],
    "reflections": {"/".join(k): v for k, v in db.reflections(learner.id).items()},
    "deck": {k: v.due.isoformat() for k, v in db.deck(learner.id).items()},
    "reviews": [[r.card_id, r.rating, r.due.isoformat()] for r in db.reviews(learner.id)],
    "best": db.best_quiz_scores(learner.id),
}))
"""


def test_attempts_reflections_and_reviews_survive_a_fresh_process(tmp_path):
    url = f"sqlite:///{tmp_path / 'course.db'}"
    first = store.open_store(url)
    learner, token = first.create_learner("Ada")
    assert first.record_quiz_attempt(learner.id, "m03", [("analogy", "A conveyor belt", True, 1.0),
                                                         ("gate-matching", {"x": "Input gate"}, False, 0.0)]) == 1
    assert first.record_quiz_attempt(learner.id, "m03", [("analogy", "A conveyor belt", True, 1.0)]) == 2
    first.record_quiz_score(learner.id, "m03", 1, 2)
    first.save_reflection(learner.id, "m01", "your-problems", "Fraud alerts")
    first.save_reflection(learner.id, "m01", "your-problems", "Fraud alerts, churn")
    flashcards.add_to_deck(first, learner.id, BY_ID["m03-gates"], "quiz:m03:gate-matching", NOW)
    due = flashcards.rate(first, learner.id, "m03-gates", Rating.Good, NOW)
    first.engine.dispose()

    out = subprocess.run([sys.executable, "-c", READ_BACK, url, token], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, check=True)
    data = json.loads(out.stdout)
    assert data["answers"] == [[1, "analogy", "A conveyor belt", True], [1, "gate-matching", {"x": "Input gate"}, False],
                               [2, "analogy", "A conveyor belt", True]]
    assert data["reflections"] == {"m01/your-problems": "Fraud alerts, churn"}
    assert data["deck"] == {"m03-gates": due.isoformat()}
    assert data["reviews"] == [["m03-gates", int(Rating.Good), due.isoformat()]]
    assert data["best"] == {"m03": 0.5}


def test_deleting_a_learner_removes_their_assessment_data_and_export_includes_it(db):
    learner, _ = db.create_learner("Ada")
    other, _ = db.create_learner("Bob")
    for who in (learner, other):
        db.record_quiz_attempt(who.id, "m02", [("squash", "tanh", True, 1.0)])
        db.save_reflection(who.id, "m01", "your-problems", "notes")
        flashcards.add_to_deck(db, who.id, BY_ID["m02-three-matrices"], "browse", NOW)
        flashcards.rate(db, who.id, "m02-three-matrices", Rating.Again, NOW)
    exported = db.export_learner(learner.id)
    assert exported["quiz_answers"][0]["response"] == "tanh" and exported["reflections"][0]["text"] == "notes"
    assert exported["flashcards"][0]["card"] == "m02-three-matrices" and exported["flashcard_reviews"][0]["rating"] == 1
    db.delete_learner(learner.id)
    assert db.quiz_answers(learner.id) == [] and db.deck(learner.id) == {} and db.reviews(learner.id) == []
    assert db.reflections(learner.id) == {}
    assert len(db.quiz_answers(other.id)) == 1 and db.deck(other.id) and db.reviews(other.id)


def test_an_overlong_reflection_is_refused(db):
    learner, _ = db.create_learner("Ada")
    with pytest.raises(ValueError):
        db.save_reflection(learner.id, "m01", "your-problems", "x" * 10_001)


def test_a_malformed_card_file_names_its_line(tmp_path):
    path = tmp_path / "cards.yaml"
    path.write_text("- id: a\n  front: F\n  back: B\n  level: Beginner\n  kind: concept\n  tags: [x]\n"
                    "  source: module\n", encoding="utf-8")
    with pytest.raises(quiz.QuizError, match=rf"^{path}:1: card 'a': level must be one of"):
        flashcards.parse_cards(content.read_yaml(path), path)


def test_a_failed_code_lab_adds_the_modules_coding_cards_once(db):
    learner, _ = db.create_learner("Ada")
    added = flashcards.add_for_failed_lab(db, learner.id, "m09", "train_loop", NOW)
    assert added and all(BY_ID[c].kind == "coding" and BY_ID[c].module == "m09" for c in added)
    assert {db.deck(learner.id)[c].source for c in added} == {"lab:train_loop"}
    assert flashcards.add_for_failed_lab(db, learner.id, "m09", "train_loop", NOW) == []
    assert flashcards.add_for_failed_lab(db, learner.id, "m02", "rnn_step", NOW), "falls back to key ideas"
