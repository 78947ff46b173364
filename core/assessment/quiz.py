"""Questions and grading: the quiz files in assets/quizzes/*.yaml, checked on load, and a grader for each type.

Seven types: single, multi, truefalse, numeric, matching, ordering, reflection (saved, never graded). Every graded
question carries an explanation of *why*; a malformed file raises QuizError naming the file and line. Options are
shown in an order seeded by learner, question and attempt, so the answer's position gives nothing away.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from core import settings
from core.course.content import LINE, ContentError, read_yaml, strip_lines

QUIZ_DIR = settings.ASSETS / "quizzes"
TYPES = ("single", "multi", "truefalse", "numeric", "matching", "ordering", "reflection")
GRADED = tuple(t for t in TYPES if t != "reflection")
SURVEYS = ("use_case",)  # files in QUIZ_DIR read by core.assessment.diagnostics, not as quizzes


QuizError = ContentError  # one error type for all course content (quizzes, cards, surveys)


class AnswerError(ValueError):
    """A learner's answer cannot be read (e.g. text where a number is expected); the message says why."""


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    prompt: str
    explanation: str
    stars: int = 1
    options: tuple[str, ...] = ()  # single / multi: in display order
    answer: Any = None  # str | tuple[str, ...] | bool | float; matching: dict; ordering: tuple (correct order)
    why: dict[str, str] = field(default_factory=dict)  # option -> why it is right or wrong
    choices: tuple[str, ...] = ()  # matching: the right-hand values to pick from
    tolerance: float = 0.0  # numeric: absolute
    rel_tolerance: float = 0.0  # numeric: relative to the answer
    unit: str = ""
    widget: str = ""  # matching: "buckets" draws drag-and-drop categories
    card: str | None = None  # flashcard id added to the learner's deck when this is missed
    paths: tuple[str, ...] = ()  # only on these learning paths (empty: every path, and no path)
    replaces: str | None = None  # on those paths, shown instead of this question (e.g. a numeric-free variant)
    line: int = 0

    @property
    def graded(self) -> bool:
        return self.type in GRADED

    def shuffled(self, seed: str = "") -> tuple[str, ...]:
        """Ordering items in a scrambled order that is never already correct; the same seed, the same scramble."""
        items = list(self.answer)
        rng = random.Random(_seed(self.id, seed))
        for _ in range(20):
            rng.shuffle(items)
            if items != list(self.answer):
                break
        return tuple(items)

    def option_order(self, seed: str = "") -> tuple[int, ...]:
        """Indexes into `options` in the order one learner sees them in one attempt (seed: learner and attempt)."""
        order = list(range(len(self.options)))
        random.Random(_seed(self.id, seed)).shuffle(order)
        return tuple(order)


def _seed(question_id: str, seed: str) -> int:
    """A stable integer from a question and a seed text (the same in every process, unlike hash())."""
    return int.from_bytes(hashlib.sha256(f"{seed}\x1f{question_id}".encode()).digest()[:8], "big")


def attempt_seed(learner_id: int | str, attempt: int) -> str:
    """The shuffle seed of one learner's attempt at a quiz: stable while they answer and when they review it."""
    return f"{learner_id}:{attempt}"


@dataclass(frozen=True)
class Quiz:
    id: str
    title: str
    module: str | None
    intro: str
    questions: tuple[Question, ...]
    source: Path
    meta: dict = field(default_factory=dict)  # extra top-level data (e.g. readiness scoring bands)

    @property
    def max_score(self) -> int:
        return sum(1 for q in self.questions if q.graded)

    def for_path(self, path_key: str | None) -> Quiz:
        """The questions a learner on `path_key` answers: path-only variants replace what they name there."""
        mine = [q for q in self.questions if not q.paths or path_key in q.paths]
        replaced = {q.replaces for q in mine if q.replaces}
        kept = tuple(q for q in mine if q.id not in replaced)
        return self if len(kept) == len(self.questions) else replace(self, questions=kept)

    def question(self, question_id: str) -> Question:
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(f"Quiz {self.id!r} has no question {question_id!r}")


@dataclass(frozen=True)
class Grade:
    correct: bool | None  # None: not graded (reflection)
    score: float  # 0..1 (partial credit for multi, matching, ordering)
    feedback: tuple[str, ...]  # markdown lines about this answer
    explanation: str


# ---- loading -------------------------------------------------------------------------------------------------


