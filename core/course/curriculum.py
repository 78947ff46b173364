"""The course map: modules and their sections, learning paths A-D, and every page of the app; also what
completes a module (its quiz's pass mark, and the code labs a path asks for).

Content (titles, TL;DRs, goals, takeaways, minutes) lives in assets/course.yaml; which file serves which page
and in which navigation group it sits is fixed here, because the page scripts are code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from core import settings

ROOT = settings.REPO_ROOT
COURSE_FILE = ROOT / "assets" / "course.yaml"

GROUPS = ("Start", "Modules", "Practice", "Reference", "Cohort")

# page id -> (navigation group, script path relative to the repo root, icon)
PAGE_FILES: dict[str, tuple[str, str, str]] = {
    "home": ("Start", "Home.py", ":material/home:"),
    "m00": ("Modules", "pages/m00_why_this_matters.py", ":material/public:"),
    "m01": ("Modules", "pages/m01_sequences.py", ":material/timeline:"),
    "m02": ("Modules", "pages/m02_rnn.py", ":material/loop:"),
    "m03": ("Modules", "pages/m03_lstm.py", ":material/memory:"),
    "m04": ("Modules", "pages/m04_char_lm.py", ":material/keyboard:"),
    "m05": ("Modules", "pages/m05_experiments.py", ":material/science:"),
    "m06": ("Modules", "pages/m06_beyond_text.py", ":material/image:"),
    "m07": ("Modules", "pages/m07_attention.py", ":material/center_focus_strong:"),
    "m08": ("Modules", "pages/m08_limitations.py", ":material/balance:"),
    "m09": ("Modules", "pages/m09_implementation.py", ":material/code:"),
    "m10": ("Modules", "pages/m10_capstone.py", ":material/flag:"),
    "readiness": ("Practice", "pages/a_readiness.py", ":material/fact_check:"),
    "interview": ("Practice", "pages/e_interview.py", ":material/record_voice_over:"),
    "codelabs": ("Practice", "pages/p_codelabs.py", ":material/terminal:"),
    "flashcards": ("Practice", "pages/p_flashcards.py", ":material/style:"),
    "ownmodel": ("Practice", "pages/p_own_model.py", ":material/model_training:"),
    "reading": ("Reference", "pages/b_reading.py", ":material/menu_book:"),
    "glossary": ("Reference", "pages/c_glossary.py", ":material/translate:"),
    "cheatsheets": ("Reference", "pages/d_cheatsheets.py", ":material/description:"),
    "resources": ("Reference", "pages/f_resources.py", ":material/download:"),
    "cohort": ("Cohort", "pages/cohort.py", ":material/group:"),
    "instructor": ("Cohort", "pages/instructor.py", ":material/monitoring:"),
}
INSTRUCTOR_PAGES = frozenset({"instructor"})
LAB_RULES = ("none", "attempted", "passed")


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    summary: str
    minutes: int


@dataclass(frozen=True)
class Module:
    id: str
    number: int
    title: str
    tldr: str
    stakeholder: str
    goals: tuple[str, ...]
    takeaways: tuple[str, ...]
    sections: tuple[Section, ...]
    interactive: tuple[str, ...]
    labs: tuple[str, ...] = ()  # code labs (core.labs ids) that complete this module on a path that asks for labs

    @property
    def minutes(self) -> int:
        return sum(s.minutes for s in self.sections)

    @property
    def label(self) -> str:
        return f"{self.number} · {self.title}"


@dataclass(frozen=True)
class Page:
    id: str
    title: str
    group: str
    file: str
    icon: str
    summary: str = ""
    minutes: int = 0
    appendix: str | None = None
    module: Module | None = None

    @property
    def instructor_only(self) -> bool:
        return self.id in INSTRUCTOR_PAGES

    @property
    def heading(self) -> str:
        return f"Module {self.module.label}" if self.module is not None else self.label

    @property
    def label(self) -> str:
        if self.module is not None:
            return self.module.label
        return f"{self.title} (App. {self.appendix})" if self.appendix else self.title


@dataclass(frozen=True)
class LearningPath:
    key: str
    name: str
    audience: str
    goal: str
    modules: tuple[str, ...]
    extras: tuple[str, ...] = ()
    sections: dict[str, tuple[str, ...]] = field(default_factory=dict)  # module -> only these sections count
    notes: dict[str, str] = field(default_factory=dict)
    labs: str = "none"  # what a module's labs need on this path: none, attempted (tests run) or passed
    manager_view: bool = False  # technical blocks folded away, "what this means for your organisation" in full

    @property
    def steps(self) -> tuple[str, ...]:
        """Page ids in the order a learner on this path takes them."""
        return self.modules + self.extras


@dataclass(frozen=True)
class Course:
    title: str
    subtitle: str
    objectives: tuple[str, ...]
    modules: dict[str, Module]
    paths: dict[str, LearningPath]
    pages: dict[str, Page]
    quiz_pass: float = 0.6  # best share correct at which a module quiz counts as passed

    def page(self, page_id: str) -> Page:
        try:
            return self.pages[page_id]
        except KeyError:
            raise KeyError(f"Unknown page id {page_id!r}; known: {sorted(self.pages)}") from None

    def required_sections(self, module_id: str, path_key: str | None) -> tuple[str, ...]:
        """The sections that complete a module: the subset a path names under `sections`, or all of them."""
        all_ids = tuple(s.id for s in self.modules[module_id].sections)
        path = self.paths.get(path_key or "")
        return path.sections.get(module_id, all_ids) if path else all_ids

    def path_minutes(self, path_key: str) -> int:
        path = self.paths[path_key]
        total = 0
        for module_id in path.modules:
            required = set(self.required_sections(module_id, path_key))
            total += sum(s.minutes for s in self.modules[module_id].sections if s.id in required)
        return total + sum(self.pages[p].minutes for p in path.extras)


def _module(raw: dict) -> Module:
    return Module(
        id=raw["id"],
        number=int(raw["number"]),
        title=raw["title"],
        tldr=raw["tldr"].strip(),
        stakeholder=raw.get("stakeholder", "").strip(),
        goals=tuple(raw["goals"]),
        takeaways=tuple(raw["takeaways"]),
        sections=tuple(
            Section(str(s["id"]), s["title"], s.get("summary", ""), int(s["minutes"])) for s in raw["sections"]
        ),
        interactive=tuple(raw.get("interactive", ())),
        labs=tuple(str(lab) for lab in raw.get("labs") or ()),
    )


def parse_course(data: dict) -> Course:
    modules = {m.id: m for m in (_module(raw) for raw in data["modules"])}
    extra_pages = {raw["id"]: raw for raw in data.get("pages", [])}
    pages: dict[str, Page] = {}
    for page_id, (group, file, icon) in PAGE_FILES.items():
        if page_id in modules:
            m = modules[page_id]
            pages[page_id] = Page(page_id, m.title, group, file, icon, m.tldr, m.minutes, None, m)
        elif page_id in extra_pages:
            raw = extra_pages[page_id]
            pages[page_id] = Page(page_id, raw["title"], group, file, icon, raw.get("summary", "").strip(),
                                  int(raw.get("minutes", 0)), raw.get("appendix"))
        elif page_id == "home":
            pages[page_id] = Page(page_id, "Home", group, file, icon, data.get("subtitle", ""))
        elif page_id == "cohort":
            pages[page_id] = Page(page_id, "My cohort & data", group, file, icon)
        elif page_id == "instructor":
            pages[page_id] = Page(page_id, "Instructor dashboard", group, file, icon)
        else:
            raise ValueError(f"course.yaml has no content for page {page_id!r}")
    paths = {
        key: LearningPath(
            key=key,
            name=raw["name"],
            audience=raw["audience"],
            goal=raw["goal"].strip(),
            modules=tuple(raw["modules"]),
            extras=tuple(raw.get("extras") or ()),
            sections={m: tuple(str(s) for s in ids) for m, ids in (raw.get("sections") or {}).items()},
            notes=dict(raw.get("notes") or {}),
            labs=str(raw.get("labs", "none")),
            manager_view=bool(raw.get("manager_view", False)),
        )
        for key, raw in data["paths"].items()
    }
    for path in paths.values():
        if path.labs not in LAB_RULES:
            raise ValueError(f"Path {path.key}: 'labs' must be one of {', '.join(LAB_RULES)}, not {path.labs!r}")
        for step in path.steps:
            if step not in pages:
                raise ValueError(f"Path {path.key} names unknown page {step!r}")
        order = list(pages)
        if list(path.extras) != sorted(path.extras, key=order.index):
            raise ValueError(f"Path {path.key}: list its extras in the sidebar's order "
                             f"({', '.join(p for p in order if p in path.extras)}), not {', '.join(path.extras)}")
    mastery = data.get("mastery") or {}
    quiz_pass = float(mastery.get("quiz_pass", 0.6))
    if not 0 < quiz_pass <= 1:
        raise ValueError(f"mastery.quiz_pass must lie in (0, 1], not {quiz_pass}")
    return Course(data["title"], data.get("subtitle", ""), tuple(data.get("objectives", ())), modules, paths, pages,
                  quiz_pass)


@cache
def load_course(path: Path = COURSE_FILE) -> Course:
    with open(path, encoding="utf-8") as fh:
        return parse_course(yaml.safe_load(fh))
