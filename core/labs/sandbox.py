"""Run learner code in a locked-down child process and collect raw outcomes per test (no grading here).

Every submission gets a fresh child: forked from a numpy-warm fork-server on Linux, spawned as
`python -I -B core/labs/child.py run` elsewhere (or if the fork-server is unavailable). The child gets an empty
environment, an empty temporary working directory, rlimits, and on Linux seccomp + Landlock; the server adds
wall-clock deadlines per test and per run, output caps and a memory watchdog, and kills the child (by pidfd, pid
and process group) after every run. What comes back is JSON, read only up to the size a right answer needs and
decoded strictly: arrays as dtype + shape + base64, never pickles.
"""

from __future__ import annotations

import json
import logging
import os
import selectors
import shutil
import signal
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from core import settings
from core.labs.codec import ProtocolError, decode_output, encode_input
from core.labs.launch import REAP_WAIT_S, Child, ForkServer, spawn_child

LINUX = sys.platform.startswith("linux")
SIGNAL_WHY = {
    getattr(signal, "SIGKILL", -9): "it was stopped (SIGKILL)",
    signal.SIGSEGV: "it crashed (SIGSEGV), often a recursion that went too deep",
    signal.SIGABRT: "it aborted (SIGABRT)",
    getattr(signal, "SIGXCPU", -24): "it used up its CPU-time limit (SIGXCPU)",
    getattr(signal, "SIGXFSZ", -25): "it tried to write a file larger than allowed (SIGXFSZ)",
}
SUPPORTED = os.name == "posix"  # Linux: every layer; macOS: rlimits, deadlines, watchdog, output caps
WEAK_ENV = "RNN_COURSE_ALLOW_WEAK_SANDBOX"  # "1": on Linux, run learner code even where seccomp is missing
log = logging.getLogger("rnn_course.labs")
TOTAL_SPENT = "the run used up its total time"
# How often the server wakes to read the child's memory while it waits. Linux enforces RLIMIT_DATA, so there the
# watchdog is a second line and need not wake often (each wake-up costs the server ~0.1 ms of CPU).
WATCHDOG_S = 0.2 if LINUX else 0.05


@dataclass(frozen=True)
class Limits:
    load_cpu_s: float = 0.5  # running the learner's top-level code
    load_wall_s: float = 2.0
    data_mb: int = 384  # RLIMIT_DATA; the watchdog stops a child whose RSS passes data_mb + 128
    output_keep: int = 16_384  # bytes of printed output shown back
    output_max: int = 1 << 20  # printing more than this stops the child
    control_max: int = 64 << 10  # the largest sandbox/load report accepted (results: each Call's max_bytes)
    total_wall_s: float = 10.0  # one submission, every test and restart together: a sandbox is held no longer
    grace_s: float = 0.5  # the server's deadline is the child's own budget plus this
    max_restarts: int = 2  # fresh children after a test that had to be killed
    max_timeouts: int = 2  # after this many tests ran out of time, the rest are skipped


@dataclass(frozen=True)
class Call:
    id: str
    args: tuple
    repeat: int = 1
    cpu_s: float = 0.3
    wall_s: float = 2.0
    max_bytes: int = 64 << 10  # the longest result line read back (set from the expected answer's size)
    max_items: int = 20_000  # values decoded from it, likewise


@dataclass(frozen=True)
class Returned:
    value: Any
    ms: float = 0.0


@dataclass(frozen=True)
class Raised:
    type: str
    message: str
    trace: tuple[str, ...] = ()
    line: int | None = None
    text: str = ""


@dataclass(frozen=True)
class Stopped:
    """The test produced no value: it ran out of time, the child died or was stopped, or it was skipped."""

    reason: str
    kind: str  # timeout | budget | killed | crashed | exited | output | memory | oversize | protocol | skipped


@dataclass(frozen=True)
class Missing:
    name: str
    defined: tuple[str, ...]


Outcome = Returned | Raised | Stopped


@dataclass
class RunResult:
    outcomes: dict[str, Outcome]
    load: Raised | Stopped | Missing | None = None
    params: list[str] | None = None
    output: str = ""
    output_truncated: bool = False
    layers: dict = field(default_factory=dict)
    mode: str = ""
    seconds: float = 0.0
    children: int = 0


