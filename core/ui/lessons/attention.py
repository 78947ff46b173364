"""Module 7 widgets: the measured bottleneck, the translation attention heatmap on the dates model, the attention
weight calculator, the attention debugging challenge (real failures of the dates model) and the RNN-attention vs
self-attention table. The captioner's image attention is in core/ui/lessons/captioning.py, the Neural Turing Machine
simulator in core/ui/lessons/ntm_demo.py; the prose in assets/lessons/m07.md."""

from __future__ import annotations

import copy
import functools
import html
import json

import altair as alt
import pandas as pd
import streamlit as st

from core.cohort.store import StoreError
from core.course import lessons
from core.lessons import attention_calc, attention_cases, shipped
from core.models import inference
from core.training import seq2seq as seq2seq_training
from core.training import seq2seq_eval
from core.ui import charts, guard, lesson, models
from core.ui.shell import PageContext, show_store_error

DATES = "dates-attention"
DEFAULT_TEXT = "Thursday, the 14th of March 2024"
SHOWN = {" ": "␣"}


def _show(ch: str) -> str:
    return SHOWN.get(ch, "?" if ch == "<unk>" else "end" if ch == "<eos>" else ch)


# ---------------------------------------------------------------- cached models and computations
def _dates_shipped() -> bool:
    return shipped.is_shipped(DATES, seq2seq_training.MODEL_TYPE)


@st.cache_data(show_spinner="Translating...", max_entries=256)
def translate(text: str) -> seq2seq_training.Translation:
    model, _ = models.get_seq2seq(DATES)
    with inference.inference():
        return seq2seq_training.translate(model, text)


