"""Path A (managers) answers no calculations: every numeric item and every item whose options are numbers has a
conceptual variant on that path, and the variant is shown there instead of the original."""

import re

import pytest

from core.assessment import quiz
from core.course import curriculum

COURSE = curriculum.load_course()
NUMBER = re.compile(r"[-+−]?\d[\d,]*(\.\d+)?(e[-+]?\d+)?\s*%?")


def is_calculation(q: quiz.Question) -> bool:
    """A numeric answer, or a choice between numbers (options that are numbers with at most a unit word)."""
    if q.type == "numeric":
        return True
    if q.type in ("single", "multi"):
        numeric = [o for o in q.options if NUMBER.fullmatch(re.sub(r"\s*[a-zA-Z/]*$", "", o.strip()))]
        return len(numeric) >= len(q.options) - 1
    return False


@pytest.mark.parametrize("module_id", COURSE.paths["A"].modules)
def test_path_a_quizzes_hold_no_calculation_item(module_id):
    mine = quiz.load_quiz(module_id).for_path("A")
    assert not [q.id for q in mine.questions if is_calculation(q)]
    full = quiz.load_quiz(module_id)
    assert mine.max_score == full.for_path("B").max_score, "a variant replaces its original one for one"


def test_the_calculation_check_recognises_a_numeric_choice():
    q = quiz.parse_question({"id": "w", "type": "single", "prompt": "Weight?", "options": ["0.665", "0.245", "0.090"],
                             "answer": "0.665", "explanation": "softmax"}, "t.yaml")
    assert is_calculation(q)
    assert not is_calculation(quiz.load_quiz("m07").question("weight-gist"))
