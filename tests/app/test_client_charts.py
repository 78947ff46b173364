"""The client-side charts as the pages ship them: each page's spec (read from AppTest) computes, on the same grid
evaluator as tests/ui/test_client_charts.py, what the core function says, and the sliders it replaced are gone
(moving them costs no rerun)."""

import json

from streamlit import dataframe_util

from core.course import cheatsheets
from core.lessons import analysis, attention_calc, hello
from tests.app.conftest import open_page
from tests.ui import vega_eval


def client_specs(at) -> list[dict]:
    """Every chart on the page whose inputs are bound parameters (its sliders live in the browser). AppTest has no
    accessor for Vega-Lite charts: they are the tree's unknown elements of type vega_lite_chart."""
    found: list[dict] = []

    def walk(node) -> None:
        if getattr(node, "type", None) in ("vega_lite_chart", "arrow_vega_lite_chart"):
            spec = with_data(node.proto)
            if vega_eval.bindings(spec):
                found.append(spec)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return found


def _records(arrow: bytes) -> list[dict]:
    return dataframe_util.convert_arrow_bytes_to_pandas_df(arrow).to_dict("records")


def with_data(proto) -> dict:
    """The spec as the browser assembles it: Streamlit ships inline data apart from the spec, as Arrow tables (the
    top-level data in `data`, named data sets in `datasets`)."""
    spec = json.loads(proto.spec)
    if proto.HasField("data"):
        spec["data"] = {"values": _records(proto.data.data)}
    for ds in proto.datasets:
        spec.setdefault("datasets", {})[ds.name] = _records(ds.data.data)
    return spec


def with_param(specs: list[dict], name: str) -> dict:
    [spec] = [s for s in specs if name in vega_eval.bindings(s)]
    return spec


def test_m04_ships_its_temperature_and_loss_charts_to_the_browser(learner):
    at = open_page("pages/m04_char_lm.py", learner[1], tau="0.5")
    assert not at.exception, at.exception
    specs = client_specs(at)
    assert not [s for s in at.slider if s.key == "m04-tau"]
    assert not [n for n in at.number_input if n.key in ("m04-calc-p", "m04-calc-loss")]
    dist = with_param(specs, "tau")
    assert vega_eval.param_defaults(dist)["tau"] == 0.5  # the link's τ is where the slider starts
    rows = vega_eval.run(dist, {"tau": 0.3}, layer=0)
    probs = {r["char"]: r["probability"] for r in rows if r["temperature"] == "τ = 1"}
    sharpened = {r["char"]: r["probability"] for r in rows if r["temperature"] == "your τ"}
    top = max(probs, key=probs.get)
    assert sharpened[top] > probs[top]  # τ < 1 sharpens
    [line] = vega_eval.run(with_param(specs, "p_true"), {"p_true": 0.5}, layer=2)
    assert "1.0000 bits" in line["_text"]
    [line] = vega_eval.run(with_param(specs, "avg_loss"), {"avg_loss": 2.0}, layer=3)
    assert line["_text"].endswith(f"= {hello.perplexity(2.0):.3f}") and "7.389" in line["_text"]


def test_m03_gate_playground_and_power_chart_run_in_the_browser(learner):
    at = open_page("pages/m03_lstm.py", learner[1])
    assert not at.exception, at.exception
    assert not [s for s in at.slider if s.key in ("m03-f", "m03-i", "m03-o", "m03-g")]
    specs = client_specs(at)
    gates = with_param(specs, "f_gate")
    params = {"f_gate": 1.0, "i_gate": 1.0, "g_cand": 0.5, "once": True}
    [line] = vega_eval.run(gates, params, layer=1)
    assert line["_text"].startswith("c₄₀ = 0.5000")
    run = analysis.gate_playground(0.5, 1.0, 1.0, 0.5, steps=40, write_steps=1)
    [line] = vega_eval.run(gates, {**params, "f_gate": 0.5}, layer=1)
    assert run.c[-1] < 1e-6 and line["_text"].startswith("c₄₀ = 0.0000")
    power = with_param(specs, "w")
    assert vega_eval.run(power, {"w": 2.0, "n": 20}, layer=0)[-1]["product"] == 2.0 ** 20


def test_m07_calculator_recomputes_from_the_query_in_the_browser(learner):
    at = open_page("pages/m07_attention.py", learner[1])
    assert not at.exception, at.exception
    calc = with_param(client_specs(at), "q1")
    keys, values = attention_calc.EXAMPLE_KEYS, attention_calc.EXAMPLE_VALUES
    for q1, scaled in ((0.5, False), (5.0, False), (5.0, True)):
        ref = attention_calc.attend([q1, 0.3], keys, values, scaled=scaled)
        rows = vega_eval.run(calc, {"q1": q1, "scaled": scaled}, layer=0)
        assert [round(r["w"], 12) for r in rows] == [round(w, 12) for w in ref.weights]


def test_cheat_sheet_temperature_slider_runs_in_the_browser(learner):
    at = open_page("pages/d_cheatsheets.py", learner[1])
    assert not at.exception, at.exception
    assert not [s for s in at.slider if s.key == "cheatsheets::tau"]
    spec = with_param(client_specs(at), "tau")
    content = cheatsheets.load()
    rows = vega_eval.run(spec, {"tau": 2.0}, layer=0)
    want = cheatsheets.softmax_with_temperature(content.example_logits, 2.0)
    assert [round(r["p"], 12) for r in rows] == [round(float(p), 12) for p in want]
