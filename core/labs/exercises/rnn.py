"""Vanilla RNN labs: one step (module 2), a whole sequence forward (module 9, lab 1), backpropagation through time
with clipping (lab 3) and global-norm gradient clipping. Vectors are columns, as in Karpathy's post: W @ x."""

from __future__ import annotations

import numpy as np

from core.labs.exercises.base import Lab, Predict, compare, kind, rand, sigmoid, source
from core.labs.grader import Test

MATMUL_HINT = ("matmul", "A matrix product got operands whose sizes do not line up. With W of shape (H, D) and x of "
               "shape (D,), write W @ x (the weight matrix first).")
NOT_ALIGNED_HINT = ("not aligned", MATMUL_HINT[1])  # the same mistake made with np.dot


# ---------------------------------------------------------------- references (shown as the solutions)

def rnn_step(x, h_prev, W_xh, W_hh, b_h):
    """One time step of a vanilla RNN: h_t = tanh(W_xh x + W_hh h_prev + b_h).

    x: (D,)  h_prev: (H,)  W_xh: (H, D)  W_hh: (H, H)  b_h: (H,)  ->  h_t: (H,)
    """
    return np.tanh(W_xh @ x + W_hh @ h_prev + b_h)  # (H,)


def rnn_forward(xs, h0, W_xh, W_hh, b_h):
    """Run the RNN over a whole sequence and return every hidden state.

    xs: (T, D), one input per row  h0: (H,)  ->  hs: (T, H), where hs[t] is the state after reading xs[t]
    """
    H = h0.shape[0]
    hs = np.zeros((xs.shape[0], H))  # also right for an empty sequence: shape (0, H)
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(W_xh @ xs[t] + W_hh @ h + b_h)  # (H,)
        hs[t] = h
    return hs


def rnn_backward(xs, hs, h0, W_hh, dhs, clip):
    """Backpropagation through time for rnn_forward, then clip each gradient element into [-clip, clip].

    xs: (T, D)  hs: (T, H) from the forward pass  h0: (H,)  W_hh: (H, H)
    dhs: (T, H), dhs[t] = dL/dhs[t] arriving from the output at step t (not yet from later steps)
    Returns {"W_xh": (H, D), "W_hh": (H, H), "b_h": (H,), "h0": (H,)}
    """
    T, H = hs.shape
    dW_xh = np.zeros((H, xs.shape[1]))
    dW_hh = np.zeros((H, H))
    db_h = np.zeros(H)
    dh_next = np.zeros(H)  # gradient reaching h_t from step t + 1
    for t in reversed(range(T)):
        dh = dhs[t] + dh_next  # (H,)
        dz = (1.0 - hs[t] ** 2) * dh  # back through tanh
        h_before = hs[t - 1] if t > 0 else h0
        dW_xh += np.outer(dz, xs[t])
        dW_hh += np.outer(dz, h_before)
        db_h += dz
        dh_next = W_hh.T @ dz
    grads = {"W_xh": dW_xh, "W_hh": dW_hh, "b_h": db_h, "h0": dh_next}
    return {name: np.clip(g, -clip, clip) for name, g in grads.items()}


def clip_gradients(grads, max_norm):
    """Scale all gradients together so that their joint L2 norm is at most max_norm.

    grads: dict of name -> array  max_norm: > 0 (else ValueError)
    Returns (clipped, total_norm): a new dict, and the norm measured before clipping
    """
    if max_norm <= 0:
        raise ValueError("max_norm must be positive")
    total_norm = float(np.sqrt(sum(np.sum(g ** 2) for g in grads.values())))
    scale = max_norm / total_norm if total_norm > max_norm else 1.0
    return {name: g * scale for name, g in grads.items()}, total_norm


# ---------------------------------------------------------------- rnn_step

