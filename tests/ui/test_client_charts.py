"""Client-side charts show the same numbers as the server-side reference: each chart's Vega expressions are run on a
grid of slider values by tests/ui/vega_eval.py and compared with the core function the chart mirrors."""

from __future__ import annotations

import itertools
import json
import math
import shutil
import subprocess

import numpy as np
import pytest

from core.course import cheatsheets
from core.lessons import analysis, attention_calc, hello, vanishing
from core.ui import reference
from core.ui.lessons import attention, charlm_demos, lstm_lesson
from tests.ui import vega_eval

REL = 1e-12  # JavaScript and Python differ at most in the last bits of exp/log/pow


def js(x: float, spec: str) -> str:
    """How the browser writes x with this d3-format specifier (a tie rounds up, a minus is U+2212)."""
    return vega_eval.d3_format(x, spec)


def close(a: float, b: float, rel: float = REL, abs_: float = 1e-15) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


def taus(lo: float, hi: float, step: float) -> list[float]:
    """The values an HTML range input with this min/max/step can send (as parseFloat reads them)."""
    n = round((hi - lo) / step)
    return [float(f"{lo + k * step:.10g}") for k in range(n + 1)]


def layer_rows(spec: dict, params: dict, layer: int) -> list[dict]:
    return vega_eval.run(spec, params, layer=layer)


def test_every_expression_parses_and_uses_only_known_functions():
    for spec in all_specs():
        for expr in vega_eval.expressions(spec):
            vega_eval.compile_expr(expr)


def test_evaluator_follows_javascript_number_rules():
    assert vega_eval.evaluate("exp(1000)", {}) == math.inf
    assert vega_eval.evaluate("log(0)", {}) == -math.inf
    assert vega_eval.evaluate("1 / 0", {}) == math.inf
    assert vega_eval.evaluate("'a' + format(0.5, '.1%')", {}) == "a50.0%"
    assert vega_eval.evaluate("format(-0.25, '.2f')", {}) == "−0.25"
    assert vega_eval.evaluate("format(0.000000954, '.3e')", {}) == "9.540e-7"
    assert vega_eval.evaluate("t > 1 ? 2 : 3", {"t": 2}) == 2
    assert vega_eval.d3_format(-1e-17, "+.1%") == "−0.0%"  # seen in Chromium: τ = 1 reshaped by float noise
    assert vega_eval.d3_format(-1e-17, ".1f") == "0.0" and vega_eval.d3_format(0.0, "+.1%") == "+0.0%"
    assert vega_eval.d3_format(0.125, ".2f") == "0.13"  # toFixed rounds a tie up; Python's format to even


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_number_writing_matches_javascript():
    """d3-format writes numbers with toFixed / toExponential / toPrecision: check our stand-in against node's."""
    rng = np.random.default_rng(7)
    xs = [float(x) for x in np.concatenate([rng.normal(0, 3, 300), 10.0 ** rng.uniform(-9, 9, 300),
                                            np.round(rng.uniform(0, 10, 200), 3) + 0.0005, [0.125, 2.5, 7.8125]])]
    cases = [(x, d, kind) for x in xs for d, kind in ((2, "f"), (4, "f"), (3, "e"), (3, "g"))]
    script = ("const c = JSON.parse(require('fs').readFileSync(0, 'utf8')); console.log(JSON.stringify(c.map("
              "([x, d, k]) => k === 'f' ? Math.abs(x).toFixed(d) : k === 'e' ? Math.abs(x).toExponential(d) : "
              "Math.abs(x).toPrecision(d))))")
    out = subprocess.run(["node", "-e", script], input=json.dumps(cases), capture_output=True, text=True, timeout=60)
    want = json.loads(out.stdout)
    got = [vega_eval.d3_format(abs(x), f".{d}{kind}") for x, d, kind in cases]
    assert got == want