def _parse_outcome(msg: dict, call: Call) -> Outcome:
    if "timeout" in msg:
        if msg["timeout"] == "total":
            return Stopped(TOTAL_SPENT, "budget")
        kind = "CPU time" if msg["timeout"] == "cpu" else "wall-clock time"
        return Stopped(f"ran out of {kind}", "timeout")
    if msg.get("skipped") == "total":
        return Stopped(f"not run: {TOTAL_SPENT}", "skipped")
    if msg.get("skipped"):
        return Stopped("not run: earlier tests ran out of time, so the rest were skipped", "skipped")
    if type(msg.get("oversize")) is int:
        what = str(msg.get("kind", "a value"))[:80]
        return Stopped(f"returned {what}, about {msg['oversize'] // 1000:,} kB as sent back: far more than this test "
                       f"expects (the tests read at most {call.max_bytes // 1000:,} kB)", "oversize")
    if msg.get("ok") is True and "value" in msg:
        ms = msg.get("ms", 0.0)
        return Returned(decode_output(msg["value"], budget=[call.max_items, call.max_bytes]),
                        float(ms) if type(ms) in (int, float) else 0.0)
    if msg.get("ok") is False and type(msg.get("error")) is dict:
        return _parse_error(msg["error"])
    raise ProtocolError("malformed test result")


def _parse_error(err: dict) -> Raised:
    trace = err.get("trace") if type(err.get("trace")) is list else []
    line = err.get("line") if type(err.get("line")) is int else None
    return Raised(str(err.get("type", "?"))[:80], str(err.get("message", ""))[:600],
                  tuple(str(t)[:300] for t in trace[:6]), line, str(err.get("text", ""))[:200])


# ---------------------------------------------------------------- one run

def _rss_mb(pid: int) -> float:
    """Resident memory of the child (the watchdog's reading; RLIMIT_DATA is not enforced everywhere)."""
    try:
        if LINUX:
            with open(f"/proc/{pid}/statm", "rb") as fh:
                return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
        import psutil

        return psutil.Process(pid).memory_info().rss / 2**20
    except Exception:  # noqa: BLE001 (gone already, or no way to tell: the deadline still applies)
        return 0.0


def _write_all(fd: int, data: bytes) -> None:
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    except OSError:
        pass  # the child died or closed its input: the reader reports why
    finally:
        os.close(fd)