@st.cache_data(show_spinner=False)
def failure_cases() -> dict | None:
    try:
        return json.loads(attention_cases.OUT.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


# ---------------------------------------------------------------- shared chart pieces
def _attention_records(tr: seq2seq_training.Translation) -> list[dict]:
    return [{"step": t, "output": f"{t + 1}: {_show(out_ch)}", "input": f"{i + 1}: {_show(src_ch)}",
             "weight": round(w, 4)}
            for t, (out_ch, weights) in enumerate(zip(tr.output_tokens, tr.attention or [], strict=True))
            for i, (src_ch, w) in enumerate(zip(tr.source_tokens, weights, strict=True))]


# The input axis of the heatmap and the bars reads as the text itself: one upright character per column (the
# position is in the tooltip). A date's 30-odd columns are about 8 px wide on a phone, enough for a 10 px monospace
# character. Where columns are narrower than 6 px (long memos on a phone) not every character fits, and every
# k-th of them alone would read as gibberish: there the labels are positions with their character ("17: e"), turned
# sideways, one every 12 px.
COLUMN = "(width / length(domain('x')))"
_POSITION = "toNumber(split(datum.label, ': ')[0])"
INPUT_AXIS = alt.Axis(labelExpr=f"{COLUMN} >= 6 ? split(datum.label, ': ')[1] : "
                                f"(({_POSITION} - 1) % ceil(12 / {COLUMN}) == 0 ? datum.label : '')",
                      labelAngle=alt.ExprRef(f"{COLUMN} >= 6 ? 0 : -90"), labelFontSize=10, labelFont="monospace",
                      labelOverlap=False, labelPadding=4)
INPUT_TITLE = "input text (one column per character)"
Title = str | tuple[str, str]  # a title, or a title and a subtitle line under it (long titles are cut on a phone)


def _title(title: Title) -> str | alt.Title:
    return alt.Title(title[0], subtitle=title[1]) if isinstance(title, tuple) else title


@functools.cache
def _heatmap_template(title: Title, pickable: bool) -> dict:
    chart = alt.Chart(title=_title(title)).mark_rect().encode(
        x=alt.X("input:N", sort=[], title=INPUT_TITLE, axis=INPUT_AXIS),
        y=alt.Y("output:N", sort=[], title="output character (step: character)", axis=alt.Axis(labelOverlap=False)),
        # the colour legend under the plot: at its right it took a third of a phone's width from the columns
        color=alt.Color("weight:Q", scale=charts.HEAT, title="attention weight (0–1)",
                        legend=alt.Legend(orient="bottom", direction="horizontal", gradientLength=160)),
        tooltip=["output:N", "input:N", alt.Tooltip("weight:Q", format=".3f")])
    if pickable:
        pick = alt.selection_point(fields=["step"], name="pick", on="click")
        chart = chart.add_params(pick).encode(opacity=alt.condition(pick, alt.value(1.0), alt.value(0.35)))
    return chart.properties(height=alt.Step(18)).to_dict()  # 18 px per output row, whatever the answer's length


def heatmap(tr: seq2seq_training.Translation, title: Title, pickable: bool = False) -> dict:
    """The Vega-Lite spec of the output × input attention heatmap (click a row to pick an output step when
    `pickable`). Altair builds the spec once; the data and axis order go in afterwards, because Altair would
    validate the ~20k cells of a 400-character memo one by one (seconds)."""
    spec = copy.deepcopy(_heatmap_template(title, pickable))
    spec["encoding"]["x"]["sort"] = [f"{i + 1}: {_show(c)}" for i, c in enumerate(tr.source_tokens)]
    spec["encoding"]["y"]["sort"] = [f"{t + 1}: {_show(c)}" for t, c in enumerate(tr.output_tokens)]
    spec.pop("datasets", None)
    spec["data"] = {"values": _attention_records(tr)}
    return {**spec, **charts.FIT_X}  # Streamlit's default "fit" squeezed the 18 px rows to about half


def attention_bar(tokens: list[str], weights: list[float], title: Title,
                  highlight: tuple[int, int] | None = None) -> alt.Chart:
    df = pd.DataFrame({"input": [f"{i + 1}: {_show(c)}" for i, c in enumerate(tokens)], "weight": weights,
                       "where": ["the date it should read" if highlight and highlight[0] <= i < highlight[1]
                                 else "elsewhere" for i in range(len(tokens))]})
    chart = alt.Chart(df, title=_title(title)).mark_bar().encode(
        x=alt.X("input:N", sort=list(df["input"]), title=INPUT_TITLE, axis=INPUT_AXIS),
        y=alt.Y("weight:Q", title="attention weight (0–1)", scale=alt.Scale(domain=[0, 1])),
        tooltip=["input", alt.Tooltip("weight:Q", format=".3f")])
    if highlight is None:
        return chart
    return chart.encode(color=alt.Color("where:N", title=None, scale=alt.Scale(
        domain=["the date it should read", "elsewhere"], range=["#e45756", "#4c78a8"])))


def shaded_text(tokens: list[str], weights: list[float]) -> str:
    """The input as HTML, each character's background as dark as the attention it received."""
    peak = max(weights) if weights else 1.0
    spans = []
    for ch, w in zip(tokens, weights, strict=True):
        alpha = 0.0 if peak <= 0 else w / peak
        shown = html.escape("?" if ch == "<unk>" else ch)
        spans.append(f'<span title="{w:.3f}" style="background: rgba(228,87,86,{alpha:.2f}); '
                     f'padding: 1px 0">{shown}</span>')
    return f'<div style="font-family: monospace; font-size: 1.05rem; line-height: 1.9">{"".join(spans)}</div>'


# Altair builds and validates a spec in ~10-20 ms per chart on an idle core: cache the finished specs, so a warm
# rerun only ships JSON.
@st.cache_data(show_spinner=False, max_entries=256)
def _heatmap_spec(text: str) -> dict:
    return heatmap(translate(text), ("Attention weights", "one row per output step, one column per input character"),
                   pickable=True)


@st.cache_data(show_spinner=False, max_entries=1024)
def _bar_spec(text: str, step: int, title: Title, highlight: tuple[int, int] | None = None) -> dict:
    tr = translate(text)
    return attention_bar(tr.source_tokens, tr.attention[step], title, highlight).to_dict()


# ---------------------------------------------------------------- 7.1 the bottleneck, measured
@st.cache_data(show_spinner=False)
def _bottleneck_spec(names: tuple[str, ...]) -> dict | None:
    curves = seq2seq_eval.length_curves(names)
    if not curves:
        return None
    label = {"dates-plain": "fixed context vector (no attention)", DATES: "with attention"}
    df = pd.DataFrame([{"model": label.get(n, n), "input length": b, "exact match": v, "order": i}
                       for n, per in curves.items() for i, (b, v) in enumerate(per.items())])
    return alt.Chart(df, title="Exact match by input length").mark_line(
        point=True).encode(
        x=alt.X("input length:N", sort=list(dict.fromkeys(df["input length"])),
                title="input length (characters)"),
        y=alt.Y("exact match:Q", title="exact match (held-out inputs)", axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("model:N", title=None, legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=0)),
        tooltip=["model", "input length", alt.Tooltip("exact match:Q", format=".1%")]).to_dict()


def bottleneck_chart() -> None:
    spec = _bottleneck_spec(("dates-plain", DATES)) if _dates_shipped() else None
    if spec is None:
        st.info("The dates checkpoints are not installed, so the measured comparison is not shown.")
        return
    charts.draw_spec(spec, height=380)  # the legend sits below the plot (phone width), inside this height
    st.caption(lessons.block("m07", "bottleneck-measured"))


# ---------------------------------------------------------------- 1. translation attention heatmap
@st.fragment
@guard.demo_guard("Translation attention heatmap")
def translation_heatmap() -> None:
    st.subheader("Translation attention heatmap")
    if not _dates_shipped():
        guard.not_installed(f"The {DATES} checkpoint", f"python -m core.train --recipe {DATES}")
        return
    lesson.text("m07", "heatmap-intro")
    text = st.text_input("A date, or a short memo with a few dates in it", DEFAULT_TEXT, max_chars=400,
                         key="m07-viz-text")
    tr = translate(text)
    for note in tr.notes:
        st.caption(note)
    if not tr.source_tokens or not tr.attention:
        return
    if tr.check is not None and tr.check.unsure:
        st.warning(f"**Not sure.** The model's guess is `{tr.output or '(nothing)'}`, but do not take it as the "
                   "answer: " + " ".join(tr.check.reasons) + " The heatmap below shows where it looked.",
                   icon=":material/help:")
    else:
        st.markdown(f"**Model output:** `{tr.output or '(nothing)'}`"
                    + (f" (its probability for this exact answer: {tr.check.probability:.0%})" if tr.check else ""))
    n = len(tr.output_tokens)
    if st.session_state.get("m07-viz-slider", 1) > n:  # a shorter answer than the last one: start over
        del st.session_state["m07-viz-slider"]
    event = charts.draw_spec(_heatmap_spec(tr.text), on_select="rerun", selection_mode="pick",
                             key="m07-viz-chart")
    clicked = (event or {}).get("selection", {}).get("pick") or []
    step = st.slider("Output step to inspect (or click a row of the heatmap)", 1, n, 1, key="m07-viz-slider") - 1 \
        if n > 1 else 0
    if clicked and isinstance(clicked[0], dict) and 0 <= int(clicked[0].get("step", -1)) < n:
        step = int(clicked[0]["step"])
    weights = tr.attention[step]
    top = attention_calc.top_positions(weights, 3)
    st.markdown(f"Output step {step + 1} wrote **`{_show(tr.output_tokens[step])}`**. It read mostly: " +
                ", ".join(f"`{_show(tr.source_tokens[i])}` at position {i + 1} ({weights[i]:.0%})" for i in top))
    st.markdown(shaded_text(tr.source_tokens, weights), unsafe_allow_html=True)
    charts.draw_spec(_bar_spec(tr.text, step,
                               f"Where output step {step + 1} ('{_show(tr.output_tokens[step])}') looked"))
    st.caption(lessons.block("m07", "heatmap-notice"))


# ---------------------------------------------------------------- 2. attention weight calculator
@st.fragment
def weight_calculator() -> None:
    """Keys and values are edited on the server (a table); the query sliders and the √d switch live in the chart,
    which recomputes scores, softmax weights, context and spread in the browser."""
    st.subheader("Attention weight calculator")
    lesson.text("m07", "calculator-intro")
    start = pd.DataFrame({"k₁": [k[0] for k in attention_calc.EXAMPLE_KEYS],
                          "k₂": [k[1] for k in attention_calc.EXAMPLE_KEYS],
                          "v₁": [v[0] for v in attention_calc.EXAMPLE_VALUES],
                          "v₂": [v[1] for v in attention_calc.EXAMPLE_VALUES]},
                         index=[f"position {i + 1}" for i in range(3)])
    table = st.data_editor(start, num_rows="dynamic", key="m07-calc-table", width="stretch",
                           column_config={c: st.column_config.NumberColumn(c, format="%.2f", step=0.1)
                                          for c in start.columns})
    keys, values = table[["k₁", "k₂"]].to_numpy(dtype=float), table[["v₁", "v₂"]].to_numpy(dtype=float)
    try:
        attention_calc.attend(attention_calc.EXAMPLE_QUERY, keys, values)  # the same checks, for their messages
    except ValueError as e:
        st.warning(str(e))
        return
    charts.draw_client(_calculator_spec(tuple(map(tuple, keys.tolist())), tuple(map(tuple, values.tolist()))))
    st.caption(lessons.block("m07", "calculator-try"))


@st.cache_data(show_spinner=False, max_entries=256)
def _calculator_spec(keys: tuple[tuple[float, float], ...], values: tuple[tuple[float, float], ...]) -> dict:
    return calculator_spec(keys, values)


# attention_calc.attend, step by step, as Vega expressions: scores q·k, optional 1/√d (d = 2), a softmax with the
# max subtracted, the weighted sum of the values and the entropy of the weights.
CALC_STEPS = (("score", "q1 * datum.k1 + q2 * datum.k2"), ("scaled", "datum.score * (scaled ? 1 / sqrt(2) : 1)"))
ROWS_Y = (-0.12, -0.27, -0.42)  # where the three text rows sit under the bars (the y scale runs -0.52..1)


def calculator_spec(keys: tuple[tuple[float, float], ...], values: tuple[tuple[float, float], ...],
                    query: tuple[float, float] = tuple(attention_calc.EXAMPLE_QUERY), scaled: bool = False) -> dict:
    """The calculator as a client-side chart: query sliders q₁, q₂ and a 'divide by √d' box under it; bars of the
    weights, each key's score, scaled score and weight under its bar, context and spread above."""
    params = [charts.slider("q1", "query q₁", -10.0, 10.0, 0.1, query[0]),
              charts.slider("q2", "query q₂", -10.0, 10.0, 0.1, query[1]),
              charts.checkbox("scaled", "divide scores by √d (d = 2)", scaled)]
    names = [f"position {i + 1}" for i in range(len(keys))]
    rows = [{"key": name, "k1": k[0], "k2": k[1], "v1": v[0], "v2": v[1]}
            for name, k, v in zip(names, keys, values, strict=True)]
    x = alt.X("key:N", sort=names, title="key", axis=alt.Axis(labelAngle=0))
    bars = alt.Chart().mark_bar().encode(
        x=x, y=alt.Y("w:Q", title="weight (0–1)", scale=alt.Scale(domain=[-0.52, 1]),
                     axis=alt.Axis(values=[0, 0.25, 0.5, 0.75, 1], format=".2f")),
        tooltip=["key:N", alt.Tooltip("score:Q", title="score q·k", format=".4f"),
                 alt.Tooltip("scaled:Q", title="scaled score", format=".4f"),
                 alt.Tooltip("w:Q", title="weight", format=".4f")])
    zero = charts.one_row().mark_rule(color="#888").encode(y=alt.datum(0))
    texts = [alt.Chart().transform_calculate(_text=text).mark_text(fontSize=11).encode(
        x=x, y=alt.datum(y), text="_text:N") for text, y in zip(
        ("'q·k ' + format(datum.score, '.3f')", "scaled ? '÷√2 ' + format(datum.scaled, '.3f') : '(not ÷√2)'",
         "'w ' + format(datum.w, '.4f')"), ROWS_Y, strict=True)]
    spread = attention_calc.max_entropy_bits(len(keys))
    lines = [charts.readout("'context c = (' + format(datum.c1, '.4f') + ', ' + format(datum.c2, '.4f') + ')'", 0, 2),
             charts.readout(f"'spread of the weights: ' + format(datum.entropy, '.3f') + ' bits (even: "
                            f"{spread:.3f})'", 1, 2)]
    chart = alt.layer(bars, zero, *texts, *lines, data=alt.Data(values=rows)).add_params(*params)
    for name, expr in CALC_STEPS:
        chart = chart.transform_calculate(**{name: expr})
    chart = (chart.transform_joinaggregate(s_max="max(scaled)").transform_calculate(e="exp(datum.scaled - datum.s_max)")
             .transform_joinaggregate(e_sum="sum(e)").transform_calculate(w="datum.e / datum.e_sum")
             .transform_calculate(wv1="datum.w * datum.v1", wv2="datum.w * datum.v2",
                                  h="datum.w > 0 ? -datum.w * log(datum.w) / LN2 : 0")
             .transform_joinaggregate(c1="sum(wv1)", c2="sum(wv2)", entropy="sum(h)")
             .properties(title="Attention weights after the softmax", height=440))
    return charts.client_spec(chart, lines=2)


# ---------------------------------------------------------------- 3. attention debugging challenge
@st.fragment
@guard.demo_guard("Attention debugging challenge")
def debugging_challenge(ctx: PageContext) -> None:
    st.subheader("Attention debugging challenge")
    data = failure_cases()
    if not data or not data.get("cases") or not _dates_shipped():
        guard.not_installed("The attention failure cases", "python -m core.lessons.attention_cases")
        return
    totals = "; ".join(f"{s['wrong']} wrong out of {s['memos']} {s['name']}" for s in data["sets"])
    st.markdown("The dates model is right almost every time, but not always. We ran it on freshly generated "
                f"memos it never saw ({totals}) and kept some of its real mistakes. For each one you get the "
                "memo, the right answer, the model's answer and the attention at the first character it got "
                "wrong. Decide what went wrong, then check against the measurement.")
    lesson.provenance(f"Produced by `{data['produced_by']}` on {data['produced_at'][:10]} (seed {data['seed']}).")
    cases = data["cases"]
    i = st.selectbox("Case", range(len(cases)), key="m07-dbg-case",
                     format_func=lambda k: f"Case {k + 1} ({len(cases[k]['source'])} characters)")
    case = cases[i]
    tr = translate(case["source"])
    if tr.output != case["predicted"] or not tr.attention:
        st.warning("The model gives a different answer here than when the case was recorded; regenerate the cases.")
        return
    st.markdown(f"**Memo:** {html.escape(case['source'])}")
    st.markdown(f"**Right answer:** `{case['target']}`  \n**Model's answer:** `{case['predicted']}`")
    step = case["step"]
    shown_ch = _show(tr.output_tokens[step]) if step < len(tr.output_tokens) else "?"
    st.markdown(f"The first wrong character is output step {step + 1} (it wrote `{shown_ch}`). Its attention:")
    st.markdown(shaded_text(tr.source_tokens, tr.attention[step]), unsafe_allow_html=True)
    charts.draw_spec(_bar_spec(case["source"], step,
                               (f"Attention at output step {step + 1}", "the first wrong character")))
    keys = list(attention_cases.DIAGNOSES)
    choice = st.radio("Your diagnosis", keys, index=None, key=f"m07-dbg-answer-{i}",
                      format_func=attention_cases.DIAGNOSES.get)
    if st.button("Reveal the measurement", key="m07-dbg-reveal", disabled=choice is None):
        st.session_state[f"m07-dbg-revealed-{i}"] = choice
        try:
            ctx.store.save_reflection(ctx.learner.id, "m07-debugging", f"case-{i}", choice)
        except (StoreError, ValueError) as e:
            show_store_error(e) if isinstance(e, StoreError) else st.warning(str(e))
    if st.session_state.get(f"m07-dbg-revealed-{i}"):
        _reveal(case, tr, st.session_state[f"m07-dbg-revealed-{i}"], data.get("by_diagnosis", {}))


def _reveal(case: dict, tr: seq2seq_training.Translation, choice: str, counts: dict[str, int]) -> None:
    right = case["diagnosis"]
    (st.success if choice == right else st.error)(
        f"Measured diagnosis: **{attention_cases.DIAGNOSES[right]}**." +
        ("" if choice == right else " That is not what you picked."))
    cols = st.columns(3)
    cols[0].metric("on the date it should read", f"{case['mass_right']:.0%}")
    cols[1].metric("on other dates", f"{case['mass_other_dates']:.0%}")
    cols[2].metric("on non-date text", f"{case['mass_elsewhere']:.0%}")
    a, b = case["spans"][case["date_index"]]
    charts.draw_spec(_bar_spec(case["source"], case["step"],
                               ("The same attention", "in red: the span it should have read"), (a, b)))
    if case["alignment"] is not None:
        st.markdown(f"Over the whole answer, the output characters of each date put on average "
                    f"**{case['alignment']:.0%}** of their attention on that date's text (1.0 would be perfect "
                    f"alignment; the model's average over all held-out memos is in the manifest as "
                    f"`attention_on_right_date`).")
    else:
        lesson.text("m07", "alignment-unmeasured")
    if counts:
        st.markdown(f"Across all {sum(counts.values())} wrong answers found: " + ", ".join(
            f"{attention_cases.DIAGNOSES[d].split(' (')[0].lower()}: **{n}**" for d, n in counts.items() if n) + ".")
    st.caption("How the diagnosis is measured: at the first wrong output character, the attention is split "
               "into three regions (the right date's text, the other dates, everything else). A region with "
               f"{attention_cases.CLEAR:.0%} or more names the diagnosis (right date = misread); if none "
               f"reaches {attention_cases.CLEAR:.0%} the attention was spread. Extra and missing dates are "
               "recognised from the number of dates in the answer.")


# ---------------------------------------------------------------- 5. comparison table
def comparison_table() -> None:
    st.subheader("From RNN attention to transformer self-attention")
    lesson.text("m07", "rnn-vs-self-attention")
