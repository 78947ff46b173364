"""Parameter counts of the three recurrent cells, by formula and by counting the weights of core/models/cells.py.

A cell with k weight blocks (RNN 1, GRU 3, LSTM 4) has, per block, an H x X input matrix, an H x H recurrent
matrix and its biases. Textbooks give each block one bias (k(H(H+X)+H)); our cells, like torch.nn.LSTMCell and
GRUCell, keep two (one in W_xh, one in W_hh), so they hold k(H(H+X)+2H).
"""

from __future__ import annotations

from core.models.cells import make_cell

BLOCKS = {"rnn": 1, "gru": 3, "lstm": 4}  # weight blocks: RNN h; GRU r, z, n; LSTM i, f, g, o
LABEL = {"rnn": "vanilla RNN", "gru": "GRU", "lstm": "LSTM"}


def textbook_params(kind: str, input_size: int, hidden: int) -> int:
    """k(H(H+X)+H): one bias vector per weight block, as the equations on the page write it."""
    H, X = hidden, input_size
    return BLOCKS[kind] * (H * (H + X) + H)


def formula_params(kind: str, input_size: int, hidden: int) -> int:
    """k(H(H+X)+2H): the layout of our cells and of torch's, with separate input and recurrent biases."""
    H, X = hidden, input_size
    return BLOCKS[kind] * (H * (H + X) + 2 * H)


def counted_params(kind: str, input_size: int, hidden: int) -> int:
    """The number of weights in a real cell from core/models/cells.py."""
    return sum(p.numel() for p in make_cell(kind, input_size, hidden).parameters())


def charlm_params(kind: str, vocab: int, embed: int, hidden: int, layers: int) -> int:
    """A whole char model by formula: embedding table, `layers` cells (the first reads the embedding), output layer."""
    cells = formula_params(kind, embed, hidden) + (layers - 1) * formula_params(kind, hidden, hidden)
    return vocab * embed + cells + hidden * vocab + vocab


def size_table(input_size: int, hidden: int) -> list[dict]:
    """One row per cell kind: weight blocks, textbook formula, our layout, counted weights, size relative to LSTM."""
    lstm = counted_params("lstm", input_size, hidden)
    rows = []
    for kind in ("rnn", "gru", "lstm"):
        counted = counted_params(kind, input_size, hidden)
        rows.append({"cell": LABEL[kind], "weight blocks k": BLOCKS[kind],
                     "k(H(H+X)+H), one bias": textbook_params(kind, input_size, hidden),
                     "k(H(H+X)+2H), as built": formula_params(kind, input_size, hidden),
                     "counted in the cell": counted, "share of the LSTM": f"{counted / lstm:.0%}"})
    return rows


def charlm_params_of(config: dict) -> int:
    """charlm_params for a manifest entry's "config" (kind, vocab_size, embed, hidden, layers)."""
    c = config
    return charlm_params(c["kind"], c["vocab_size"], c["embed"], c["hidden"], c["layers"])
