"""Quiz content and engine: every question is answerable and explained, each type grades as it should, numbers
are read sensibly, malformed files name their file and line, and the diagnostics recommend as the plan says."""

import itertools
import math

import pytest

from core.assessment import diagnostics, flashcards, quiz
from core.assessment.quiz import AnswerError, Question, QuizError
from core.course import content, curriculum

COURSE = curriculum.load_course()
QUIZZES = quiz.all_quizzes()
BY_ID = {q.id: q for q in QUIZZES}
CARD_IDS = {c.id for c in flashcards.load_cards()}


def right_answer(q: Question):
    """The response a learner who knows the answer gives, in the shape the widgets produce."""
    return {
        "single": lambda: q.answer,
        "multi": lambda: list(q.answer),
        "truefalse": lambda: q.answer,
        "numeric": lambda: repr(q.answer),
        "matching": lambda: dict(q.answer),
        "ordering": lambda: list(q.answer),
        "reflection": lambda: "My notes.",
    }[q.type]()


def question(**fields) -> Question:
    return quiz.parse_question({"id": "q", "prompt": "?", "explanation": "Because.", content.LINE: 1, **fields}, "t.yaml")


@pytest.mark.parametrize("qz", QUIZZES, ids=lambda q: q.id)
def test_every_question_has_a_valid_answer_and_an_explanation(qz):
    for q in qz.questions:
        assert len(q.explanation) > 40, f"{qz.id}/{q.id}: explain why, in a sentence or two"
        grade = quiz.grade(q, right_answer(q))
        if q.graded:
            assert grade.correct and grade.score == 1, f"{qz.id}/{q.id} does not accept its own answer"
        else:
            assert grade.correct is None
        if q.card:
            assert q.card in CARD_IDS, f"{qz.id}/{q.id} links to unknown card {q.card}"
    assert quiz.grade_quiz(qz, {q.id: right_answer(q) for q in qz.questions}).share == 1


@pytest.mark.parametrize("module_id", list(COURSE.modules))
def test_every_module_has_a_quiz_with_at_least_five_graded_questions(module_id):
    qz = BY_ID[module_id]
    assert qz.module == module_id
    assert qz.max_score >= 5
    assert all(q.card for q in qz.questions if q.graded), "each graded question names its flashcard"


def test_the_lesson_plans_knowledge_checks_are_covered():
    m01 = {q.id: q for q in BY_ID["m01"].questions}
    assert {"fixed-size", "many-to-one-vs-many", "one-example-each"} <= set(m01)  # the three-question check
    assert len(m01["one-example-each"].answer) == 5 and m01["sequence-sorter"].widget == "buckets"
    assert any(q.type == "reflection" for q in m01.values())
    gates = BY_ID["m03"].question("gate-matching")
    assert gates.type == "matching" and gates.stars == 2
    assert set(gates.answer.values()) == {"Forget gate", "Input gate", "Output gate"}
    # the spaced-repetition reviews at the end of modules 2 and 3
    assert {"three-matrices", "hidden-state-role", "squash"} <= {q.id for q in BY_ID["m02"].questions}
    assert {"why-vanish", "forget-purpose", "analogy"} <= {q.id for q in BY_ID["m03"].questions}
    kinds = {q.type for qz in QUIZZES for q in qz.questions}
    assert kinds == set(quiz.TYPES)


def softmax(xs, t=1.0):
    e = [math.exp(x / t) for x in xs]
    return [v / sum(e) for v in e]


def test_numeric_answers_match_a_fresh_computation():
    expected = {
        ("m03", "half-to-the-twentieth"): 0.5 ** 20,
        ("m03", "two-to-the-twentieth"): 2 ** 20,
        ("m02", "softmax-number"): softmax([2.0, 0.5, 1.0])[0],
        ("m02", "hand-calc"): math.tanh(0.5 * 1 + (-1) * 0 + 1 * 0 + 0 * 1),
        ("m04", "hello-untrained"): softmax([1.0, 2.2, -3.0, 4.1])[1],
        ("m04", "ce-bad"): -math.log(0.01),
        ("m04", "perplexity"): math.exp(1.5),
        ("m04", "temp-half"): softmax([2.0, 1.0, 0.5], t=0.5)[0],
        ("m07", "weight-calc"): softmax([0.5 * 0.4 + 0.3 * 0.2, 0.5 * 0.1 + 0.3 * 0.8, 0.5 * 0.6 + 0.3 * 0.1])[2],
        ("m09", "clip-factor"): 5 / 100,
        ("m09", "uniform-loss"): math.log(65),
        ("m10", "ppl-to-loss"): math.log(4),
    }
    for (quiz_id, question_id), value in expected.items():
        q = BY_ID[quiz_id].question(question_id)
        assert q.answer == pytest.approx(value, rel=1e-3), (quiz_id, question_id)
    assert BY_ID["m03"].question("half-to-the-twentieth").answer == pytest.approx(9.5367e-07, rel=1e-4)


