"""Gated cells from primitives (module 9, after the labs): one LSTM step and one GRU step, with the same weight
layout as the course's own cells (core/models/cells.py) and PyTorch's LSTMCell/GRUCell, vectors as columns."""

from __future__ import annotations

import numpy as np

from core.labs.exercises.base import Lab, compare, first_problem, rand, sigmoid, source, unpack
from core.labs.exercises.rnn import MATMUL_HINT, NOT_ALIGNED_HINT
from core.labs.grader import Test


def lstm_cell_forward(x, h_prev, c_prev, W_x, W_h, b):
    """One LSTM step. Gate rows in W_x, W_h and b are stacked as i | f | g | o, H rows each.

    x: (D,)  h_prev, c_prev: (H,)  W_x: (4H, D)  W_h: (4H, H)  b: (4H,)  ->  (h, c), each (H,)
    """
    H = h_prev.shape[0]
    z = W_x @ x + W_h @ h_prev + b  # (4H,)
    i = 1 / (1 + np.exp(-z[:H]))  # input gate
    f = 1 / (1 + np.exp(-z[H:2 * H]))  # forget gate
    g = np.tanh(z[2 * H:3 * H])  # candidate values
    o = 1 / (1 + np.exp(-z[3 * H:]))  # output gate
    c = f * c_prev + i * g  # the cell state: an additive update
    h = o * np.tanh(c)
    return h, c


def gru_cell_forward(x, h_prev, W_x, W_h, b_x, b_h):
    """One GRU step (PyTorch's formulation). Gate rows are stacked as r | z | n, H rows each.

    x: (D,)  h_prev: (H,)  W_x: (3H, D)  W_h: (3H, H)  b_x, b_h: (3H,)  ->  h: (H,)
    """
    H = h_prev.shape[0]
    gx = W_x @ x + b_x  # (3H,)
    gh = W_h @ h_prev + b_h  # (3H,)
    r = 1 / (1 + np.exp(-(gx[:H] + gh[:H])))  # reset gate
    z = 1 / (1 + np.exp(-(gx[H:2 * H] + gh[H:2 * H])))  # update gate
    n = np.tanh(gx[2 * H:] + r * gh[2 * H:])  # candidate state
    return (1 - z) * n + z * h_prev


def _lstm_variants(x, h, c, W_x, W_h, b):
    H = h.shape[0]
    z = W_x @ x + W_h @ h + b
    i, f, g, o = sigmoid(z[:H]), sigmoid(z[H:2 * H]), np.tanh(z[2 * H:3 * H]), sigmoid(z[3 * H:])
    c_new = f * c + i * g
    ifog = (sigmoid(z[:H]), sigmoid(z[H:2 * H]), np.tanh(z[3 * H:]), sigmoid(z[2 * H:3 * H]))
    c_ifog = ifog[1] * c + ifog[0] * ifog[2]
    h_alts = [(o * c_new, "h is o * tanh(c): the tanh is missing"),
              (ifog[3] * np.tanh(c_ifog), "the gate blocks are read in the wrong order: rows are i | f | g | o")]
    c_alts = [(f * c + i * sigmoid(z[2 * H:3 * H]), "the candidate g uses tanh, not a sigmoid"),
              (i * c + f * g, "the forget gate multiplies c_prev and the input gate multiplies g; they are swapped"),
              (c_ifog, "the gate blocks are read in the wrong order: rows are i | f | g | o")]
    return h_alts, c_alts


def _lstm_tests(seed: int) -> list[Test]:
    rng = np.random.default_rng(seed)
    cases = []
    for label, D, H, bias in [("returns (h, c), each of shape (H,)", 3, 4, None),
                              ("matches the LSTM equations", 5, 6, None),
                              ("a wide-open forget gate and a closed input gate keep c_prev", 4, 3, "keep"),
                              ("a larger cell (D = 12, H = 16)", 12, 16, None)]:
        x, h, c = rand(rng, D), np.tanh(rand(rng, H)), rand(rng, H, scale=2.0)
        W_x, W_h, b = rand(rng, 4 * H, D, scale=0.5), rand(rng, 4 * H, H, scale=0.5), rand(rng, 4 * H, scale=0.2)
        if bias == "keep":
            b[:H], b[H:2 * H] = -30.0, 30.0
        h_new, c_new = lstm_cell_forward(x, h, c, W_x, W_h, b)
        h_alts, c_alts = _lstm_variants(x, h, c, W_x, W_h, b)

        def check(v, h_new=h_new, c_new=c_new, h_alts=h_alts, c_alts=c_alts):
            parts, problem = unpack("lstm", v, ("h", "c"))
            if problem:
                return problem
            if np.shape(parts[0]) == c_new.shape and np.allclose(parts[0], c_new) and not np.allclose(c_new, h_new):
                return "the first item equals the new cell state: return (h, c) in that order"
            return first_problem(compare("c", parts[1], c_new, alternatives=c_alts),
                                 compare("h", parts[0], h_new, alternatives=h_alts))

        cases.append(Test(label, (x, h, c, W_x, W_h, b), check, expect=(h_new, c_new)))
    return cases


