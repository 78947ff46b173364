"""Grade a learner's code against hidden tests: the sandbox computes, the server compares.

`grade(code, lab_entry, tests, learner=...)` runs the code once in a fresh locked-down child
(core/labs/sandbox.py), then checks each returned value here against the server's own reference. Capacity is
bounded and shared fairly (core/labs/slots.py): one sandbox per learner, whoever has a run going waits behind
everyone else, one run waiting per learner, a total time per submission, and code has a size limit. grade() never
raises: whatever goes wrong on the server becomes a plain message for the learner and a log line for the operator.
"""

from __future__ import annotations

import atexit
import itertools
import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from core import settings
from core.labs import sandbox, slots
from core.labs.codec import Unsupported, wire_size
from core.labs.sandbox import Call, Limits, Missing, Raised, Stopped

log = logging.getLogger("rnn_course.labs")
MAX_CODE_BYTES = 20_000
QUEUE_TIMEOUT_S = 30.0  # the longest a run waits in line (the page shows its place meanwhile)
MAX_WAITING = 100
MAX_SANDBOXES = max(2, min(8, settings.get("RNN_COURSE_SANDBOXES")))
RESULT_FLOOR_BYTES = 16 << 10  # a result line may always be this long
RESULT_FACTOR = 4  # ... or this many times the expected answer's size (a list of floats where an array belongs)
UNAVAILABLE = "Code labs are unavailable on this server right now; your instructor has been told."
FAILED = ("The server could not finish grading this run, so there is no result for it. Please run it again in a "
          "moment; if this keeps happening, tell your instructor.")


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
    expect: Any = None  # a right answer for one call (or any value of its shape): bounds what the server reads back


@dataclass(frozen=True)
class TestResult:
    name: str
    passed: bool
    message: str = ""
    detail: str = ""  # text that comes from the learner's run (exception, traceback): show it as code
    ms: float = 0.0


@dataclass
class GradeReport:
    status: str  # graded | load_error | busy | too_large | unavailable | error
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
    place: int = 0  # busy: the place in line it had (1 = next)
    cpu_seconds: float = 0.0  # the server's own CPU time for this submission (this thread)

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


# ---------------------------------------------------------------- capacity and operator notices

_slots = slots.Slots(MAX_SANDBOXES, MAX_WAITING)
_anonymous = itertools.count()
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


@dataclass
class Notice:
    """Something the operator must fix, for an instructor page: what, how often and when last."""

    text: str
    count: int = 0
    last: float = 0.0  # time.time()


_notices: dict[str, Notice] = {}
_notices_lock = threading.Lock()


def _notify(key: str, text: str) -> None:
    """Log `text` for the operator (at most once a minute per kind) and keep it for `notices()`."""
    with _notices_lock:
        notice = _notices.setdefault(key, Notice(text))
        quiet = notice.count and time.time() - notice.last < 60
        notice.text, notice.count, notice.last = text, notice.count + 1, time.time()
    if not quiet:
        log.error("%s (%d time%s so far)", text, notice.count, "" if notice.count == 1 else "s")


def notices() -> list[Notice]:
    """Operator notices since the server started, newest first (e.g. learner code refused: no seccomp)."""
    with _notices_lock:
        return sorted((Notice(n.text, n.count, n.last) for n in _notices.values()), key=lambda n: -n.last)


def layers() -> dict:
    """The protection layers seen in the last child, plus the server's own: shown on the page."""
    sb = get_sandbox()
    if not sb.last_layers:
        sb.run("", "_", [], Limits())
    return {**sb.last_layers, "server_not_dumpable": _hardened, "mode": sb.mode}


# ---------------------------------------------------------------- grading

def grade(code: str, entry: str, tests: Sequence[Test], *, learner: str | None,
          on_wait: Callable[[int], None] | None = None, params: Sequence[str] = (),
          error_hints: Sequence[tuple[str, str]] = (), limits: Limits | None = None) -> GradeReport:
    """Run `code` in a sandbox, call `entry` on every test's inputs, and check the results here.

    `learner` keys the fair share (None: a share of its own); `on_wait(place)` hears the place in line while all
    sandboxes are busy. `params` is the expected signature (for a clearer message when it differs); `error_hints`
    pairs a piece of an exception message with what it usually means in this lab. Never raises.
    """
    start, cpu_start = time.monotonic(), time.thread_time()
    limits = limits or Limits()
    if not sandbox.SUPPORTED:
        return GradeReport("unavailable", message="Code labs need a Linux or macOS server: this one cannot run "
                                                  "learner code in a separate, limited process.")
    if len(code.encode("utf-8", errors="replace")) > MAX_CODE_BYTES:
        return GradeReport("too_large", message=f"Your code is longer than {MAX_CODE_BYTES // 1000} kB; "
                                                 "the labs need far less. Trim it and run again.")
    key = learner if learner is not None else f"anonymous-{next(_anonymous)}"
    try:
        turn = _slots.enter(key, QUEUE_TIMEOUT_S, on_wait)
    except Exception:  # noqa: BLE001 (a failing on_wait callback: no sandbox was taken)
        log.exception("waiting for a sandbox failed")
        return GradeReport("error", message=FAILED)
    if turn.status != "run":
        return _busy(turn)
    try:
        calls = [_call(i, t) for i, t in enumerate(tests)]
        run = get_sandbox().run(code, entry, calls, limits)
        report = _report(run, entry, tests, calls, params, limits, error_hints)
    except Exception:  # noqa: BLE001 (the page gets a plain message; the operator gets the traceback)
        log.exception("grading a submission for %s failed", entry)
        report = GradeReport("error", message=FAILED)
    finally:
        _slots.leave(key)
    report.wait_seconds = turn.waited
    report.seconds = time.monotonic() - start
    report.cpu_seconds = time.thread_time() - cpu_start
    return report