def _step_alternatives(x, h, W_xh, W_hh, b_h):
    return [
        (W_xh @ x + W_hh @ h + b_h, "this is the value before the squashing: apply np.tanh to the sum"),
        (np.tanh(W_xh @ x + W_hh @ h), "the bias b_h is missing from the sum"),
        (np.tanh(W_xh @ x + W_hh.T @ h + b_h), "it matches W_hh transposed: use W_hh @ h_prev"),
        (np.tanh(W_xh @ x + b_h), "h_prev has no effect: the previous state must enter through W_hh @ h_prev"),
        (sigmoid(W_xh @ x + W_hh @ h + b_h), "that is a sigmoid; the vanilla RNN squashes with tanh"),
    ]


def _step_tests(seed: int) -> list[Test]:
    rng = np.random.default_rng(seed)
    cases = []
    for label, D, H, scale, zero_h, zero_whh in [
        ("returns the new state, shape (H,)", 3, 4, 0.5, False, False),
        ("matches tanh(W_xh x + W_hh h_prev + b_h)", 5, 3, 0.5, False, False),
        ("a zero previous state: only the input and bias count", 4, 6, 0.5, True, False),
        ("W_hh = 0: no memory of the past", 3, 5, 0.5, False, True),
        ("large weights saturate inside [-1, 1] without NaN", 6, 4, 40.0, False, False),
        ("a larger cell (D = 10, H = 16)", 10, 16, 0.3, False, False),
    ]:
        x, h = rand(rng, D), (np.zeros(H) if zero_h else np.tanh(rand(rng, H)))
        W_xh, W_hh, b_h = rand(rng, H, D, scale=scale), rand(rng, H, H, scale=scale), rand(rng, H, scale=0.1)
        if zero_whh:
            W_hh = np.zeros((H, H))
        expected = rnn_step(x, h, W_xh, W_hh, b_h)
        alts = _step_alternatives(x, h, W_xh, W_hh, b_h)

        def check(v, expected=expected, alts=alts):
            return compare("h_t", v, expected, alternatives=alts,
                           shape_hints={(expected.shape[0], 1): "return a flat vector of shape (H,)"})

        cases.append(Test(label, (x, h, W_xh, W_hh, b_h), check, expect=expected))
    return cases


RNN_STEP = Lab(
    id="rnn_step",
    title="Code lab: one RNN step",
    entry="rnn_step",
    params=("x", "h_prev", "W_xh", "W_hh", "b_h"),
    prompt=(
        "Write the update that a vanilla RNN repeats at every position of a sequence:\n\n"
        "$$h_t = \\tanh(W_{xh}\\,x_t + W_{hh}\\,h_{t-1} + b_h)$$\n\n"
        "Shapes: `x` is `(D,)`, `h_prev` is `(H,)`, `W_xh` is `(H, D)`, `W_hh` is `(H, H)` and `b_h` is `(H,)`. "
        "Return the new hidden state `h_t` with shape `(H,)`. NumPy is available as `np`."
    ),
    starter='''import numpy as np


def rnn_step(x, h_prev, W_xh, W_hh, b_h):
    """One time step of a vanilla RNN.

    x: (D,)  h_prev: (H,)  W_xh: (H, D)  W_hh: (H, H)  b_h: (H,)
    Returns h_t with shape (H,).
    """
    # Bring the input and the previous state into the hidden space,
    # add the bias, then squash the result.
    h_t = None
    return h_t
''',
    solution=source(rnn_step),
    hints=(
        "Two matrix-vector products feed the new state: one reads the current input, the other reads the "
        "previous hidden state. Which weight matrix has a column for every input feature?",
        "`@` multiplies a matrix by a vector in NumPy. A product `W @ v` needs the last size of `W` to equal the "
        "length of `v`, which tells you the order.",
        "After adding the two products and the bias, every entry goes through the same squashing function, "
        "`np.tanh`, so the state always stays between -1 and 1.",
    ),
    make_tests=lambda seed=0: _step_tests(seed),
    error_hints=(MATMUL_HINT, NOT_ALIGNED_HINT,),
    predict=Predict(
        question="An RNN reads inputs of size D = 3 and keeps a hidden state of size H = 4. What shape is h_t?",
        options=("(3,)", "(4,)", "(4, 3)", "(3, 4)"),
        answer=1,
        feedback={
            0: "The state keeps its own size H from step to step, whatever the size of the input.",
            2: "W_xh has shape (4, 3), but multiplying it by a vector of length 3 leaves a vector of length 4.",
            3: "There is no matrix in the result: each product collapses to a vector of length H.",
        },
    ),
)