# ---- grading of each type ------------------------------------------------------------------------------------


def test_single_choice_explains_the_wrong_pick_and_names_the_answer():
    q = question(type="single", options=["a", "b"], answer="b", why={"a": "a is a trap."})
    grade = quiz.grade(q, "a")
    assert not grade.correct and grade.score == 0
    assert any("a is a trap" in line for line in grade.feedback)
    assert any("**b**" in line for line in grade.feedback)
    assert grade.explanation == "Because."


def test_multiple_choice_gives_partial_credit_and_lists_misses_and_extras():
    q = question(type="multi", options=["a", "b", "c", "d"], answer=["a", "b", "c"])
    assert quiz.grade(q, ["a", "b", "c"]).correct
    partial = quiz.grade(q, ["a", "b"])
    assert not partial.correct and partial.score == pytest.approx(2 / 3)
    assert any("Missed **c**" in f for f in partial.feedback)
    wrong = quiz.grade(q, ["a", "d"])
    assert wrong.score == 0 and any("**d** does not belong" in f for f in wrong.feedback)


def test_true_false():
    q = question(type="truefalse", answer=False)
    assert quiz.grade(q, False).correct
    assert not quiz.grade(q, True).correct


def test_numeric_uses_the_tolerance():
    q = question(type="numeric", answer=0.5 ** 20, rel_tolerance=0.06)
    for typed in ("1e-6", "0.000001", "9.54e-7", " 0.00000095 "):
        assert quiz.grade(q, typed).correct, typed
    assert not quiz.grade(q, "0.5").correct
    exact = question(type="numeric", answer=1048576, rel_tolerance=0.001)
    assert quiz.grade(exact, " 1,048,576 ").correct and not quiz.grade(exact, "1,000,000").correct


def test_matching_gives_credit_per_pair():
    q = question(type="matching", pairs={"x": "1", "y": "2", "z": "3"})
    assert q.choices == ("1", "2", "3")
    grade = quiz.grade(q, {"x": "1", "y": "3", "z": "2"})
    assert not grade.correct and grade.score == pytest.approx(1 / 3)
    assert any("*y* → **2**" in f for f in grade.feedback)


def test_ordering_gives_credit_per_place_and_never_starts_solved():
    q = question(type="ordering", items=["a", "b", "c", "d"])
    assert list(q.shuffled()) != ["a", "b", "c", "d"] and sorted(q.shuffled()) == ["a", "b", "c", "d"]
    assert q.shuffled("7:1") == q.shuffled("7:1"), "the same learner and attempt see the same scramble"
    grade = quiz.grade(q, ["a", "b", "d", "c"])
    assert not grade.correct and grade.score == 0.5
    assert "**a** → **b** → **c** → **d**" in grade.feedback[0]


def test_reflection_is_saved_not_graded():
    q = question(type="reflection")
    grade = quiz.grade(q, "anything")
    assert grade.correct is None and not q.graded


def test_unanswered_questions_are_listed_and_unreadable_numbers_name_the_question():
    qz = BY_ID["m03"].for_path("B")
    responses = {q.id: right_answer(q) for q in qz.questions}
    responses["gate-matching"] = {"Drop the memory that the review so far sounded positive": "Forget gate"}
    responses["forget-purpose"] = None
    assert quiz.unanswered(qz, responses) == [1, 5]
    responses = {q.id: right_answer(q) for q in qz.questions}
    responses["half-to-the-twentieth"] = "0.5^20"
    with pytest.raises(AnswerError, match=r"Question 2: '0\.5\^20' is not a number"):
        quiz.grade_quiz(qz, responses)


# ---- reading numbers -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, value", [
    ("1e-6", 1e-6), ("0.000001", 1e-6), (" 1,000 ", 1000.0), ("-2.5E3", -2500.0), ("1,048,576", 1048576.0),
    ("\u22123", -3.0), (".5", 0.5), ("7.", 7.0), ("1 000", 1000.0), ("+4", 4.0),
])
def test_numbers_are_read_sensibly(text, value):
    assert quiz.parse_number(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["", "   ", "abc", "0.5^20", "1/2", "nan", "inf", "1e", "--1", "1,5", "12,34"])
def test_non_numbers_are_rejected_with_a_message(text):
    with pytest.raises(AnswerError) as err:
        quiz.parse_number(text)
    assert str(err.value)


# ---- malformed content ---------------------------------------------------------------------------------------


def write(tmp_path, text: str):
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_yaml_syntax_error_names_the_file_and_line(tmp_path):
    path = write(tmp_path, "id: x\ntitle: X\nquestions:\n  - id: a\n    prompt: [unclosed\n    type: single\n")
    with pytest.raises(QuizError, match=rf"^{path}:\d+: not valid YAML"):
        quiz.load_quiz_file(path)


