"""Appendix E's interview set: at least 25 questions, each with a model answer and a module that teaches it, the
staples interviewers ask about recurrent networks among them, every one a flashcard; and a mock interview that
draws from the learner's path (no capstone question where the path has no capstone)."""

import pytest

from core.assessment import flashcards, interview
from core.assessment.quiz import QuizError
from core.course import content, curriculum

COURSE = curriculum.load_course()
QUESTIONS = interview.load()
STAPLES = {
    "interview-lstm-whiteboard": ("m03", ["forget", "input", "output", r"c_t = f_t \odot c_{t-1}"]),
    "interview-teacher-forcing": ("m06", ["true", "exposure bias", "scheduled sampling"]),
    "interview-gru-vs-lstm": ("m03", ["update gate", "reset gate", "parameters"]),
    "interview-why-transformers": ("m08", ["parallel", "one step apart", "square of the sequence length"]),
    "interview-scaled-dot-product": ("m07", ["Bahdanau", r"\sqrt{d_k}", "variance"]),
    "interview-bidirectional": ("m06", ["right to left", "language modelling", "stream"]),
    "interview-truncated-bptt": ("m09", ["window", "detach", "dependencies longer"]),
}


def test_the_set_has_at_least_25_questions_each_with_a_model_answer_and_a_module():
    assert len(QUESTIONS) >= 25
    assert len({q.id for q in QUESTIONS}) == len(QUESTIONS)
    for q in QUESTIONS:
        assert q.module in COURSE.modules, (q.id, q.module)
        assert q.question.endswith("?") or q.question.endswith("."), q.id
        assert len(q.answer.split()) >= 40, f"{q.id}: a model answer, not a hint"
        assert q.level in flashcards.LEVELS and q.kind in flashcards.KINDS and q.tags, q.id


@pytest.mark.parametrize("question_id", list(STAPLES))
def test_the_interview_staples_are_answered_in_the_module_that_teaches_them(question_id):
    module, must_say = STAPLES[question_id]
    q = next(q for q in QUESTIONS if q.id == question_id)
    assert q.module == module
    answer = " ".join(q.answer.split())
    for phrase in must_say:
        assert phrase in answer, (question_id, phrase)


def test_every_question_is_a_flashcard_under_its_old_id():
    cards = flashcards.by_id(flashcards.load_cards())
    for q in QUESTIONS:
        card = cards[q.id]
        assert card.source == "interview" and card.back == q.answer and card.module == q.module
        assert card.front.startswith("Interview") and q.question in card.front and "interview" in card.tags
    for kept in ("interview-how-rnn-works", "interview-attention", "interview-temperature",
                 "interview-capstone-story"):
        assert kept in cards, "ids stay stable, so decks keep their schedules"


def test_only_the_capstone_question_needs_a_capstone():
    assert [q.id for q in QUESTIONS if q.capstone] == ["interview-capstone-story"]


@pytest.mark.parametrize("path_key", list(COURSE.paths))
def test_the_mock_interview_draws_from_the_path_and_needs_a_capstone_for_the_capstone_question(path_key):
    path = COURSE.paths[path_key]
    pool = interview.mock_pool(QUESTIONS, path)
    assert len(pool) >= 5
    assert any(q.capstone for q in pool) == ("m10" in path.modules)
    if "interview" in path.steps:
        assert len(pool) == len(QUESTIONS) - 1, "path D practises the whole set except the capstone story"
    else:
        assert all(q.module in path.modules for q in pool)


def test_with_no_path_the_mock_interview_skips_only_the_capstone_question():
    pool = interview.mock_pool(QUESTIONS, None)
    assert {q.id for q in QUESTIONS} - {q.id for q in pool} == {"interview-capstone-story"}


def test_a_malformed_interview_file_names_its_line(tmp_path):
    path = tmp_path / "interview.yaml"
    path.write_text("- id: a\n  module: m02\n  level: Foundational\n  kind: concept\n  tags: [x]\n"
                    "  question: Why?\n  answer: Because.\n- id: b\n  module: m02\n  question: Why?\n")
    with pytest.raises(QuizError, match=r"interview.yaml:8: question 'b' is missing level, kind, tags, answer"):
        interview.parse(content.read_yaml(path), path)
