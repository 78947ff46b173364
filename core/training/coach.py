"""The training coach: reads a run's live curves (train and validation loss, gradient norms) and its size facts
(parameters, corpus characters) and returns advice. Pure functions, one per rule, so each can be tested alone.

Rules of thumb, from Karpathy's char-rnn notes and our own runs: a model with more parameters than training
characters will overfit; validation loss rising while training loss falls is overfitting; both losses high and
close together is underfitting; a NaN or a jump in loss means the learning rate is too high for the gradients.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Advice:
    rule: str  # stable id, e.g. "overfitting"
    level: str  # "error" | "warning" | "info" | "success"
    title: str
    text: str


@dataclass(frozen=True)
class RunFacts:
    train: Sequence[tuple[int, float]]  # (step, train nats/char)
    evals: Sequence[tuple[int, float]]  # (step, validation nats/char)
    grad_norms: Sequence[float]
    train_chars: int
    params: int
    vocab_size: int
    hidden: int
    dropout: float
    lr: float
    clip: float
    max_steps: int
    state: str = "running"
    message: str = ""
    layers: int = 1

    @classmethod
    def of(cls, p: object) -> RunFacts:
        """From anything with these attributes (core.jobs.registry.Progress)."""
        return cls(**{name: getattr(p, name) for name in cls.__dataclass_fields__})


def _recent_train(f: RunFacts, n: int = 20) -> float | None:
    tail = [v for _, v in f.train[-n:] if math.isfinite(v)]
    return statistics.fmean(tail) if tail else None


def diverged(f: RunFacts) -> Advice | None:
    """NaN or exploding loss: the run stopped; lower the learning rate, keep clipping on."""
    if f.state != "nan" and not any(not math.isfinite(v) for _, v in f.train[-5:]):
        return None
    clip = ("turn gradient clipping on (max norm 1.0)" if f.clip <= 0 else
            f"clip the gradient norm at 1.0 instead of {f.clip:g}" if f.clip > 1 else
            f"keep gradient clipping on (max norm {f.clip:g})")
    return Advice("diverged", "error", "The loss exploded (NaN or infinity)",
                  f"{f.message or 'Training diverged.'} Start again with a learning rate of about {f.lr / 10:.0e} "
                  f"(a tenth of {f.lr:g}) and {clip}.")


def loss_climbing(f: RunFacts) -> Advice | None:
    """Training loss well above its best so far: steps are too big."""
    if len(f.train) < 30:
        return None
    best = min(v for _, v in f.train[:-10] if math.isfinite(v)) if f.train[:-10] else math.inf
    recent = _recent_train(f, 10)
    if recent is None or not recent > best + 0.5:
        return None
    return Advice("loss_climbing", "warning", "Training loss is climbing",
                  f"The last 10 steps average {recent:.2f} nats/char, {recent - best:.2f} above the best so far. "
                  f"The learning rate ({f.lr:g}) is probably too high: try {f.lr / 3:.0e}"
                  + ("" if f.clip > 0 else ", and turn gradient clipping on") + ".")


def not_learning(f: RunFacts) -> Advice | None:
    """Loss near or above a uniform guess (ln V nats/char) once the run is under way."""
    uniform = math.log(max(2, f.vocab_size))
    ev = [(s, v) for s, v in f.evals if math.isfinite(v)]
    recent = _recent_train(f)
    if not ev or recent is None or f.train[-1][0] < max(30, 0.25 * f.max_steps):
        return None
    last = ev[-1][1]
    if max(last, recent) > uniform + 0.5:
        which, value = ("Validation", last) if last >= recent else ("Training", recent)
        return Advice("not_learning", "error", "Loss is worse than guessing",
                      f"{which} loss is {value:.2f} nats/char, above the {uniform:.2f} of a uniform guess over "
                      f"{f.vocab_size} characters: the weights were thrown far off by too-large steps. Lower the "
                      f"learning rate (try {f.lr / 10:.0e} instead of {f.lr:g})"
                      + ("" if f.clip > 0 else " and turn gradient clipping on") + ".")
    if last > 0.8 * uniform:
        return Advice("not_learning", "warning", "Barely better than guessing",
                      f"Validation loss is {last:.2f} nats/char against {uniform:.2f} for a uniform guess. If the "
                      f"loss jumped around early, the learning rate ({f.lr:g}) is too high; if it fell slowly, it "
                      "is too low or the run is too short.")
    return None


def gradient_spikes(f: RunFacts) -> Advice | None:
    """A recent gradient norm far above the typical one: clipping is (or should be) catching it."""
    g = [x for x in f.grad_norms if math.isfinite(x)]
    if len(g) < 30:
        return None
    typical = statistics.median(g[:-10])
    peak = max(g[-10:])
    if typical <= 0 or peak < 10 * typical:
        return None
    if f.clip > 0 and peak > f.clip:
        text = (f"A recent gradient norm reached {peak:.3g}, over 10 times the typical {typical:.3g}. Clipping at "
                f"{f.clip:g} rescaled it, which is what clipping is for; if this keeps happening, lower the "
                "learning rate.")
    elif f.clip > 0:
        text = (f"A recent gradient norm reached {peak:.3g}, over 10 times the typical {typical:.3g}, but stayed "
                f"under the clipping threshold ({f.clip:g}). If spikes keep coming, lower the learning rate or the "
                "threshold.")
    else:
        text = (f"A recent gradient norm reached {peak:.3g}, over 10 times the typical {typical:.3g}, and clipping "
                "is off. One such step can wreck the weights: turn clipping on (max norm 1.0).")
    return Advice("gradient_spikes", "warning", "Gradient spikes", text)


def overfitting(f: RunFacts) -> Advice | None:
    """Validation loss has risen above its best while training loss kept falling."""
    ev = [(s, v) for s, v in f.evals if math.isfinite(v)]
    if len(ev) < 3:
        return None
    best_step, best = min(ev, key=lambda e: e[1])
    last = ev[-1][1]
    recent = _recent_train(f)
    if best_step == ev[-1][0] or last < best + 0.02 or recent is None or recent > last - 0.05:
        return None
    return Advice("overfitting", "warning", "Overfitting: validation loss is rising",
                  f"Validation loss was lowest at step {best_step} ({best:.3f}) and is now {last:.3f}, while "
                  f"training loss keeps falling ({recent:.3f}). The model is memorising its training text. Stop "
                  f"now (what is trained so far is kept); next time add dropout (try "
                  f"{max(0.2, f.dropout + 0.1):.1f}), use a smaller hidden size, or give it more text.")


def underfitting(f: RunFacts) -> Advice | None:
    """Late in the run, both losses close together and no longer improving: the model is too small or slow."""
    ev = [(s, v) for s, v in f.evals if math.isfinite(v)]
    recent = _recent_train(f)
    if len(ev) < 3 or recent is None or not f.train or f.train[-1][0] < 0.5 * f.max_steps:
        return None
    gap = ev[-1][1] - recent
    gain = ev[-3][1] - ev[-1][1]
    if gap > 0.1 or recent < 1.0:  # under 1 nat/char the text is largely learned: not underfitting
        return None
    if recent > 0.8 * math.log(max(2, f.vocab_size)):  # near a uniform guess: a step-size or pipeline problem
        return None
    if gain > 0.02:
        return Advice("still_learning", "info", "Still learning",
                      f"Validation loss fell by {gain:.3f} over the last evaluations and tracks training loss "
                      f"(gap {gap:+.3f}). More steps would help; the model is not overfitting yet.")
    return Advice("underfitting", "info", "Underfitting: both losses have levelled off together",
                  f"Training ({recent:.3f}) and validation ({ev[-1][1]:.3f}) are close and no longer falling. The "
                  f"model's capacity is the limit: try a larger hidden size than {f.hidden}, or a second layer"
                  + (", and less dropout" if f.dropout >= 0.2 else "") + ".")


def corpus_too_small(f: RunFacts) -> Advice | None:
    """More parameters than training characters: it will memorise rather than generalise."""
    if f.params <= f.train_chars:
        return None
    size = min(suggest_hidden(f.train_chars, f.vocab_size, f.layers), f.hidden)
    dropout = suggest_dropout(f.params, f.train_chars)
    if size < f.hidden:
        fix = (f"Shrink the model: a hidden size around {size} ({f.layers} layer{'s' if f.layers > 1 else ''}) "
               f"fits this much text. Add dropout {dropout:.1f}, or train on more text.")
    elif f.layers > 1:
        fix = f"Use one layer instead of {f.layers} and dropout {dropout:.1f}, or train on more text."
    else:
        fix = f"Add dropout {dropout:.1f} and stop when validation loss turns up, or train on more text."
    return Advice("corpus_too_small", "warning", "Corpus too small for this model",
                  f"This model has {f.params:,} parameters but only {f.train_chars:,} training characters, so it "
                  f"can memorise the text. {fix}")


def suggest_hidden(train_chars: int, vocab_size: int, layers: int = 1, embed: int = 32,
                   choices: Sequence[int] = (16, 32, 64, 128, 192, 256)) -> int:
    """The largest hidden size whose LSTM of `layers` layers has no more parameters than training characters."""
    best = choices[0]
    for h in choices:
        lstm = 4 * h * (embed + h + 2) + (layers - 1) * 4 * h * (2 * h + 2)
        if embed * vocab_size + lstm + (h + 1) * vocab_size <= train_chars:
            best = h
    return best


def suggest_dropout(params: int, train_chars: int) -> float:
    """More parameters per character -> more dropout."""
    ratio = params / max(1, train_chars)
    return 0.0 if ratio < 0.1 else 0.1 if ratio < 0.5 else 0.2 if ratio < 1 else 0.3 if ratio < 4 else 0.5


RULES = (diverged, not_learning, loss_climbing, gradient_spikes, overfitting, corpus_too_small, underfitting)


def advise(f: RunFacts) -> list[Advice]:
    """Every rule that fires, most urgent first."""
    order = {"error": 0, "warning": 1, "info": 2, "success": 3}
    out = [a for rule in RULES if (a := rule(f)) is not None]
    if not out and f.state == "finished" and f.evals:
        out.append(Advice("healthy", "success", "Healthy run",
                          f"Validation loss ended at {f.evals[-1][1]:.3f} nats/char with no sign of overfitting or "
                          "instability."))
    return sorted(out, key=lambda a: order[a.level])
