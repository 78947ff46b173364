"""Module 6 widgets on the dates encoder-decoders: the translation sandbox (context vector, decoder steps, long
inputs), the model-size trade-off explorer, the build-the-pipeline exercise and the cross-domain brainstorm. The
prose is in assets/lessons/m06.md."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from core.cohort.store import StoreError
from core.course import lessons
from core.data import tasks
from core.lessons import translation_steps
from core.models import inference
from core.training import checkpoints, date_check, seq2seq_eval
from core.training import seq2seq as seq2seq_training
from core.ui import charts, guard, lesson, models
from core.ui import quiz as quiz_ui
from core.ui.shell import PageContext, show_store_error

PLAIN, ATTENTION = "dates-plain", "dates-attention"
LABELS = {PLAIN: "no attention (fixed context vector)", ATTENTION: "with attention"}
DEFAULT_TEXT = "Thursday, the 14th of March 2024"
BRAINSTORM = ("m06", "brainstorm")  # the same slot as the module quiz's reflection question


@st.cache_data(ttl=300, show_spinner=False)
def _manifest() -> dict:
    """What the pages need from the manifest, read once per few minutes (one read costs ~30 ms on a busy box)."""
    try:
        have = checkpoints.names(model_type=seq2seq_training.MODEL_TYPE)
        return {"shipped": have, "sizes": seq2seq_eval.size_explorer(),
                "curves": seq2seq_eval.length_curves((ATTENTION, PLAIN)),
                "n_test": checkpoints.entry(PLAIN)["metrics"]["overall"]["n"] if PLAIN in have else 0}
    except checkpoints.CheckpointError:
        return {"shipped": [], "sizes": [], "curves": {}, "n_test": 0}


def shipped(*names: str) -> list[str]:
    have = set(_manifest()["shipped"])
    return [n for n in names if n in have]


@st.cache_data(show_spinner="Translating...", max_entries=256)
def _walk(name: str, text: str) -> translation_steps.Walkthrough:
    model, _ = models.get_seq2seq(name)
    with inference.inference():
        return translation_steps.walkthrough(model, text)


@st.cache_data(show_spinner="Translating memos...", max_entries=64)
def _memos(length: int, seed: int, n: int) -> pd.DataFrame:
    """n held-out memos of about `length` characters, read by both models (batched greedy decoding)."""
    pairs = [translation_steps.memo(length, seed * 1000 + i) for i in range(n)]
    rows = {"memo": [p.source for p in pairs], "correct answer": [p.target for p in pairs]}
    for name in shipped(PLAIN, ATTENTION):
        model, _ = models.get_seq2seq(name)
        preds, _ = seq2seq_training.decode(model, pairs)
        rows[LABELS[name]] = preds
    return pd.DataFrame(rows)


def _context_bar(values: list[float]) -> alt.Chart:
    df = pd.DataFrame({"unit": range(len(values)), "value": values})
    return alt.Chart(df, title=f"The context vector: {len(values)} numbers").mark_rect(
    ).encode(x=alt.X("unit:O", title="unit (forward GRU, then backward GRU)",
                     axis=alt.Axis(labels=False, ticks=False)),
             color=alt.Color("value:Q", scale=alt.Scale(scheme="redblue", domain=[-1, 1]),
                             legend=alt.Legend(title="value", orient="bottom")),
             tooltip=["unit", alt.Tooltip("value:Q", format=".3f")]).properties(height=48)


@st.cache_data(show_spinner=False, max_entries=256)
def _context_spec(values: tuple[float, ...]) -> dict:
    # fit-x: the width follows the page, the 48 px height is the strip itself and the title, axis title and legend
    # come on top of it (Streamlit's default "fit" squeezed all of them into 48 px and the strip vanished).
    return {**_context_bar(list(values)).to_dict(validate=False), **charts.FIT_X}


def _step_view(name: str, walk: translation_steps.Walkthrough, key: str) -> None:
    if not walk.steps:
        return
    t = st.slider("decoder step", 1, len(walk.steps), len(walk.steps), key=key) if len(walk.steps) > 1 else 1
    step = walk.steps[t - 1]
    written = "".join(s.char for s in walk.steps[: t - 1] if s.char != "<eos>")
    st.code(f"{written}[{step.char}]", language=None)
    st.dataframe(pd.DataFrame([{"candidate": c, "probability": f"{p:.1%}"} for c, p in step.top]),
                 hide_index=True)
    if step.looked_at is not None:
        i, text = step.looked_at, walk.text
        st.caption(f"Most attention at this step on character {i + 1}: …{text[max(0, i - 12):i]}"
                   f"【{text[i]}】{text[i + 1:i + 13]}…")
    else:
        st.caption(lessons.block("m06", "no-attention-step"))


@st.fragment
@guard.demo_guard("Translation sandbox")
def translation_sandbox(key_prefix: str = "m06") -> None:
    st.subheader("Translation sandbox")
    names = shipped(PLAIN, ATTENTION)
    if len(names) < 2:
        guard.not_installed("The dates checkpoints", "python -m core.train --recipe dates-plain; "
                            "python -m core.train --recipe dates-attention")
        return
    lesson.text("m06", "sandbox-intro")
    _typed(names, key_prefix)
    _long_inputs(key_prefix)


def _typed(names: list[str], key_prefix: str) -> None:
    text = st.text_input("Text to translate (a date, or sentences containing dates)", value=DEFAULT_TEXT,
                         max_chars=2000, key=f"{key_prefix}-tr-text")
    walks = {n: _walk(n, text) for n in names}
    for note in walks[PLAIN].notes:
        st.info(note, icon=":material/info:")
    if not walks[PLAIN].text:
        return
    cols = st.columns(2)
    for col, name in zip(cols, names, strict=True):
        answer_or_doubt(col, LABELS[name], walks[name].output, walks[name].check)
    plain = walks[PLAIN]
    charts.show_spec(_context_spec(tuple(plain.context)))
    st.caption(f"The encoder read {len(plain.text)} characters and handed the no-attention decoder these "
               f"{len(plain.context)} numbers (red negative, blue positive). " + lessons.block("m06", "context-fixed"))
    which = st.radio("Watch the decoder of", names, format_func=LABELS.get, horizontal=True,
                     key=f"{key_prefix}-tr-which")
    _step_view(which, walks[which], f"{key_prefix}-tr-step-{which}")


def answer_or_doubt(where, label: str, output: str, check: date_check.Check | None) -> None:
    """The model's answer, or, when the check finds a reason to doubt it, the answer shown as a guess with the
    reasons (so a wrong answer is never presented as the answer)."""
    if check is None or not check.unsure:
        where.metric(label, output or "(nothing)", help=f"The model's probability for this exact answer: "
                     f"{check.probability:.0%}." if check else None)
        return
    where.metric(label, "not sure", help="Shown as a guess: see the reasons below.")
    where.warning(f"Its guess: `{output or '(nothing)'}`. Do not trust it: " + " ".join(check.reasons),
                  icon=":material/help:")


def _long_inputs(key_prefix: str) -> None:
    lesson.text("m06", "long-inputs")
    cols = st.columns(2)
    length = cols[0].slider("memo length (characters)", 30, 330, 150, 10, key=f"{key_prefix}-tr-len")
    seed = cols[1].number_input("memo set", 0, 999, 0, key=f"{key_prefix}-tr-seed",
                                help="Change it for another set of memos.")
    df = _memos(length, int(seed), 10)
    score = translation_steps.exact_match_shares(list(df["correct answer"]),
                                                 {label: list(df[label]) for label in df.columns[2:]})
    cols = st.columns(len(score))
    for col, (label, share) in zip(cols, score.items(), strict=True):
        col.metric(f"{label}: exact answers", f"{share:.0%}", help="Out of the 10 memos below, computed now.")
    st.table(df.set_index("memo"))  # whole memos, wrapped: the dataframe grid cut them after ~70 characters
    charts.show_spec(_length_spec())
    n = _manifest()["n_test"]
    st.caption(f"Measured when the checkpoints were made, on {n:,} fresh held-out inputs per model. "
               + lessons.block("m06", "length-collapse"))
    lesson.provenance(f"`python -m core.evaluate {PLAIN} --json` re-measures these numbers on fresh inputs.")


@st.cache_data(ttl=300, show_spinner=False)
def _length_spec() -> dict:
    return {**length_chart(_manifest()["curves"]).to_dict(validate=False), **charts.FIT_X}


def length_chart(curves: dict[str, dict[str, float]]) -> alt.Chart:
    rows = [{"model": LABELS[n], "input length (characters)": b, "exact match": v}
            for n, c in curves.items() for b, v in c.items()]
    order = [f"{a}-{b}" for a, b in tasks.LENGTH_BUCKETS]
    title = alt.Title("Exact match by input length", subtitle="held-out dates and memos")
    return alt.Chart(pd.DataFrame(rows), title=title).mark_line(point=True).encode(
        x=alt.X("input length (characters):N", sort=order),
        y=alt.Y("exact match:Q", axis=alt.Axis(format="%"), title="exact match (share of inputs)"),
        # one model per line under the plot: side by side, the two labels are wider than a phone
        color=alt.Color("model:N", legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=0)),
        tooltip=["model", "input length (characters)", alt.Tooltip("exact match:Q", format=".1%")]).properties(
        height=220)


@st.cache_data(show_spinner="Timing the three sizes on this server...", ttl=600, max_entries=4)
def _bench_now(names: tuple[str, ...], nonce: int) -> pd.DataFrame:
    inference.configure_threads()
    rows = []
    for name in names:
        model, _ = models.get_seq2seq(name)
        lat = seq2seq_eval.measure_latency(model, repeats=7)
        rows.append({"model": name, "short date (ms, now)": lat["short_ms"], "200-char memo (ms, now)":
                     lat["memo_200_ms"]})
    return pd.DataFrame(rows)


COSTS = {"memo_200_ms": "latency per 200-character memo (ms)", "short_ms": "latency per short date (ms)",
         "weights_kb": "weights in memory (KB, float32)", "params": "parameters"}
QUALITY = {"long_split": "exact match on long memos (100+ characters)",
           "all_formats": "exact match on single dates (all formats)"}
# the chart's own axis titles: short enough for a phone's width and for the y axis's 220-px height
AXIS_COSTS = {"memo_200_ms": "ms per 200-char memo", "short_ms": "ms per short date",
              "weights_kb": "weights (KB, float32)", "params": "parameters"}
AXIS_QUALITY = {"long_split": "exact match, long memos", "all_formats": "exact match, single dates"}


def _size_frame() -> pd.DataFrame:
    df = pd.DataFrame(_manifest()["sizes"])
    df["weights_kb"] = (df["weights_fp32_bytes"] / 1024).round(1)
    return df


@st.cache_data(ttl=300, show_spinner=False)
def _size_spec(cost: str, quality: str) -> dict:
    # fit-x: the chart follows the column's width (a phone's too), the plot keeps its height
    return {**size_chart(_size_frame(), cost, quality).to_dict(validate=False), **charts.FIT_X}


def size_chart(df: pd.DataFrame, cost: str, quality: str) -> alt.LayerChart:
    title = alt.Title("Quality against cost", subtitle=[f"{QUALITY[quality]}", f"against {COSTS[cost]}"])
    base = alt.Chart(df, title=title).encode(
        x=alt.X(f"{cost}:Q", title=AXIS_COSTS[cost], scale=alt.Scale(zero=False)),
        y=alt.Y(f"{quality}:Q", title=AXIS_QUALITY[quality], axis=alt.Axis(format="%")),
        tooltip=["name", "hidden", "params", "weights_kb", "short_ms", "memo_200_ms",
                 alt.Tooltip("all_formats:Q", format=".1%"), alt.Tooltip("long_split:Q", format=".1%")])
    return (base.mark_line(color="#90a4ae") + base.mark_circle(size=120)
            + base.mark_text(dy=-12).encode(text="name")).properties(height=220)


@st.fragment
@guard.demo_guard("Model size explorer")
def size_explorer(key_prefix: str = "m06") -> None:
    st.subheader("Model size trade-off explorer")
    rows = _manifest()["sizes"]
    if len(rows) < 2:
        st.warning("The three model sizes are not shipped with this copy of the course, so the explorer is off.")
        return
    df = _size_frame()
    lesson.text("m06", "size-intro")
    cols = st.columns(2)
    cost = cols[0].selectbox("Cost axis", list(COSTS), format_func=COSTS.get, key=f"{key_prefix}-size-cost")
    quality = cols[1].selectbox("Quality axis", list(QUALITY), format_func=QUALITY.get,
                                key=f"{key_prefix}-size-quality")
    charts.show_spec(_size_spec(cost, quality))
    table = df[["name", "hidden", "params", "weights_kb", "short_ms", "memo_200_ms", "all_formats", "long_split",
                "train_cpu_s"]].rename(columns={"short_ms": "short date (ms)", "memo_200_ms": "200-char memo (ms)",
                                                "weights_kb": "weights (KB)", "all_formats": "single dates",
                                                "long_split": "long memos", "train_cpu_s": "training (CPU s)"})
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        "single dates": st.column_config.NumberColumn(format="percent"),
        "long memos": st.column_config.NumberColumn(format="percent")})
    st.caption(lessons.block("m06", "size-how-measured"))
    state = st.session_state.setdefault(f"{key_prefix}-size-bench", 0)
    if st.button("Time the three sizes now on this server", key=f"{key_prefix}-size-run",
                 icon=":material/timer:"):
        st.session_state[f"{key_prefix}-size-bench"] = state = state + 1
    if state:
        st.dataframe(_bench_now(tuple(df["name"]), state), hide_index=True)
        st.caption(lessons.block("m06", "size-now"))


def pipeline_exercise(ctx: PageContext) -> None:
    quiz_ui.quiz_card(ctx, "m06_pipelines", heading="Build-the-pipeline exercise")


def brainstorm(ctx: PageContext, key_prefix: str = "m06") -> None:
    st.subheader("Cross-domain brainstorm")
    lesson.text("m06", "brainstorm")
    try:
        saved = ctx.store.reflections(ctx.learner.id, BRAINSTORM[0]).get(BRAINSTORM, "")
    except StoreError as exc:
        show_store_error(exc)
        return
    key = f"{key_prefix}-brainstorm"
    text = st.text_area("Your idea", value=saved, max_chars=4000, key=key, height=120,
                        placeholder="Example: damage photos (encoder: a CNN) -> a claim summary (decoder: an RNN "
                                    "writing word by word).")
    if st.button("Save my idea", key=f"{key}-save", icon=":material/save:"):
        if not text.strip():
            st.warning("Write something first; an empty note is not saved.")
        else:
            try:
                ctx.store.save_reflection(ctx.learner.id, *BRAINSTORM, text)
            except (StoreError, ValueError) as exc:
                show_store_error(StoreError(str(exc)))
            else:
                st.success("Saved. It will be here when you come back.", icon=":material/check:")
    elif saved:
        st.caption("Saved earlier; edit and save again to replace it.")
