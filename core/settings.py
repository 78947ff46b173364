"""Every RNN_COURSE_* setting in one typed place: its name, type, default and a one-line doc, read from the
environment at call time (Streamlit turns root-level secrets into environment variables, so a hosted app can set
them in its secrets too). README's configuration table is checked against `SETTINGS` by a test."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
ASSETS = REPO_ROOT / "assets"


class SettingError(ValueError):
    """A setting has a value its type cannot read; the message names the variable and what it expects."""


def cpu_quota() -> int:
    """CPUs this process may use: the scheduler affinity and a cgroup v2 CPU quota (a container's limit), not the
    host's count, which `os.cpu_count()` reports even inside a 2-CPU container."""
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        n = os.cpu_count() or 1
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        if quota != "max":
            n = min(n, max(1, int(int(quota) // int(period))))
    except (OSError, ValueError):
        pass
    return max(1, n)


@dataclass(frozen=True)
class Setting:
    name: str
    kind: str  # int, float, str, bool, path, choice
    default: Callable[[], Any] | Any
    doc: str
    choices: tuple[str, ...] = ()
    minimum: float | None = None

    def default_value(self) -> Any:
        return self.default() if callable(self.default) else self.default

    def parse(self, raw: str) -> Any:
        raw = raw.strip()
        try:
            if self.kind == "int":
                value: Any = int(raw)
            elif self.kind == "float":
                value = float(raw)
            elif self.kind == "bool":
                if raw.lower() not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
                    raise ValueError(raw)
                value = raw.lower() in {"1", "true", "yes", "on"}
            elif self.kind == "path":
                value = Path(raw).expanduser()
            elif self.kind == "choice":
                value = raw.lower()
                if value not in self.choices:
                    raise ValueError(raw)
            else:
                value = raw
        except ValueError:
            want = {"int": "a whole number", "float": "a number", "bool": "1 or 0", "path": "a folder",
                    "choice": "one of " + ", ".join(self.choices)}.get(self.kind, "text")
            raise SettingError(f"{self.name} must be {want}, got {raw!r}.") from None
        if self.minimum is not None and isinstance(value, int | float) and value < self.minimum:
            raise SettingError(f"{self.name} must be at least {self.minimum:g}, got {raw!r}.")
        return value


def _settings(*items: Setting) -> dict[str, Setting]:
    return {s.name: s for s in items}


SETTINGS: dict[str, Setting] = _settings(
    Setting("RNN_COURSE_DATABASE_URL", "str", "",
            "SQLAlchemy URL of the cohort database ([database] url in secrets wins); empty: the local SQLite file "
            ".course-data/course.db"),
    Setting("RNN_COURSE_DATA_DIR", "path", lambda: REPO_ROOT.parent / "shared" / "data",
            "folder holding the training corpora (never committed)"),
    Setting("RNN_COURSE_RUNS_DIR", "path", lambda: Path.home() / ".cache" / "rnn-course" / "runs",
            "resumable state of `python -m core.train` runs"),
    Setting("RNN_COURSE_STATE_DIR", "path", lambda: REPO_ROOT / ".course-data",
            "the embedded training queues (job-queue-<cohort database>.db, one per database); models saved before "
            "they moved into the database are "
            "imported from runs/<learner>/"),
    Setting("RNN_COURSE_MAX_RUNS", "int", 5, "trained models kept per learner (the newest)", minimum=1),
    Setting("RNN_COURSE_DEVICE", "choice", "", "torch device for the shipped models; empty: cuda > mps > cpu",
            choices=("", "cpu", "cuda", "mps")),
    Setting("RNN_COURSE_TORCH_THREADS", "int", 1, "torch intra-op threads per process (1 is best for several "
            "learners on a small server)", minimum=1),
    Setting("RNN_COURSE_SANDBOXES", "int", lambda: max(2, min(8, cpu_quota())),
            "code-lab sandboxes running at once (default: the CPU quota, between 2 and 8)", minimum=1),
    Setting("RNN_COURSE_SANDBOX_MODE", "choice", "", "code-lab sandbox start: fork (a numpy-warm fork-server, "
            "Linux default) or spawn; empty: the platform default", choices=("", "fork", "spawn")),
    Setting("RNN_COURSE_ALLOW_WEAK_SANDBOX", "bool", False,
            "run learner code on Linux even where the seccomp filter is missing (weaker isolation)"),
    Setting("RNN_COURSE_TRAIN_JOBS", "int", lambda: max(1, cpu_quota() // 2),
            "in-app training runs at once across the whole cohort (more wait in the queue); also a worker's thread "
            "count", minimum=1),
    Setting("RNN_COURSE_JOB_BROKER", "str", "",
            "job engine (Huey) for in-app training: empty runs it inside the web process with a SQLite queue in the "
            "state folder; redis://..., postgresql://... or sqlite:///<file> hands runs to separate "
            "`python -m core.jobs.worker` processes"),
    Setting("RNN_COURSE_TRAIN_SECONDS", "float", 120.0, "wall-clock seconds per in-app training run", minimum=1),
    Setting("RNN_COURSE_TRAIN_ALLOWANCE", "float", 900.0,
            "training seconds each learner may use per rolling day, across every replica", minimum=1),
    Setting("RNN_COURSE_LOG_LEVEL", "choice", "info", "level of the course's own log lines (rnn_course.* loggers, "
            "on stderr): debug, info, warning or error", choices=("debug", "info", "warning", "error")),
    Setting("RNN_COURSE_TRAIN_NICE", "int", 10, "how much nicer (0-19) training threads run than page threads",
            minimum=0),
)


def get(name: str, env: Mapping[str, str] | None = None) -> Any:
    """The setting's value: the environment's when set and not blank, else its default. Raises SettingError on
    a value its type cannot read."""
    setting = SETTINGS[name]
    raw = (os.environ if env is None else env).get(name, "")
    return setting.parse(raw) if raw.strip() else setting.default_value()


def is_set(name: str, env: Mapping[str, str] | None = None) -> bool:
    return bool((os.environ if env is None else env).get(name, "").strip())


def markdown_table() -> str:
    """README's configuration table, generated from SETTINGS (`python -m core.settings`)."""
    rows = ["| setting | default | what it does |", "| --- | --- | --- |"]
    for s in SETTINGS.values():
        default = s.default_value()
        if s.name in {"RNN_COURSE_SANDBOXES", "RNN_COURSE_TRAIN_JOBS"}:
            default = "from the CPU quota"
        elif isinstance(default, Path):
            default = str(default).replace(str(REPO_ROOT), ".").replace(str(REPO_ROOT.parent), "..")
            default = default.replace(str(Path.home()), "~")
        shown = "(empty)" if default in ("", None) else f"`{default}`"
        rows.append(f"| `{s.name}` | {shown} | {s.doc} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table())
