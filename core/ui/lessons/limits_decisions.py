"""Module 8 decision aids on the page: the two decision trees (answers -> reasoning path -> recommendation), the
build-vs-buy cost table (learner-editable assumptions, arithmetic live), the architecture selection exercise and
the apply-it exercise (both saved for the learner). Their prose is in assets/lessons/m08.md."""

from __future__ import annotations

import json
import math

import altair as alt
import pandas as pd
import streamlit as st

from core.cohort.store import StoreError
from core.course import decisions
from core.course import lessons as lesson_text
from core.ui import charts, lesson
from core.ui.shell import PageContext, show_store_error

PAGE = "m08"
EXERCISE_ID, APPLY_ID = "m08-architecture", "m08-apply"


def _dot(tree: decisions.Tree, visited: list[str]) -> str:
    """Graphviz source of the tree with the learner's path drawn bold."""
    def short(text: str) -> str:
        words, lines, line = text.split(), [], ""
        for w in words:
            if line and len(line) + len(w) > 28:
                lines.append(line)
                line = ""
            line = f"{line} {w}".strip()
        return "\\n".join([*lines, line]).replace('"', "'")

    taken = set(zip(visited, visited[1:], strict=False))
    out = ["digraph G {", 'rankdir=TB; node [fontsize=10, style="rounded,filled", fillcolor="#f5f5f5"];']
    for node in tree.nodes.values():
        on = node.id in visited
        fill = ("#c6dbef" if on else "#f5f5f5") if not node.is_leaf else ("#a1d99b" if on else "#e5f5e0")
        shape = "box" if node.is_leaf else "ellipse"
        out.append(f'"{node.id}" [label="{short(node.question or node.recommendation)}", shape={shape}, '
                   f'fillcolor="{fill}", penwidth={2.5 if on else 1}];')
        for o in node.options:
            bold = (node.id, o.next) in taken
            out.append(f'"{node.id}" -> "{o.next}" [label="{short(o.label)}", fontsize=9, '
                       f'penwidth={2.5 if bold else 1}, color="{"#08519c" if bold else "#999999"}"];')
    out.append("}")
    return "\n".join(out)


def decision_tree(tree_id: str, key: str) -> decisions.Walk | None:
    """Ask the tree's questions one at a time; show the reasoning path and, at a leaf, the recommendation."""
    try:
        tree = decisions.tree(tree_id)
    except (decisions.TreeError, OSError) as exc:
        st.error(f"This decision aid could not be loaded: {exc}")
        return None
    st.caption(tree.intro)
    answers, node = [], tree.nodes[tree.start]
    while not node.is_leaf:
        pick = st.radio(node.question, [o.label for o in node.options], index=None, key=f"{key}-{node.id}")
        if pick is None:
            break
        answers.append(pick)
        node = tree.nodes[next(o.next for o in node.options if o.label == pick)]
    w = decisions.walk(tree, answers)
    if w.steps:
        st.markdown("**Your reasoning path**\n" + "\n".join(
            f"{i}. *{s.question}* → **{s.answer}**. {s.why}" for i, s in enumerate(w.steps, 1)))
    if w.finished:
        st.success(f"**Recommendation: {w.node.recommendation}.** {w.node.reasoning}", icon=":material/assistant:")
        if w.node.caveat:
            st.caption(f"Watch out: {w.node.caveat}")
    visited = [tree.start]
    for s in w.steps:
        visited.append(next(o.next for o in tree.nodes[visited[-1]].options if o.label == s.answer))
    with st.expander("See the whole flowchart", icon=":material/account_tree:"):
        st.graphviz_chart(_dot(tree, visited), width="stretch")
    return w


@st.fragment
def rnn_flowchart() -> None:
    st.subheader("'Should I use an RNN?' decision helper")
    decision_tree("rnn", "m08-rnn")


