"""Diagnostics: readiness verdicts (Appendix A) and the 'find your use case' path recommendation (module 0).

Readiness quizzes are ordinary quiz files with a `scoring` list (bands by number correct) and `refreshers`;
the use-case file is a short survey whose options add weight to paths A-D and point at modules, with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from core.assessment import quiz
from core.assessment.quiz import QuizError
from core.course.content import LINE, read_yaml, strip_lines

USE_CASE_FILE = quiz.QUIZ_DIR / "use_case.yaml"
PATH_KEYS = ("A", "B", "C", "D")


@dataclass(frozen=True)
class Refresher:
    id: str
    title: str
    minutes: int
    body: str  # markdown


@dataclass(frozen=True)
class Band:
    min_correct: int
    level: str  # "ready" | "mini-refresher" | "full foundation"
    headline: str
    advice: str
    refreshers: tuple[Refresher, ...]


def readiness_bands(q: quiz.Quiz) -> tuple[Band, ...]:
    """The scoring bands of a readiness quiz, highest first; raises QuizError when they are malformed."""
    where = f"{q.source}"
    raw_refreshers = q.meta.get("refreshers") or {}
    refreshers = {}
    for rid, r in raw_refreshers.items():
        if not isinstance(r, dict) or not all(r.get(k) for k in ("title", "minutes", "body")):
            raise QuizError(f"{where}: refresher {rid!r} needs title, minutes and body")
        refreshers[rid] = Refresher(rid, r["title"], int(r["minutes"]), r["body"].strip())
    bands = []
    for raw in q.meta.get("scoring") or ():
        missing = [rid for rid in raw.get("refreshers") or () if rid not in refreshers]
        if missing or "min" not in raw or "level" not in raw:
            raise QuizError(f"{where}: a scoring band needs min and level, and known refreshers (unknown: {missing})")
        bands.append(Band(int(raw["min"]), raw["level"], raw.get("headline", raw["level"]), raw.get("advice", ""),
                          tuple(refreshers[rid] for rid in raw.get("refreshers") or ())))
    bands.sort(key=lambda b: -b.min_correct)
    if not bands or bands[-1].min_correct != 0:
        raise QuizError(f"{where}: 'scoring' must have bands down to min: 0")
    return tuple(bands)


def readiness_verdict(q: quiz.Quiz, correct: int) -> Band:
    return next(b for b in readiness_bands(q) if correct >= b.min_correct)


# ---- find your use case --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    text: str
    paths: dict[str, int]
    modules: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class SurveyQuestion:
    id: str
    prompt: str
    choices: tuple[Choice, ...]


@dataclass(frozen=True)
class UseCaseSurvey:
    title: str
    intro: str
    questions: tuple[SurveyQuestion, ...]
    tie_break: tuple[str, ...]


@dataclass(frozen=True)
class Recommendation:
    path: str
    scores: dict[str, int]
    reasons: tuple[str, ...]  # why this path, from the learner's own answers
    focus: tuple[tuple[str, str], ...]  # (module id, why it matters for their work)


def parse_use_case(data: dict, source: Path, module_ids: set[str] | None = None) -> UseCaseSurvey:
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        raise QuizError(f"{source}:1: the use-case file needs a 'questions' list")
    questions = []
    for raw in data["questions"]:
        where = f"{source}:{raw.get(LINE, '?') if isinstance(raw, dict) else '?'}"
        if not isinstance(raw, dict) or not raw.get("id") or not raw.get("prompt"):
            raise QuizError(f"{where}: each question needs an id and a prompt")
        choices = []
        for c in raw.get("options") or ():
            cwhere = f"{source}:{c.get(LINE, '?') if isinstance(c, dict) else '?'}"
            if not isinstance(c, dict) or not c.get("text") or not c.get("reason"):
                raise QuizError(f"{cwhere}: each option needs a text and a reason")
            paths = strip_lines(c.get("paths") or {})
            bad = [k for k, v in paths.items() if k not in PATH_KEYS or not isinstance(v, int)]
            modules = tuple(c.get("modules") or ())
            unknown = [m for m in modules if module_ids is not None and m not in module_ids]
            if bad or unknown:
                raise QuizError(f"{cwhere}: unknown path weights {bad} or modules {unknown}")
            choices.append(Choice(c["text"].strip(), paths, modules, c["reason"].strip()))
        if len(choices) < 2:
            raise QuizError(f"{where}: question {raw['id']!r} needs at least two options")
        questions.append(SurveyQuestion(raw["id"], raw["prompt"].strip(), tuple(choices)))
    tie = tuple(data.get("tie_break") or PATH_KEYS)
    if sorted(tie) != sorted(PATH_KEYS):
        raise QuizError(f"{source}: 'tie_break' must list A, B, C and D once each")
    return UseCaseSurvey(data.get("title", "Find your use case"), (data.get("intro") or "").strip(),
                         tuple(questions), tie)


@cache
def load_use_case(path: Path = USE_CASE_FILE) -> UseCaseSurvey:
    return parse_use_case(read_yaml(path), path)


def recommend(survey: UseCaseSurvey, picks: dict[str, str]) -> Recommendation:
    """Add up the path weights of the picked options; the winner (ties broken by `tie_break`) comes with the
    reasons that pointed to it and the modules the learner's answers flagged, in course order."""
    scores = dict.fromkeys(PATH_KEYS, 0)
    chosen: list[Choice] = []
    for q in survey.questions:
        choice = next((c for c in q.choices if c.text == picks.get(q.id)), None)
        if choice is None:
            raise ValueError(f"Answer '{q.prompt}' first.")
        chosen.append(choice)
        for key, weight in choice.paths.items():
            scores[key] += weight
    best = max(scores.values())
    path = next(k for k in survey.tie_break if scores[k] == best)
    reasons = tuple(c.reason for c in chosen if c.paths.get(path, 0) > 0)
    focus: dict[str, str] = {}
    for c in chosen:
        for m in c.modules:
            focus.setdefault(m, c.reason)
    ordered = sorted(focus.items(), key=lambda kv: kv[0])
    return Recommendation(path, scores, reasons or ("Your answers pointed in several directions; this path is "
                                                    "the broadest fit.",), tuple(ordered))