# ---------------------------------------------------------------- rnn_forward

def _forward_tests(seed: int) -> list[Test]:
    rng = np.random.default_rng(seed)
    cases = []
    for label, T, D, H in [("returns one state per step, shape (T, H)", 5, 3, 4),
                           ("matches running rnn_step over the sequence", 7, 4, 6),
                           ("a single-step sequence", 1, 3, 3),
                           ("an empty sequence gives shape (0, H)", 0, 3, 4),
                           ("a longer sequence (T = 40)", 40, 6, 8)]:
        xs, h0 = rand(rng, T, D), np.tanh(rand(rng, H))
        W_xh, W_hh, b_h = rand(rng, H, D, scale=0.5), rand(rng, H, H, scale=0.5), rand(rng, H, scale=0.1)
        expected = rnn_forward(xs, h0, W_xh, W_hh, b_h)
        with_h0 = np.vstack([h0[None], expected])
        hints = {(H, T): "put one hidden state per row: stack along axis 0",
                 (T + 1, H): "it includes h0; return only the T new states",
                 (H,): "that is only the last state; keep every state",
                 (0,): "np.array([]) has shape (0,); for T = 0 return np.zeros((0, H))"}
        alts = [] if T == 0 else [
            (with_h0[:-1], "each row is the state before reading xs[t]; store the state after the update"),
            (np.stack([np.tanh(W_xh @ x + W_hh @ h0 + b_h) for x in xs]),
             "every step starts from h0: carry the new state into the next step")]

        def check(v, expected=expected, hints=hints, alts=alts):
            if isinstance(v, list) and not v and expected.shape[0] == 0:
                return "an empty list has no shape; return np.zeros((0, H)) for an empty sequence"
            return compare("hs", v, expected, shape_hints=hints, alternatives=alts)

        cases.append(Test(label, (xs, h0, W_xh, W_hh, b_h), check, expect=expected))
    return cases


RNN_FORWARD = Lab(
    id="rnn_forward",
    title="Lab 1: the forward pass",
    entry="rnn_forward",
    params=("xs", "h0", "W_xh", "W_hh", "b_h"),
    prompt=(
        "Run a vanilla RNN over a whole sequence. `xs` holds one input per row, shape `(T, D)`; `h0` is the "
        "starting state `(H,)`. Apply $h_t = \\tanh(W_{xh} x_t + W_{hh} h_{t-1} + b_h)$ for t = 0 … T-1 and "
        "return **all** new states as one array `hs` of shape `(T, H)` (row t is the state after reading "
        "`xs[t]`; `h0` itself is not included). For an empty sequence return an array of shape `(0, H)`."
    ),
    starter='''import numpy as np


def rnn_forward(xs, h0, W_xh, W_hh, b_h):
    """Run the RNN over a sequence.

    xs: (T, D)  h0: (H,)  W_xh: (H, D)  W_hh: (H, H)  b_h: (H,)
    Returns hs: (T, H), row t = the hidden state after reading xs[t].
    """
    hs = []
    h = h0
    for x in xs:
        # update h here, then remember it
        pass
    return hs
''',
    solution=source(rnn_forward),
    hints=(
        "Inside the loop the body is exactly the single-step update; the only new idea is that the state you "
        "compute becomes the `h_prev` of the next step.",
        "Collecting states in a Python list is fine, but the tests want one array with a row per step. Think about "
        "what the list looks like for T = 0 before you convert it.",
        "Allocating `np.zeros((T, H))` up front and filling row t inside the loop handles the empty sequence "
        "for free.",
    ),
    make_tests=lambda seed=0: _forward_tests(seed),
    error_hints=(MATMUL_HINT, NOT_ALIGNED_HINT, ("need at least one array", "np.stack cannot stack an empty list: for T = 0 return "
                                                           "an array of shape (0, H).")),
    difficulty=1,
)