@st.fragment
def build_vs_buy() -> None:
    st.subheader("Build or buy: decision tree")
    decision_tree("build_buy", "m08-bvb")
    st.subheader("Cost comparison with your own numbers")
    inputs, approaches, note = decisions.cost_defaults()
    st.warning(f"**{note}** The defaults are round placeholders chosen for this course, not measurements and not "
               "vendor quotes. Only the arithmetic below is computed.", icon=":material/calculate:")
    st.caption("Edit the table for each approach, then move the sliders under the chart: volume and tokens move in "
               "steps of a factor (log scale), and every number redraws in your browser.")
    # The quality judgements are sentences: under the grid, where they wrap (in it they were cut), not edited.
    numbers = pd.DataFrame(approaches).drop(columns="quality", errors="ignore")
    edited = st.data_editor(numbers, key="m08-cost-table", hide_index=True, width="stretch",
                            disabled=["name"], column_config={
                                "name": "approach", "dev_weeks": st.column_config.NumberColumn(
                                    "build time (weeks)", min_value=0.0),
                                "one_off": st.column_config.NumberColumn("one-off cost ($)", min_value=0.0),
                                "monthly_fixed": st.column_config.NumberColumn("fixed hosting per month ($)",
                                                                               min_value=0.0),
                                "price_per_million_tokens": st.column_config.NumberColumn(
                                    "usage price per 1M tokens ($)", min_value=0.0)})
    st.caption("Typical quality, a judgement: " + "; ".join(f"{a['name']}: {a['quality'].replace(' (judgement)', '')}"
                                                          for a in approaches if a.get("quality")) + ".")
    rows = [{k: (None if pd.isna(v) else v) for k, v in r.items()} for r in edited.to_dict("records")]
    try:
        decisions.cost_rows(inputs, rows)  # the table's own numbers are checked here; the sliders cannot go wrong
    except ValueError as exc:
        st.warning(str(exc))
        return
    table = tuple(tuple((f, r[f]) for f in ("name", *decisions.COST_FIELDS)) for r in rows)
    charts.draw_client(cost_spec(table, inputs))
    st.caption(lesson_text.block(PAGE, "break-even-formula"))


# ---------------------------------------------------------------- the cost table, computed in the browser
# Volume and tokens per request span orders of magnitude, so their sliders move log10 of the number, and the number
# used is that power of ten rounded to two significant digits (10^3.18 = 1513.6 -> 1500): round inputs, as a learner
# would type them. cost_input() is the same rule in Python; the test runs both on every slider position.
LOG_STEP = 0.02
LOG_SLIDERS = {"log_req": ("requests per month (log₁₀)", 1.0, 9.0), "log_tok": ("tokens per request (log₁₀)", 1.0, 5.0)}


def cost_input(x: float) -> float:
    """The number a log10 slider at x (>= 1) stands for: 10^x rounded to two significant digits."""
    unit = 10.0 ** (math.floor(x) - 1)
    return math.floor(10.0 ** x / unit + 0.5) * unit


def _cost_input_expr(name: str) -> str:
    return f"floor(pow(10, {name}) / pow(10, floor({name}) - 1) + 0.5) * pow(10, floor({name}) - 1)"


def slider_position(value: float, lo: float, hi: float) -> float:
    """The log slider position whose number is `value` (the nearest one when none is exactly it)."""
    grid = [round(lo + k * LOG_STEP, 2) for k in range(round((hi - lo) / LOG_STEP) + 1)]
    return min(grid, key=lambda x: (abs(cost_input(x) - value), x))


def _dollars(expr: str, digits: int = 0) -> str:
    return f"'$' + format({expr}, ',.{digits}f')"


BAR = "#1f77b4"  # the course's input colour (rnn_demos.INPUT), without importing torch
ROW_STEP = 62  # px per approach: its name and total, its bar, its breakdown