class _Attempt:
    """Drive one child through sandbox -> loaded -> results -> done, with a deadline for each phase."""

    def __init__(self, child: Child, calls: list[Call], limits: Limits, result: RunResult, out: bytearray,
                 end: float = float("inf")):
        self.child, self.calls, self.limits, self.result, self.out = child, calls, limits, result, out
        self.end = end  # the submission's total deadline (time.monotonic), shared by every attempt
        self.require_seccomp = require_seccomp()
        self.phase = "sandbox"
        self.index = 0  # results received so far in this attempt
        self.stop: Stopped | None = None
        self.out_total = 0

    def deadline_for_phase(self, now: float) -> float:
        lim = self.limits
        if self.phase in ("sandbox", "loaded"):
            phase_end = now + lim.load_wall_s + lim.grace_s + (2.0 if self.phase == "sandbox" else 0.0)
        else:
            call = self.calls[self.index] if self.index < len(self.calls) else None
            phase_end = now + (call.wall_s if call else 1.0) + lim.grace_s
        return min(phase_end, self.end + lim.grace_s)

    def line_cap(self) -> int:
        """The longest line accepted next: a result line as long as its test allows, anything else small."""
        if self.phase == "tests" and self.index < len(self.calls):
            return self.calls[self.index].max_bytes + 1024  # the id and timing around the value
        return self.limits.control_max

    def handle(self, msg: Any) -> None:
        if type(msg) is not dict:
            raise ProtocolError("malformed line")
        if self.phase == "sandbox":
            if msg.get("event") != "sandbox" or type(msg.get("layers")) is not dict:
                raise ProtocolError("expected the sandbox report first")
            self.result.layers = {str(k)[:40]: v for k, v in msg["layers"].items() if type(v) in (bool, str)}
            self.phase = "loaded"
            if self.require_seccomp and self.result.layers.get("seccomp") is not True:
                self.phase = "finished"  # the reason is for the operator; learners see a plain message
                self.result.load = Stopped(f"learner code refused: the seccomp layer is not active on this server "
                                           f"({self.result.layers.get('seccomp')}). Install libseccomp2 and "
                                           f"pyseccomp, or set {WEAK_ENV}=1 to accept a weaker sandbox", "refused")
        elif self.phase == "loaded":
            if msg.get("event") != "loaded":
                raise ProtocolError("expected the load report")
            if msg.get("ok") is True:
                params = msg.get("params")
                self.result.params = [str(p)[:40] for p in params] if type(params) is list else None
                self.phase = "tests"
            else:
                self.phase = "finished"
                if "timeout" in msg:
                    self.result.load = Stopped("did not finish loading in time", "timeout")
                elif "missing" in msg:
                    defined = msg.get("defined") if type(msg.get("defined")) is list else []
                    self.result.load = Missing(str(msg["missing"])[:80], tuple(str(d)[:60] for d in defined[:20]))
                elif type(msg.get("error")) is dict:
                    self.result.load = _parse_error(msg["error"])
                else:
                    raise ProtocolError("malformed load report")
        elif self.phase == "tests":
            if self.index >= len(self.calls):
                if msg.get("event") != "done":
                    raise ProtocolError("unexpected line after the last result")
                self.phase = "finished"
                return
            call = self.calls[self.index]
            if msg.get("id") != call.id:
                raise ProtocolError("results out of order")
            self.result.outcomes[call.id] = _parse_outcome(msg, call)
            self.index += 1
        else:
            raise ProtocolError("unexpected line after the end of the run")

    def run(self, job: bytes) -> None:
        child = self.child
        status: int | None = None
        writer = threading.Thread(target=_write_all, args=(child.job_w, job), daemon=True)
        sel = selectors.DefaultSelector()
        try:
            writer.start()
            sel.register(child.proto_r, selectors.EVENT_READ, "proto")
            sel.register(child.out_r, selectors.EVENT_READ, "out")
            self._read(sel)
        finally:
            sel.close()
            try:
                child.kill()  # by pidfd, pid and process group, every time
                status = child.reap(REAP_WAIT_S)  # waits on the pidfd; the fork-server itself never blocks
            except (OSError, ValueError) as exc:  # a wedged fork-server: it is replaced on the next request
                log.warning("could not reap sandbox child %s: %s", child.pid, exc)
            finally:
                child.close()
                if writer.ident is not None:
                    writer.join(5)
                else:  # never started: the job's pipe end is still ours to close
                    os.close(child.job_w)
        if self.stop is not None and self.stop.kind == "exited" and status not in (None, 0):
            why = SIGNAL_WHY.get(-status, f"it was stopped by signal {-status}") if status < 0 else \
                f"it exited with code {status}"
            self.stop = Stopped(f"ended the sandbox early: {why}", "crashed" if status < 0 else "exited")

    def _read(self, sel: selectors.BaseSelector) -> None:
        """Read output and result lines until the run finishes, a limit is hit or a deadline passes. A result
        line is parsed only if it is no longer than its test allows: the server reads no more than that."""
        child, lim = self.child, self.limits
        buf = bytearray()
        deadline = self.deadline_for_phase(time.monotonic())
        while self.phase != "finished" and self.stop is None:
            now = time.monotonic()
            if now > deadline:
                self.stop = Stopped(TOTAL_SPENT, "budget") if now > self.end else \
                    Stopped("did not stop when its time was up, so the sandbox was stopped", "killed")
                return
            if _rss_mb(child.pid) > lim.data_mb + 128:
                self.stop = Stopped(f"used more than {lim.data_mb} MB of memory", "memory")
                return
            for key, _ in sel.select(min(WATCHDOG_S, max(0.0, deadline - now))):
                data = os.read(key.fd, 1 << 16)
                if key.data == "out":
                    if not data:
                        sel.unregister(key.fd)
                        continue
                    self.out_total += len(data)
                    self.out.extend(data[: max(0, lim.output_keep - len(self.out))])
                    if self.out_total > lim.output_max:
                        self.stop = Stopped(f"printed more than {lim.output_max >> 20} MB", "output")
                    continue
                if not data:
                    self.stop = self._early_exit(sel)
                    return
                buf.extend(data)
                while self.phase != "finished" and self.stop is None:
                    end = buf.find(b"\n")
                    if end < 0 or end > self.line_cap():
                        break
                    line = bytes(buf[:end])
                    del buf[:end + 1]
                    try:
                        self.handle(json.loads(line))
                    except (ValueError, KeyError, TypeError, RecursionError) as exc:
                        self.stop = Stopped(f"the result channel was tampered with ({exc})", "protocol")
                        return
                    deadline = self.deadline_for_phase(time.monotonic())
                if self.stop is None and self.phase != "finished" and len(buf) > self.line_cap():
                    self.stop = Stopped("sent back a result far larger than this test expects, so the sandbox was "
                                        "stopped", "oversize")
                    return

    def _early_exit(self, sel: selectors.BaseSelector) -> Stopped:
        """The result channel closed before 'done': give the process a moment to finish exiting (so its
        exit status is its own), draining output meanwhile."""
        end = time.monotonic() + 0.3
        while time.monotonic() < end and sel.get_map() and "out" in [k.data for k in sel.get_map().values()]:
            for key, _ in sel.select(0.05):
                if key.data == "out":
                    data = os.read(key.fd, 1 << 16)
                    if not data:
                        sel.unregister(key.fd)
                    else:
                        self.out.extend(data[: max(0, self.limits.output_keep - len(self.out))])
                        self.out_total += len(data)
                        if self.out_total > self.limits.output_max:
                            break
        return Stopped("ended the sandbox before reporting every result", "exited")


