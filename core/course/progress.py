"""Progress arithmetic: which steps of a path are done, how far along a learner is, what comes next.

Two measures, kept apart. *Reading* is the sections a learner ticked (their own account). *Completion* needs
evidence as well: a module step is done only when its sections are ticked, its quiz is passed and, on a path that
asks for labs, its code labs are attempted or passed (course.yaml says which). Pure functions over the course map,
the ticked sections and an Evidence record (both read from core.cohort.store by the caller).
A page that is not a module (e.g. the interview guide) counts as one section named PAGE_SECTION.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.course.curriculum import Course

PAGE_SECTION = "all"
Done = dict[str, set[str]]  # page id -> completed section ids


@dataclass(frozen=True)
class Evidence:
    """What a learner has shown beyond ticks: best share correct per quiz, each code lab they ran the tests of
    (True once every test passed), and how many models of their own they have trained and kept."""

    quizzes: Mapping[str, float] = field(default_factory=dict)
    labs: Mapping[str, bool] = field(default_factory=dict)
    models: int = 0

    @classmethod
    def from_records(cls, best_quiz_scores: Mapping[str, float], lab_summary: Mapping[str, Any],
                     models: int = 0) -> Evidence:
        """From Store.best_quiz_scores(), Store.lab_summary() (whose values have a `solved` flag) and the number of
        the learner's saved models."""
        return cls(dict(best_quiz_scores), {lab: bool(getattr(s, "solved", s)) for lab, s in lab_summary.items()},
                   models)


NO_EVIDENCE = Evidence()
OWN_MODEL_PAGE = "ownmodel"  # the practice step that is complete only once the learner has a trained model


@dataclass(frozen=True)
class Need:
    """One piece of evidence a step still lacks."""

    kind: str  # "quiz", "lab" or "model"
    id: str  # quiz id or lab id
    text: str  # what to do, in words


@dataclass(frozen=True)
class StepProgress:
    page_id: str
    done: int  # required sections ticked (the learner's reading progress)
    required: int
    needs: tuple[Need, ...] = ()  # evidence still missing; the step is not complete while any is left
    shown: int = 0  # pieces of required evidence already there

    @property
    def share(self) -> float:
        """Reading progress: the share of required sections ticked."""
        return self.done / self.required if self.required else 0.0

    @property
    def read(self) -> bool:
        return bool(self.required) and self.done >= self.required

    @property
    def status(self) -> str:
        if self.read and not self.needs:
            return "done"
        return "started" if self.done or self.shown else "new"


def required_sections(course: Course, page_id: str, path_key: str | None) -> tuple[str, ...]:
    if page_id in course.modules:
        return course.required_sections(page_id, path_key)
    return (PAGE_SECTION,)


def required_labs(course: Course, path_key: str | None) -> set[str]:
    """The code labs that finishing the path asks for (none on a path without labs, or without a path)."""
    path = course.paths.get(path_key or "")
    steps = path.modules if path is not None else ()
    return {item for m in steps for kind, item in required_evidence(course, m, path_key) if kind == "lab"}


def required_evidence(course: Course, page_id: str, path_key: str | None) -> tuple[tuple[str, str], ...]:
    """(kind, id) pairs a step needs besides its ticks: the module's quiz, and its labs where the path asks."""
    module = course.modules.get(page_id)
    if module is None:
        return (("model", OWN_MODEL_PAGE),) if page_id == OWN_MODEL_PAGE else ()
    path = course.paths.get(path_key or "")
    labs = module.labs if path is not None and path.labs != "none" else ()
    return (("quiz", module.id), *(("lab", lab) for lab in labs))


def _need(course: Course, kind: str, item: str, path_key: str | None, evidence: Evidence) -> Need | None:
    if kind == "model":
        return None if evidence.models > 0 else Need("model", item, "train a model of your own (it counts once saved)")
    if kind == "quiz":
        best = evidence.quizzes.get(item)
        if best is not None and best >= course.quiz_pass - 1e-9:
            return None
        target = f"{course.quiz_pass:.0%}"
        text = (f"take the module quiz ({target} passes)" if best is None
                else f"pass the module quiz (best so far {best:.0%}; {target} passes)")
        return Need("quiz", item, text)
    rule = course.paths[path_key or ""].labs
    if item in evidence.labs and (rule == "attempted" or evidence.labs[item]):
        return None
    text = "run the tests of code lab" if rule == "attempted" else "pass every test of code lab"
    return Need("lab", item, f"{text} {item}")


def completion_terms(course: Course, path_key: str) -> list[str]:
    """What finishing a path takes, in the words Home uses ("read", "quizzed", then labs or a model of your own only
    where the path asks for them): path A is read and quizzed, path B adds its code labs passed."""
    path = course.paths[path_key]
    terms = ["read"] + (["quizzed"] if path.modules else [])
    if path.labs != "none":
        terms.append("code labs passed" if path.labs == "passed" else "code labs tried")
    if OWN_MODEL_PAGE in path.steps:
        terms.append("a model of your own trained")
    return terms


