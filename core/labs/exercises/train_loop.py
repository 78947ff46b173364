"""Module 9, lab 4: the full training loop of a NumPy char-RNN on real text, inside the sandbox's limits.

The forward/backward helper is given (it is Lab 3's work); the learner writes the loop: chunking the text,
carrying the hidden state, clipping, an Adagrad update and a cosine learning-rate schedule. The server then
measures the returned parameters on the text itself, so a loop that only pretends to learn cannot pass.
"""

from __future__ import annotations

import math

import numpy as np

from core.labs.exercises.base import Lab, kind, source
from core.labs.grader import Test

SAMPLE_TEXT = (
    "A recurrent network reads text one character at a time. After every character it updates a small vector, "
    "its hidden state, and uses that state to guess the next character. At first the guesses are uniform, so the "
    "loss is close to the log of the vocabulary size. After a few hundred updates the network has noticed that "
    "spaces follow words, that capitals follow full stops, and that some letters like to travel together. "
    "Nothing in the code says what a word is; the pattern comes from the data and from the gradient of the loss. "
    "This is the idea that made character models so surprising: the same few lines of code learn English prose, "
    "source code, or sheet music, as long as there is enough text to read and enough patience to train. "
    "The loop is always the same: take a chunk, run forward, measure the loss, run backward, clip the gradients, "
    "update the weights, and carry the hidden state into the next chunk.\n"
)

HELPERS = '''import numpy as np


def build_vocab(text):
    """The sorted unique characters of the text, and a lookup from character to index."""
    chars = sorted(set(text))
    return chars, {ch: i for i, ch in enumerate(chars)}


def init_params(V, H, rng):
    """Small random weights and zero biases, as in min-char-rnn."""
    return {"W_xh": rng.normal(0, 0.01, (H, V)), "W_hh": rng.normal(0, 0.01, (H, H)),
            "W_hy": rng.normal(0, 0.01, (V, H)), "b_h": np.zeros(H), "b_y": np.zeros(V)}


def loss_and_grads(params, inputs, targets, h_prev):
    """Forward and backward pass over one chunk (this is Lab 3's work, given here).

    inputs, targets: lists of character indices of equal length T; h_prev: (H,)
    Returns (mean loss per character, gradients with the same keys as params, the last hidden state).
    """
    W_xh, W_hh, W_hy, b_h, b_y = (params[k] for k in ("W_xh", "W_hh", "W_hy", "b_h", "b_y"))
    T = len(inputs)
    hs, ps, loss = {-1: h_prev}, {}, 0.0
    for t in range(T):
        hs[t] = np.tanh(W_xh[:, inputs[t]] + W_hh @ hs[t - 1] + b_h)  # a one-hot input picks a column
        y = W_hy @ hs[t] + b_y
        p = np.exp(y - y.max())
        ps[t] = p / p.sum()
        loss -= np.log(ps[t][targets[t]])
    grads = {k: np.zeros_like(v) for k, v in params.items()}
    dh_next = np.zeros_like(h_prev)
    for t in reversed(range(T)):
        dy = ps[t].copy()
        dy[targets[t]] -= 1  # softmax + cross-entropy: p - one_hot(target)
        grads["W_hy"] += np.outer(dy, hs[t])
        grads["b_y"] += dy
        dz = (1 - hs[t] ** 2) * (W_hy.T @ dy + dh_next)
        grads["W_xh"][:, inputs[t]] += dz
        grads["W_hh"] += np.outer(dz, hs[t - 1])
        grads["b_h"] += dz
        dh_next = W_hh.T @ dz
    return loss / T, {k: g / T for k, g in grads.items()}, hs[T - 1]
'''

_helpers: dict = {}
exec(HELPERS, _helpers)  # noqa: S102 (our own constant: the helpers the learner sees are the ones we run)
build_vocab, init_params, loss_and_grads = _helpers["build_vocab"], _helpers["init_params"], _helpers["loss_and_grads"]


def lr_at(step, steps, lr):
    """Cosine decay from lr at step 0 towards lr / 10 at the end of the run."""
    return lr / 10 + (lr - lr / 10) * 0.5 * (1 + np.cos(np.pi * step / steps))


def train_loop(text, steps, hidden_size, seq_len, lr, seed):
    """Train a char-RNN on `text` with Adagrad; return {"params", "losses", "lrs"}."""
    chars, index = build_vocab(text)
    data = [index[ch] for ch in text]
    params = init_params(len(chars), hidden_size, np.random.default_rng(seed))
    memory = {k: np.zeros_like(v) for k, v in params.items()}  # Adagrad: running sum of squared gradients
    h = np.zeros(hidden_size)
    pos, losses, lrs = 0, [], []
    for step in range(steps):
        if pos + seq_len + 1 > len(data):  # end of the text: start again with a fresh state
            pos, h = 0, np.zeros(hidden_size)
        inputs, targets = data[pos:pos + seq_len], data[pos + 1:pos + seq_len + 1]
        loss, grads, h = loss_and_grads(params, inputs, targets, h)
        rate = lr_at(step, steps, lr)
        for k in params:
            g = np.clip(grads[k], -5, 5)
            memory[k] += g * g
            params[k] -= rate * g / np.sqrt(memory[k] + 1e-8)
        losses.append(float(loss))
        lrs.append(float(rate))
        pos += seq_len
    return {"params": params, "losses": losses, "lrs": lrs}


