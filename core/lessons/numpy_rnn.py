"""Track A of Module 9: a complete character-level RNN in NumPy and nothing else. The forward pass,
backpropagation through time, global-norm clipping, Adagrad and sampling; the page shows this file as it runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

Params = dict[str, np.ndarray]  # W_xh (H, V), W_hh (H, H), W_hy (V, H), b_h (H,), b_y (V,)


def init_params(vocab_size: int, hidden: int, seed: int = 0, scale: float = 0.01) -> Params:
    """Small random weights, zero biases: every unit starts near tanh's linear middle."""
    rng = np.random.default_rng(seed)
    return {"W_xh": rng.normal(0.0, scale, (hidden, vocab_size)), "W_hh": rng.normal(0.0, scale, (hidden, hidden)),
            "W_hy": rng.normal(0.0, scale, (vocab_size, hidden)), "b_h": np.zeros(hidden), "b_y": np.zeros(vocab_size)}


def step(p: Params, x_id: int, h_prev: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One time step: the new hidden state (H,) and the next-character probabilities (V,)."""
    h = np.tanh(p["W_xh"][:, x_id] + p["W_hh"] @ h_prev + p["b_h"])  # W_xh @ one_hot(x) is column x of W_xh
    logits = p["W_hy"] @ h + p["b_y"]  # (V,)
    e = np.exp(logits - logits.max())  # minus the max: same softmax, no overflow
    return h, e / e.sum()


def forward(p: Params, inputs: list[int], targets: list[int], h0: np.ndarray) -> tuple[float, dict]:
    """Mean cross-entropy (nats/char) of predicting targets[t] from inputs[:t+1], and what backward() needs."""
    hs, probs, loss = [h0], [], 0.0
    for x_id, y_id in zip(inputs, targets, strict=True):
        h, prob = step(p, x_id, hs[-1])
        loss -= np.log(prob[y_id])
        hs.append(h)
        probs.append(prob)
    return loss / len(inputs), {"inputs": inputs, "targets": targets, "hs": hs, "probs": probs}


def backward(p: Params, cache: dict) -> Params:
    """Backpropagation through time: walk the steps in reverse, adding each step's share to every shared weight."""
    grads = {name: np.zeros_like(w) for name, w in p.items()}
    T = len(cache["inputs"])
    dh_future = np.zeros_like(cache["hs"][0])  # dL/dh_t that arrives from steps t+1 ... T
    for t in reversed(range(T)):
        h, h_prev = cache["hs"][t + 1], cache["hs"][t]
        dlogits = cache["probs"][t].copy()
        dlogits[cache["targets"][t]] -= 1.0  # softmax + cross-entropy: p - one_hot(target)
        dlogits /= T  # the loss is a mean over the T steps
        grads["W_hy"] += np.outer(dlogits, h)
        grads["b_y"] += dlogits
        dh = p["W_hy"].T @ dlogits + dh_future  # this step's output and everything later both depend on h_t
        da = (1.0 - h * h) * dh  # back through tanh
        grads["b_h"] += da
        grads["W_xh"][:, cache["inputs"][t]] += da
        grads["W_hh"] += np.outer(da, h_prev)
        dh_future = p["W_hh"].T @ da
    return grads


def clip_global_norm(grads: Params, max_norm: float) -> float:
    """Rescale all gradients together so their joint norm is at most max_norm; returns the norm before."""
    norm = float(np.sqrt(sum(float((g * g).sum()) for g in grads.values())))
    if max_norm > 0 and norm > max_norm:
        for g in grads.values():
            g *= max_norm / norm
    return norm


class Adagrad:
    """Each weight gets its own step size: lr / sqrt(the sum of its squared gradients so far)."""

    def __init__(self, p: Params, lr: float, eps: float = 1e-8) -> None:
        self.lr, self.eps = lr, eps
        self.memory = {name: np.zeros_like(w) for name, w in p.items()}

    def update(self, p: Params, grads: Params) -> None:
        for name, w in p.items():
            self.memory[name] += grads[name] ** 2
            w -= self.lr * grads[name] / (np.sqrt(self.memory[name]) + self.eps)


@dataclass
class CharRNN:
    chars: list[str]
    params: Params
    losses: list[float] = field(default_factory=list)  # training loss per step (nats/char)

    def sample(self, prime: str, n: int, temperature: float = 1.0, seed: int = 0) -> str:
        """n characters after `prime`, drawn from softmax(logits / temperature)."""
        rng, index = np.random.default_rng(seed), {c: i for i, c in enumerate(self.chars)}
        h, prob = np.zeros(len(self.params["b_h"])), np.full(len(self.chars), 1.0 / len(self.chars))
        for ch in prime:
            if ch in index:
                h, prob = step(self.params, index[ch], h)
        out = []
        for _ in range(n):
            logp = np.log(prob + 1e-30) / max(temperature, 1e-6)
            q = np.exp(logp - logp.max())
            x_id = int(rng.choice(len(q), p=q / q.sum()))
            out.append(self.chars[x_id])
            h, prob = step(self.params, x_id, h)
        return "".join(out)


def train(text: str, hidden: int = 64, seq_len: int = 25, lr: float = 0.1, steps: int = 1000, clip: float = 5.0,
          seed: int = 0, on_step: Callable[[CharRNN, int, float, float], None] | None = None,
          should_stop: Callable[[], bool] | None = None) -> CharRNN:
    """Read `text` in windows of seq_len characters, one Adagrad update per window."""
    if len(text) < seq_len + 1:
        raise ValueError(f"Need more than {seq_len} characters of text, got {len(text)}.")
    chars = sorted(set(text))
    index = {c: i for i, c in enumerate(chars)}
    ids = [index[c] for c in text]
    model = CharRNN(chars, init_params(len(chars), hidden, seed))
    opt, h, pos = Adagrad(model.params, lr), np.zeros(hidden), 0
    for i in range(steps):
        if pos + seq_len + 1 > len(ids):
            h, pos = np.zeros(hidden), 0  # back to the start of the text: forget the old state
        loss, cache = forward(model.params, ids[pos : pos + seq_len], ids[pos + 1 : pos + seq_len + 1], h)
        grads = backward(model.params, cache)
        norm = clip_global_norm(grads, clip)
        opt.update(model.params, grads)
        h, pos = cache["hs"][-1], pos + seq_len  # truncated BPTT: carry the state's value, not its gradient
        model.losses.append(float(loss))
        if on_step is not None:
            on_step(model, i + 1, float(loss), norm)
        if should_stop is not None and should_stop():
            break
    return model
