"""In-app training jobs: one background thread per learner running core.training.loop.train, a process-wide cap on
runs at once (the others wait in a first-come queue), a budget per run (time, steps, model and corpus size) and a
daily allowance of training seconds per learner. A stop keeps the model trained so far; every run that took at
least one step is saved with core.jobs.runs. Pages only read `Job.progress()`, a frozen copy.
"""

from __future__ import annotations

import contextlib
import math
import os

try:
    import resource  # Unix only: peak memory of a training run
except ImportError:  # Windows
    resource = None
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from types import SimpleNamespace

import torch

from core import settings
from core.data.corpora import TextData, split_text
from core.jobs import runs as learner_runs
from core.models import inference
from core.models.charlm import KINDS, CharLM, CharLMConfig, build, cells_twin
from core.training.loop import StepInfo, TrainConfig, train

CONCURRENT_ENV = "RNN_COURSE_TRAIN_JOBS"
SECONDS_ENV = "RNN_COURSE_TRAIN_SECONDS"
NICE_ENV = "RNN_COURSE_TRAIN_NICE"  # how much nicer (0-19) training threads run than the page threads
DAY_S = 24 * 3600.0
KEEP_DONE_S = 3600.0  # a finished job stays in memory this long (its dashboard); the saved run stays for good
ACTIVE = ("queued", "running", "saving")


class JobError(ValueError):
    """A run that cannot start: over budget, a learner already training, a full queue. The text says what to do."""


