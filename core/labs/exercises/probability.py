"""From scores to probabilities (module 4 and module 9, lab 2): a stable softmax, the cross-entropy loss of a
character model, and sampling the next character with a temperature."""

from __future__ import annotations

import math

import numpy as np

from core.labs.codec import Rng
from core.labs.exercises.base import Lab, Predict, compare, compare_scalar, kind, rand, softmax, source
from core.labs.grader import Test

OVERFLOW_HINT = ("np.exp overflows (or every term underflows to 0) for extreme scores; subtract the largest score "
                 "first, which does not change the result")


# ---------------------------------------------------------------- references (shown as the solutions)

def stable_softmax(logits):
    """Turn scores into probabilities along the last axis, without overflow for large scores.

    logits: (V,) or (N, V)  ->  same shape, each row non-negative and summing to 1
    """
    shifted = logits - np.max(logits, axis=-1, keepdims=True)  # the largest score becomes 0
    e = np.exp(shifted)
    return e / np.sum(e, axis=-1, keepdims=True)


def cross_entropy_loss(logits, targets):
    """Mean negative log-probability of the target characters.

    logits: (T, V) raw scores for each of T positions  targets: (T,) integer indices  ->  float
    """
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))  # log-softmax, (T, V)
    picked = log_probs[np.arange(len(targets)), targets]  # (T,)
    return float(-picked.mean())


def sample_with_temperature(logits, temperature, rng):
    """Draw one index from softmax(logits / temperature); greedy (argmax) when temperature == 0.

    logits: (V,)  temperature: >= 0 (negative raises ValueError)  rng: np.random.Generator  ->  int
    """
    if temperature < 0:
        raise ValueError("temperature must be >= 0")
    if temperature == 0:
        return int(np.argmax(logits))
    z = logits / temperature
    p = np.exp(z - z.max())
    p /= p.sum()
    return int(rng.choice(len(p), p=p))


# ---------------------------------------------------------------- softmax

def _softmax_tests(seed: int) -> list[Test]:
    rng = np.random.default_rng(seed)
    cases = []
    for label, logits in [
        ("returns probabilities with the input's shape", rand(rng, 6)),
        ("each row sums to 1 and matches exp(z) / sum(exp(z))", rand(rng, 8, scale=2.0)),
        ("large scores (around 1000) do not overflow", np.array([1000.0, 1001.0, 1002.0, 990.0])),
        ("very negative scores do not underflow to 0 / 0", np.array([-1000.0, -1001.0, -1003.0])),
        ("a batch (N, V): every row is normalised on its own", rand(rng, 4, 5, scale=3.0)),
        ("equal scores give a uniform distribution", np.full(7, 3.5)),
    ]:
        expected = stable_softmax(logits)
        whole = "the whole array was normalised at once; use axis=-1 with keepdims=True so each row sums to 1"
        columns = "each column sums to 1; normalise along the last axis instead"
        with np.errstate(all="ignore"):
            e, e_row = np.exp(logits), np.exp(logits - logits.max(axis=-1, keepdims=True))  # unshifted / shifted
            alts = [(e / e.sum(), whole), (e_row / e_row.sum(), whole)]
            if logits.ndim == 2:
                alts += [(e / e.sum(axis=0, keepdims=True), columns), (e_row / e_row.sum(axis=0, keepdims=True), columns)]

        def check(v, expected=expected, alts=alts):
            return compare("probs", v, expected, alternatives=alts, nan_hint=OVERFLOW_HINT)

        cases.append(Test(label, (logits,), check, expect=expected))
    return cases


SOFTMAX = Lab(
    id="softmax",
    title="Code lab: a numerically stable softmax",
    entry="softmax",
    params=("logits",),
    prompt=(
        "Softmax turns raw scores into probabilities: $p_i = e^{z_i} / \\sum_j e^{z_j}$. Implement it along the "
        "**last axis**, so it works for one vector `(V,)` and for a batch `(N, V)` (each row separately). It must "
        "stay finite for scores in the thousands, where `np.exp` alone overflows."
    ),
    starter='''import numpy as np


def softmax(logits):
    """Probabilities along the last axis.

    logits: (V,) or (N, V). Returns an array of the same shape whose rows sum to 1.
    """
    e = np.exp(logits)
    return e / np.sum(e)
''',
    solution=source(stable_softmax).replace("def stable_softmax(", "def softmax("),
    hints=(
        "Try the starter on `np.array([1000.0, 1001.0])`: `np.exp(1000)` is infinity, and infinity divided by "
        "infinity is NaN.",
        "Adding the same constant to every score leaves softmax unchanged (it cancels between the top and the "
        "bottom of the fraction). Which constant makes every exponent at most 0?",
        "For a batch, take the maximum and the sum per row: `axis=-1, keepdims=True` keeps the shapes compatible "
        "for broadcasting.",
    ),
    make_tests=lambda seed=0: _softmax_tests(seed),
    predict=Predict(
        question="softmax([1000, 1001]) computed as exp(z) / sum(exp(z)) in float64 gives…",
        options=("[0.269, 0.731]", "[nan, nan]", "[0.5, 0.5]", "an OverflowError"),
        answer=1,
        feedback={
            0: "That is the true answer, but exp(1000) is larger than the biggest float64, so NumPy returns inf "
               "(with a warning) and inf / inf is NaN.",
            2: "The two scores differ by 1, so even the exact answer is not uniform, and the naive formula does "
               "not get that far: exp(1000) is already inf.",
            3: "NumPy does not raise here: it returns inf with a RuntimeWarning, and the division then gives NaN.",
        },
    ),
)