# ---------------------------------------------------------------- rnn_backward

def _backward_alternatives(xs, hs, h0, W_hh, dhs, clip):
    def variant(tanh_grad=True, through_time=True, transpose=True, prev=True):
        T, H = hs.shape
        g = {"W_xh": np.zeros((H, xs.shape[1])), "W_hh": np.zeros((H, H)), "b_h": np.zeros(H)}
        dh_next = np.zeros(H)
        for t in reversed(range(T)):
            dh = dhs[t] + (dh_next if through_time else 0.0)
            dz = (1.0 - hs[t] ** 2) * dh if tanh_grad else dh
            g["W_xh"] += np.outer(dz, xs[t])
            g["W_hh"] += np.outer(dz, (hs[t - 1] if t > 0 else h0) if prev else hs[t])
            g["b_h"] += dz
            dh_next = (W_hh.T if transpose else W_hh) @ dz
        g["h0"] = dh_next
        return {k: np.clip(v, -clip, clip) for k, v in g.items()}

    return [(variant(tanh_grad=False), "the tanh derivative (1 - h_t**2) is missing"),
            (variant(through_time=False), "no gradient flows back through time: add the gradient arriving from "
                                          "step t + 1 to dhs[t]"),
            (variant(transpose=False), "the gradient travels back through W_hh.T, not W_hh"),
            (variant(prev=False), "dW_hh pairs dz at step t with the state *before* that step (hs[t-1], or h0)")]


def _backward_tests(seed: int) -> list[Test]:
    rng = np.random.default_rng(seed)
    cases = []
    for label, T, D, H, clip, dscale in [("returns the four gradients with the parameters' shapes", 4, 3, 5, 1e6, 0.1),
                                         ("matches backpropagation through time", 6, 4, 3, 1e6, 0.1),
                                         ("a single step", 1, 2, 3, 1e6, 0.1),
                                         ("large gradients are clipped into [-clip, clip]", 8, 3, 4, 0.5, 5.0),
                                         ("a longer sequence (T = 30)", 30, 5, 6, 5.0, 0.2)]:
        xs, h0 = rand(rng, T, D), np.tanh(rand(rng, H))
        W_xh, W_hh, b_h = rand(rng, H, D, scale=0.6), rand(rng, H, H, scale=0.6), rand(rng, H, scale=0.1)
        hs = rnn_forward(xs, h0, W_xh, W_hh, b_h)
        dhs = rand(rng, T, H, scale=dscale)
        expected = rnn_backward(xs, hs, h0, W_hh, dhs, clip)
        alts = _backward_alternatives(xs, hs, h0, W_hh, dhs, clip)
        unclipped = rnn_backward(xs, hs, h0, W_hh, dhs, np.inf)

        def check(v, expected=expected, alts=alts, unclipped=unclipped, clip=clip):
            if not isinstance(v, dict) or set(v) != set(expected):
                keys = sorted(v) if isinstance(v, dict) else None
                return (f"return a dict with the keys {sorted(expected)}; got "
                        + (f"the keys {keys}" if keys is not None else kind(v)))
            for name in ("W_xh", "W_hh", "b_h", "h0"):
                named = [(a[name], why) for a, why in alts]
                if clip < 1e5:
                    named.append((unclipped[name], f"nothing was clipped: use np.clip(grad, -{clip:g}, {clip:g})"))
                if name == "W_hh":  # square, so a transposed answer has the right shape: name the mistake
                    named.append((expected["W_hh"].T, "it matches dW_hh transposed: the outer product is "
                                  "np.outer(dz, h_prev), not np.outer(h_prev, dz)"))
                problem = compare(f"the gradient for {name}", v[name], expected[name], alternatives=named)
                if problem:
                    return problem
            return None

        cases.append(Test(label, (xs, hs, h0, W_hh, dhs, float(clip)), check, expect=expected))
    return cases