@pytest.mark.parametrize("body, line, message", [
    ("  - id: a\n    type: single\n    prompt: P\n    options: [x, y]\n    answer: z\n    explanation: E\n",
     4, "'answer' must be one of its options"),
    ("  - id: a\n    type: truefalse\n    prompt: P\n    answer: true\n  - id: b\n    type: truefalse\n"
     "    prompt: P\n    answer: true\n", 4, "'explanation' must be a non-empty text"),
    ("  - id: a\n    type: essay\n    prompt: P\n    explanation: E\n", 4, "type 'essay'"),
    ("  - id: a\n    type: numeric\n    prompt: P\n    answer: 3\n    explanation: E\n", 4, "tolerance"),
    ("  - id: a\n    type: ordering\n    prompt: P\n    items: [x, y]\n    explanation: E\n", 4, "at least 3"),
])
def test_a_malformed_question_names_the_file_and_its_line(tmp_path, body, line, message):
    path = write(tmp_path, "id: x\ntitle: X\nquestions:\n" + body)
    with pytest.raises(QuizError) as err:
        quiz.load_quiz_file(path)
    assert str(err.value).startswith(f"{path}:{line}:") and message in str(err.value)


def test_a_file_that_is_not_a_quiz_is_reported(tmp_path):
    with pytest.raises(QuizError, match=r"broken.yaml:1:"):
        quiz.load_quiz_file(write(tmp_path, "- just\n- a list\n"))
    with pytest.raises(QuizError, match="no such quiz"):
        quiz.load_quiz("missing", tmp_path)


# ---- diagnostics ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("quiz_id, correct, level, refreshers", [
    ("readiness_math", 5, "ready", []),
    ("readiness_math", 4, "mini-refresher", ["calculus"]),
    ("readiness_math", 3, "mini-refresher", ["calculus"]),
    ("readiness_math", 2, "full foundation", ["calculus", "linear-algebra"]),
    ("readiness_math", 0, "full foundation", ["calculus", "linear-algebra"]),
    ("readiness_python", 5, "ready", []),
    ("readiness_python", 3, "mini-refresher", ["numpy"]),
    ("readiness_python", 1, "full foundation", ["numpy", "softmax"]),
])
def test_readiness_scoring_follows_the_plan(quiz_id, correct, level, refreshers):
    qz = BY_ID[quiz_id]
    assert len(qz.questions) == 5 and qz.max_score == 5
    band = diagnostics.readiness_verdict(qz, correct)
    assert band.level == level and [r.id for r in band.refreshers] == refreshers
    assert all(len(r.body) > 100 for r in band.refreshers)


SURVEY = diagnostics.load_use_case()


def picks(*texts_start: str) -> dict[str, str]:
    return {q.id: next(c.text for c in q.choices if c.text.startswith(t)) for q, t in zip(SURVEY.questions,
                                                                                       texts_start, strict=True)}


def test_use_case_recommends_a_path_with_reasons_and_modules():
    manager = diagnostics.recommend(SURVEY, picks("I manage", "Less than", "Judge", "Time series", "I do not"))
    assert manager.path == "A" and manager.reasons
    assert [m for m, _ in manager.focus] == ["m01", "m03", "m08"]
    engineer = diagnostics.recommend(SURVEY, picks("I build", "More than", "Build and ship", "Text", "I write"))
    assert engineer.path == "B" and "m09" in dict(engineer.focus)
    seeker = diagnostics.recommend(SURVEY, picks("I am preparing", "2 to 5", "Explain", "None", "I can read"))
    assert seeker.path == "D"
    with pytest.raises(ValueError):
        diagnostics.recommend(SURVEY, {})


def test_every_path_can_be_recommended_and_every_module_named_exists():
    seen = set()
    for combo in itertools.product(*(q.choices for q in SURVEY.questions)):
        rec = diagnostics.recommend(SURVEY, {q.id: c.text for q, c in zip(SURVEY.questions, combo, strict=True)})
        seen.add(rec.path)
        assert all(m in COURSE.modules for m, _ in rec.focus)
    assert seen == set("ABCD")
    assert len(SURVEY.questions) == 5


def test_a_malformed_use_case_file_names_its_line(tmp_path):
    path = write(tmp_path, "questions:\n  - id: role\n    prompt: Role?\n    options:\n      - text: Boss\n"
                           "        paths: {Z: 1}\n        reason: R\n      - text: Dev\n        reason: R\n")
    with pytest.raises(QuizError, match=rf"^{path}:5: unknown path weights \['Z'\]"):
        diagnostics.parse_use_case(content.read_yaml(path), path)