def _busy(entry: slots.Entry) -> GradeReport:
    if entry.status == "queued":
        message = (f"Your previous run is still waiting for a sandbox (your place in line: {entry.place}), so this "
                   "one was not started. Run it again once that result is in.")
    elif entry.status == "full":
        message = (f"Every sandbox is busy and {entry.place - 1} runs are already waiting, so this one was not "
                   "queued. Please run again in a minute.")
    else:
        message = (f"Every sandbox is still busy: your place in line was {entry.place} after "
                   f"{entry.waited:.0f} s of waiting. Please run again shortly.")
    return GradeReport("busy", message=message, place=entry.place, wait_seconds=entry.waited)


def _call(i: int, test: Test) -> Call:
    """A test as the sandbox runs it, with how much it may send back: a few times what a right answer takes."""
    if test.expect is None:
        return Call(f"t{i}", test.args, test.repeat, test.cpu_s, test.wall_s)
    size, items = wire_size(test.expect)
    return Call(f"t{i}", test.args, test.repeat, test.cpu_s, test.wall_s,
                max_bytes=max(RESULT_FLOOR_BYTES, RESULT_FACTOR * size * test.repeat),
                max_items=max(64, RESULT_FACTOR * items * test.repeat + 16))


def _report(run: sandbox.RunResult, entry: str, tests: Sequence[Test], calls: list[Call],
            params: Sequence[str], limits: Limits, error_hints: Sequence[tuple[str, str]]) -> GradeReport:
    report = GradeReport("graded", output=run.output, output_truncated=run.output_truncated,
                         layers=run.layers, mode=run.mode)
    signature = f"{entry}({', '.join(params)})" if params else entry
    if isinstance(run.load, Stopped) and run.load.kind == "refused":
        _notify("refused", f"Code labs: {run.load.reason}.")
        report.status = "unavailable"
        report.message = UNAVAILABLE
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
        report.results.append(_check(test, outcome, signature, error_hints, limits))
    return report


def _check(test: Test, outcome: sandbox.Outcome, signature: str,
           error_hints: Sequence[tuple[str, str]] = (), limits: Limits | None = None) -> TestResult:
    if isinstance(outcome, Stopped):
        return TestResult(test.name, False, _stopped_message(outcome, test, limits or Limits()))
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


def _shape(value: Any) -> str:
    """What a value looks like, never what it holds (it may be the expected answer)."""
    import numpy as np

    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    if isinstance(value, list | tuple | dict):
        return f"a {type(value).__name__} of {len(value)} items"
    return "a single number" if isinstance(value, int | float) else f"a {type(value).__name__}"


def _raised_detail(err: Raised) -> str:
    lines = [f"{err.type}: {err.message}"]
    if err.trace:
        lines += ["", "Where, in your code:"] + [f"  {t}" for t in err.trace]
    return "\n".join(lines)


def _stopped_message(stop: Stopped, test: Test, limits: Limits) -> str:
    if stop.kind == "budget" or (stop.kind == "skipped" and sandbox.TOTAL_SPENT in stop.reason):
        return (f"{stop.reason}: one run of your code may take {limits.total_wall_s:g} s for all the tests together. "
                "Look for a sleep or a slow loop.")
    if stop.kind == "oversize":
        expected = f" This test expects {_shape(test.expect)}." if test.expect is not None else ""
        return f"{stop.reason}.{expected} Return only the result the task asks for."
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
        if load.kind == "budget":
            return (f"Your code used up the {limits.total_wall_s:g} s that one run may take in all while it was "
                    "loading, before any test ran. Look for a sleep or a slow loop outside the function.", "")
        return f"Your code {load.reason} (while loading, before any test ran).", ""
    if load.type in ("SyntaxError", "IndentationError", "TabError"):
        where = f" on line {load.line}" if load.line else ""
        text = f"{load.text}\n" if load.text else ""
        return f"Python could not read your code: {load.type}{where}.", f"{text}{load.type}: {load.message}"
    if load.type == "SystemExit":
        return "Your code called sys.exit() while loading, so no test could run.", ""
    return f"Your code raised {load.type} while loading, before any test ran.", _raised_detail(load)

