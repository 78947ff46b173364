"""Quizzes, diagnostics and flashcards through the real page scripts: answer, see why, score saved, review."""

from datetime import UTC, datetime

import pytest

from core.assessment import flashcards, quiz
from core.course import curriculum
from tests.app.conftest import open_page


def key(quiz_id: str, question_id: str, round_: int = 0) -> str:
    return f"quiz::{quiz_id}::{round_}::{question_id}"


def answer(at, quiz_id: str, overrides: dict | None = None, round_: int = 0, path: str | None = None) -> None:
    """Fill every widget of a quiz with the right answer (or the override), as a learner on `path` would."""
    overrides = overrides or {}
    for q in quiz.load_quiz(quiz_id).for_path(path).questions:
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
    wrong = "A dictionary that stores each word the model has read, ready to look up"
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
    concepts = {row["concept"]: row for df in at.dataframe for row in df.value.to_dict("records") if "concept" in row}
    assert concepts["What does each LSTM gate decide?"]["status"] != "review now", "not queued right after Good"


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
    labels = [e.label for e in at.expander if e.label.startswith("Q")]
    assert len(labels) >= 25
    assert any("Explain how an RNN works" in label for label in labels)
    assert any("temperature" in label for label in labels)
    for staple in ("LSTM cell on the whiteboard", "teacher forcing", "GRU differ from an LSTM",
                   "transformers replace RNNs", "scaled dot-product attention", "bidirectional RNN",
                   "truncated backpropagation"):
        assert any(staple in label for label in labels), staple
    assert any(link.startswith("Learn it in Module 3") for link in (el.proto.label for el in at.get("page_link")))
    at.button(key="interview-add").click().run()
    assert {c for c in db.deck(record.id)} >= {"interview-attention", "interview-temperature",
                                               "interview-teacher-forcing"}
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
    assert not at.button(key="mock-reveal").disabled, "one click reveals, even before the answer box commits"
    question = at.session_state["mock-q"]
    at.text_area(key=f"mock-answer-{question}").input("A hidden state carries context forward.")
    at.button(key="mock-reveal").click().run()  # typed and clicked in one go, as in a browser
    assert any("Model answer" in m.value for m in at.markdown)
    at.button(key="mock-rate-Good").click().run()
    assert not at.exception
    deck = db.deck(record.id)
    assert question in deck and deck[question].due > deck[question].added_at
    assert [r.card_id for r in db.reviews(record.id)] == [question]
    assert any("comes back" in s.value for s in at.success)
    assert at.session_state["mock-q"] != question


@pytest.mark.parametrize("path_key", ["A", "C", "D"])
def test_the_mock_interview_never_opens_with_the_capstone_on_a_path_without_one(db, learner, path_key):
    record, token = learner
    db.set_path(record.id, path_key)
    for _ in range(6):
        at = open_page("pages/e_interview.py", token)
        assert not at.exception
        assert at.session_state["mock-q"] != "interview-capstone-story"


def test_an_empty_answer_still_reveals_the_model_answer_in_one_click(db, learner):
    _, token = learner
    at = open_page("pages/e_interview.py", token)
    at.button(key="mock-reveal").click().run()
    assert not at.exception
    assert any("Model answer" in m.value for m in at.markdown)
    assert any("try an answer before you look" in c.value for c in at.caption)


def radio_options(at, quiz_id: str, question_id: str, round_: int = 0) -> list[str]:
    return list(at.radio(key=key(quiz_id, question_id, round_)).options)


def test_each_learner_sees_their_own_option_order_and_keeps_it_after_checking(db):
    orders = []
    for name in ("Ada", "Bo", "Cy", "Di"):
        record, token = db.create_learner(name)
        at = open_page("pages/m03_lstm.py", token)
        orders.append(tuple(tuple(radio_options(at, "m03", q)) for q in ("why-vanish", "forget-purpose", "analogy")))
        answer(at, "m03")
        at.button(key="quiz::m03::0::check").click().run()
        assert not at.exception
        after = tuple(tuple(radio_options(at, "m03", q)) for q in ("why-vanish", "forget-purpose", "analogy"))
        assert after == orders[-1], "the review shows the order the learner answered in"
        at.button(key="quiz::m03::0::retry").click().run()
        retry = tuple(tuple(radio_options(at, "m03", q, 1)) for q in ("why-vanish", "forget-purpose", "analogy"))
        assert retry != orders[-1], "a new attempt reshuffles"
    assert len(set(orders)) == len(orders), "options are not in one order for everybody"


