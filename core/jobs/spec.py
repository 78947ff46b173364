"""What a learner's training run is and what it may be: the budget (time, steps, model and corpus size, the cap on
runs at once, the daily allowance), the run's settings (JobSpec), the checks that refuse settings outside the budget
with what to change, the parameter count and memory estimate shown before a run, and the frozen Progress copy pages
read. No engine, no database: core.jobs.registry runs jobs with these.
"""

from __future__ import annotations

import math
import os

try:
    import resource  # Unix only: peak memory of a training run
except ImportError:  # Windows
    resource = None
from dataclasses import dataclass, field, replace

from core import settings
from core.models.charlm import KINDS, CharLMConfig

CONCURRENT_ENV = "RNN_COURSE_TRAIN_JOBS"
SECONDS_ENV = "RNN_COURSE_TRAIN_SECONDS"
ALLOWANCE_ENV = "RNN_COURSE_TRAIN_ALLOWANCE"
NICE_ENV = "RNN_COURSE_TRAIN_NICE"  # how much nicer (0-19) training threads run than the page threads
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
    # runs at once across the cohort (1 on 2 cores): the container's CPU quota, not the host's CPU count
    concurrent: int = field(default_factory=lambda: max(1, settings.cpu_quota() // 2))
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
            if settings.is_set(ALLOWANCE_ENV, env):
                b = replace(b, learner_seconds_per_day=settings.get(ALLOWANCE_ENV, env))
        except settings.SettingError:
            raise ValueError(f"{CONCURRENT_ENV} must be a whole number; {SECONDS_ENV} and {ALLOWANCE_ENV} "
                             "numbers of seconds.") from None
        return b


@dataclass(frozen=True)
class JobSpec:
    owner: str  # the learner's uid (their database id is accepted too; neither ever comes back)
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


# Floats kept per position (batch x time), per hidden unit and layer, while a step runs: saved activations, their
# gradients and the fused layers' workspaces. Fitted to the measured growth of a training process's resident memory
# (torch 2.13 CPU, glibc; tests/jobs/measure_memory.py): the GRU keeps more than the LSTM, whose fused kernel is leaner.
ACT_FLOATS = {"rnn": 7, "gru": 16, "lstm": 11}
POSITION_FLOATS = 1140  # per position besides the layers and the logits (embedding, loss, allocator buffers)
CORPUS_BYTES_PER_CHAR = 13  # the text, its split and its encoding, kept while the run lasts
PARAM_BYTES = 24  # weights, gradients, two Adam moments, and the saved copy at the end (float32)


def estimate_memory_mb(spec: JobSpec, vocab_size: int, corpus_chars: int) -> float:
    """How much a training process's resident memory grows while this run trains (MB): parameters with their
    gradients and optimiser state, the activations of one step, and the corpus. Within 25% of what was measured for
    every run size tried, within 5% for the largest the budget allows (tests/jobs/test_memory_estimate.py)."""
    params = count_params(spec, vocab_size)
    per_position = (spec.layers * spec.hidden * ACT_FLOATS.get(spec.kind, ACT_FLOATS["lstm"])
                    + spec.embed + 3 * vocab_size + POSITION_FLOATS)
    acts = spec.batch * spec.seq_len * per_position * 4
    return (params * PARAM_BYTES + acts + corpus_chars * CORPUS_BYTES_PER_CHAR) / 2**20


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
    owner: str = ""  # the learner's uid

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