def _text(raw: dict, key: str, where: str, required: bool = True) -> str:
    value = raw.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise QuizError(f"{where}: '{key}' must be a non-empty text")
    return value.strip()


def _strings(raw: dict, key: str, where: str, minimum: int) -> tuple[str, ...]:
    value = raw.get(key)
    if not isinstance(value, list) or len(value) < minimum or not all(isinstance(v, str | int | float) for v in value):
        raise QuizError(f"{where}: '{key}' must be a list of at least {minimum} texts")
    items = tuple(str(v).strip() for v in value)
    if len(set(items)) != len(items):
        raise QuizError(f"{where}: '{key}' has duplicate entries")
    return items


def parse_question(raw: Any, source: Path | str) -> Question:
    if not isinstance(raw, dict):
        raise QuizError(f"{source}: each question must be a mapping (a block of 'key: value' lines)")
    where = f"{source}:{raw.get(LINE, '?')}"
    qid = _text(raw, "id", where)
    kind = raw.get("type")
    if kind not in TYPES:
        raise QuizError(f"{where}: question {qid!r} has type {kind!r}; use one of {', '.join(TYPES)}")
    stars = raw.get("stars", 1)
    if stars not in (1, 2, 3):
        raise QuizError(f"{where}: 'stars' must be 1, 2 or 3")
    paths = raw.get("paths") or []
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        raise QuizError(f"{where}: 'paths' must be a list of path keys such as [A]")
    replaces = raw.get("replaces")
    if replaces is not None and not paths:
        raise QuizError(f"{where}: question {qid!r}: 'replaces' needs 'paths' (where the variant is shown)")
    common = dict(id=qid, type=kind, prompt=_text(raw, "prompt", where), stars=stars, line=raw.get(LINE, 0),
                  explanation=_text(raw, "explanation", where), card=raw.get("card"), paths=tuple(paths),
                  replaces=str(replaces) if replaces is not None else None)
    why = strip_lines(raw.get("why") or {})
    if not isinstance(why, dict):
        raise QuizError(f"{where}: 'why' must map options to reasons")
    if kind in ("single", "multi"):
        options = _strings(raw, "options", where, 2)
        answer = raw.get("answer")
        picks = (answer,) if kind == "single" else answer
        if not isinstance(picks, list | tuple) or not picks or any(str(p).strip() not in options for p in picks):
            raise QuizError(f"{where}: question {qid!r}: 'answer' must be {'one of' if kind == 'single' else 'a list drawn from'} its options")
        unknown = set(why) - set(options)
        if unknown:
            raise QuizError(f"{where}: 'why' names options that do not exist: {sorted(unknown)}")
        value = str(answer).strip() if kind == "single" else tuple(str(p).strip() for p in picks)
        return Question(**common, options=options, answer=value, why={str(k): str(v) for k, v in why.items()})
    if kind == "truefalse":
        if not isinstance(raw.get("answer"), bool):
            raise QuizError(f"{where}: question {qid!r}: 'answer' must be true or false")
        return Question(**common, answer=raw["answer"])
    if kind == "numeric":
        answer, tol, rel = raw.get("answer"), raw.get("tolerance", 0), raw.get("rel_tolerance", 0)
        if isinstance(answer, bool) or not isinstance(answer, int | float) or not math.isfinite(answer):
            raise QuizError(f"{where}: question {qid!r}: 'answer' must be a number")
        if not all(isinstance(t, int | float) and t >= 0 for t in (tol, rel)) or (tol == 0 and rel == 0):
            raise QuizError(f"{where}: question {qid!r}: give a positive 'tolerance' or 'rel_tolerance'")
        return Question(**common, answer=float(answer), tolerance=float(tol), rel_tolerance=float(rel),
                        unit=str(raw.get("unit") or ""))
    if kind == "matching":
        pairs = strip_lines(raw.get("pairs"))
        if not isinstance(pairs, dict) or len(pairs) < 2:
            raise QuizError(f"{where}: question {qid!r}: 'pairs' must map at least two items to their match")
        pairs = {str(k).strip(): str(v).strip() for k, v in pairs.items()}
        extra = tuple(str(c).strip() for c in raw.get("choices") or ())
        choices = tuple(dict.fromkeys([*sorted(set(pairs.values())), *extra]))
        widget = raw.get("widget", "")
        if widget not in ("", "buckets"):
            raise QuizError(f"{where}: 'widget' must be 'buckets' or left out")
        return Question(**common, answer=pairs, choices=choices, widget=widget)
    if kind == "ordering":
        return Question(**common, answer=_strings(raw, "items", where, 3))
    return Question(**common)  # reflection