def test_path_a_gets_a_numeric_free_attention_question(db, learner):
    record, token = learner
    db.set_path(record.id, "A")
    at = open_page("pages/m07_attention.py", token)
    assert not at.exception
    keys = {w.key for w in at.radio} | {w.key for w in at.text_input}
    assert key("m07", "weight-gist") in keys and key("m07", "weight-calc") not in keys
    at.toggle(key="quiz::m07::plain").set_value(True).run()
    answer(at, "m07", path="A")
    at.button(key="quiz::m07::0::check").click().run()
    assert not at.exception
    assert db.best_quiz_scores(record.id) == {"m07": pytest.approx(1.0)}


def test_home_names_quizzes_by_module_and_rounds_scores(db, learner):
    record, token = learner
    db.set_path(record.id, "B")
    db.record_quiz_score(record.id, "m03", 5.8333, 8)
    db.record_quiz_score(record.id, "readiness_math", 3, 5)
    db.record_quiz_score(record.id, "m02-speed-round", 4, 5)
    at = open_page("Home.py", token)
    assert not at.exception
    table = next(df.value for df in at.dataframe if "best score" in df.value.columns)
    rows = table.to_dict("records")
    assert rows == [
        {"quiz": "Module 2: speed round", "best score": "", "share": 80},
        {"quiz": "Module 3 · Vanishing gradients and the LSTM", "best score": "5.8 / 8", "share": 73},
        {"quiz": quiz.load_quiz("readiness_math").title, "best score": "3 / 5", "share": 60},
    ]
    assert "m03" not in str(rows)


def test_passing_a_module_quiz_moves_the_footer_and_the_sidebar_to_the_next_step(db, learner):
    """Checking the answers reruns the whole page (not only the quiz card), so what was drawn before the score
    existed (the sidebar's next step, the page's footer) is up to date, and the review stays on screen."""
    from core.course import curriculum

    record, token = learner
    course = curriculum.load_course()
    db.set_path(record.id, "A")
    for module_id in ("m00", "m01", "m03"):  # path A: m00, m01, m03, m05, ...; only m03's quiz is missing
        for section in course.required_sections(module_id, "A"):
            db.set_section_done(record.id, module_id, section)
        if module_id != "m03":
            db.record_quiz_score(record.id, module_id, 1.0, 1.0)
    at = open_page("pages/m03_lstm.py", token)
    assert any("To complete this step: take the module quiz" in c.value for c in at.caption)
    answer(at, "m03", path="A")
    at.button(key="quiz::m03::0::check").click().run()
    assert not at.exception, at.exception
    nxt = course.pages["m05"]
    links = [link.proto.label for link in at.get("page_link")]
    assert f"Next step on your path: {nxt.heading}" in links, links
    assert f"Next step: {nxt.label}" in [link.proto.label for link in at.sidebar.get("page_link")]
    assert not any("To complete this step" in c.value for c in at.caption)
    assert any("Score:" in m.value for m in at.markdown), "the learner still sees the review"


def test_an_empty_deck_starts_with_one_click_from_the_cards_of_the_learners_path(db, learner):
    record, token = learner
    db.set_path(record.id, "D")
    at = open_page("pages/p_flashcards.py", token)
    assert "Your deck is empty" in texts(at.info)
    at.button(key="fc::starter").click().run()
    assert not at.exception
    path_modules = set(curriculum.load_course().paths["D"].modules)
    expected = {c.id for c in flashcards.load_cards() if c.module in path_modules}
    assert expected and set(db.deck(record.id)) == expected
    assert "Your deck is empty" not in texts(at.info)


def test_the_capstone_pitch_is_folded_away_on_a_path_without_the_capstone(db, learner):
    record, token = learner
    db.set_path(record.id, "D")
    at = open_page("pages/e_interview.py", token)
    assert not at.exception
    assert "Talking about your capstone" not in [h.value for h in at.subheader]
    assert any("capstone, Module 10, is not on your path" in e.label for e in at.expander)
    db.set_path(record.id, "B")
    at = open_page("pages/e_interview.py", token)
    assert "Talking about your capstone" in [h.value for h in at.subheader]