class Sandbox:
    """Starts children (fork-server where it works, spawn otherwise) and runs jobs in them."""

    def __init__(self, mode: str | None = None) -> None:
        mode = mode or settings.get("RNN_COURSE_SANDBOX_MODE") or ("fork" if LINUX else "spawn")
        self.mode = mode
        self._forkserver = ForkServer() if mode == "fork" else None
        self._base = tempfile.mkdtemp(prefix="rnn-lab-runs-")
        self.last_layers: dict = {}

    def _child(self, workdir: str) -> tuple[Child, str]:
        if self._forkserver is not None:
            try:
                return self._forkserver.spawn(workdir), "fork-server"
            except (OSError, ValueError):
                pass  # fall back for this run; the fork-server restarts on the next request
        return spawn_child(workdir), "spawn"

    def warm_up(self) -> None:
        if self._forkserver is not None:
            self._forkserver.ensure_started()

    def run(self, code: str, entry: str, calls: list[Call], limits: Limits | None = None) -> RunResult:
        start = time.monotonic()
        limits = limits or Limits()
        end = start + limits.total_wall_s  # every attempt of this submission together
        result = RunResult(outcomes={})
        out = bytearray()
        remaining = list(calls)
        restarts = 0
        while remaining:
            workdir = tempfile.mkdtemp(prefix="run-", dir=self._base)
            try:
                child, result.mode = self._child(workdir)
                result.children += 1
                job = self._job(code, entry, remaining, limits, max(0.05, end - time.monotonic()))
                attempt = _Attempt(child, remaining, limits, result, out, end)
                attempt.run(job)
            finally:
                shutil.rmtree(workdir, ignore_errors=True)
            self.last_layers = result.layers or self.last_layers
            if attempt.phase in ("sandbox", "loaded"):
                result.load = attempt.stop or Stopped("ended the sandbox before loading finished", "exited")
                break
            if result.load is not None or attempt.stop is None:
                break
            failed = remaining[attempt.index] if attempt.index < len(remaining) else None
            if failed is None:
                break
            result.outcomes[failed.id] = attempt.stop
            remaining = remaining[attempt.index + 1:]
            restarts += 1
            if attempt.stop.kind == "budget" or time.monotonic() >= end:
                for call in remaining:
                    result.outcomes[call.id] = Stopped(f"not run: {TOTAL_SPENT}", "skipped")
                break
            if restarts > limits.max_restarts or attempt.stop.kind in ("protocol", "output", "oversize"):
                for call in remaining:
                    result.outcomes[call.id] = Stopped("not run: earlier tests had to be stopped", "skipped")
                break
        result.output = out.decode("utf-8", errors="replace")
        result.output_truncated = len(out) >= limits.output_keep
        result.seconds = time.monotonic() - start
        return result

    @staticmethod
    def _job(code: str, entry: str, calls: list[Call], limits: Limits, total_wall_s: float) -> bytes:
        cpu = limits.load_cpu_s + sum(c.cpu_s for c in calls)
        return json.dumps({
            "code": code, "entry": entry, "max_timeouts": limits.max_timeouts, "require_seccomp": require_seccomp(),
            "load_cpu_s": limits.load_cpu_s, "load_wall_s": limits.load_wall_s, "total_wall_s": total_wall_s,
            "limits": {"cpu_s": cpu, "data_mb": limits.data_mb},
            "tests": [{"id": c.id, "args": [encode_input(a) for a in c.args], "repeat": c.repeat,
                       "cpu_s": c.cpu_s, "wall_s": c.wall_s, "max_bytes": c.max_bytes} for c in calls],
        }).encode()

    def close(self) -> None:
        if self._forkserver is not None:
            self._forkserver.shutdown()
        shutil.rmtree(self._base, ignore_errors=True)


def require_seccomp() -> bool:
    return LINUX and not settings.get(WEAK_ENV)


def harden_server() -> bool:
    """prctl(PR_SET_DUMPABLE, 0): learner code cannot ptrace this process or read its /proc files."""
    if not LINUX:
        return False
    import ctypes

    return ctypes.CDLL(None).prctl(4, 0, 0, 0, 0) == 0
