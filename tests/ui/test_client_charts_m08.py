"""Module 8's cost table computed in the browser shows decisions.cost_rows' and break_even_requests' numbers: the
chart's Vega expressions run (tests/ui/vega_eval.py) on a grid of slider positions and edited tables."""

from __future__ import annotations

import itertools
import math

import pytest

from core.course import decisions
from core.ui.lessons import limits_decisions as ld
from tests.ui import vega_eval
from tests.ui.test_client_charts import js, taus

FIELDS = ("name", *decisions.COST_FIELDS)
DEFAULTS, APPROACHES, _ = decisions.cost_defaults()


def spec_for(approaches: list[dict], inputs: decisions.CostInputs = DEFAULTS) -> dict:
    return ld.cost_spec(tuple(tuple((f, a[f]) for f in FIELDS) for a in approaches), inputs)


def rows(spec: dict, params: dict, layer: int) -> list[dict]:
    """The rows of one of the per-approach layers (0 bars, 1 name and total, 2 breakdown)."""
    return vega_eval.run(spec["layer"][0], {**vega_eval.param_defaults(spec), **params}, layer=layer, root=spec)


def readouts(spec: dict, params: dict) -> list[str]:
    return [vega_eval.run(lay, {**vega_eval.param_defaults(spec), **params}, root=spec)[0]["_text"]
            for lay in spec["layer"][1:]]


def dollars(x: float, digits: int = 0) -> str:
    return "$" + js(x, f",.{digits}f")


def test_log_sliders_stand_for_round_numbers_and_the_expression_is_cost_input():
    assert ld.cost_input(5.0) == 100_000 and ld.cost_input(3.18) == 1500 and ld.cost_input(1.0) == 10
    assert ld.cost_input(9.0) == 1e9 and ld.cost_input(4.3) == 20_000
    for name, (_, lo, hi) in ld.LOG_SLIDERS.items():
        for x in taus(lo, hi, ld.LOG_STEP):
            got = vega_eval.evaluate(ld._cost_input_expr(name), {name: x})
            assert got == ld.cost_input(x), x
            # two significant digits, and never near a rounding tie (where JavaScript's pow could differ by an ulp)
            unit = 10.0 ** (math.floor(x) - 1)
            assert 10 <= got / unit < 100 and got / unit == int(got / unit)
            frac = (10.0 ** x / unit) % 1
            assert abs(frac - 0.5) > 1e-6, x


def test_sliders_start_at_the_course_defaults():
    spec = spec_for(APPROACHES)
    start = vega_eval.param_defaults(spec)
    assert ld.cost_input(start["log_req"]) == DEFAULTS.requests_per_month
    assert ld.cost_input(start["log_tok"]) == DEFAULTS.tokens_per_request
    assert (start["eng_week"], start["months"]) == (DEFAULTS.engineer_cost_per_week, DEFAULTS.months)
    binds = vega_eval.bindings(spec)
    for name, (_, lo, hi) in ld.LOG_SLIDERS.items():  # the starting position is a position the input can take
        assert start[name] in taus(lo, hi, binds[name]["step"])


EDITED = [dict(a) for a in APPROACHES]
EDITED[0] = {**EDITED[0], "price_per_million_tokens": 0.0}  # a free API: self-hosting never breaks even
EDITED[2] = {**EDITED[2], "monthly_fixed": 1234.5, "one_off": 0.1, "dev_weeks": 2.5}
EDITED[4] = {**EDITED[4], "price_per_million_tokens": 0.37}
ODD = [{"name": "Hosted API", "dev_weeks": 0.0, "one_off": 0.0, "monthly_fixed": 0.0,
        "price_per_million_tokens": 123.456},
       {"name": "Pretrained model, self-hosted", "dev_weeks": 1e3, "one_off": 7.77, "monthly_fixed": 1e6,
        "price_per_million_tokens": 0.001}]


@pytest.mark.parametrize("approaches", [APPROACHES, EDITED, ODD, APPROACHES[1:2]])
def test_cost_chart_matches_cost_rows_and_break_even(approaches):
    spec = spec_for(approaches)
    binds = vega_eval.bindings(spec)
    grid = {name: taus(b["min"], b["max"], b["step"]) for name, b in binds.items()}
    checked = 0
    for log_req, log_tok, eng, months in itertools.product(grid["log_req"][::37], grid["log_tok"][::29],
                                                            grid["eng_week"][::27], grid["months"][::29]):
        params = {"log_req": log_req, "log_tok": log_tok, "eng_week": eng, "months": months}
        inputs = decisions.CostInputs(ld.cost_input(log_req), ld.cost_input(log_tok), eng, months)
        want = decisions.cost_rows(inputs, approaches)
        total = f"total over {months:g} months"
        bars = rows(spec, params, 0)
        assert [b["name"] for b in bars] == [w["approach"] for w in want]
        for b, w in zip(bars, want, strict=True):
            assert b["build"] == w["build cost"] and b["usage"] == w["usage per month"]
            assert b["monthly"] == w["run cost per month"] and b["total"] == w[total]
            assert b["per_1000"] == w["per 1,000 requests"], params
        assert [r["_text"] for r in rows(spec, params, 1)] == [f"{w['approach']}: {dollars(w[total])}" for w in want]
        assert [r["_text"] for r in rows(spec, params, 2)] == [
            f"build {dollars(w['build cost'])} + run {dollars(w['run cost per month'])}/month · "
            f"{dollars(w['per 1,000 requests'], 2)} per 1,000 requests" for w in want]
        lines = readouts(spec, params)
        assert lines[0] == f"{js(inputs.requests_per_month, ',.0f')} requests/month × " \
                           f"{js(inputs.tokens_per_request, ',.0f')} tokens"
        assert lines[1] == f"engineer ${js(eng, ',.0f')}/week · over {months:g} months"
        names = {a["name"]: a for a in approaches}
        if {"Hosted API", "Pretrained model, self-hosted"} <= set(names):
            be = decisions.break_even_requests(names["Pretrained model, self-hosted"]["monthly_fixed"],
                                               names["Hosted API"]["price_per_million_tokens"],
                                               inputs.tokens_per_request)
            assert lines[2] == ("Break-even: never (the API usage is free)" if be == math.inf else
                                f"Break-even: self-hosting wins above {js(be, ',.0f')} req./month")
        else:
            assert len(lines) == 2
        checked += 1
    assert checked >= 600


def test_every_expression_parses():
    for approaches in (APPROACHES, EDITED, ODD):
        for expr in vega_eval.expressions(spec_for(approaches)):
            vega_eval.compile_expr(expr)