def text_loss(params: dict, text: str) -> float:
    """The server's own measure: mean loss per character over the whole text, state carried throughout."""
    _, index = build_vocab(text)
    data = [index[ch] for ch in text]
    h = np.zeros(params["W_hh"].shape[0])
    total = 0.0
    for a, b in zip(data[:-1], data[1:], strict=True):
        h = np.tanh(params["W_xh"][:, a] + params["W_hh"] @ h + params["b_h"])
        y = params["W_hy"] @ h + params["b_y"]
        total += float(np.log(np.exp(y - y.max()).sum()) + y.max() - y[b])
    return total / (len(data) - 1)


def _shape_problem(value, V: int, H: int, steps: int) -> str | None:
    if not isinstance(value, dict) or not {"params", "losses", "lrs"} <= set(value):
        keys = sorted(value) if isinstance(value, dict) else None
        return ('return a dict with the keys "params", "losses" and "lrs"; got '
                + (f"the keys {keys}" if keys is not None else kind(value)))
    for name in ("losses", "lrs"):
        seq = value[name]
        if not isinstance(seq, list | tuple | np.ndarray) or len(seq) != steps:
            return f'"{name}" should hold one number per step ({steps}); got {kind(seq)}'
    params = value["params"]
    shapes = {"W_xh": (H, V), "W_hh": (H, H), "W_hy": (V, H), "b_h": (H,), "b_y": (V,)}
    if not isinstance(params, dict) or set(params) != set(shapes):
        return f'"params" should be a dict with the keys {sorted(shapes)}; got {kind(params)}'
    for name, shape in shapes.items():
        p = params[name]
        if not isinstance(p, np.ndarray) or p.shape != shape:
            return f"params[{name!r}] should have shape {shape}; got {kind(p)}"
        if not np.all(np.isfinite(p)):
            return f"params[{name!r}] contains NaN or infinity: is the update clipped and the learning rate sane?"
    return None


def _answer_like(V: int, H: int, steps: int) -> dict:
    """Zeros shaped like train_loop's answer: the size the server expects back."""
    shapes = {"W_xh": (H, V), "W_hh": (H, H), "W_hy": (V, H), "b_h": (H,), "b_y": (V,)}
    return {"params": {k: np.zeros(s) for k, s in shapes.items()}, "losses": [0.0] * steps, "lrs": [0.0] * steps}


def _tests(seed: int, text: str | None = None) -> list[Test]:
    text = text or SAMPLE_TEXT
    V = len(set(text))
    uniform = math.log(V)
    short = dict(steps=12, hidden_size=16, seq_len=10, lr=0.1)
    long = dict(steps=300, hidden_size=32, seq_len=16, lr=0.1)

    def trajectory(text_: str):
        """The run is deterministic (seeded weights, exact formulas), so its losses can be replayed: this catches
        a loop that skips the carried state, the scheduled rate, the stride or the reset at wrap-around."""
        ref = np.asarray(train_loop(text_, *short.values(), seed)["losses"])

        def check(value):
            problem = _shape_problem(value, len(set(text_)), short["hidden_size"], short["steps"])
            if problem:
                return problem
            got = np.asarray(value["losses"], dtype=float)
            bad = ~np.isclose(got, ref, rtol=0.0, atol=1e-3)
            if not bad.any():
                return None
            s = int(np.argmax(bad))
            return (f"the loss at step {s} is {got[s]:.6g}; the loop as specified gives {ref[s]:.6g}. Check: each "
                    "chunk starts at pos and pos moves on by seq_len; the state returned by loss_and_grads goes into "
                    "the next call (zeros only after wrapping to 0); the update uses this step's scheduled rate")

        return check

    follows_the_spec = trajectory(text)

    def check_schedule(value):
        problem = _shape_problem(value, V, short["hidden_size"], short["steps"])
        if problem:
            return problem
        for step, got in enumerate(value["lrs"]):
            want = lr_at(step, short["steps"], short["lr"])
            if not isinstance(got, int | float) or not math.isclose(got, want, rel_tol=1e-6):
                return (f"the learning rate at step {step} is {got}; the schedule gives {want:.6g} (cosine from lr "
                        "at step 0 towards lr / 10)")
        first = value["losses"][0]
        if not isinstance(first, int | float) or abs(first - uniform) > 0.5:
            return (f"the first loss is {first}; an untrained model should score about log(V) = {uniform:.3f} per "
                    "character (is it the mean per character, from loss_and_grads?)")
        return follows_the_spec(value)

    def check_learning(value):
        problem = _shape_problem(value, V, long["hidden_size"], long["steps"])
        if problem:
            return problem
        losses = np.asarray(value["losses"], dtype=float)
        head, tail = losses[:10].mean(), losses[-30:].mean()
        measured = text_loss(value["params"], text)
        if abs(measured - uniform) < 0.05:
            return ("the returned parameters still score log(V) on the text: were they updated in place "
                    "(params[k] -= ...), and are those the parameters you return?")
        if measured > uniform - 0.6:
            return (f"after {long['steps']} steps the parameters score {measured:.3f} nats per character on the "
                    f"text; a working loop reaches below {uniform - 0.6:.3f} (uniform guessing: {uniform:.3f})")
        if tail > head - 0.5:
            return (f"the reported losses went from {head:.3f} to {tail:.3f}; they should fall as the model learns "
                    "(report the loss of each step's chunk)")
        return None

    return [
        Test("a short run: one loss and one learning rate per step, cosine schedule", (text, *short.values(), seed),
             check_schedule, cpu_s=5.0, wall_s=15.0, expect=_answer_like(V, short["hidden_size"], short["steps"])),
        Test("300 steps on real text: the loss falls well below uniform guessing", (text, *long.values(), seed),
             check_learning, cpu_s=20.0, wall_s=45.0, expect=_answer_like(V, long["hidden_size"], long["steps"])),
        Test("wrapping round a short text starts again at 0 with a zero state", (text[:65], *short.values(), seed),
             trajectory(text[:65]), cpu_s=5.0, wall_s=15.0,
             expect=_answer_like(len(set(text[:65])), short["hidden_size"], short["steps"])),
    ]


