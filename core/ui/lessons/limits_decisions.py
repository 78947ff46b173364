"""Module 8 decision aids on the page: the two decision trees (answers -> reasoning path -> recommendation), the
build-vs-buy cost table (learner-editable assumptions, arithmetic live), the architecture selection exercise and
the apply-it exercise (both saved for the learner). Their prose is in assets/lessons/m08.md."""

from __future__ import annotations

import json

import altair as alt
import pandas as pd
import streamlit as st

from core.cohort.store import StoreError
from core.course import decisions
from core.course import lessons as lesson_text
from core.ui import lesson
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
    c = st.columns(4)
    values = decisions.CostInputs(
        c[0].number_input("requests per month", 0.0, 1e12, inputs.requests_per_month, 1000.0, "%.0f",
                          key="m08-cost-req"),
        c[1].number_input("tokens per request (in + out)", 0.0, 1e7, inputs.tokens_per_request, 100.0, "%.0f",
                          key="m08-cost-tok"),
        c[2].number_input("engineer cost per week ($)", 0.0, 1e7, inputs.engineer_cost_per_week, 500.0, "%.0f",
                          key="m08-cost-eng"),
        c[3].number_input("horizon (months)", 1.0, 120.0, inputs.months, 1.0, "%.0f",
                          key="m08-cost-months"))
    edited = st.data_editor(pd.DataFrame(approaches), key="m08-cost-table", hide_index=True, width="stretch",
                            disabled=["name", "quality"], column_config={
                                "name": "approach", "dev_weeks": st.column_config.NumberColumn(
                                    "build time (weeks)", min_value=0.0),
                                "one_off": st.column_config.NumberColumn("one-off cost ($)", min_value=0.0),
                                "monthly_fixed": st.column_config.NumberColumn("fixed hosting per month ($)",
                                                                               min_value=0.0),
                                "price_per_million_tokens": st.column_config.NumberColumn(
                                    "usage price per 1M tokens ($)", min_value=0.0),
                                "quality": "typical quality (a judgement)"})
    rows = [{k: (None if pd.isna(v) else v) for k, v in r.items()} for r in edited.to_dict("records")]
    try:
        table = decisions.cost_rows(values, rows)
    except ValueError as exc:
        st.warning(str(exc))
        return
    df = pd.DataFrame(table)
    total = f"total over {values.months:g} months"
    st.dataframe(df, hide_index=True, column_config={
        col: st.column_config.NumberColumn(col, format="dollar") for col in
        ("build cost", "usage per month", "run cost per month", total)} | {
        "per 1,000 requests": st.column_config.NumberColumn("per 1,000 requests", format="$%.2f")})
    st.vega_lite_chart(_cost_spec(tuple((r["approach"], r[total]) for r in table), values.months), width="stretch")
    api = next((r for r in rows if r["name"] == "Hosted API"), None)
    local = next((r for r in rows if r["name"] == "Pretrained model, self-hosted"), None)
    if api and local:
        be = decisions.break_even_requests(local["monthly_fixed"], api["price_per_million_tokens"],
                                           values.tokens_per_request)
        if be == float("inf"):
            st.markdown("**Break-even:** the API's usage price is zero, so self-hosting never wins on running cost.")
        else:
            st.markdown(f"**Break-even (running cost only):** self-hosting's fixed ${local['monthly_fixed']:,.0f} a "
                        f"month beats the API's usage price above **{be:,.0f} requests a month** at "
                        f"{values.tokens_per_request:,.0f} tokens each.")
        st.caption(lesson_text.block(PAGE, "break-even-formula"))


@st.cache_data(show_spinner=False, max_entries=64)
def _cost_spec(totals: tuple[tuple[str, float], ...], months: float) -> dict:
    df = pd.DataFrame(totals, columns=["approach", "total"])
    return alt.Chart(df, title=f"Illustrative total cost over {months:g} months, from your assumptions").mark_bar(
    ).encode(x=alt.X("total:Q", title=f"total cost over {months:g} months (US$, illustrative)"),
             y=alt.Y("approach:N", sort="x", title=None, axis=alt.Axis(labelLimit=220)),
             tooltip=["approach", alt.Tooltip("total:Q", format="$,.0f")]).to_dict()


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
