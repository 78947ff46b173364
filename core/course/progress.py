"""Progress arithmetic: which steps of a path are done, how far along a learner is, what comes next.

Pure functions over the course map and the set of sections a learner has completed (from core.cohort.store).
A page that is not a module (e.g. the interview guide) counts as one section named PAGE_SECTION.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.course.curriculum import Course

PAGE_SECTION = "all"
Done = dict[str, set[str]]  # page id -> completed section ids


@dataclass(frozen=True)
class StepProgress:
    page_id: str
    done: int
    required: int

    @property
    def share(self) -> float:
        return self.done / self.required if self.required else 0.0

    @property
    def status(self) -> str:
        if self.required and self.done >= self.required:
            return "done"
        return "started" if self.done else "new"


def required_sections(course: Course, page_id: str, path_key: str | None) -> tuple[str, ...]:
    if page_id in course.modules:
        return course.required_sections(page_id, path_key)
    return (PAGE_SECTION,)


def step_progress(course: Course, done: Done, page_id: str, path_key: str | None) -> StepProgress:
    required = required_sections(course, page_id, path_key)
    have = done.get(page_id, set())
    return StepProgress(page_id, sum(1 for s in required if s in have), len(required))


def path_progress(course: Course, done: Done, path_key: str) -> list[StepProgress]:
    """Progress of every step on the path, in path order."""
    return [step_progress(course, done, page_id, path_key) for page_id in course.paths[path_key].steps]


def path_share(course: Course, done: Done, path_key: str) -> float:
    """Share of the path's time that is done (sections weighted by their minutes)."""
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


def next_step(course: Course, done: Done, path_key: str | None) -> str | None:
    """The first step of the path that is not finished; None when the path is complete (or none chosen)."""
    if not path_key or path_key not in course.paths:
        return None
    for step in path_progress(course, done, path_key):
        if step.status != "done":
            return step.page_id
    return None


def overview(course: Course, done: Done, path_key: str | None) -> list[dict]:
    """One row per module for the progress chart and table."""
    path = course.paths.get(path_key or "")
    rows = []
    for module in course.modules.values():
        step = step_progress(course, done, module.id, path_key)
        rows.append({
            "module": module.label,
            "number": module.number,
            "on_path": path is None or module.id in path.modules,
            "done": step.done,
            "required": step.required,
            "share": step.share,
            "status": step.status,
            "minutes": module.minutes,
        })
    return rows


def all_paths(course: Course, done: Done) -> list[dict]:
    """How far along every path the learner's current progress would be (progress carries over)."""
    return [
        {"path": f"{key}: {path.name}", "key": key, "share": path_share(course, done, key),
         "hours": course.path_minutes(key) / 60}
        for key, path in course.paths.items()
    ]


def cohort_table(course: Course, learners: list, done_by_learner: dict[int, Done]) -> list[dict]:
    """One row per learner: path, share of their path done, next step, and share done per module."""
    rows = []
    for learner in learners:
        done = done_by_learner.get(learner.id, {})
        row = {"learner": learner.display_name, "cohort": learner.cohort_code or "", "path": learner.path or "",
               "path_done": path_share(course, done, learner.path) if learner.path in course.paths else None,
               "next_step": next_step(course, done, learner.path) or ""}
        for module in course.modules.values():
            row[f"M{module.number}"] = step_progress(course, done, module.id, learner.path).share
        rows.append(row)
    return rows
