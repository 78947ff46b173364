"""Quizzes, diagnostics and flashcards through the real page scripts: answer, see why, score saved, review."""

from datetime import UTC, datetime

import pytest

from core.assessment import flashcards, quiz
from tests.app.conftest import open_page


def key(quiz_id: str, question_id: str, round_: int = 0) -> str:
    return f"quiz::{quiz_id}::{round_}::{question_id}"


def answer(at, quiz_id: str, overrides: dict | None = None, round_: int = 0) -> None:
    """Fill every widget of a quiz with the right answer (or the override), as a learner would."""
    overrides = overrides or {}
    for q in quiz.load_quiz(quiz_id).questions:
        k = key(quiz_id, q.id, round_)
        value = overrides.get(q.id, q.answer)
        if q.type in ("single", "truefalse"):
            at.radio(key=k).set_value(value)
        elif q.type == "multi":
            for i, option in enumerate(q.options):
                at.checkbox(key=f"{k}::{i}").set_value(option in value)
        elif q.type == "numeric":
            at.text_input(key=k).input(str(value))
        elif q.type == "matching":
            lefts = sorted(q.answer) if q.widget == "buckets" else list(q.answer)
            for i, left in enumerate(lefts):
                at.selectbox(key=f"{k}::{i}").set_value(value[left])
        elif q.type == "ordering":
            for i, item in enumerate(value):
                at.selectbox(key=f"{k}::{i}").set_value(item)
        else:
            at.text_area(key=k).input(value if isinstance(value, str) else "My reflection")


def texts(elements) -> str:
    return "\n".join(e.value for e in elements)


def test_answering_a_module_quiz_shows_why_saves_the_score_and_adds_the_missed_card(db, learner):
    record, token = learner
    at = open_page("pages/m03_lstm.py", token)
    assert not at.exception
    wrong = "A dictionary that stores each word the model has read"
    answer(at, "m03", {"analogy": wrong, "half-to-the-twentieth": "1e-6", "two-to-the-twentieth": " 1,048,576 "})
    at.button(key="quiz::m03::0::check").click().run()
    assert not at.exception, at.exception
    assert "Not quite" in texts(at.error) and "conveyor belt" in texts(at.error), "the miss explains why"
    assert texts(at.success).count("Correct.") == 7
    assert any("Score: 7 / 8" in m.value for m in at.markdown)
    assert db.best_quiz_scores(record.id) == {"m03": pytest.approx(7 / 8)}
    answers = {a.question_id: a for a in db.quiz_answers(record.id, "m03")}
    assert answers["analogy"].correct is False and answers["analogy"].response == wrong
    assert answers["half-to-the-twentieth"].response == "1e-6" and answers["half-to-the-twentieth"].correct
    assert set(db.deck(record.id)) == {"m03-conveyor"}, "the missed question's card joined the deck"
    assert db.deck(record.id)["m03-conveyor"].source == "quiz:m03:analogy"
    assert any("now in your review deck" in c.value for c in at.caption)


def test_retry_starts_a_fresh_attempt_and_history_lists_both(db, learner):
    record, token = learner
    at = open_page("pages/m02_rnn.py", token)
    answer(at, "m02", {"squash": "Sigmoid"})
    at.button(key="quiz::m02::0::check").click().run()
    at.button(key="quiz::m02::0::retry").click().run()
    assert not at.exception
    assert at.radio(key=key("m02", "squash", 1)).value is None, "a retry starts with empty answers"
    answer(at, "m02", round_=1)
    at.button(key="quiz::m02::1::check").click().run()
    assert [a.attempt for a in db.quiz_answers(record.id, "m02")].count(2) == 8
    assert db.best_quiz_scores(record.id)["m02"] == pytest.approx(1.0)
    assert any(e.label.startswith("Your attempts (2)") for e in at.expander)


def test_a_non_number_is_refused_with_a_message_and_nothing_is_saved(db, learner):
    record, token = learner
    at = open_page("pages/m03_lstm.py", token)
    answer(at, "m03", {"half-to-the-twentieth": "0.5^20"})
    at.button(key="quiz::m03::0::check").click().run()
    assert not at.exception
    assert "is not a number" in texts(at.warning)
    assert db.quiz_answers(record.id) == [] and db.best_quiz_scores(record.id) == {}


def test_unanswered_questions_are_named_before_grading(db, learner):
    record, token = learner
    at = open_page("pages/m04_char_lm.py", token)
    at.button(key="quiz::m04::0::check").click().run()
    assert "still open: 1, 2, 3, 4, 5, 6, 7, 8" in texts(at.warning)
    assert db.quiz_answers(record.id) == []


def test_drag_and_drop_questions_have_a_dropdown_alternative_and_reflections_are_kept(db, learner):
    record, token = learner
    at = open_page("pages/m01_sequences.py", token)
    assert at.get("component_instance"), "the drag-and-drop sorter is drawn by default"
    at.toggle(key="quiz::m01::plain").set_value(True).run()
    answer(at, "m01", {"your-problems": "Fraud scoring: many-to-one."})
    at.button(key="quiz::m01::0::check").click().run()
    assert not at.exception, at.exception
    assert db.best_quiz_scores(record.id) == {"m01": 1.0}
    assert db.reflections(record.id) == {("m01", "your-problems"): "Fraud scoring: many-to-one."}
    assert "not graded" in texts(at.info)


