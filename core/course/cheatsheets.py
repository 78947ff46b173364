"""Cheat-sheet content (assets/cheatsheets.yaml) and the small calculations the sheets show live:
temperature softmax, loss-unit conversions, parameter counts, and the LSTM gate diagram as Graphviz DOT.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import yaml

from core import settings
from core.metrics import entropy_bits, softmax_with_temperature  # noqa: F401 - the reference, re-exported

CHEATSHEETS_FILE = settings.ASSETS / "cheatsheets.yaml"

# Weight blocks per cell as PyTorch lays them out: RNN one, GRU three (r, z, n), LSTM four (i, f, g, o).
GATE_BLOCKS = {"rnn": 1, "gru": 3, "lstm": 4}


@dataclass(frozen=True)
class Equation:
    name: str
    latex: str
    text: str  # the same equation in plain text, for the printable poster
    note: str


@dataclass(frozen=True)
class Symbol:
    symbol: str
    meaning: str
    shape: str


@dataclass(frozen=True)
class Sheet:
    id: str
    title: str
    module: str
    intro: str
    equations: tuple[Equation, ...]
    symbols: tuple[Symbol, ...]
    remember: str

    def equation(self, name: str) -> Equation:
        return next(e for e in self.equations if e.name == name)


@dataclass(frozen=True)
class HyperParameter:
    name: str
    start: str
    range: str
    adjust: str
    why: str


@dataclass(frozen=True)
class TemperatureBand:
    range: str
    effect: str
    use: str


@dataclass(frozen=True)
class CheatSheets:
    conventions: tuple[tuple[str, str], ...]
    sheets: tuple[Sheet, ...]
    hyperparameters_intro: str
    hyperparameters: tuple[HyperParameter, ...]
    temperature_intro: str
    temperature_bands: tuple[TemperatureBand, ...]
    example_labels: tuple[str, ...]
    example_logits: tuple[float, ...]
    example_temperatures: tuple[float, ...]

    def sheet(self, sheet_id: str) -> Sheet:
        return next(s for s in self.sheets if s.id == sheet_id)


def _text(value: str) -> str:
    return " ".join(str(value).split())


@cache
def load(path: Path = CHEATSHEETS_FILE) -> CheatSheets:
    with open(path, encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    sheets = tuple(
        Sheet(
            s["id"], s["title"], s["module"], _text(s["intro"]),
            tuple(Equation(e["name"], e["latex"].strip(), _text(e["text"]), _text(e["note"])) for e in s["equations"]),
            tuple(Symbol(y["symbol"], _text(y["meaning"]), y["shape"]) for y in s["symbols"]),
            _text(s["remember"]),
        )
        for s in raw["sheets"]
    )
    hyper, temp = raw["hyperparameters"], raw["temperature"]
    example = temp["example"]
    return CheatSheets(
        conventions=tuple((c["symbol"], _text(c["meaning"])) for c in raw["conventions"]),
        sheets=sheets,
        hyperparameters_intro=_text(hyper["intro"]),
        hyperparameters=tuple(HyperParameter(**{k: _text(v) for k, v in r.items()}) for r in hyper["rows"]),
        temperature_intro=_text(temp["intro"]),
        temperature_bands=tuple(TemperatureBand(**{k: _text(v) for k, v in b.items()}) for b in temp["bands"]),
        example_labels=tuple(example["labels"]),
        example_logits=tuple(float(z) for z in example["logits"]),
        example_temperatures=tuple(float(t) for t in example["temperatures"]),
    )


@dataclass(frozen=True)
class TemperatureExample:
    logits: tuple[float, ...]
    temperatures: tuple[float, ...]
    probs: np.ndarray  # (len(temperatures), len(logits)); each row sums to 1
    entropy_bits: tuple[float, ...]


def temperature_example(logits: tuple[float, ...], temperatures: tuple[float, ...]) -> TemperatureExample:
    probs = np.stack([softmax_with_temperature(logits, t) for t in temperatures])
    return TemperatureExample(tuple(logits), tuple(temperatures), probs, tuple(entropy_bits(p) for p in probs))


@dataclass(frozen=True)
class LossUnits:
    nats: float
    perplexity: float
    bits_per_char: float


def loss_units(nats: float) -> LossUnits:
    """A mean cross-entropy in nats as perplexity (e^L) and bits per character (L / ln 2)."""
    if nats < 0 or math.isnan(nats):
        raise ValueError(f"A cross-entropy is zero or positive, got {nats!r}.")
    return LossUnits(nats, math.exp(nats), nats / math.log(2))


def uniform_loss(vocab_size: int) -> LossUnits:
    """The loss of a model that spreads its bets evenly over `vocab_size` characters: ln V nats, perplexity V."""
    if vocab_size < 1:
        raise ValueError(f"A vocabulary has at least one character, got {vocab_size!r}.")
    return loss_units(math.log(vocab_size))


def parameter_count(kind: str, input_size: int, hidden_size: int) -> int:
    """Parameters of one PyTorch cell (RNNCell, GRUCell, LSTMCell): k blocks of W_x (H, D), W_h (H, H)
    and two bias vectors (H,), so k * (H*D + H*H + 2H)."""
    k = GATE_BLOCKS[kind]
    d, h = input_size, hidden_size
    return k * (h * d + h * h + 2 * h)


def lstm_gate_dot() -> str:
    """One LSTM step as a Graphviz graph: inputs on the left, the cell-state line along the top."""
    return """digraph LSTM {
  rankdir=LR; bgcolor="transparent"; nodesep=0.3; ranksep=0.5; newrank=true;
  node [fontname="Helvetica", fontsize=12, style="filled", color="#444444"];
  edge [color="#555555", arrowsize=0.7];
  cp [label="c_(t-1)", shape=plaintext, style="", group=cell];
  keep  [label="×", shape=circle, fillcolor="white", width=0.4, fixedsize=true, group=cell];
  add   [label="+", shape=circle, fillcolor="white", width=0.4, fixedsize=true, group=cell];
  c  [label="c_t", shape=plaintext, style="", group=cell];
  xh [label="[h_(t-1), x_t]", shape=plaintext, style=""];
  f  [label="forget f_t\\nsigmoid", shape=box, fillcolor="#fde2e2"];
  i  [label="input i_t\\nsigmoid", shape=box, fillcolor="#e2f0fd"];
  g  [label="candidate g_t\\ntanh", shape=box, fillcolor="#fff3cd"];
  o  [label="output o_t\\nsigmoid", shape=box, fillcolor="#e4f7e4"];
  write [label="×", shape=circle, fillcolor="white", width=0.4, fixedsize=true];
  squash [label="tanh", shape=ellipse, fillcolor="#fff3cd"];
  show  [label="×", shape=circle, fillcolor="white", width=0.4, fixedsize=true];
  h  [label="h_t", shape=plaintext, style=""];
  {rank=same; cp; xh}
  {rank=same; f; i; g; o}
  {rank=same; keep; write}
  {rank=same; c; h}
  xh -> {f i g o};
  cp -> keep -> add -> c [penwidth=2.5, weight=10];
  f -> keep; i -> write; g -> write; write -> add;
  add -> squash -> show -> h;
  o -> show;
}
"""
