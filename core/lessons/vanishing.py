"""Module 3 computations: gradient flow (RNN, LSTM, GRU) and the telephone game on random or trained cells, the
"factor per step" table, average gate values of a trace and the diagnostics of the debug-the-LSTM pair. Plain torch;
the caching and charts around them live in core/ui/lessons/lstm_lesson.py and gru_lesson.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from core.data.corpora import Vocab
from core.lessons import analysis
from core.models import sampling
from core.training import checkpoints

# The opening of Tiny Shakespeare: every trained measurement on the page reads this text.
PASSAGE = ("First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n\n"
           "First Citizen:\nYou are all resolved rather to die than to famish?\n")
LABEL = {"rnn": "vanilla RNN", "lstm": "LSTM", "gru": "GRU"}
HIDDEN, INPUT = 32, 16  # size of the freshly initialised cells


def _flow_rows(label: str, norms: list[float], length: int) -> list[dict]:
    """Item k of `norms` is at distance length - k from the last step."""
    return [{"model": label, "distance": length - t, "norm": n} for t, n in enumerate(norms)]


def random_flow(kind: str, steps: int, scale: float, forget_bias: float) -> list[dict]:
    """‖∂h_T/∂h_t‖ rows of a fresh RNN, LSTM or GRU cell on random input; `scale` multiplies the RNN's W_hh only and
    `forget_bias` only touches the LSTM."""
    cell = analysis.random_cell(kind, hidden=HIDDEN, input_size=INPUT,
                                recurrent_scale=scale if kind == "rnn" else 1.0, forget_bias=forget_bias)
    return _flow_rows(LABEL[kind], analysis.gradient_flow(cell, analysis.random_inputs(steps, INPUT)), steps)


def trained_flow(model: nn.Module, vocab: Vocab, steps: int, label: str) -> list[dict]:
    """‖∂h_T/∂h_t‖ rows for layer 1 of a trained char model reading the first `steps` characters of PASSAGE.

    Characters the vocabulary lacks are skipped (all of them: the first id stands in), so a learner's model
    trained on another text still gets a curve.
    """
    ids = vocab.encode(PASSAGE[:steps], unknown="skip") or [0] * steps
    # float32 halves the cost of the H-copy backward pass; 1e-30-sized gradients still fit in it
    norms = analysis.gradient_flow(analysis.trained_cell(model, dtype=torch.float32),
                                   analysis.embed_text(model, ids, torch.float32))
    return _flow_rows(label, norms, len(ids))


def _telephone_rows(kind: str, diffs: list[float]) -> list[dict]:
    return [{"model": LABEL[kind], "t": t + 1, "diff": d} for t, d in enumerate(diffs)]


def random_telephone(kind: str, steps: int) -> list[dict]:
    """The telephone game on a fresh cell: the first random input is replaced by its negative."""
    cell, xs = analysis.random_cell(kind, hidden=HIDDEN, input_size=INPUT), analysis.random_inputs(steps, INPUT)
    return _telephone_rows(kind, analysis.influence_of_first_input(cell, xs, -xs[0]))


def trained_telephone(model: nn.Module, vocab: Vocab, steps: int, kind: str) -> list[dict]:
    """The telephone game on a trained model reading PASSAGE, with its first letter changed: "First" -> "Sirst"."""
    ids = vocab.encode(PASSAGE[:steps], unknown="skip")
    cell, xs = analysis.trained_cell(model), analysis.embed_text(model, ids)
    x_alt = analysis.embed_text(model, vocab.encode("S"))[0]
    return _telephone_rows(kind, analysis.influence_of_first_input(cell, xs, x_alt))


POWERS = ((0.5, "vanishes: step 1 has no say"), (1.0, "survives"), (2.0, "explodes: one step swamps training"))


def power_table(steps: int = 20) -> list[dict]:
    """One number per step multiplied `steps` times: the scalar picture of vanishing and exploding gradients."""
    return [{"factor per step": f, f"after {steps} steps": f"{f ** steps:.3g}", "what the gradient does": verdict}
            for f, verdict in POWERS]


GATES = (("forget f", "f"), ("input i", "i"), ("output o", "o"))


def average_gates(gates: dict[str, list[list[float]]]) -> dict[str, list[float]]:
    """{gate label: its mean over the units at each step}, from a trace's gates {"f": (T, H), ...}."""
    return {label: [sum(row) / len(row) for row in gates[key]] for label, key in GATES}


def lowest(values: list[float]) -> int:
    """Index of the smallest value (the first one on a tie)."""
    return min(range(len(values)), key=values.__getitem__)


@dataclass(frozen=True)
class DebugFacts:
    """What a training run shows of one model of the debug pair, plus the diagnostics behind the verdict."""

    val: float  # validation loss, nats per character
    curve: list  # [(step, training loss), ...] from the manifest
    sample: str  # 160 characters after "ROMEO:"
    forget: float  # average forget gate over 60 characters of PASSAGE
    flow: list[float]  # ‖∂h_T/∂h_t‖ on the same 60 characters, item k at distance T - k


def debug_facts(model: nn.Module, entry: dict, chars: int = 60) -> DebugFacts:
    """Loss, a sample, the average forget gate and the gradient flow of one trained model of the debug pair."""
    vocab = checkpoints.vocab_of(entry)
    ids = vocab.encode(PASSAGE[:chars], unknown="skip")
    tr = analysis.hidden_trace(model, ids, list(PASSAGE[:chars]))
    f = [v for row in tr.gates["f"] for v in row]
    return DebugFacts(val=entry["metrics"]["val_loss_nats_per_char"], curve=entry["curve"],
                      sample=sampling.sample(model, vocab, length=160, temperature=0.8, prime="ROMEO:", seed=0),
                      forget=sum(f) / len(f),
                      flow=analysis.gradient_flow(analysis.trained_cell(model), analysis.embed_text(model, ids)))


def flow_ratio(good: DebugFacts, bad: DebugFacts) -> float:
    """How many times larger the healthy model's gradient from the farthest step is than the buggy one's."""
    return good.flow[0] / max(bad.flow[0], 1e-300)
