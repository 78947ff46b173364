"""Batch-1 generation, made fast, computing what CharLM.step computes up to float rounding.

`fold` lays a trained CharLM's weights out once (the embedding times layer 0's W_xh becomes a lookup table).
`FastStepper` steps on them in torch (any device); `CpuGenerator` runs the whole generation loop on them as one
function compiled by Numba, the CPU path of `core.models.sampling.sample` (`python -m core.bench sampling`).
"""

from __future__ import annotations

import weakref

import numba
import numpy as np
import torch
from torch import Tensor

from core.models.charlm import CharLM, ModelState


def fold(model: CharLM) -> dict[str, Tensor]:
    """A CharLM's weights laid out for batch-1 generation, on the model's device: layer 0's input projection folded
    with the embedding into a (V, G) lookup table; every other projection stacked per layer and stored (in, G).
    Call under torch.inference_mode()."""
    cells, H = model.cells, model.cfg.hidden
    G = cells[0].W_hh.weight.shape[0]
    upper = cells[1:]
    return {
        "table": torch.addmm(cells[0].W_xh.bias, model.embed.weight, cells[0].W_xh.weight.t()),  # (V, G)
        "Wx": (torch.stack([c.W_xh.weight.t() for c in upper]) if upper  # (L-1, H, G)
               else model.head.weight.new_zeros(0, H, G)),
        "bx": torch.stack([c.W_xh.bias for c in upper]) if upper else model.head.weight.new_zeros(0, G),
        "Wh": torch.stack([c.W_hh.weight.t() for c in cells]),  # (L, H, G)
        "bh": torch.stack([c.W_hh.bias for c in cells]),  # (L, G)
        "head_W": model.head.weight.t().contiguous(), "head_b": model.head.bias,  # (H, V), (V,)
    }


class FastStepper:
    """CharLM.step for batch-1 generation on the folded weights, in torch (any device): the embedding lookup and
    layer 0's input matmul become one table lookup. Same numbers as step() up to float rounding; build one per
    generation call, under torch.inference_mode()."""

    def __init__(self, model: CharLM) -> None:
        self.kind, self.H, self.w = model.cfg.kind, model.cfg.hidden, fold(model)

    def __call__(self, idx_t: Tensor, state: ModelState) -> tuple[Tensor, ModelState]:
        H, w, new_state = self.H, self.w, []
        x = None
        for layer, s in enumerate(state):
            if layer == 0:
                xw = w["table"].index_select(0, idx_t)  # (1, G): layer 0's input projection, looked up
            else:
                xw = torch.addmm(w["bx"][layer - 1], x, w["Wx"][layer - 1])
            hw = torch.addmm(w["bh"][layer], s[0], w["Wh"][layer])  # (1, G)
            if self.kind == "gru":  # the reset gate scales the h part of the candidate only
                rz = torch.sigmoid(xw[:, : 2 * H] + hw[:, : 2 * H])
                r, z = rz[:, :H], rz[:, H:]
                n = torch.tanh(torch.addcmul(xw[:, 2 * H :], r, hw[:, 2 * H :]))
                s = (torch.addcmul(n, z, s[0] - n),)
            elif self.kind == "rnn":
                s = (torch.tanh(xw + hw),)
            else:
                gates = xw + hw
                i, f, _, o = torch.sigmoid(gates).chunk(4, 1)
                c = torch.addcmul(f * s[1], i, torch.tanh(gates[:, 2 * H : 3 * H]))
                s = (o * torch.tanh(c), c)
            new_state.append(s)
            x = s[0]
        return torch.addmm(w["head_b"], x, w["head_W"]), tuple(new_state)


# ---- CPU: the whole generation loop compiled by Numba -------------------------------------------------------
# Batch-1 generation is memory-bound: each character reads every weight once (3.2 MB for the 2x256 LSTM, from L3).
# Driving it from Python costs as much again in per-call overhead (about 70 us a character through NumPy), so on
# CPU the loop runs as one compiled function: 1,000 characters from the shipped LSTM take about 75 ms instead of
# 150 ms (`python -m core.bench sampling`). It releases the GIL, so learners sampling at once use both cores.
KIND_CODES = {"rnn": 0, "lstm": 1, "gru": 2}

