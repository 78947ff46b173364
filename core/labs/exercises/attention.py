"""Module 7: dot-product attention over a set of encoder states, one query at a time."""

from __future__ import annotations

import numpy as np

from core.labs.exercises.base import Lab, Predict, compare, first_problem, rand, softmax, source, unpack
from core.labs.grader import Test


def compute_attention(query, keys, values):
    """Dot-product attention for one query.

    query: (d,)  keys: (n, d)  values: (n, d_v)  ->  (context (d_v,), weights (n,))
    """
    scores = keys @ query  # (n,) one similarity per key
    weights = np.exp(scores - scores.max())
    weights /= weights.sum()  # softmax: non-negative, sums to 1
    context = weights @ values  # (d_v,) weighted average of the values
    return context, weights


def _tests(seed: int) -> list[Test]:
    rng = np.random.default_rng(seed)
    worked = (np.array([0.5, 0.3]), np.array([[0.4, 0.2], [0.1, 0.8], [0.6, 0.1]]), np.eye(3))
    cases = []
    for label, (q, K, V) in [
        ("returns (context, weights) with shapes (d_v,) and (n,)", (rand(rng, 4), rand(rng, 6, 4), rand(rng, 6, 3))),
        ("the worked example from the lesson", worked),
        ("weights sum to 1 and match softmax(keys @ query)", (rand(rng, 8), rand(rng, 10, 8), rand(rng, 10, 5))),
        ("one key: all the weight goes to it", (rand(rng, 3), rand(rng, 1, 3), rand(rng, 1, 4))),
        ("identical keys share the weight equally", (rand(rng, 3), np.tile(rand(rng, 1, 3), (5, 1)), rand(rng, 5, 2))),
        ("large scores do not overflow", (rand(rng, 4) * 40, rand(rng, 7, 4) * 40, rand(rng, 7, 6))),
    ]:
        context, weights = compute_attention(q, K, V)
        scores = K @ q
        weight_alts = [(scores, "those are the raw scores; apply softmax so the weights are positive and sum to 1"),
                       (softmax(scores / np.sqrt(len(q))), "the scores were divided by sqrt(d); this lab uses "
                                                          "plain dot products (the transformer adds that scaling)")]
        context_alts = [(weights @ K, "that averages the keys; the context is the weighted average of the values"),
                        (scores @ V, "the values were weighted by raw scores instead of the softmax weights")]

        def check(v, context=context, weights=weights, wa=weight_alts, ca=context_alts):
            parts, problem = unpack("attention", v, ("context", "weights"))
            if problem:
                return problem
            return first_problem(compare("weights", parts[1], weights, alternatives=wa,
                                         nan_hint="subtract the largest score before np.exp"),
                                 compare("context", parts[0], context, alternatives=ca))

        cases.append(Test(label, (q, K, V), check, expect=(context, weights)))
    return cases


ATTENTION = Lab(
    id="compute_attention",
    title="Code lab: implement attention",
    entry="compute_attention",
    params=("query", "keys", "values"),
    prompt=(
        "A decoder state (the **query**, shape `(d,)`) looks at n encoder states. Score each **key** (a row of "
        "`keys`, shape `(n, d)`) by its dot product with the query, turn the scores into weights with softmax, and "
        "return the weighted average of the **values** (`(n, d_v)`). Return the tuple `(context, weights)` with "
        "shapes `(d_v,)` and `(n,)`. This lab uses plain dot products, without dividing by √d."
    ),
    starter='''import numpy as np


def compute_attention(query, keys, values):
    """Dot-product attention for one query.

    query: (d,)  keys: (n, d)  values: (n, d_v)
    Returns (context, weights) with shapes (d_v,) and (n,).
    """
    # 1. one score per key   2. softmax   3. weighted average of the values
    weights = np.ones(len(keys)) / len(keys)
    context = values.mean(axis=0)
    return context, weights
''',
    solution=source(compute_attention),
    hints=(
        "All n scores come out of one matrix-vector product between the keys and the query; check the shapes "
        "`(n, d)` and `(d,)`.",
        "The weights are the softmax of the scores. Keep it stable: subtract the largest score before `np.exp`.",
        "A weighted average of the rows of `values` is a vector-matrix product: `weights @ values` gives shape "
        "`(d_v,)`.",
    ),
    make_tests=lambda seed=0: _tests(seed),
    error_hints=tuple((word, "A matrix product got operands whose sizes do not line up: the keys are rows, so "
                             "keys @ query gives one score per key.") for word in ("matmul", "not aligned")),
    predict=Predict(
        question="Query [1, 0]; keys [[1, 0], [0, 1]]. Which key gets the larger attention weight?",
        options=("the first", "the second", "they get equal weight"),
        answer=0,
        feedback={
            1: "The dot product of [1, 0] with [0, 1] is 0, with [1, 0] it is 1: the matching key scores higher.",
            2: "The scores are 1 and 0, so softmax gives about 0.73 and 0.27, not equal weights.",
        },
    ),
)