def test_readiness_check_recommends_the_mini_refresher_with_its_content(db, learner):
    record, token = learner
    at = open_page("pages/a_readiness.py", token)
    assert not at.exception
    answer(at, "readiness_math", {"shapes": "It is not defined", "tanh-zero": "1"})
    at.button(key="quiz::readiness_math::0::check").click().run()
    assert not at.exception
    shown = texts(at.markdown)
    assert "3 of 5 correct" in shown and "calculus refresher" in shown
    assert any(e.label.startswith("Calculus refresher") for e in at.expander)
    assert db.best_quiz_scores(record.id) == {"readiness_math": 0.6}


def test_use_case_quiz_recommends_a_path_and_adopts_it_in_one_click(db, learner):
    record, token = learner
    at = open_page("pages/m00_why_this_matters.py", token)
    choices = {"role": "I manage a team, own a product or set strategy", "time": "Less than 2 hours",
               "goal": "Judge proposals and talk with technical teams",
               "data": "Time series or event streams: transactions, sensors, clickstreams",
               "code": "I do not write code"}
    for qid, text in choices.items():
        at.radio(key=f"use-case::{qid}").set_value(text)
    at.button[0].click().run()  # the form's submit button comes first on the page
    assert not at.exception
    assert any("Recommended: Path A" in m.value for m in at.markdown)
    assert "Pay special attention to" in texts(at.markdown)
    at.button(key="use-case::adopt").click().run()
    assert not at.exception
    assert db.learner(record.id).path == "A"
    assert "already your learning path" in texts(at.success)


def test_reviewing_a_card_records_the_rating_and_shows_the_next_due_date(db, learner):
    record, token = learner
    flashcards.add_to_deck(db, record.id, flashcards.by_id(flashcards.load_cards())["m03-gates"], "browse")
    at = open_page("pages/p_flashcards.py", token)
    assert not at.exception
    at.button(key="fc::show::m03-gates").click().run()
    assert "Forget gate" in texts(at.markdown)
    assert [b.label.split(" ·")[0] for b in at.button if b.key and b.key.startswith("fc::rate")] == ["Again", "Good"]
    at.button(key="fc::rate::m03-gates::Good").click().run()
    assert not at.exception
    reviews = db.reviews(record.id)
    assert [(r.card_id, r.rating) for r in reviews] == [("m03-gates", 3)]
    assert reviews[0].due > datetime.now(UTC)
    assert "comes back in 10 minutes" in texts(at.success)
    assert "Nothing is due" in texts(at.info)


def test_flashcard_page_filters_and_adds_cards_and_offers_anki(db, learner):
    record, token = learner
    at = open_page("pages/p_flashcards.py", token)
    at.multiselect(key="fc::f::module").set_value(["m07"]).run()
    matching = flashcards.filter_cards(flashcards.load_cards(), modules=["m07"])
    assert any(f"{len(matching)} of" in c.value for c in at.caption)
    at.button(key="fc::add").click().run()
    assert set(db.deck(record.id)) == {c.id for c in matching}
    assert at.get("download_button"), "the Anki export is offered"


def test_a_broken_quiz_file_shows_a_message_not_a_crash(db, learner, monkeypatch):
    _, token = learner

    def broken(quiz_id, folder=None):
        raise quiz.QuizError(f"assets/quizzes/{quiz_id}.yaml:12: 'answer' must be one of its options")

    monkeypatch.setattr(quiz, "load_quiz", broken)
    at = open_page("pages/m05_experiments.py", token)
    assert not at.exception
    assert "m05.yaml:12" in texts(at.error)
    assert any("Key takeaways" in s.value for s in at.subheader), "the rest of the page still renders"


def test_interview_page_lists_the_questions_with_model_answers(db, learner):
    record, token = learner
    at = open_page("pages/e_interview.py", token)
    assert not at.exception
    labels = [e.label for e in at.expander]
    assert any("explain how an RNN works" in label for label in labels)
    assert any("temperature" in label for label in labels)
    at.button(key="interview-add").click().run()
    assert {c for c in db.deck(record.id)} >= {"interview-attention", "interview-temperature"}
    at.text_input(key="pitch-problem").input("our release notes")
    at.number_input(key="pitch-ppl").set_value(4.6).run()
    pitch = texts(at.markdown).replace("\\", "")  # the pitch is shown markdown-escaped
    assert "character-level language model for our release notes." in pitch
    assert "perplexity of 4.60" in pitch and "among about 4.6 equally likely characters" in pitch


def test_mastery_view_puts_a_missed_concept_first(db, learner):
    record, token = learner
    db.record_quiz_attempt(record.id, "m03", [("analogy", "wrong", False, 0.0), ("why-vanish", "right", True, 1.0)])
    at = open_page("pages/p_flashcards.py", token)
    assert not at.exception
    shown = texts(at.markdown)
    assert "Review next" in shown and "Which analogy describes the LSTM cell state" in shown
    assert "Vanishing gradients" in shown  # the concept's module is named


def test_mock_interview_answer_reveal_and_rating_schedules_the_card(db, learner):
    record, token = learner
    at = open_page("pages/e_interview.py", token)
    assert not at.exception
    reveal = at.button(key="mock-reveal")
    assert reveal.disabled  # answer first
    question = at.session_state["mock-q"]
    at.text_area(key=f"mock-answer-{question}").input("A hidden state carries context forward.").run()
    at.button(key="mock-reveal").click().run()
    assert any("Model answer" in m.value for m in at.markdown)
    at.button(key="mock-rate-Good").click().run()
    assert not at.exception
    deck = db.deck(record.id)
    assert question in deck and deck[question].due > deck[question].added_at
    assert [r.card_id for r in db.reviews(record.id)] == [question]
    assert any("comes back" in s.value for s in at.success)
    assert at.session_state["mock-q"] != question