LSTM = Lab(
    id="lstm_cell_forward",
    title="Code lab: one LSTM step from primitives",
    entry="lstm_cell_forward",
    params=("x", "h_prev", "c_prev", "W_x", "W_h", "b"),
    prompt=(
        "Compute one LSTM step. One matrix product per input gives all four gate pre-activations at once: "
        "$z = W_x x + W_h h_{prev} + b$, shape `(4H,)`, stacked as **i | f | g | o** (H entries each, the layout "
        "PyTorch and this course's cells use). Then $i, f, o = \\sigma(\\cdot)$, $g = \\tanh(\\cdot)$, "
        "$c = f \\odot c_{prev} + i \\odot g$ and $h = o \\odot \\tanh(c)$. Return the tuple `(h, c)`."
    ),
    starter='''import numpy as np


def lstm_cell_forward(x, h_prev, c_prev, W_x, W_h, b):
    """One LSTM step; gate rows stacked as i | f | g | o.

    x: (D,)  h_prev, c_prev: (H,)  W_x: (4H, D)  W_h: (4H, H)  b: (4H,)
    Returns (h, c), each of shape (H,).
    """
    H = h_prev.shape[0]
    z = W_x @ x + W_h @ h_prev + b  # (4H,)
    # slice z into the four gates, squash each, then update c and h
    c = c_prev
    h = h_prev
    return h, c
''',
    solution=source(lstm_cell_forward),
    hints=(
        "Slice `z` into four blocks of H: `z[:H]`, `z[H:2*H]`, and so on, in the order i, f, g, o.",
        "Three gates are sigmoids (they act as soft switches between 0 and 1); the candidate g is a tanh (it "
        "proposes values between -1 and 1).",
        "The cell state is updated by addition: keep part of the old cell (forget gate) and add part of the "
        "candidate (input gate). The output gate then decides how much of tanh(c) becomes h.",
    ),
    make_tests=lambda seed=0: _lstm_tests(seed),
    error_hints=(MATMUL_HINT, NOT_ALIGNED_HINT),
    difficulty=2,
)


def _gru_tests(seed: int) -> list[Test]:
    rng = np.random.default_rng(seed)
    cases = []
    for label, D, H in [("returns h of shape (H,)", 3, 4), ("matches the GRU equations", 5, 6),
                        ("a larger cell (D = 12, H = 16)", 12, 16)]:
        x, h = rand(rng, D), np.tanh(rand(rng, H))
        W_x, W_h = rand(rng, 3 * H, D, scale=0.5), rand(rng, 3 * H, H, scale=0.5)
        b_x, b_h = rand(rng, 3 * H, scale=0.2), rand(rng, 3 * H, scale=0.2)
        expected = gru_cell_forward(x, h, W_x, W_h, b_x, b_h)
        gx, gh = W_x @ x + b_x, W_h @ h + b_h
        r, z = sigmoid(gx[:H] + gh[:H]), sigmoid(gx[H:2 * H] + gh[H:2 * H])
        n = np.tanh(gx[2 * H:] + r * gh[2 * H:])
        cho = np.tanh(W_x[2 * H:] @ x + b_x[2 * H:] + W_h[2 * H:] @ (r * h) + b_h[2 * H:])
        alts = [(z * n + (1 - z) * h, "z and 1 - z are swapped: here z is how much of h_prev is kept"),
                (np.tanh(gx[2 * H:] + gh[2 * H:]) * (1 - z) + z * h, "the reset gate r is not used in the "
                                                                    "candidate n"),
                ((1 - z) * cho + z * h, "r multiplies h_prev before the product (the original paper's variant); "
                                        "this lab, like PyTorch, multiplies W_hn h_prev + b_hn by r")]

        def check(v, expected=expected, alts=alts):
            return compare("h", v, expected, alternatives=alts)

        cases.append(Test(label, (x, h, W_x, W_h, b_x, b_h), check, expect=expected))
    return cases


GRU = Lab(
    id="gru_cell_forward",
    title="Code lab: one GRU step from primitives",
    entry="gru_cell_forward",
    params=("x", "h_prev", "W_x", "W_h", "b_x", "b_h"),
    prompt=(
        "Compute one GRU step as PyTorch defines it. With `gx = W_x @ x + b_x` and `gh = W_h @ h_prev + b_h` "
        "(each `(3H,)`, stacked as **r | z | n**): $r = \\sigma(gx_r + gh_r)$, $z = \\sigma(gx_z + gh_z)$, "
        "$n = \\tanh(gx_n + r \\odot gh_n)$ and $h = (1 - z) \\odot n + z \\odot h_{prev}$. Return `h`."
    ),
    starter='''import numpy as np


def gru_cell_forward(x, h_prev, W_x, W_h, b_x, b_h):
    """One GRU step; gate rows stacked as r | z | n.

    x: (D,)  h_prev: (H,)  W_x: (3H, D)  W_h: (3H, H)  b_x, b_h: (3H,)
    Returns h with shape (H,).
    """
    H = h_prev.shape[0]
    gx = W_x @ x + b_x  # (3H,)
    gh = W_h @ h_prev + b_h  # (3H,)
    return h_prev
''',
    solution=source(gru_cell_forward),
    hints=(
        "Slice both `gx` and `gh` into three blocks of H in the order r, z, n. The two gates add their x part "
        "and their h part before the sigmoid.",
        "The reset gate acts only on the hidden-state part of the candidate: it multiplies `gh`'s n block, "
        "not `gx`'s.",
        "The update gate z is the share of the old state that survives; 1 - z is the share of the candidate.",
    ),
    make_tests=lambda seed=0: _gru_tests(seed),
    error_hints=(MATMUL_HINT, NOT_ALIGNED_HINT),
)