RNN_BACKWARD = Lab(
    id="rnn_backward",
    title="Lab 3: backpropagation through time",
    entry="rnn_backward",
    params=("xs", "hs", "h0", "W_hh", "dhs", "clip"),
    prompt=(
        "Given the forward pass of Lab 1 (`hs[t] = tanh(W_xh @ xs[t] + W_hh @ h_prev + b_h)`, with `h_prev = h0` "
        "at t = 0), compute the gradients of the loss with respect to `W_xh`, `W_hh`, `b_h` and `h0`.\n\n"
        "`dhs[t]` is the gradient that reaches `hs[t]` **from the output at step t only**; the part that flows "
        "back from later steps is yours to add. Walk the steps from last to first. At the end, clip every "
        "gradient element into `[-clip, clip]` (as min-char-rnn does) and return a dict with the keys "
        "`'W_xh'`, `'W_hh'`, `'b_h'` and `'h0'`."
    ),
    starter='''import numpy as np


def rnn_backward(xs, hs, h0, W_hh, dhs, clip):
    """Backpropagation through time for a vanilla RNN.

    xs: (T, D)  hs: (T, H)  h0: (H,)  W_hh: (H, H)  dhs: (T, H)  clip: float
    Returns {"W_xh": (H, D), "W_hh": (H, H), "b_h": (H,), "h0": (H,)}, each clipped into [-clip, clip].
    """
    T, H = hs.shape
    dW_xh = np.zeros((H, xs.shape[1]))
    dW_hh = np.zeros((H, H))
    db_h = np.zeros(H)
    dh_next = np.zeros(H)  # what step t + 1 sends back to h_t
    for t in reversed(range(T)):
        pass  # your code: total gradient at h_t, back through tanh, accumulate, send back
    grads = {"W_xh": dW_xh, "W_hh": dW_hh, "b_h": db_h, "h0": dh_next}
    return grads
''',
    solution=source(rnn_backward),
    hints=(
        "At step t the state `hs[t]` influenced the loss twice: through the output at t (`dhs[t]`) and through "
        "the next state. Add the two before going further back.",
        "The derivative of tanh(z) is 1 - tanh(z)², and tanh(z) is `hs[t]` itself, so no recomputation is needed. "
        "The weight gradients are outer products of that pre-activation gradient with whatever was multiplied "
        "by the weight.",
        "Which state did `W_hh` multiply at step t? The one from before the step: `hs[t-1]`, or `h0` when t = 0. "
        "Whatever is left in the gradient after step 0 is the gradient for `h0`.",
    ),
    make_tests=lambda seed=0: _backward_tests(seed),
    error_hints=(MATMUL_HINT, NOT_ALIGNED_HINT,),
    difficulty=3,
)


# ---------------------------------------------------------------- clip_gradients