# ---------------------------------------------------------------- cross_entropy_loss

def _ce_tests(seed: int) -> list[Test]:
    rng = np.random.default_rng(seed)
    cases = []
    for label, T, V, scale, big in [("returns one number", 5, 4, 1.0, False),
                                    ("matches the mean of -log softmax(logits)[target]", 12, 10, 2.0, False),
                                    ("equal scores give log(V)", 6, 65, 0.0, False),
                                    ("a single position", 1, 5, 1.0, False),
                                    ("scores around 1000 stay finite (log-sum-exp)", 8, 6, 3.0, True)]:
        logits = rand(rng, T, V, scale=scale) + (1000.0 if big else 0.0 if scale else 2.5)
        targets = rng.integers(0, V, size=T)
        expected = cross_entropy_loss(logits, targets)
        p = softmax(logits)[np.arange(T), targets]
        alts = [(expected * T, "that is the sum over positions; average it instead"),
                (-expected, "the sign is flipped: the loss is the *negative* log-probability"),
                (expected / math.log(2), "that is in bits (log base 2); use the natural log, np.log"),
                (float(-p.mean()), "that averages probabilities; take the log of each probability first"),
                (float(-logits[np.arange(T), targets].mean()), "those are raw scores; turn them into "
                                                                "log-probabilities (log-softmax) first")]

        def check(v, expected=expected, alts=alts):
            return compare_scalar("the loss", v, expected, tol=1e-6, alternatives=alts,
                                  array_hint="average the per-position losses into one number")

        cases.append(Test(label, (logits, targets), check, expect=expected))
    return cases


CROSS_ENTROPY = Lab(
    id="cross_entropy_loss",
    title="Code lab: cross-entropy loss",
    entry="cross_entropy_loss",
    params=("logits", "targets"),
    prompt=(
        "A character model outputs a row of scores (logits) for each of T positions, shape `(T, V)`. "
        "`targets[t]` is the index of the character that really came next. The loss is the average over "
        "positions of $-\\log p_t[\\text{target}_t]$, where $p_t$ is the softmax of row t. Return one Python "
        "float (natural log). It must stay finite for scores around 1000."
    ),
    starter='''import numpy as np


def cross_entropy_loss(logits, targets):
    """Mean negative log-probability of the targets.

    logits: (T, V)  targets: (T,) integers in [0, V). Returns a float.
    """
    T = logits.shape[0]
    loss = 0.0
    return loss
''',
    solution=source(cross_entropy_loss),
    hints=(
        "You need one probability per position: the one the model gave to the correct character. "
        "`array[np.arange(T), targets]` picks one entry per row.",
        "log(softmax(z))_i simplifies to z_i - log(sum_j exp(z_j)). Computing it that way, after subtracting each "
        "row's maximum, never takes the log of 0 or the exp of a huge number.",
        "A model that spreads its bets evenly over V characters should score log(V), about 4.17 for V = 65. Check "
        "that your function agrees before worrying about the other cases.",
    ),
    make_tests=lambda seed=0: _ce_tests(seed),
    predict=Predict(
        question="A model gives probability 0.5 to the right character at each of 3 positions. The mean "
                 "cross-entropy (natural log) is about…",
        options=("0.5", "0.69", "2.08", "-0.69"),
        answer=1,
        feedback={
            0: "The loss is not the probability itself but its negative log: -log(0.5) ≈ 0.69.",
            2: "2.08 is the sum over the three positions; the lab asks for the mean.",
            3: "log(0.5) is negative, and the loss takes its negative, so the loss is positive.",
        },
    ),
)


# ---------------------------------------------------------------- sample_with_temperature

DRAWS = 4000  # a total-variation check at 0.04 then tells nearby temperatures apart; the reference takes ~0.1 s
TV_LIMIT = 0.04