# tanh as a rational function, clamped where float32 tanh is already +-1: the approximation Eigen (and so
# TensorFlow) use for float tanh, max abs error 3.6e-7 against float64 tanh (tests/test_charlm.py). Unlike
# np.tanh inside a compiled loop, it vectorises (no SVML in llvmlite's wheels); sigmoid(x) = (tanh(x/2) + 1) / 2.
_TANH_CLAMP = np.float32(7.90531110763549805)
_TANH_P = tuple(np.float32(v) for v in (-2.76076847742355e-16, 2.00018790482477e-13, -8.60467152213735e-11,
                                       5.12229709037114e-08, 1.48572235717979e-05, 6.37261928875436e-04,
                                       4.89352455891786e-03))
_TANH_Q = tuple(np.float32(v) for v in (1.19825839466702e-06, 1.18534705686654e-04, 2.26843463243900e-03,
                                       4.89352518554385e-03))
_FAST = {"nnan", "ninf", "nsz", "contract"}  # no reassociation: the sums keep their order


def _compiled(**options):
    """numba.njit that keeps the machine code in Numba's on-disk cache (next to this file, else in the user's
    cache folder), so only the first process compiles; where neither is writable, it compiles per process."""

    def decorate(fn):
        try:
            return numba.njit(cache=True, **options)(fn)
        except RuntimeError:  # "cannot cache function ...: no locator available"
            return numba.njit(**options)(fn)

    return decorate


@_compiled(fastmath=_FAST)
def _tanh(x):
    x = min(max(x, -_TANH_CLAMP), _TANH_CLAMP)
    x2 = x * x
    p = _TANH_P[0]
    for a in _TANH_P[1:]:
        p = p * x2 + a
    q = _TANH_Q[0]
    for b in _TANH_Q[1:]:
        q = q * x2 + b
    return x * p / q


@_compiled()
def _matvec(out, bias, v, W):
    """out = bias + v @ W, W (K, G) row-major: one pass over W's rows, each streamed once."""
    for j in range(W.shape[1]):  # explicit loops throughout: slicing and np.sort add seconds of compile time
        out[j] = bias[j]
    for i in range(W.shape[0]):
        vi = v[i]
        for j in range(W.shape[1]):
            out[j] += vi * W[i, j]


@_compiled(nogil=True, fastmath=_FAST)
def _step(kind, idx, table, Wx, bx, Wh, bh, head_W, head_b, h, c, xw, hw, s, logits):
    """Advance h, c (L, H) in place by character `idx`; leave the next logits in `logits`."""
    L, H = h.shape
    half = np.float32(0.5)
    for layer in range(L):
        if layer == 0:
            for j in range(table.shape[1]):
                xw[j] = table[idx, j]
        else:
            _matvec(xw, bx[layer - 1], h[layer - 1], Wx[layer - 1])
        _matvec(hw, bh[layer], h[layer], Wh[layer])
        if kind == 0:  # rnn: h = tanh(xw + hw)
            for j in range(H):
                h[layer, j] = _tanh(xw[j] + hw[j])
        elif kind == 1:  # lstm: gates i, f, g, o
            for j in range(4 * H):
                s[j] = half * _tanh(half * (xw[j] + hw[j])) + half
            for j in range(H):
                cj = s[H + j] * c[layer, j] + s[j] * _tanh(xw[2 * H + j] + hw[2 * H + j])
                c[layer, j] = cj
                h[layer, j] = s[3 * H + j] * _tanh(cj)
        else:  # gru: r, z from x and h together; the reset gate scales the h part of the candidate only
            for j in range(2 * H):
                s[j] = half * _tanh(half * (xw[j] + hw[j])) + half
            for j in range(H):
                n = _tanh(xw[2 * H + j] + s[j] * hw[2 * H + j])
                h[layer, j] = n + s[H + j] * (h[layer, j] - n)
    _matvec(logits, head_b, h[L - 1], head_W)


@_compiled()
def _kth_largest(x, k):
    """The k-th largest value of x, counting repeats (as torch.topk does): k passes at most, each finding the
    next smaller distinct value and how often it occurs."""
    below, seen = np.inf, 0
    while True:
        value, count = -np.inf, 0
        for j in range(x.shape[0]):
            if x[j] < below:
                if x[j] > value:
                    value, count = x[j], 1
                elif x[j] == value:
                    count += 1
        seen += count
        if seen >= k or count == 0:  # count 0: fewer than k values (only with NaN in x)
            return value
        below = value