def parse_quiz(data: Any, source: Path) -> Quiz:
    if not isinstance(data, dict):
        raise QuizError(f"{source}:1: a quiz file must be a mapping with 'id', 'title' and 'questions'")
    where = f"{source}:{data.get(LINE, 1)}"
    questions = data.get("questions")
    if not isinstance(questions, list) or not questions:
        raise QuizError(f"{where}: 'questions' must be a non-empty list")
    parsed = tuple(parse_question(q, source) for q in questions)
    ids = [q.id for q in parsed]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise QuizError(f"{where}: duplicate question ids {dupes}")
    orphans = sorted(q.replaces for q in parsed if q.replaces and q.replaces not in ids)
    if orphans:
        raise QuizError(f"{where}: 'replaces' names questions that do not exist: {orphans}")
    known = {"id", "title", "module", "intro", "questions", LINE}
    meta = strip_lines({k: v for k, v in data.items() if k not in known})
    return Quiz(_text(data, "id", where), _text(data, "title", where), data.get("module"),
                _text(data, "intro", where, required=False), parsed, source, meta)


def load_quiz_file(path: Path) -> Quiz:
    return parse_quiz(read_yaml(path), path)


@cache
def load_quiz(quiz_id: str, folder: Path = QUIZ_DIR) -> Quiz:
    """The quiz in `folder/<quiz_id>.yaml`; raises QuizError (file and line) when it is malformed."""
    path = folder / f"{quiz_id}.yaml"
    if not path.exists():
        raise QuizError(f"{path}: no such quiz file")
    return load_quiz_file(path)


def quiz_files(folder: Path = QUIZ_DIR) -> list[Path]:
    """Every quiz file (the use-case survey, which has no right answers, is not a quiz)."""
    return sorted(p for p in folder.glob("*.yaml") if p.stem not in SURVEYS)


def all_quizzes(folder: Path = QUIZ_DIR) -> list[Quiz]:
    return [load_quiz(p.stem, folder) for p in quiz_files(folder)]


# ---- answers and grading -------------------------------------------------------------------------------------

_PLAIN = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?([eE][+-]?\d+)?")


def parse_number(text: str | None) -> float:
    """Read a typed number such as '1e-6', '0.000001', ' 1,000 ' or '-2.5E3'.

    Commas are only allowed as thousands separators (groups of three digits); anything else raises AnswerError.
    """
    raw = (text or "").strip().replace("\u2212", "-").replace(" ", "").replace("_", "")
    if not raw:
        raise AnswerError("Type a number.")
    if _THOUSANDS.fullmatch(raw):
        raw = raw.replace(",", "")
    elif "," in raw:
        raise AnswerError(f"'{text.strip()}' is not a number this quiz can read: use a dot for decimals "
                          "(0.5) and commas only between groups of three digits (1,000).")
    if not _PLAIN.fullmatch(raw):
        raise AnswerError(f"'{text.strip()}' is not a number. Write it as digits, e.g. 0.000001 or 1e-6 "
                          "(no formulas such as 0.5^20: work it out first).")
    return float(raw)


def numeric_ok(q: Question, value: float) -> bool:
    allowed = max(q.tolerance, q.rel_tolerance * abs(q.answer))
    return abs(value - q.answer) <= allowed + 1e-15


def is_answered(q: Question, response: Any) -> bool:
    if q.type in ("single", "truefalse"):
        return response is not None
    if q.type == "multi":
        return bool(response)
    if q.type == "numeric":
        return bool(str(response or "").strip())
    if q.type == "matching":
        return isinstance(response, dict) and all(response.get(k) for k in q.answer)
    if q.type == "ordering":
        return isinstance(response, list | tuple) and sorted(response) == sorted(q.answer)
    return True


def _fmt(x: float) -> str:
    return f"{x:,.6g}" if 1e-4 <= abs(x) < 1e7 or x == 0 else f"{x:.5g}"


