"""Module 2's what-if explorer computed in the browser shows worked.trajectory's numbers: the chart's Vega
expressions (the unrolled recurrence) run in tests/ui/vega_eval.py on a grid of slider values, for each W_hh."""

from __future__ import annotations

import functools
import itertools
import math

import pytest

from core.lessons import worked
from core.ui.lessons import rnn_lesson
from tests.ui import vega_eval
from tests.ui.test_client_charts import js, taus

H, T = rnn_lesson.WHATIF_HIDDEN, rnn_lesson.WHATIF_STEPS


def reference(scheme: str, scale: float, input_steps: int) -> worked.Trajectory:
    return worked.trajectory(worked.recurrent_matrix(scheme, H, scale), steps=T, input_steps=input_steps)


@pytest.fixture(autouse=True)
def compile_once(monkeypatch):
    """The chart has some 300 expressions: parse each once per test, not once per grid point."""
    monkeypatch.setattr(vega_eval, "compile_expr", functools.lru_cache(maxsize=None)(vega_eval.compile_expr))


def layers(spec: dict, params: dict) -> list[list[dict]]:
    """The rows each layer ends with; the shared one-row recurrence runs once."""
    top = vega_eval.run({k: v for k, v in spec.items() if k != "layer"}, params, root=spec)
    return [vega_eval.run(sub, params, root=spec, rows=[dict(r) for r in top]) for sub in spec["layer"]]


def layer(spec: dict, params: dict, k: int) -> list[dict]:
    return layers(spec, params)[k]


def test_the_draws_are_worked_trajectorys():
    xw, g = rnn_lesson.whatif_draws()
    tr = worked.trajectory(worked.recurrent_matrix("zero", H, 1.0), steps=T, input_steps=rnn_lesson.WHATIF_MAX_INPUT)
    for t in range(rnn_lesson.WHATIF_MAX_INPUT):  # with W_hh = 0, h_t = tanh(W_xh x_t)
        assert [math.tanh(v) for v in xw[t]] == pytest.approx(tr.h[t], rel=1e-15, abs=1e-300)
    w = worked.recurrent_matrix("random", H, 1.7).tolist()
    assert [[1.7 * v / rnn_lesson.ROOT_HIDDEN for v in row] for row in g] == w


GRID = [(scheme, scale, steps) for scheme in worked.SCHEMES
        for scale, steps in itertools.product(taus(0.0, 5.0, 0.1)[::3 if scheme != "random" else 5], (1, 3, 10))
        if scheme != "zero" or scale == 0.0]


@pytest.mark.parametrize("scheme", worked.SCHEMES)
def test_whatif_chart_matches_worked_trajectory(scheme):
    spec = rnn_lesson.whatif_spec(scheme)
    binds = vega_eval.bindings(spec)
    assert set(binds) == ({"input_steps"} if scheme == "zero" else {"scale", "input_steps"})
    assert binds["input_steps"]["max"] == rnn_lesson.WHATIF_MAX_INPUT
    for _, scale, steps in [g for g in GRID if g[0] == scheme]:
        params = {"scale": scale, "input_steps": steps}
        ref = reference(scheme, scale if scheme != "zero" else 1.0, steps)
        lines, dots, [rule], [norm], [sat] = layers(spec, params)
        assert [(r["t"], r["unit"]) for r in lines] == [(t + 1, f"unit {u + 1}") for t in range(T) for u in range(H)]
        got = [[r["h"] for r in lines[t * H:(t + 1) * H]] for t in range(T)]
        for t in range(T):
            # tanh written with exp: equal to torch.tanh to ~1e-16 per step, and the error cannot grow much
            # where units saturate; 1e-9 is far below the 3 decimals the chart shows
            assert got[t] == pytest.approx(ref.h[t], abs=1e-9), (params, t)
        assert {(r["t"], r["unit"]) for r in dots} == {(t + 1, f"unit {u + 1}") for t in range(T) for u in range(H)
                                                       if abs(ref.h[t][u]) > rnn_lesson.SATURATED}, params
        assert rule["t"] == steps + 0.5
        assert norm["norm"] == pytest.approx(ref.norm[-1], abs=1e-9)
        assert norm["_text"] == f"‖h₃₀‖ after the input stopped: {js(ref.norm[-1], '.3f')}" + (
            " (the memory is gone)" if ref.norm[-1] == 0 else "")
        assert sat[f"sat{T - 1}"] == ref.saturated[-1]
        assert sat["_text"] == (f"saturated (|h| > 0.95, dots) at step 30: {round(ref.saturated[-1] * H)} of {H} "
                                f"units")


def test_zero_matrix_forgets_at_once_and_large_identity_saturates():
    zero = rnn_lesson.whatif_spec("zero")
    [norm] = layer(zero, {"input_steps": 3}, 3)
    assert norm["_text"] == "‖h₃₀‖ after the input stopped: 0.000 (the memory is gone)"
    ident = rnn_lesson.whatif_spec("identity")
    [sat] = layer(ident, {"scale": 3.0, "input_steps": 3}, 4)
    assert sat["_text"].endswith(f"{H} of {H} units")


def test_every_expression_parses():
    for scheme in worked.SCHEMES:
        for expr in vega_eval.expressions(rnn_lesson.whatif_spec(scheme)):
            vega_eval.compile_expr(expr)