def _clip_tests(seed: int) -> list[Test]:
    rng = np.random.default_rng(seed)

    def grads(scale):
        return {"W_xh": rand(rng, 4, 3, scale=scale), "W_hh": rand(rng, 4, 4, scale=scale), "b_h": rand(rng, 4,
                                                                                                           scale=scale)}

    def checker(g, max_norm):
        expected, norm = clip_gradients(g, max_norm)
        with np.errstate(all="ignore"):
            per_array = {k: v * min(1.0, max_norm / np.linalg.norm(v)) for k, v in g.items()}
        elementwise = {k: np.clip(v, -max_norm, max_norm) for k, v in g.items()}

        def check(v):
            if not isinstance(v, tuple | list) or len(v) != 2:
                return f"return a tuple (clipped, total_norm); got {kind(v)}"
            clipped, total = v
            if isinstance(total, np.ndarray) and total.size == 1:
                total = float(total.reshape(()))
            if not isinstance(total, int | float) or not np.isclose(total, norm):
                return (f"total_norm is {total if not isinstance(total, int | float) else f'{total:.5g}'}; expected "
                        f"{norm:.5g}, the square root of the sum of squares over every array together")
            if not isinstance(clipped, dict) or set(clipped) != set(g):
                return f"clipped should be a dict with the same keys {sorted(g)}; got {kind(clipped)}"
            for name in g:
                problem = compare(f"clipped[{name!r}]", clipped[name], expected[name], alternatives=[
                    (per_array[name], "each array was scaled on its own; use one factor for all of them"),
                    (elementwise[name], "that clips each element; scale the whole set of arrays instead"),
                    (g[name], "nothing changed, although the norm is above max_norm")])
                if problem:
                    return problem
            return None

        return check

    small, big, zero = grads(0.1), grads(3.0), {"W": np.zeros((3, 3)), "b": np.zeros(3)}
    return [
        Test("leaves small gradients unchanged and reports their norm", (small, 10.0), checker(small, 10.0),
             expect=(small, 0.0)),  # (clipped, total_norm) has the inputs' shapes
        Test("scales large gradients so that their joint norm is max_norm", (big, 1.0), checker(big, 1.0),
             expect=(big, 0.0)),
        Test("all-zero gradients stay zero (no division by zero)", (zero, 1.0), checker(zero, 1.0), expect=(zero, 0.0)),
        Test("a single array", ({"W": big["W_hh"]}, 2.0), checker({"W": big["W_hh"]}, 2.0),
             expect=({"W": big["W_hh"]}, 0.0)),
        Test("max_norm <= 0 raises ValueError", (small, 0.0), raises="ValueError"),
    ]


CLIP_GRADIENTS = Lab(
    id="clip_gradients",
    title="Code lab: clip gradients by their global norm",
    entry="clip_gradients",
    params=("grads", "max_norm"),
    prompt=(
        "Exploding gradients show up as a sudden huge update. The usual remedy measures the L2 norm of **all** "
        "gradients together, $\\lVert g\\rVert = \\sqrt{\\sum_i \\sum g_i^2}$, and if it exceeds `max_norm`, scales "
        "every gradient by the same factor `max_norm / norm`, so the direction of the update is kept.\n\n"
        "`grads` is a dict of arrays. Return `(clipped, total_norm)`: a new dict with the same keys, and the norm "
        "measured before clipping. Rule: `max_norm` must be positive; otherwise raise `ValueError`."
    ),
    starter='''import numpy as np


def clip_gradients(grads, max_norm):
    """Clip a dict of gradient arrays by their joint L2 norm.

    Returns (clipped, total_norm). Raises ValueError if max_norm <= 0.
    """
    total_norm = 0.0
    clipped = dict(grads)
    return clipped, total_norm
''',
    solution=source(clip_gradients),
    hints=(
        "The norm is over every number in every array at once: add up the squares array by array, then take one "
        "square root at the end.",
        "Compute a single scale factor and apply it to all arrays. If the norm is already small enough the factor "
        "is 1; comparing before dividing also keeps all-zero gradients away from 0 / 0.",
        "Remember the stated rule about max_norm before doing any arithmetic.",
    ),
    make_tests=lambda seed=0: _clip_tests(seed),
    error_hints=(("division by zero", "With all-zero gradients the norm is 0: compare the norm with max_norm first, "
                                      "so the factor stays 1 and nothing is divided."),),
)