def _sample_tests(seed: int) -> list[Test]:
    rng = np.random.default_rng(seed)
    logits = rand(rng, 5, scale=1.2)
    big = np.array([1000.0, 999.0, 998.5, 990.0])

    def distribution(logits, temperature):
        expected = softmax(logits / temperature)
        wrong = [(softmax(logits * temperature), "the scores were multiplied by the temperature; divide instead"),
                 (softmax(logits), "the temperature has no effect: divide the scores by it before softmax")]

        def check(v):
            draws, problem = _indices(v, len(logits))
            if problem:
                return problem
            freq = np.bincount(draws, minlength=len(logits)) / len(draws)
            if np.all(draws == np.argmax(logits)):
                return "every draw was the most likely index: sample from the probabilities, e.g. rng.choice"
            if _tv(freq, expected) <= TV_LIMIT:
                return None
            alt, why = min(wrong, key=lambda w: _tv(freq, w[0]))  # name only the closest wrong distribution
            if _tv(freq, alt) <= TV_LIMIT and _tv(alt, expected) > 0.1:
                return why
            return (f"over {len(draws)} draws the frequencies were {np.round(freq, 3).tolist()}; expected about "
                    f"{np.round(expected, 3).tolist()}")

        return check

    def greedy(v):
        draws, problem = _indices(v, len(logits))
        if problem:
            return problem
        best = int(np.argmax(logits))
        return None if np.all(draws == best) else (
            f"with temperature 0 every draw must be the argmax ({best}); got {sorted(set(draws.tolist()))}")

    def one_index(v):
        draws, problem = _indices([v], len(logits))
        return problem

    return [
        Test("returns one integer index in [0, V)", (logits, 1.0, Rng(seed)), one_index, expect=0),
        Test("temperature 1 follows softmax(logits)", (logits, 1.0, Rng(seed + 1)), distribution(logits, 1.0),
             repeat=DRAWS, cpu_s=2.0, wall_s=6.0, expect=0),
        Test("temperature 0.5 sharpens the distribution", (logits, 0.5, Rng(seed + 2)), distribution(logits, 0.5),
             repeat=DRAWS, cpu_s=2.0, wall_s=6.0, expect=0),
        Test("temperature 3 flattens it", (logits, 3.0, Rng(seed + 3)), distribution(logits, 3.0),
             repeat=DRAWS, cpu_s=2.0, wall_s=6.0, expect=0),
        Test("temperature 0 is greedy: always the argmax", (logits, 0.0, Rng(seed + 4)), greedy, repeat=20, expect=0),
        Test("scores around 1000 do not overflow", (big, 1.0, Rng(seed + 5)), distribution(big, 1.0),
             repeat=DRAWS, cpu_s=2.0, wall_s=6.0, expect=0),
        Test("a negative temperature raises ValueError", (logits, -1.0, Rng(seed + 6)), raises="ValueError"),
    ]


def _indices(values, V: int) -> tuple[np.ndarray, str | None]:
    out = []
    for v in values if isinstance(values, list) else [values]:
        if isinstance(v, np.ndarray) and v.size == 1 and v.dtype.kind in "iu":
            v = int(v.reshape(()))
        if isinstance(v, bool) or not isinstance(v, int):
            return np.zeros(0, int), f"each draw should be one integer index, but the function returned {kind(v)}"
        if not 0 <= v < V:
            return np.zeros(0, int), f"the function returned index {v}, outside [0, {V})"
        out.append(v)
    return np.array(out), None


def _tv(p: np.ndarray, q: np.ndarray) -> float:
    """Total variation distance between two distributions."""
    return float(0.5 * np.abs(np.asarray(p) - np.asarray(q)).sum())


SAMPLING = Lab(
    id="sample_with_temperature",
    title="Code lab: sampling with temperature",
    entry="sample_with_temperature",
    params=("logits", "temperature", "rng"),
    prompt=(
        "Pick the next character from the model's scores. Divide the scores by the temperature, turn them into "
        "probabilities with softmax, and draw **one** index using the random generator `rng` (a "
        "`np.random.Generator`). Rules for this lab: a temperature of exactly 0 means greedy decoding (return the "
        "index of the largest score); a negative temperature raises `ValueError`. Scores can be around 1000."
    ),
    starter='''import numpy as np


def sample_with_temperature(logits, temperature, rng):
    """Draw one index from softmax(logits / temperature).

    logits: (V,)  temperature: float >= 0  rng: np.random.Generator
    Returns an int. temperature == 0 means argmax; temperature < 0 raises ValueError.
    """
    probs = np.exp(logits) / np.sum(np.exp(logits))
    return int(np.argmax(probs))
''',
    solution=source(sample_with_temperature),
    hints=(
        "Handle the two special temperatures first (negative, then exactly 0) so the division below never sees "
        "them.",
        "Low temperatures make the differences between scores larger before softmax; high ones shrink them. "
        "Dividing by T does exactly that. Then reuse your stable softmax.",
        "`rng.choice(V, p=probs)` draws one index with the given probabilities; `int(...)` turns NumPy's integer "
        "into a plain Python int.",
    ),
    make_tests=lambda seed=0: _sample_tests(seed),
    predict=Predict(
        question="As the temperature goes towards 0 (but stays positive), the samples…",
        options=("become uniformly random", "always pick the highest-scoring index", "stop depending on the "
                 "scores", "raise an error"),
        answer=1,
        feedback={
            0: "That happens at very *high* temperatures: dividing by a large T squeezes all scores together.",
            2: "They depend on the scores more and more: dividing by a tiny T blows up the gaps between them.",
            3: "Dividing by a small positive number is fine; only T = 0 itself needs a rule (this lab: greedy).",
        },
    ),
)