def join_terms(terms: list[str]) -> str:
    """'read', 'read and quizzed', 'read, quizzed and code labs passed'."""
    return terms[0] if len(terms) == 1 else ", ".join(terms[:-1]) + " and " + terms[-1]


def step_progress(course: Course, done: Done, page_id: str, path_key: str | None,
                  evidence: Evidence | None = None) -> StepProgress:
    """Ticks and evidence for one step. Without `evidence`, nothing has been shown: a module cannot be complete."""
    evidence = evidence or NO_EVIDENCE
    required = required_sections(course, page_id, path_key)
    have = done.get(page_id, set())
    wanted = required_evidence(course, page_id, path_key)
    needs = tuple(n for kind, item in wanted if (n := _need(course, kind, item, path_key, evidence)) is not None)
    return StepProgress(page_id, sum(1 for s in required if s in have), len(required), needs,
                        len(wanted) - len(needs))


def path_progress(course: Course, done: Done, path_key: str, evidence: Evidence | None = None) -> list[StepProgress]:
    """Progress of every step on the path, in path order."""
    return [step_progress(course, done, page_id, path_key, evidence) for page_id in course.paths[path_key].steps]


def path_share(course: Course, done: Done, path_key: str) -> float:
    """Reading progress: the share of the path's time ticked off (sections weighted by their minutes)."""
    total = finished = 0
    for step in course.paths[path_key].steps:
        required = set(required_sections(course, step, path_key))
        have = done.get(step, set())
        if step in course.modules:
            for section in course.modules[step].sections:
                if section.id in required:
                    total += section.minutes
                    finished += section.minutes if section.id in have else 0
        else:
            minutes = max(course.pages[step].minutes, 1)
            total += minutes
            finished += minutes if PAGE_SECTION in have else 0
    return finished / total if total else 0.0


def path_completion(course: Course, done: Done, path_key: str, evidence: Evidence | None = None) -> tuple[int, int]:
    """(steps complete, steps on the path): complete means read *and* shown (quiz passed, labs where required)."""
    steps = path_progress(course, done, path_key, evidence)
    return sum(s.status == "done" for s in steps), len(steps)


def next_step(course: Course, done: Done, path_key: str | None, evidence: Evidence | None = None) -> str | None:
    """The first step of the path that is not complete; None when the path is complete (or none chosen)."""
    if not path_key or path_key not in course.paths:
        return None
    for step in path_progress(course, done, path_key, evidence):
        if step.status != "done":
            return step.page_id
    return None


def overview(course: Course, done: Done, path_key: str | None, evidence: Evidence | None = None) -> list[dict]:
    """One row per module for the progress chart and table: reading share, and whether it is complete."""
    path = course.paths.get(path_key or "")
    rows = []
    for module in course.modules.values():
        step = step_progress(course, done, module.id, path_key, evidence)
        rows.append({
            "module": module.label,
            "number": module.number,
            "on_path": path is None or module.id in path.modules,
            "done": step.done,
            "required": step.required,
            "share": step.share,
            "status": step.status,
            "complete": step.status == "done",
            "still_needed": "; ".join(n.text for n in step.needs),
            "minutes": module.minutes,
        })
    return rows


def all_paths(course: Course, done: Done) -> list[dict]:
    """How far along every path the learner's reading would be (ticks carry over between paths)."""
    return [
        {"path": f"{key}: {path.name}", "key": key, "share": path_share(course, done, key),
         "hours": course.path_minutes(key) / 60}
        for key, path in course.paths.items()
    ]


def cohort_table(course: Course, learners: list, done_by_learner: dict[int, Done],
                 evidence_by_learner: Mapping[int, Evidence] | None = None) -> list[dict]:
    """One row per learner: path, share of their path read, next step, and share read per module.

    With `evidence_by_learner`, also how many of their path's steps are complete (read, quiz passed, labs shown)."""
    rows = []
    for learner in learners:
        done = done_by_learner.get(learner.id, {})
        evidence = (evidence_by_learner or {}).get(learner.id, NO_EVIDENCE)
        on_path = learner.path in course.paths
        row = {"learner": learner.display_name, "cohort": learner.cohort_code or "", "path": learner.path or "",
               "path_done": path_share(course, done, learner.path) if on_path else None}
        if evidence_by_learner is not None:
            complete, total = path_completion(course, done, learner.path, evidence) if on_path else (0, 0)
            row["steps_complete"] = f"{complete} / {total}" if on_path else ""
        row["next_step"] = next_step(course, done, learner.path, evidence) or ""
        for module in course.modules.values():
            row[f"M{module.number}"] = step_progress(course, done, module.id, learner.path, evidence).share
        rows.append(row)
    return rows
