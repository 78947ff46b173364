"""Quiz integrity: nothing in an item gives its answer away. Options are shuffled per learner and attempt (and stay
put within one), the right option is not the tell-tale longest, orderings carry no dates, path A gets numeric-free
variants of calculations, and scores are shown as people write them."""

import re
from collections import Counter

import pytest

from core.assessment import quiz
from core.course import content, curriculum

COURSE = curriculum.load_course()
QUIZZES = quiz.all_quizzes()
SINGLES = [(qz.id, q) for qz in QUIZZES for q in qz.questions if q.type == "single"]
LEARNERS = range(1, 401)


def question(**fields) -> quiz.Question:
    return quiz.parse_question({"id": "q", "prompt": "?", "explanation": "Because.", content.LINE: 1, **fields}, "t.yaml")


def test_option_order_is_stable_within_an_attempt_and_differs_between_learners_and_attempts():
    q = question(type="single", options=["a", "b", "c", "d"], answer="c")
    seed = quiz.attempt_seed(7, 1)
    assert q.option_order(seed) == q.option_order(seed), "a review shows the order the learner answered in"
    assert sorted(q.option_order(seed)) == [0, 1, 2, 3]
    orders = {q.option_order(quiz.attempt_seed(learner, 1)) for learner in LEARNERS}
    assert len(orders) == 24, "every order of four options turns up across learners"
    assert len({q.option_order(quiz.attempt_seed(7, attempt)) for attempt in range(1, 30)}) > 5, "a retry reshuffles"


def test_option_order_does_not_depend_on_the_process():
    """Seeds go through SHA-256, not hash(), so a reload on another server process shows the same order."""
    q = question(type="single", options=["a", "b", "c", "d"], answer="c")
    assert q.option_order("3:2") == (0, 2, 1, 3)


def test_the_right_option_lands_in_every_position_about_equally_often():
    for quiz_id, q in SINGLES:
        right = q.options.index(q.answer)
        places = Counter(q.option_order(quiz.attempt_seed(learner, 1)).index(right) for learner in LEARNERS)
        expected = len(LEARNERS) / len(q.options)
        assert set(places) == set(range(len(q.options))), (quiz_id, q.id)
        assert all(abs(n - expected) < 0.35 * expected for n in places.values()), (quiz_id, q.id, places)


def test_for_one_learner_the_right_option_is_not_mostly_first():
    for learner in (1, 2, 3):
        first = sum(q.option_order(quiz.attempt_seed(learner, 1))[0] == q.options.index(q.answer) for _, q in SINGLES)
        assert first / len(SINGLES) < 0.45, learner


def test_the_right_option_is_seldom_the_longest_and_never_far_longer():
    longest = []
    for quiz_id, q in SINGLES:
        others = [len(o) for o in q.options if o != q.answer]
        if len(q.answer) > max(others):
            longest.append(f"{quiz_id}/{q.id}")
        assert len(q.answer) <= 1.25 * max(others), f"{quiz_id}/{q.id}: the right option stands out by its length"
    assert len(longest) / len(SINGLES) <= 0.4, longest


def test_in_the_files_the_right_option_is_not_usually_listed_first():
    first = [f"{quiz_id}/{q.id}" for quiz_id, q in SINGLES if q.options[0] == q.answer]
    assert len(first) / len(SINGLES) <= 0.4, first


def test_ordering_questions_do_not_print_the_dates_that_give_the_order_away():
    for qz in QUIZZES:
        for q in qz.questions:
            if q.type == "ordering":
                dated = [item for item in q.answer if re.search(r"\b(1[89]|20)\d\d", item)]
                assert not dated, (qz.id, q.id, dated)


def test_ordering_scramble_is_never_solved_and_follows_the_seed():
    q = question(type="ordering", items=["a", "b", "c", "d"])
    for seed in map(str, range(50)):
        assert list(q.shuffled(seed)) != ["a", "b", "c", "d"] and q.shuffled(seed) == q.shuffled(seed)


# ---- path variants ---------------------------------------------------------------------------------------------


def test_path_a_answers_no_calculations_in_its_modules():
    for module_id in COURSE.paths["A"].modules:
        mine = quiz.load_quiz(module_id).for_path("A")
        assert not [q.id for q in mine.questions if q.type == "numeric"], module_id
        assert mine.max_score >= 5


def test_a_variant_replaces_its_original_only_on_its_paths():
    m07 = quiz.load_quiz("m07")
    ids = {path: [q.id for q in m07.for_path(path).questions] for path in ("A", "B", None)}
    assert "weight-gist" in ids["A"] and "weight-calc" not in ids["A"]
    assert ids["B"] == ids[None] and "weight-calc" in ids["B"] and "weight-gist" not in ids["B"]
    assert m07.for_path("A").max_score == m07.for_path("B").max_score


@pytest.mark.parametrize("extra, message", [
    ("    replaces: a\n", "'replaces' needs 'paths'"),
    ("    paths: [A]\n    replaces: nope\n", "do not exist: ['nope']"),
    ("    paths: A\n", "'paths' must be a list"),
])
def test_a_broken_variant_is_reported_with_its_line(tmp_path, extra, message):
    path = tmp_path / "v.yaml"
    path.write_text("id: x\ntitle: X\nquestions:\n  - id: a\n    type: truefalse\n    prompt: P\n    answer: true\n"
                    "    explanation: E\n  - id: b\n    type: truefalse\n    prompt: P\n    answer: true\n"
                    "    explanation: E\n" + extra)
    with pytest.raises(quiz.QuizError, match=re.escape(message)):
        quiz.load_quiz_file(path)


# ---- scores for people -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("score, max_score, shown", [
    (4.0, 6, "4 / 6"), (3.9167, 6, "3.9 / 6"), (0.0, 8, "0 / 8"), (7.96, 8, "8 / 8"), (5.5, 6, "5.5 / 6"),
])
def test_scores_show_at_most_one_decimal(score, max_score, shown):
    assert quiz.format_score(score, max_score) == shown


def test_shares_show_as_whole_percentages():
    assert quiz.format_share(0.65277) == "65%" and quiz.format_share(1.0) == "100%"