def grade(q: Question, response: Any) -> Grade:
    """Grade one answer. Numeric text that is not a number raises AnswerError (show it; do not grade)."""
    fb: list[str] = []
    if q.type == "reflection":
        return Grade(None, 0.0, ("Saved. Reflections are for you and are not graded.",), q.explanation)
    if q.type == "single":
        ok = response == q.answer
        if response in q.why:
            fb.append(f"**{response}**: {q.why[response]}")
        if not ok:
            fb.append(f"The answer is **{q.answer}**." + (f" {q.why[q.answer]}" if q.answer in q.why else ""))
        return Grade(ok, float(ok), tuple(fb), q.explanation)
    if q.type == "multi":
        picked, right = set(response or ()), set(q.answer)
        hits, wrong = picked & right, picked - right
        score = max(0.0, (len(hits) - len(wrong)) / len(right))
        for option in q.options:
            if option in wrong:
                fb.append(f"✗ **{option}** does not belong." + (f" {q.why[option]}" if option in q.why else ""))
            elif option in right - picked:
                fb.append(f"✗ Missed **{option}**." + (f" {q.why[option]}" if option in q.why else ""))
        ok = picked == right
        return Grade(ok, 1.0 if ok else score, tuple(fb), q.explanation)
    if q.type == "truefalse":
        ok = response is q.answer
        if not ok:
            fb.append(f"The statement is **{'true' if q.answer else 'false'}**.")
        return Grade(ok, float(ok), tuple(fb), q.explanation)
    if q.type == "numeric":
        value = parse_number(response)
        ok = numeric_ok(q, value)
        unit = f" {q.unit}" if q.unit else ""
        fb.append(f"You wrote {_fmt(value)}{unit}; the answer is {_fmt(q.answer)}{unit}"
                  + ("." if ok else f" (accepted within ±{_fmt(max(q.tolerance, q.rel_tolerance * abs(q.answer)))})."))
        return Grade(ok, float(ok), tuple(fb), q.explanation)
    if q.type == "matching":
        response = response or {}
        right = [k for k, v in q.answer.items() if response.get(k) == v]
        for k, v in q.answer.items():
            if response.get(k) != v:
                fb.append(f"✗ *{k}* → **{v}** (you chose {response.get(k) or 'nothing'}).")
        ok = len(right) == len(q.answer)
        return Grade(ok, len(right) / len(q.answer), tuple(fb), q.explanation)
    # ordering: credit for each item in its correct place
    response = list(response or ())
    placed = sum(1 for a, b in zip(response, q.answer, strict=False) if a == b)
    ok = response == list(q.answer)
    if not ok:
        fb.append("Correct order: " + " → ".join(f"**{x}**" for x in q.answer) + f" ({placed} of "
                  f"{len(q.answer)} were in the right place).")
    return Grade(ok, placed / len(q.answer), tuple(fb), q.explanation)


@dataclass(frozen=True)
class QuizResult:
    grades: dict[str, Grade]
    score: float
    max_score: int

    @property
    def share(self) -> float:
        return self.score / self.max_score if self.max_score else 0.0

    @property
    def correct_count(self) -> int:
        return sum(1 for g in self.grades.values() if g.correct)

    def missed(self, quiz: Quiz) -> list[Question]:
        return [q for q in quiz.questions if q.graded and not self.grades[q.id].correct]


def unanswered(quiz: Quiz, responses: dict[str, Any]) -> list[int]:
    """1-based numbers of graded questions with no answer yet."""
    return [i for i, q in enumerate(quiz.questions, 1) if q.graded and not is_answered(q, responses.get(q.id))]


def grade_quiz(quiz: Quiz, responses: dict[str, Any]) -> QuizResult:
    """Grade every question; raises AnswerError naming the question whose answer cannot be read."""
    grades: dict[str, Grade] = {}
    for number, q in enumerate(quiz.questions, 1):
        try:
            grades[q.id] = grade(q, responses.get(q.id))
        except AnswerError as exc:
            raise AnswerError(f"Question {number}: {exc}") from exc
    score = sum(g.score for q, g in zip(quiz.questions, grades.values(), strict=True) if q.graded)
    return QuizResult(grades, round(score, 4), quiz.max_score)


def format_score(score: float, max_score: float) -> str:
    """A score for people: '4 / 6', '3.9 / 6' (one decimal at most, never '3.9167')."""
    return f"{round(score, 1):g} / {max_score:g}"


def format_share(share: float) -> str:
    """A share as a whole percentage: '65%'."""
    return f"{share:.0%}"


def stars(n: int) -> str:
    return "★" * n + "☆" * (3 - n)