@st.cache_data(show_spinner=False, max_entries=64)
def cost_spec(table: tuple[tuple[tuple[str, float], ...], ...], inputs: decisions.CostInputs) -> dict:
    """The cost table as a client-side chart: sliders for volume, tokens, the weekly rate and the horizon; per
    approach its total as a bar with the breakdown under it, and the break-even volume above. Every number is
    decisions.cost_rows / break_even_requests written as Vega expressions (tests/ui/test_client_charts_m08.py)."""
    rows = [dict(r) for r in table]
    params = [charts.slider(name, label, lo, hi, LOG_STEP, slider_position(value, lo, hi))
              for (name, (label, lo, hi)), value in zip(
                  LOG_SLIDERS.items(), (inputs.requests_per_month, inputs.tokens_per_request), strict=True)]
    params += [charts.slider("eng_week", "engineer cost per week ($)", 0.0, 20000.0, 250.0,
                             inputs.engineer_cost_per_week),
               charts.slider("months", "horizon (months)", 1.0, 60.0, 1.0, inputs.months)]
    y = alt.Y("name:N", sort=[r["name"] for r in rows], title=None, axis=None)
    bars = alt.Chart().mark_bar(color=BAR, height=16).encode(
        x=alt.X("total:Q", title="total cost over the horizon (US$, illustrative)",
                axis=alt.Axis(format="$,.0f", labelOverlap=True, tickCount=4)), y=y,
        tooltip=[alt.Tooltip("name:N", title="approach"), alt.Tooltip("build:Q", title="build", format="$,.0f"),
                 alt.Tooltip("usage:Q", title="usage per month", format="$,.0f"),
                 alt.Tooltip("monthly:Q", title="run cost per month", format="$,.0f"),
                 alt.Tooltip("total:Q", title="total", format="$,.0f"),
                 alt.Tooltip("per_1000:Q", title="per 1,000 requests", format="$,.2f")])
    head = alt.Chart().transform_calculate(
        _text="datum.name + ': ' + " + _dollars("datum.total")).mark_text(
        align="left", baseline="bottom", dy=-10, fontSize=12, fontWeight="bold").encode(
        x=alt.value(0), y=y, text="_text:N")
    detail = alt.Chart().transform_calculate(
        _text="'build ' + " + _dollars("datum.build") + " + ' + run ' + " + _dollars("datum.monthly")
              + " + '/month · ' + " + _dollars("datum.per_1000", 2) + " + ' per 1,000 requests'").mark_text(
        align="left", baseline="top", dy=10, fontSize=11, color="#444").encode(x=alt.value(0), y=y, text="_text:N")
    api = next((r for r in rows if r["name"] == "Hosted API"), None)
    local = next((r for r in rows if r["name"] == "Pretrained model, self-hosted"), None)
    lines = [charts.readout("format(datum.req, ',.0f') + ' requests/month × ' + format(datum.tok, ',.0f') + "
                            "' tokens'", 0, 3, base=_inputs_row()),
             charts.readout("'engineer $' + format(eng_week, ',.0f') + '/week · over ' + format(months, '.0f') + "
                            "' months'", 1, 3, base=_inputs_row())]
    if api and local:
        lines.append(charts.readout(_break_even_text(local["monthly_fixed"], api["price_per_million_tokens"]), 2, 3,
                                    base=_inputs_row()))
    chart = alt.layer(bars, head, detail, data=alt.Data(values=rows)).transform_calculate(**_input_calcs())
    for name, expr in COST_STEPS:
        chart = chart.transform_calculate(**{name: expr})
    chart = alt.layer(chart, *lines).add_params(*params).properties(
        height=alt.Step(ROW_STEP), title="Illustrative total cost, from your assumptions")
    return charts.client_spec(chart, lines=len(lines))


def _input_calcs() -> dict[str, str]:
    return {"req": _cost_input_expr("log_req"), "tok": _cost_input_expr("log_tok")}


def _inputs_row() -> alt.Chart:
    return charts.one_row().transform_calculate(**_input_calcs())


# decisions.cost_rows, one calculation per step in its order of operations (floating point is not associative)
COST_STEPS = (
    ("build", "datum.dev_weeks * eng_week + datum.one_off"),
    ("usage", "datum.req * datum.tok / 1e6 * datum.price_per_million_tokens"),
    ("monthly", "datum.monthly_fixed + datum.usage"),
    ("total", "datum.build + datum.monthly * months"),
    ("per_1000", "datum.total / (datum.req * months) * 1000"),
)


def _break_even_text(fixed: float, price: float) -> str:
    """decisions.break_even_requests(fixed, price, tokens) as a readout (the API row's price and the self-hosted
    row's fixed cost come from the table; the tokens per request from the slider)."""
    per_request = f"{price!r} * datum.tok / 1e6"
    return (f"{per_request} <= 0 ? 'Break-even: never (the API usage is free)' : "
            f"'Break-even: self-hosting wins above ' + format({fixed!r} / ({per_request}), ',.0f') + ' req./month'")


