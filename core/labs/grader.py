"""Grade a learner's code against hidden tests: the sandbox computes, the server compares.

`grade(code, lab_entry, tests)` runs the code once in a fresh locked-down child (core/labs/sandbox.py), then checks each
returned value here against the server's own reference. Capacity is bounded: a semaphore caps the number of
sandboxes running at once, each learner has at most one run in flight, and code has a size limit.
"""

from __future__ import annotations

import atexit
import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from core import settings
from core.labs import sandbox
from core.labs.codec import Unsupported
from core.labs.sandbox import Call, Limits, Missing, Raised, Stopped

MAX_CODE_BYTES = 20_000
QUEUE_TIMEOUT_S = 60.0
MAX_SANDBOXES = max(2, min(8, settings.get("RNN_COURSE_SANDBOXES")))


@dataclass(frozen=True)
class Test:
    """One hidden test: inputs sent to the child, and a check run on the server with what came back.

    `check(value)` returns None when the value is right, else a message for the learner. `raises` names the
    exception the function must raise instead (e.g. "ValueError" for a negative temperature).
    """

    __test__ = False  # not a pytest class

    name: str
    args: tuple
    check: Callable[[Any], str | None] | None = None
    raises: str | None = None
    repeat: int = 1
    cpu_s: float = 0.3
    wall_s: float = 2.0


@dataclass(frozen=True)
class TestResult:
    name: str
    passed: bool
    message: str = ""
    detail: str = ""  # text that comes from the learner's run (exception, traceback): show it as code
    ms: float = 0.0


@dataclass
class GradeReport:
    status: str  # graded | load_error | busy | too_large | overloaded | unavailable
    results: list[TestResult] = field(default_factory=list)
    message: str = ""
    detail: str = ""
    warning: str = ""
    output: str = ""
    output_truncated: bool = False
    layers: dict = field(default_factory=dict)
    mode: str = ""
    seconds: float = 0.0  # click to result, queueing included
    wait_seconds: float = 0.0  # time spent waiting for a free sandbox

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.results)

    @property
    def total(self) -> int:
        return len(self.results)

    @property
    def all_passed(self) -> bool:
        return self.status == "graded" and bool(self.results) and self.passed == self.total

    def results_json(self) -> str:
        return json.dumps({"status": self.status, "message": self.message,
                           "results": [{"name": r.name, "passed": r.passed, "message": r.message}
                                       for r in self.results]})


# ---------------------------------------------------------------- capacity

_slots = threading.BoundedSemaphore(MAX_SANDBOXES)
_inflight: set[str] = set()
_inflight_lock = threading.Lock()
_sandbox: sandbox.Sandbox | None = None
_sandbox_lock = threading.Lock()
_hardened = False


def get_sandbox() -> sandbox.Sandbox:
    global _sandbox, _hardened
    with _sandbox_lock:
        if _sandbox is None:
            _hardened = sandbox.harden_server()
            _sandbox = sandbox.Sandbox()
            atexit.register(_sandbox.close)
        return _sandbox


def warm_up() -> None:
    """Start the fork-server ahead of the first click (safe to call often)."""
    try:
        get_sandbox().warm_up()
    except OSError:
        pass


def layers() -> dict:
    """The protection layers seen in the last child, plus the server's own: shown on the page."""
    sb = get_sandbox()
    if not sb.last_layers:
        sb.run("", "_", [], Limits())
    return {**sb.last_layers, "server_not_dumpable": _hardened, "mode": sb.mode}


# ---------------------------------------------------------------- grading

def grade(code: str, entry: str, tests: Sequence[Test], *, params: Sequence[str] = (),
          error_hints: Sequence[tuple[str, str]] = (), learner: str | None = None,
          limits: Limits | None = None) -> GradeReport:
    """Run `code` in a sandbox, call `entry` on every test's inputs, and check the results here.

    `params` is the expected signature (for a clearer message when it differs); `error_hints` pairs a piece of
    an exception message with what it usually means in this lab.
    """
    start = time.monotonic()
    limits = limits or Limits()
    if not sandbox.SUPPORTED:
        return GradeReport("unavailable", message="Code labs need a Linux or macOS server: this one cannot run "
                                                  "learner code in a separate, limited process.")
    if len(code.encode("utf-8", errors="replace")) > MAX_CODE_BYTES:
        return GradeReport("too_large", message=f"Your code is longer than {MAX_CODE_BYTES // 1000} kB; "
                                                 "the labs need far less. Trim it and run again.")
    if learner is not None:
        with _inflight_lock:
            if learner in _inflight:
                return GradeReport("busy", message="Your previous run is still being graded; try again in a moment.")
            _inflight.add(learner)
    try:
        if not _slots.acquire(timeout=QUEUE_TIMEOUT_S):
            return GradeReport("overloaded", message="Every sandbox is busy right now; please run again shortly.")
        waited = time.monotonic() - start
        try:
            calls = [Call(f"t{i}", t.args, t.repeat, t.cpu_s, t.wall_s) for i, t in enumerate(tests)]
            run = get_sandbox().run(code, entry, calls, limits)
        finally:
            _slots.release()
    finally:
        if learner is not None:
            with _inflight_lock:
                _inflight.discard(learner)
    report = _report(run, entry, tests, calls, params, limits, error_hints)
    report.wait_seconds = waited
    report.seconds = time.monotonic() - start
    return report