@_compiled(nogil=True)
def _generate(kind, logits, table, Wx, bx, Wh, bh, head_W, head_b, h, c, noise, inv_tau, greedy, top_k):
    """len(noise) characters, each argmax(logits * inv_tau + noise[t]) (the Gumbel-max draw) or argmax(logits)
    when greedy; with top_k > 0 only the k largest logits compete. h, c and logits advance in place."""
    n, V = noise.shape
    G = Wh.shape[2]
    xw, hw, s = np.empty(G, np.float32), np.empty(G, np.float32), np.empty(G, np.float32)
    out = np.empty(n, np.int64)
    for t in range(n):
        kth = _kth_largest(logits, top_k) if top_k > 0 else -np.inf
        best, best_score = 0, -np.inf
        for j in range(V):
            if logits[j] < kth:
                continue
            score = logits[j] if greedy else logits[j] * inv_tau + noise[t, j]
            if score > best_score:
                best, best_score = j, score
        out[t] = best
        if t + 1 < n:
            _step(kind, best, table, Wx, bx, Wh, bh, head_W, head_b, h, c, xw, hw, s, logits)
    return out


class CpuGenerator:
    """The folded weights (see `fold`) as float32 NumPy arrays, and the compiled loop that runs on them."""

    def __init__(self, model: CharLM) -> None:
        self.kind = KIND_CODES[model.cfg.kind]
        w = {name: np.ascontiguousarray(t.detach().float().cpu().numpy()) for name, t in fold(model).items()}
        self.table, self.Wx, self.bx, self.Wh, self.bh = w["table"], w["Wx"], w["bx"], w["Wh"], w["bh"]
        self.head_W, self.head_b = w["head_W"], w["head_b"]

    def arrays_from_state(self, state: ModelState) -> tuple[np.ndarray, np.ndarray]:
        """A batch-1 torch state -> (h, c) as writable (L, H) arrays (c is zeros for RNN and GRU)."""
        h = np.stack([np.asarray(s[0][0].float().cpu().numpy(), np.float32) for s in state])
        c = (np.stack([np.asarray(s[1][0].float().cpu().numpy(), np.float32) for s in state]) if len(state[0]) > 1
             else np.zeros_like(h))
        return h.copy(), c.copy()

    def generate(self, logits: np.ndarray, state: ModelState, noise: np.ndarray, inv_tau: float, greedy: bool,
                 top_k: int | None) -> list[int]:
        """Character ids drawn after `logits` (V,) and `state`, one per row of `noise` (length, V)."""
        h, c = self.arrays_from_state(state)
        logits = np.array(logits, np.float32)
        return _generate(self.kind, logits, self.table, self.Wx, self.bx, self.Wh, self.bh, self.head_W, self.head_b,
                         h, c, np.ascontiguousarray(noise, np.float32), np.float32(inv_tau), bool(greedy),
                         int(top_k or 0)).tolist()

    def forced_logits(self, ids: list[int], state: ModelState) -> np.ndarray:
        """Logits (len(ids), V) after reading each of `ids` in turn from `state`: what tests compare with step()."""
        h, c = self.arrays_from_state(state)
        G = self.Wh.shape[2]
        xw, hw, s = np.empty(G, np.float32), np.empty(G, np.float32), np.empty(G, np.float32)
        out = np.empty((len(ids), len(self.head_b)), np.float32)
        for t, idx in enumerate(ids):
            _step(self.kind, idx, self.table, self.Wx, self.bx, self.Wh, self.bh, self.head_W, self.head_b,
                  h, c, xw, hw, s, out[t])
        return out


_folded: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def cpu_generator(model: CharLM) -> CpuGenerator:
    """The model's CpuGenerator, built once and reused while its weights are unchanged (a shared model is
    frozen; a model a learner is training changes version at every optimiser step and is folded again)."""
    try:
        key = tuple((p.data_ptr(), p._version) for p in model.parameters())
    except RuntimeError:  # weights made under inference_mode have no version counter: never cache those
        key = None
    hit = _folded.get(model)
    if key is not None and hit is not None and hit[0] == key:
        return hit[1]
    with torch.inference_mode():
        generator = CpuGenerator(model)
    if key is not None:
        _folded[model] = (key, generator)
    return generator