# ---------------------------------------------------------------- cheat sheet: temperature guide
def test_cheat_sheet_temperature_chart_matches_softmax_with_temperature():
    content = cheatsheets.load()
    spec = reference.temperature_spec(content.example_labels, content.example_logits)
    bind = vega_eval.bindings(spec)["tau"]
    grid = taus(bind["min"], bind["max"], bind["step"])
    assert len(grid) == 100 and vega_eval.param_defaults(spec)["tau"] == 1.0
    for tau in grid:
        rows = layer_rows(spec, {"tau": tau}, 0)
        want = cheatsheets.softmax_with_temperature(content.example_logits, tau)
        got = {r["label"]: r["p"] for r in rows}
        assert all(close(got[c], p) for c, p in zip(content.example_labels, want, strict=True)), tau
        labels = {r["label"]: r["shown"] for r in layer_rows(spec, {"tau": tau}, 1)}
        assert labels == {c: js(p, '.3f') for c, p in zip(content.example_labels, want, strict=True)}
        [line] = layer_rows(spec, {"tau": tau}, 2)
        assert line["_text"] == f"τ = {js(tau, '.2f')} · entropy {js(cheatsheets.entropy_bits(want), '.3f')} bits"


# ---------------------------------------------------------------- m04: temperature playground distribution
def model_like_distribution(seed: int = 0, vocab: int = 65) -> list[tuple[str, float]]:
    """A peaked distribution over a char vocabulary, most likely first, with a character of probability 0."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 3, vocab)
    p = np.exp(logits - logits.max())
    p /= p.sum()
    p[-1] = 0.0
    chars = [chr(32 + i) for i in range(vocab - 1)] + ["\n"]
    return sorted(((c, float(v)) for c, v in zip(chars, p, strict=True)), key=lambda cp: -cp[1])


@pytest.mark.parametrize("seed", [0, 1])
def test_m04_distribution_chart_matches_with_temperature(seed):
    dist = model_like_distribution(seed)
    spec = charlm_demos.distribution_spec(dist, 1.0)
    bind = vega_eval.bindings(spec)["tau"]
    for tau in taus(bind["min"], bind["max"], bind["step"]):
        want = hello.with_temperature([p for _, p in dist], tau)
        bars = layer_rows(spec, {"tau": tau}, 0)
        assert len(bars) == 2 * charlm_demos.TOP
        by = {(r["char"], r["temperature"]): r["probability"] for r in bars}
        for r, (ch, p) in enumerate(dist[:charlm_demos.TOP]):
            shown = charlm_demos._show(ch)
            assert by[(shown, "τ = 1")] == p
            assert close(by[(shown, "your τ")], want[r]), (tau, ch)
        [line] = layer_rows(spec, {"tau": tau}, 1)
        d = max(want) - dist[0][1]
        delta = "±0.0%" if abs(d) < 0.0005 else js(d, "+.1%")
        assert line["_text"] == f"top character at τ = {js(tau, '.1f')}: {js(max(want), '.1%')} ({delta} vs τ = 1)"


def test_m04_distribution_chart_starts_at_the_linked_temperature():
    spec = charlm_demos.distribution_spec(model_like_distribution(), 0.7)
    assert vega_eval.param_defaults(spec) == {"tau": 0.7}


# ---------------------------------------------------------------- m04: cross-entropy and perplexity calculators
def test_m04_cross_entropy_calculator_matches_hello():
    spec = charlm_demos.cross_entropy_spec()
    bind = vega_eval.bindings(spec)["p_true"]
    assert vega_eval.param_defaults(spec) == {"p_true": 0.25}
    for p in taus(bind["min"], bind["max"], bind["step"]):
        nats = hello.cross_entropy(p)
        [point] = layer_rows(spec, {"p_true": p}, 1)
        assert close(point["loss"], nats)
        [first] = layer_rows(spec, {"p_true": p}, 2)
        [second] = layer_rows(spec, {"p_true": p}, 3)
        assert first["_text"] == (f"p = {js(p, '.3f')}: loss = {js(nats, '.4f')} nats = "
                                  f"{js(hello.bits(nats), '.4f')} bits")
        assert second["_text"] == f"perplexity if every character scored so: {js(hello.perplexity(nats), '.3f')}"
    curve = layer_rows(spec, {}, 0)
    assert len(curve) == 1000 and all(close(r["loss"], hello.cross_entropy(r["p"])) for r in curve)


def test_m04_perplexity_calculator_matches_hello():
    spec = charlm_demos.perplexity_spec()
    bind = vega_eval.bindings(spec)["avg_loss"]
    for loss in taus(bind["min"], bind["max"], bind["step"]):
        [point] = layer_rows(spec, {"avg_loss": loss}, 1)
        assert close(point["ppl"], hello.perplexity(loss))
        first, second = (layer_rows(spec, {"avg_loss": loss}, k)[0]["_text"] for k in (2, 3))
        assert first == f"bits per character = {js(loss, '.2f')} / ln 2 = {js(hello.bits(loss), '.4f')}"
        assert second == f"perplexity = e^{js(loss, '.2f')} = {js(hello.perplexity(loss), '.3f')}"


# ---------------------------------------------------------------- m03: w^n and the gate playground
def test_m03_power_chart_matches_the_power_table():
    spec = lstm_lesson.power_spec()
    assert vega_eval.param_defaults(spec) == {"w": 0.9, "n": 20}
    binds = vega_eval.bindings(spec)
    for w in taus(binds["w"]["min"], binds["w"]["max"], binds["w"]["step"]):
        for n in (1, 7, 20, 100):
            rows = layer_rows(spec, {"w": w, "n": n}, 0)
            assert [r["t"] for r in rows] == list(range(n + 1))
            assert all(close(r["product"], w ** r["t"]) for r in rows)
            [line] = layer_rows(spec, {"w": w, "n": n}, 2)
            verdict = "vanishes" if w < 1 else "explodes" if w > 1 else "survives"
            shown = vega_eval.d3_format(w ** n, ".3g")
            assert line["_text"] == f"w^n = {js(w, '.2f')}^{n} = {shown}: {verdict}"
            assert close(float(shown.replace("e+", "e")), float(f"{w ** n:.3g}"), rel=1e-9)
    table = {row["factor per step"]: row["after 20 steps"] for row in vanishing.power_table()}
    for f, after in table.items():  # the table's three rows, read off the chart at n = 20
        rows = layer_rows(spec, {"w": f, "n": 20}, 0)
        assert f"{rows[-1]['product']:.3g}" == after


GATE_GRID = [(f, i, o, g, once)
             for f in taus(0.0, 1.0, 0.01) for i, g in ((0.5, 0.8), (1.0, 0.5), (0.01, -1.0))
             for o in (1.0, 0.37) for once in (False, True)]


def test_m03_gate_chart_matches_gate_playground():
    spec = lstm_lesson.gate_spec()
    assert vega_eval.param_defaults(spec) == {"f_gate": 0.9, "i_gate": 0.5, "o_gate": 1.0, "g_cand": 0.8,
                                              "once": False}
    for f, i, o, g, once in GATE_GRID:
        params = {"f_gate": f, "i_gate": i, "o_gate": o, "g_cand": g, "once": once}
        run = analysis.gate_playground(f, i, o, g, steps=lstm_lesson.GATE_STEPS, write_steps=1 if once else None)
        rows = layer_rows(spec, params, 0)
        c = [r["value"] for r in rows if r["which"] == "c"]
        h = [r["value"] for r in rows if r["which"] == "h"]
        assert all(math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-13) for a, b in zip(c, run.c, strict=True)), params
        assert all(math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-13) for a, b in zip(h, run.h, strict=True)), params
        [line] = layer_rows(spec, params, 1)
        assert line["_text"] == f"c₄₀ = {js(run.c[-1], '.4f')} · h₄₀ = {js(run.h[-1], '.4f')}", params


def test_m03_gate_chart_holds_memory_with_open_forget_gate():
    spec = lstm_lesson.gate_spec()
    [line] = layer_rows(spec, {"f_gate": 1.0, "i_gate": 1.0, "g_cand": 0.5, "once": True}, 1)
    assert line["_text"].startswith("c₄₀ = 0.5000")
    [line] = layer_rows(spec, {"f_gate": 0.5, "i_gate": 1.0, "g_cand": 0.5, "once": True}, 1)
    assert line["_text"].startswith("c₄₀ = 0.0000")


# ---------------------------------------------------------------- m07: attention weight calculator
TABLES = [(attention_calc.EXAMPLE_KEYS, attention_calc.EXAMPLE_VALUES),
          ([[1.0, 0.0], [1.0, 0.0], [-2.0, 3.5], [0.0, 0.0], [9.0, -9.0]],
           [[1.0, 2.0], [0.0, -1.0], [3.0, 3.0], [0.5, 0.5], [-4.0, 0.0]])]


@pytest.mark.parametrize("keys, values", TABLES)
def test_m07_calculator_chart_matches_attend(keys, values):
    spec = attention.calculator_spec(tuple(map(tuple, keys)), tuple(map(tuple, values)))
    assert vega_eval.param_defaults(spec) == {"q1": 0.5, "q2": 0.3, "scaled": False}
    names = [f"position {i + 1}" for i in range(len(keys))]
    qs = taus(-10.0, 10.0, 0.1)
    for q1, q2, scaled in itertools.product(qs[::13], qs[::11], (False, True)):
        params = {"q1": q1, "q2": q2, "scaled": scaled}
        ref = attention_calc.attend([q1, q2], keys, values, scaled=scaled)
        bars = {r["key"]: r for r in layer_rows(spec, params, 0)}
        for k, name in enumerate(names):
            assert close(bars[name]["score"], ref.scores[k], rel=1e-12, abs_=1e-12)
            assert close(bars[name]["scaled"], ref.scaled[k], rel=1e-12, abs_=1e-12)
            assert close(bars[name]["w"], ref.weights[k], rel=1e-9, abs_=1e-15), params
        texts = [{r["key"]: r["_text"] for r in layer_rows(spec, params, layer)} for layer in (2, 3, 4)]
        for k, name in enumerate(names):
            assert texts[0][name] == f"q·k {js(ref.scores[k], '.3f')}"
            assert texts[1][name] == (f"÷√2 {js(ref.scaled[k], '.3f')}" if scaled else "(not ÷√2)")
            assert texts[2][name] == f"w {js(ref.weights[k], '.4f')}"
        [context] = layer_rows(spec, params, 5)
        [spread] = layer_rows(spec, params, 6)
        assert close(context["c1"], ref.context[0], rel=1e-9, abs_=1e-12)
        assert close(context["c2"], ref.context[1], rel=1e-9, abs_=1e-12)
        assert close(spread["entropy"], attention_calc.entropy_bits(ref.weights), rel=1e-9, abs_=1e-12)
        assert context["_text"] == f"context c = ({js(ref.context[0], '.4f')}, {js(ref.context[1], '.4f')})"
        entropy, even = attention_calc.entropy_bits(ref.weights), attention_calc.max_entropy_bits(len(keys))
        assert spread["_text"] == f"spread of the weights: {js(entropy, '.3f')} bits (even: {even:.3f})"


def all_specs() -> list[dict]:
    content = cheatsheets.load()
    return [reference.temperature_spec(content.example_labels, content.example_logits),
            charlm_demos.distribution_spec(model_like_distribution()), charlm_demos.cross_entropy_spec(),
            charlm_demos.perplexity_spec(), lstm_lesson.power_spec(), lstm_lesson.gate_spec(),
            attention.calculator_spec(*(tuple(map(tuple, t)) for t in TABLES[0]))]