@dataclass(frozen=True)
class Budget:
    max_seconds: float = 120.0  # wall-clock training time per run
    max_steps: int = 3000
    max_hidden: int = 256
    max_layers: int = 2
    max_embed: int = 64
    max_params: int = 600_000
    max_batch: int = 64
    max_seq_len: int = 128
    max_corpus_chars: int = 2_000_000  # longer texts are cut to this many characters before the split
    learner_seconds_per_day: float = 900.0  # a cohort cannot starve the server: each learner has an allowance
    concurrent: int = max(1, settings.cpu_quota() // 2)  # runs at once (1 on 2 cores); more wait in the queue
    queue: int = 8  # runs allowed to wait

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Budget:
        env = os.environ if env is None else env
        b = cls()
        try:
            if settings.is_set(CONCURRENT_ENV, env):
                b = replace(b, concurrent=settings.get(CONCURRENT_ENV, env))
            if settings.is_set(SECONDS_ENV, env):
                b = replace(b, max_seconds=settings.get(SECONDS_ENV, env))
        except settings.SettingError:
            raise ValueError(f"{CONCURRENT_ENV} must be a whole number and {SECONDS_ENV} a number of seconds.") from None
        return b


@dataclass(frozen=True)
class JobSpec:
    learner_id: int
    text: str
    corpus: str  # built-in corpus name or "upload:<filename>"
    title: str = "My model"
    kind: str = "lstm"
    hidden: int = 128
    layers: int = 1
    embed: int = 32
    dropout: float = 0.0
    steps: int = 600
    seconds: float = 60.0
    lr: float = 3e-3
    batch: int = 32
    seq_len: int = 64
    clip: float = 1.0
    eval_every: int = 50
    sample_every: int = 100
    seed: int = 0


def model_config(spec: JobSpec, vocab_size: int) -> CharLMConfig:
    """Training runs on torch's fused layers (about 2.5x faster here); the saved model uses our cells."""
    return CharLMConfig(kind=spec.kind, vocab_size=vocab_size, hidden=spec.hidden, layers=spec.layers,
                        embed=spec.embed, dropout=spec.dropout, backend="torch")


GATES = {"rnn": 1, "lstm": 4, "gru": 3}  # weight blocks per recurrent layer


def count_params(spec: JobSpec, vocab_size: int) -> int:
    """Parameters of the model `spec` describes, counted without building it (test: equals num_params)."""
    g, h, e = GATES.get(spec.kind, 4), spec.hidden, spec.embed
    rnn = sum(g * h * (n_in + h + 2) for n_in in [e] + [h] * (spec.layers - 1))
    return vocab_size * e + rnn + (h + 1) * vocab_size


def estimate_memory_mb(spec: JobSpec, vocab_size: int, corpus_chars: int) -> float:
    """Weights + gradients + Adam moments (4 copies), activations kept for backprop, and the encoded text."""
    params = count_params(spec, vocab_size)
    gates = GATES.get(spec.kind, 4)
    acts = spec.batch * spec.seq_len * (spec.layers * spec.hidden * (gates + 2) + spec.embed + 2 * vocab_size)
    return (4 * params * 4 + acts * 4 + corpus_chars * 8 * 2) / 2**20


def check_spec(spec: JobSpec, budget: Budget) -> list[str]:
    """Every way the settings break the budget, each as a sentence saying what to change."""
    problems = []
    if spec.kind not in KINDS:
        problems.append(f"Model kind must be one of {', '.join(KINDS)}.")
    limits = [("hidden", spec.hidden, 1, budget.max_hidden), ("layers", spec.layers, 1, budget.max_layers),
              ("embed", spec.embed, 1, budget.max_embed), ("steps", spec.steps, 1, budget.max_steps),
              ("batch", spec.batch, 1, budget.max_batch), ("seq_len", spec.seq_len, 2, budget.max_seq_len)]
    for name, value, lo, hi in limits:
        if not lo <= value <= hi:
            problems.append(f"{name} must be between {lo} and {hi} (got {value}).")
    if not (math.isfinite(spec.seconds) and 1 <= spec.seconds <= budget.max_seconds):
        problems.append(f"Training time must be between 1 and {budget.max_seconds:.0f} seconds.")
    if not (math.isfinite(spec.lr) and 0 < spec.lr <= 1.0):
        problems.append("Learning rate must be above 0 and at most 1 (3e-3 is a good start).")
    if not 0 <= spec.dropout < 0.9:
        problems.append("Dropout must be between 0 and 0.9.")
    text = spec.text[: budget.max_corpus_chars]
    vocab_size = len(set(text))
    if vocab_size < 2 or len(text) < 2 * spec.seq_len + 20:
        problems.append(f"The text is too short for sequences of {spec.seq_len} characters: use more text or a "
                        "shorter sequence length.")
    elif spec.kind in KINDS and not problems:
        params = count_params(spec, vocab_size)
        if params > budget.max_params:
            problems.append(f"This model has {params:,} parameters; the limit is {budget.max_params:,}. Lower the "
                            f"hidden size or layers (your text has {vocab_size} distinct characters, which also "
                            "adds parameters).")
    return problems


@dataclass(frozen=True)
class Progress:
    """A frozen copy of a job's state for the page: nothing in it changes after it is handed out."""

    job_id: str
    learner_id: int
    title: str
    corpus: str
    state: str  # queued | running | saving | finished | stopped | budget | nan | failed
    queue_position: int  # 1 = next to start; 0 once running
    step: int
    max_steps: int
    seconds_budget: float
    elapsed_s: float
    chars_per_s: float
    params: int
    vocab_size: int
    train_chars: int
    val_chars: int
    memory_mb: float  # estimate for this run
    lr: float
    clip: float
    dropout: float
    hidden: int
    train: tuple[tuple[int, float], ...] = ()  # (step, nats/char) per step
    grad_norms: tuple[float, ...] = ()
    evals: tuple[tuple[int, float], ...] = ()  # (step, validation nats/char)
    samples: tuple[tuple[int, str], ...] = ()
    message: str = ""
    run_id: str | None = None
    stop_requested: bool = False
    layers: int = 1

    @property
    def done(self) -> bool:
        return self.state not in ACTIVE

    @property
    def eta_s(self) -> float | None:
        """Seconds left: the sooner of the step limit (at the current speed) and the time limit."""
        if self.state != "running" or self.step == 0 or self.elapsed_s <= 0:
            return None
        by_steps = (self.max_steps - self.step) * self.elapsed_s / self.step
        return max(0.0, min(by_steps, self.seconds_budget - self.elapsed_s))


def process_rss_mb() -> float:
    """Resident memory of the whole server process now (Linux /proc), else its peak (getrusage)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        if resource is None:
            return 0.0
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / 2**20 if peak > 2**24 else peak / 1024  # bytes on macOS, KiB on Linux


def _lower_thread_priority(by: int | None = None) -> None:
    """On Linux each thread has its own nice value: make this (training) thread `by` (default $RNN_COURSE_TRAIN_NICE,
    else 10) steps nicer than the process, so the threads that render pages win the CPU when both want it."""
    try:
        by = settings.get(NICE_ENV) if by is None else by
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + by))
    except (AttributeError, OSError, ValueError):
        pass


class Job:
    def __init__(self, registry: Registry, spec: JobSpec, seconds: float) -> None:
        self.id = secrets.token_hex(6)
        self.spec = spec
        self._registry = registry
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._stop_reason = "stopped"
        self.model: CharLM | None = None  # the trained model once done (kept even if saving fails)
        self.vocab = None
        self.record: learner_runs.RunRecord | None = None
        self.started_at: float | None = None
        self.finished_at: float | None = None
        text = spec.text[: registry.budget.max_corpus_chars]
        self._train_text, self._val_text = split_text(text)
        vocab_size = len(set(text))
        self._p = Progress(
            job_id=self.id, learner_id=spec.learner_id, title=spec.title, corpus=spec.corpus, state="queued",
            queue_position=0, step=0, max_steps=spec.steps, seconds_budget=seconds, elapsed_s=0.0,
            chars_per_s=0.0, params=count_params(spec, vocab_size), vocab_size=vocab_size,
            train_chars=len(self._train_text), val_chars=len(self._val_text),
            memory_mb=estimate_memory_mb(spec, vocab_size, len(text)), lr=spec.lr, clip=spec.clip,
            dropout=spec.dropout, hidden=spec.hidden, layers=spec.layers,
        )
        self._train: list[tuple[int, float]] = []
        self._grads: list[float] = []
        self._evals: list[tuple[int, float]] = []
        self._samples: list[tuple[int, str]] = []
        self.thread = threading.Thread(target=self._run, name=f"train-learner-{spec.learner_id}", daemon=True)

    def progress(self) -> Progress:
        pos = self._registry.queue_position(self)  # before our lock: never hold both (lock order)
        with self._lock:
            return replace(self._p, queue_position=pos, stop_requested=self._stop.is_set(),
                           train=tuple(self._train), grad_norms=tuple(self._grads),
                           evals=tuple(self._evals), samples=tuple(self._samples))

    def stop(self, reason: str = "stopped") -> None:
        """Ask the run to stop after its current step; what was trained so far is kept and saved."""
        self._stop_reason = reason
        self._stop.set()

    def join(self, timeout: float | None = None) -> bool:
        self.thread.join(timeout)
        return not self.thread.is_alive()

    def _set(self, **changes) -> None:
        with self._lock:
            self._p = replace(self._p, **changes)

    def _on_step(self, info: StepInfo) -> None:
        with self._lock:
            self._train.append((info.step, info.loss))
            self._grads.append(info.grad_norm)
            if info.val_loss is not None:
                self._evals.append((info.step, info.val_loss))
            if info.sample is not None:
                self._samples.append((info.step, info.sample))
            self._p = replace(self._p, step=info.step, elapsed_s=info.elapsed_s, chars_per_s=info.chars_per_s)
        time.sleep(0)  # hand the GIL to page threads between steps

    def _run(self) -> None:
        if not self._registry._wait_for_slot(self):
            self._set(state="stopped", message="Stopped while waiting in the queue; nothing was trained.")
            self.spec = replace(self.spec, text="")
            self.finished_at = time.monotonic()
            self._registry._finished(self, 0.0)
            return
        self.started_at = time.monotonic()
        elapsed = 0.0
        try:
            _lower_thread_priority()
            inference.configure_threads()
            self._set(state="running")
            elapsed = self._train_and_save()
        except Exception as e:  # a run never takes the server down: report it on the learner's page
            self._set(state="failed", message=f"Training failed: {type(e).__name__}: {e}")
        finally:
            if self.started_at is not None and not elapsed:
                elapsed = time.monotonic() - self.started_at
            self._train_text = self._val_text = ""
            self.spec = replace(self.spec, text="")  # the corpus is not needed once the run is over
            self.finished_at = time.monotonic()
            self._registry._finished(self, elapsed)

    def _train_and_save(self) -> float:
        spec, p = self.spec, self._p
        data = TextData.from_text(self._train_text + self._val_text, name=spec.corpus)
        torch.manual_seed(spec.seed)
        model = build(model_config(spec, len(data.vocab)))
        cfg = TrainConfig(batch=spec.batch, seq_len=spec.seq_len, lr=spec.lr, max_steps=spec.steps,
                          warmup_steps=min(50, max(1, spec.steps // 10)), time_budget_s=p.seconds_budget,
                          clip=spec.clip, eval_every=spec.eval_every, eval_chars=20_000,
                          sample_every=spec.sample_every, sample_len=160, seed=spec.seed, on_nan="stop")
        history = train(model, data, cfg, on_step=self._on_step, should_stop=self._stop.is_set)
        stopped = {"max_steps": "finished", "time_budget": "budget", "diverged": "nan"}.get(
            history.stopped, self._stop_reason)
        with self._lock:
            self._evals[:] = [e for e in history.evals if math.isfinite(e[1])]
            self._p = replace(self._p, state="saving", elapsed_s=history.elapsed_s)
        self.model, self.vocab = cells_twin(model), data.vocab
        message = history.message if history.diverged else ""
        if history.steps:
            meta = {"title": spec.title, "corpus": spec.corpus, "stopped": stopped, "elapsed_s": history.elapsed_s,
                    "train_settings": {k: getattr(spec, k) for k in ("lr", "batch", "seq_len", "clip", "steps",
                                                                     "seconds", "seed")}}
            try:
                self.record = self._registry.saver(spec.learner_id, self.model, data.vocab, self._train_text,
                                                   self._val_text, history, meta)
            except OSError as e:
                message = (message + " " if message else "") + (
                    f"The model could not be saved ({e}). Tell your instructor (the server's disk may be full), "
                    "then train again.")
        else:
            message = message or "Stopped before the first step; nothing was trained."
        self._set(state=stopped, message=message, run_id=self.record.run_id if self.record else None)
        if self.record is not None:
            self.model = None  # saved: learner_runs serves it from now on; keep memory per finished job small
        return history.elapsed_s


@dataclass
class _Usage:
    spent: deque = field(default_factory=deque)  # (monotonic time, seconds trained)

    def used(self, now: float) -> float:
        while self.spent and now - self.spent[0][0] > DAY_S:
            self.spent.popleft()
        return sum(s for _, s in self.spent)


@dataclass(frozen=True)
class _Ticket:
    """A place in the queue for inline training (what _wait_for_slot and _finished read of a Job)."""

    id: str
    spec: SimpleNamespace
    _stop: threading.Event


class Registry:
    """All training jobs of this server process: at most one active job per learner, `budget.concurrent`
    running at once, `budget.queue` waiting."""

    def __init__(self, budget: Budget | None = None,
                 saver: Callable[..., learner_runs.RunRecord] = learner_runs.save_run) -> None:
        self.budget = budget or Budget.from_env()
        self.saver = saver
        self._cond = threading.Condition()
        self._jobs: dict[int, Job] = {}  # learner -> latest job
        self._waiting: deque[Job] = deque()
        self._running: set[str] = set()
        self._usage: dict[int, _Usage] = {}

    def remaining_seconds(self, learner_id: int) -> float:
        with self._cond:
            used = self._usage.get(learner_id, _Usage()).used(time.monotonic())
        return max(0.0, self.budget.learner_seconds_per_day - used)

    def submit(self, spec: JobSpec) -> Job:
        """Start (or queue) a run for spec.learner_id; JobError with a clear message if it cannot."""
        problems = check_spec(spec, self.budget)
        if problems:
            raise JobError(" ".join(problems))
        left = self.remaining_seconds(spec.learner_id)
        if left < 5:
            raise JobError("You have used today's training allowance "
                           f"({self.budget.learner_seconds_per_day / 60:.0f} minutes). Explore the models you "
                           "trained, or come back tomorrow.")
        with self._cond:
            self._prune()
            current = self._jobs.get(spec.learner_id)
            if current is not None and current.progress().state in ACTIVE:
                raise JobError("You already have a run in progress: stop it (it will be saved) before starting "
                               "another.")
            if len(self._waiting) >= self.budget.queue:
                raise JobError(f"{len(self._waiting)} runs are already waiting for the trainer. Try again in a "
                               "few minutes.")
            job = Job(self, spec, min(spec.seconds, self.budget.max_seconds, left))
            self._jobs[spec.learner_id] = job
            self._waiting.append(job)
        job.thread.start()
        return job

    @contextlib.contextmanager
    def inline_slot(self, learner_id: int, seconds: float) -> Iterator[float]:
        """A training slot for short training that runs in the page's own thread (module 4's challenges): it
        waits in the same first-come queue, counts against the same cap on runs at once and against the
        learner's daily allowance. Yields the seconds this run may use; JobError when it cannot run now."""
        left = self.remaining_seconds(learner_id)
        if left < 5:
            raise JobError("You have used today's training allowance "
                           f"({self.budget.learner_seconds_per_day / 60:.0f} minutes). Come back tomorrow.")
        ticket = _Ticket(secrets.token_hex(6), SimpleNamespace(learner_id=learner_id), threading.Event())
        with self._cond:
            current = self._jobs.get(learner_id)
            if current is not None and current.progress().state in ACTIVE:
                raise JobError("You have a training run in progress: stop it (it will be saved) first.")
            if len(self._waiting) >= self.budget.queue:
                raise JobError(f"{len(self._waiting)} runs are already waiting for the trainer. Try again in a "
                               "few minutes.")
            self._waiting.append(ticket)
        self._wait_for_slot(ticket)
        start = time.monotonic()
        try:
            yield min(seconds, left)
        finally:
            self._finished(ticket, time.monotonic() - start)

    def current(self, learner_id: int) -> Job | None:
        """This learner's latest job (running or done within the last hour) in this process, or None."""
        with self._cond:
            self._prune()
            return self._jobs.get(learner_id)

    def _prune(self) -> None:
        now = time.monotonic()
        for learner, job in list(self._jobs.items()):
            if job.finished_at is not None and now - job.finished_at > KEEP_DONE_S:
                del self._jobs[learner]

    def forget(self, learner_id: int) -> None:
        """Drop a finished job from memory (its saved run stays in learner_runs)."""
        with self._cond:
            job = self._jobs.get(learner_id)
            if job is not None and job.progress().done:
                del self._jobs[learner_id]

    def queue_position(self, job: Job) -> int:
        with self._cond:
            return next((i + 1 for i, j in enumerate(self._waiting) if j is job), 0)

    def running_count(self) -> int:
        with self._cond:
            return len(self._running)

    def _wait_for_slot(self, job: Job) -> bool:
        with self._cond:
            while not job._stop.is_set() and (self._waiting[0] is not job
                                              or len(self._running) >= self.budget.concurrent):
                self._cond.wait(timeout=0.5)
            self._waiting.remove(job)
            self._cond.notify_all()
            if job._stop.is_set():
                return False
            self._running.add(job.id)
            return True

    def _finished(self, job: Job, seconds: float) -> None:
        with self._cond:
            self._running.discard(job.id)
            self._usage.setdefault(job.spec.learner_id, _Usage()).spent.append((time.monotonic(), seconds))
            self._cond.notify_all()

    def shutdown(self, timeout: float = 30.0) -> None:
        """Stop every job and wait for the threads (tests; a server exit)."""
        with self._cond:
            jobs = list(self._jobs.values())
        for job in jobs:
            job.stop()
        for job in jobs:
            job.join(timeout)


_registry: Registry | None = None
_registry_guard = threading.Lock()


def _warm_up() -> None:
    """Building the first Adam optimiser imports torch's compiler stack (about 1-13 s here); do it before a
    learner waits for it."""
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])


def registry() -> Registry:
    """The process-wide registry (budget from the environment)."""
    global _registry
    with _registry_guard:
        if _registry is None:
            _registry = Registry()
            threading.Thread(target=_warm_up, name="train-warm-up", daemon=True).start()
        return _registry