def _saved(ctx: PageContext, quiz_id: str) -> dict[str, str]:
    try:
        return {q: t for (_, q), t in ctx.store.reflections(ctx.learner.id, quiz_id).items()}
    except StoreError as exc:
        show_store_error(exc)
        return {}


def architecture_exercise(ctx: PageContext) -> None:
    st.subheader("Architecture selection exercise")
    choices, scenarios = decisions.exercise()
    lesson.text(PAGE, "architecture-exercise")
    saved = _saved(ctx, EXERCISE_ID)
    keys = list(choices)
    with st.form("m08-arch-form"):
        picks = {}
        for i, s in enumerate(scenarios, 1):
            prior = json.loads(saved[s.id]) if s.id in saved else {}
            st.markdown(f"**{i}. {s.prompt}**")
            picks[s.id] = (
                st.radio("Approach", keys, index=keys.index(prior["choice"]) if prior.get("choice") in keys else None,
                         format_func=choices.get, key=f"m08-arch-{s.id}"),
                st.text_area("Why (saved for you)", prior.get("why", ""), key=f"m08-arch-why-{s.id}", max_chars=2000,
                             height=68))
        submitted = st.form_submit_button("Save and compare", type="primary")
    if submitted:
        if any(choice is None for choice, _ in picks.values()):
            st.warning("Pick an approach for every scenario first.")
        else:
            try:
                for sid, (choice, why) in picks.items():
                    ctx.store.save_reflection(ctx.learner.id, EXERCISE_ID, sid,
                                              json.dumps({"choice": choice, "why": why.strip()}))
            except (StoreError, ValueError) as exc:
                show_store_error(StoreError(str(exc)))
                return
            saved = _saved(ctx, EXERCISE_ID)
    if not all(s.id in saved for s in scenarios):
        return
    total = 0.0
    for i, s in enumerate(scenarios, 1):
        choice = json.loads(saved[s.id])["choice"]
        score, why = decisions.grade(s, choice)
        total += score
        body = f"**{i}. You chose: {choices[choice]}.** {why}"
        if score < 1:
            body += f"\n\nOur first choice: **{choices[s.answer]}**. {s.why[s.answer]}"
        (st.success if score == 1 else st.warning if score else st.error)(body)
    st.markdown(f"**Score: {total:g} / {len(scenarios)}** (1 for our first choice, ½ for a defensible alternative). "
                "Compare your reasons with a colleague's: the reasoning matters more than the label.")


def apply_it(ctx: PageContext) -> None:
    st.subheader("Apply it: a proposal for your own project")
    prompts = {
        "approach": "1. Which approach would you recommend?",
        "constraints": "2. What are the key constraints?",
        "justification": "3. A one-paragraph justification for your approach",
        "risks": "4. The main risks, and how you would reduce them",
    }
    options = ["Hosted API", "Pretrained model (self-hosted or fine-tuned)", "Custom RNN/LSTM", "Custom transformer"]
    constraints = ["cost", "latency", "data privacy", "quality", "hardware / edge", "time to market"]
    saved = _saved(ctx, APPLY_ID)
    with st.form("m08-apply-form"):
        approach = st.radio(prompts["approach"], options, key="m08-apply-approach",
                            index=options.index(saved["approach"]) if saved.get("approach") in options else None)
        chosen = st.multiselect(prompts["constraints"], constraints, key="m08-apply-constraints",
                                default=[c for c in saved.get("constraints", "").split(", ") if c in constraints])
        texts = {k: st.text_area(prompts[k], saved.get(k, ""), key=f"m08-apply-{k}", max_chars=4000)
                 for k in ("justification", "risks")}
        submitted = st.form_submit_button("Save my proposal", type="primary")
    if submitted:
        if approach is None or not texts["justification"].strip():
            st.warning("Choose an approach and write at least the justification before saving.")
            return
        try:
            for k, v in {"approach": approach, "constraints": ", ".join(chosen), **texts}.items():
                if v.strip():
                    ctx.store.save_reflection(ctx.learner.id, APPLY_ID, k, v)
        except (StoreError, ValueError) as exc:
            show_store_error(StoreError(str(exc)))
            return
        st.success("Saved. It will be here when you come back.", icon=":material/save:")