def _report(run: sandbox.RunResult, entry: str, tests: Sequence[Test], calls: list[Call],
            params: Sequence[str], limits: Limits, error_hints: Sequence[tuple[str, str]]) -> GradeReport:
    report = GradeReport("graded", output=run.output, output_truncated=run.output_truncated,
                         layers=run.layers, mode=run.mode)
    signature = f"{entry}({', '.join(params)})" if params else entry
    if isinstance(run.load, Stopped) and run.load.kind == "refused":
        report.status = "unavailable"
        report.message = f"Your code {run.load.reason}."
        return report
    if run.load is not None:
        report.status = "load_error"
        report.message, report.detail = _load_message(run.load, entry, limits)
        report.results = [TestResult(t.name, False, "Not run: the code did not load.") for t in tests]
        return report
    if params and run.params is not None and len(run.params) != len(params):
        report.warning = (f"Your function takes ({', '.join(run.params)}), but the tests call it as {signature}. "
                          "Keep the signature from the starter code.")
    for test, call in zip(tests, calls, strict=True):
        outcome = run.outcomes.get(call.id, Stopped("no result came back", "protocol"))
        report.results.append(_check(test, outcome, signature, error_hints))
    return report


def _check(test: Test, outcome: sandbox.Outcome, signature: str,
           error_hints: Sequence[tuple[str, str]] = ()) -> TestResult:
    if isinstance(outcome, Stopped):
        return TestResult(test.name, False, _stopped_message(outcome, test))
    if isinstance(outcome, Raised):
        if test.raises and outcome.type == test.raises:
            return TestResult(test.name, True, f"raised {test.raises} as required")
        message = f"raised {outcome.type}" + (f" (expected {test.raises})" if test.raises else "")
        if outcome.type == "TypeError" and "argument" in outcome.message:
            message += f". Keep the signature from the starter code: {signature}"
        elif outcome.type == "SystemExit":
            message = "called sys.exit() inside the function; return a value instead"
        elif outcome.type == "RecursionError":
            message += ": the function calls itself without end"
        else:
            message += next((f". {hint}" for needle, hint in error_hints if needle in outcome.message), "")
        return TestResult(test.name, False, message, _raised_detail(outcome))
    if test.raises:
        return TestResult(test.name, False, f"should raise {test.raises} for this input, but returned "
                                            f"{_kind(outcome.value)}", ms=outcome.ms)
    value = outcome.value
    if _contains_unsupported(value):
        return TestResult(test.name, False, f"returned {_kind(value)}, which the tests cannot read: return NumPy "
                                            "arrays, numbers, lists, tuples or dicts", ms=outcome.ms)
    try:
        problem = test.check(value) if test.check else None
    except Exception as exc:  # noqa: BLE001 (a value the check did not foresee is a failed test, not a crash)
        problem = f"returned {_kind(value)}, which could not be checked ({type(exc).__name__}: {exc})"
    return TestResult(test.name, problem is None, problem or "", ms=outcome.ms)


def _contains_unsupported(value: Any) -> bool:
    if isinstance(value, Unsupported):
        return True
    if isinstance(value, list | tuple):
        return any(_contains_unsupported(v) for v in value)
    if isinstance(value, dict):
        return any(_contains_unsupported(v) for v in value.values())
    return False


def _kind(value: Any) -> str:
    import numpy as np

    if isinstance(value, Unsupported):
        return f"a {value.type}"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if value is None:
        return "None"
    if isinstance(value, list | tuple | dict):
        return f"a {type(value).__name__} of {len(value)} items"
    return f"{type(value).__name__} {value!r}"[:80]


def _raised_detail(err: Raised) -> str:
    lines = [f"{err.type}: {err.message}"]
    if err.trace:
        lines += ["", "Where, in your code:"] + [f"  {t}" for t in err.trace]
    return "\n".join(lines)


def _stopped_message(stop: Stopped, test: Test) -> str:
    if stop.kind == "timeout":
        return (f"{stop.reason}: this test allows {test.cpu_s:g} s of CPU time and {test.wall_s:g} s in all. "
                "Look for a loop that never ends or a sleep; an import inside the function also counts against "
                "this time, so put imports at the top.")
    if stop.kind == "killed":
        return (f"{stop.reason} ({test.wall_s:g} s). An endless loop that catches every exception, ignored timer "
                "signals or a runaway recursion can do this.")
    return stop.reason


def _load_message(load: Raised | Stopped | Missing, entry: str, limits: Limits) -> tuple[str, str]:
    if isinstance(load, Missing):
        others = f" Your code defines: {', '.join(load.defined)}." if load.defined else ""
        return f"There is no function named `{entry}`, which the tests call.{others}", ""
    if isinstance(load, Stopped):
        if load.kind in ("timeout", "killed"):
            return (f"Your code did not finish loading within {limits.load_cpu_s:g} s of CPU time "
                    f"({limits.load_wall_s:g} s in all). Is there an endless loop or a sleep outside the function?",
                    "")
        return f"Your code {load.reason} (while loading, before any test ran).", ""
    if load.type in ("SyntaxError", "IndentationError", "TabError"):
        where = f" on line {load.line}" if load.line else ""
        text = f"{load.text}\n" if load.text else ""
        return f"Python could not read your code: {load.type}{where}.", f"{text}{load.type}: {load.message}"
    if load.type == "SystemExit":
        return "Your code called sys.exit() while loading, so no test could run.", ""
    return f"Your code raised {load.type} while loading, before any test ran.", _raised_detail(load)