TRAIN_LOOP = Lab(
    id="train_loop",
    title="Lab 4: the full training loop",
    entry="train_loop",
    params=("text", "steps", "hidden_size", "seq_len", "lr", "seed"),
    prompt=(
        "Put it together: train a character-level RNN on real text, entirely in NumPy. The helpers at the top "
        "(vocabulary, initialisation and `loss_and_grads`, which is Lab 3's forward and backward pass) are given. "
        "Write `lr_at` and the loop in `train_loop`:\n\n"
        "1. walk through the text in chunks of `seq_len` characters (targets are the inputs shifted by one), "
        "carrying the hidden state from chunk to chunk; when the next chunk would run past the end, start again "
        "at position 0 with a zero state;\n"
        "2. forward → loss → backward with `loss_and_grads`;\n"
        "3. clip each gradient element into [-5, 5], then update every parameter with **Adagrad**: "
        "`memory += g * g; param -= rate * g / np.sqrt(memory + 1e-8)`;\n"
        "4. use a **cosine schedule**: `rate = lr/10 + (lr - lr/10) * 0.5 * (1 + cos(pi * step / steps))`.\n\n"
        "Return `{\"params\": params, \"losses\": [...], \"lrs\": [...]}` with one loss and one rate per step. "
        "The grader trains on a text of its own and measures your parameters on it."
    ),
    starter=HELPERS + '''

def lr_at(step, steps, lr):
    """Cosine decay from lr at step 0 towards lr / 10 at the end."""
    return lr


def train_loop(text, steps, hidden_size, seq_len, lr, seed):
    """Train a char-RNN on text; return {"params": ..., "losses": [...], "lrs": [...]}."""
    chars, index = build_vocab(text)
    data = [index[ch] for ch in text]
    params = init_params(len(chars), hidden_size, np.random.default_rng(seed))
    memory = {k: np.zeros_like(v) for k, v in params.items()}
    h = np.zeros(hidden_size)
    pos, losses, lrs = 0, [], []
    for step in range(steps):
        pass  # chunk, forward/backward, clip, Adagrad update, record loss and rate
    return {"params": params, "losses": losses, "lrs": lrs}
''',
    solution=HELPERS + source(lr_at, train_loop, header=""),
    hints=(
        "Each step needs `seq_len + 1` characters from `pos`: inputs are the first `seq_len`, targets the same "
        "window shifted by one. Check whether that window fits before slicing, then move `pos` on by `seq_len`.",
        "`loss_and_grads` returns the new hidden state: pass it into the next call, so the model can use context "
        "across chunk borders. Reset it to zeros only when you wrap around to the start.",
        "Adagrad keeps one `memory` array per parameter. Update the arrays in place (`params[k] -= ...`) so the "
        "dict you return holds the trained weights, and append `float(loss)` and the rate at every step.",
    ),
    make_tests=_tests,
    difficulty=3,
    total_wall_s=30.0,  # the tests allow 30 s of CPU time in all; other labs keep the 10 s default
)
