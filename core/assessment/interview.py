"""Appendix E's interview set (assets/interview.yaml): questions with model answers, each linked to the module
that teaches it, and the questions a mock interview draws for a learner's path.

Each question is also a flashcard (core.assessment.flashcards builds the cards), so a mock interview's self-rating
schedules it with FSRS like any other card.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from core import settings
from core.assessment.quiz import QuizError
from core.course.content import LINE, read_yaml
from core.course.curriculum import LearningPath

INTERVIEW_FILE = settings.ASSETS / "interview.yaml"
GUIDE_PAGE = "interview"  # a path with this page among its steps practises the whole set
CAPSTONE_MODULE = "m10"
FIELDS = ("id", "module", "level", "kind", "tags", "question", "answer")


@dataclass(frozen=True)
class Question:
    id: str  # also the flashcard id
    module: str  # the module that teaches it
    level: str
    kind: str
    tags: tuple[str, ...]
    question: str
    answer: str  # Markdown with $...$ math
    follow_up: bool = False  # asked after the question before it
    capstone: bool = False  # about the learner's own project: only for paths with the capstone
    line: int = 0

    @property
    def front(self) -> str:
        """The flashcard's front: the question, marked as an interview (follow-up) question."""
        return ("Interview follow-up: " if self.follow_up else "Interview: ") + self.question


def parse(data: object, source: Path | str) -> list[Question]:
    """Validate the question list; errors name the file and line of the offending entry."""
    if not isinstance(data, list) or not data:
        raise QuizError(f"{source}:1: the interview file must be a list of questions")
    questions = []
    for raw in data:
        where = f"{source}:{raw.get(LINE, '?') if isinstance(raw, dict) else '?'}"
        if not isinstance(raw, dict):
            raise QuizError(f"{where}: each question must be a mapping")
        missing = [k for k in FIELDS if not raw.get(k)]
        if missing:
            raise QuizError(f"{where}: question {raw.get('id')!r} is missing {', '.join(missing)}")
        if not isinstance(raw["tags"], list):
            raise QuizError(f"{where}: 'tags' must be a list")
        questions.append(Question(
            str(raw["id"]), str(raw["module"]), str(raw["level"]), str(raw["kind"]),
            tuple(str(t) for t in raw["tags"]), str(raw["question"]).strip(), str(raw["answer"]).strip(),
            bool(raw.get("follow_up", False)), bool(raw.get("capstone", False)), raw.get(LINE, 0)))
    ids = [q.id for q in questions]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise QuizError(f"{source}: duplicate question ids {dupes}")
    return questions


@cache
def load(path: Path = INTERVIEW_FILE) -> tuple[Question, ...]:
    """Every interview question, in the file's order; raises QuizError (file:line) when the file is malformed."""
    return tuple(parse(read_yaml(path), path))


def mock_pool(questions: tuple[Question, ...] | list[Question], path: LearningPath | None) -> list[Question]:
    """The questions a mock interview draws from for a learner on `path`.

    A path that includes the interview guide (D) practises the whole set; any other path, the questions on its
    own modules; no path, every question. A question about one's own capstone comes up only where the capstone
    module is on the path. Should a path's modules cover fewer than five questions, the rest of the set joins."""
    with_capstone = path is not None and CAPSTONE_MODULE in path.modules
    usable = [q for q in questions if with_capstone or not q.capstone]
    if path is None or GUIDE_PAGE in path.steps:
        return usable
    own = [q for q in usable if q.module in path.modules]
    return own if len(own) >= 5 else usable
