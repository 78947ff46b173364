"""Module 3's widgets: the power table, the gradient-flow simulator, the telephone game, the LSTM gate playground,
predict-then-reveal on real gates, and the debug-the-LSTM challenge. Numbers come from core.lessons.vanishing and
core.lessons.analysis; this module caches them per setting and draws them."""

from __future__ import annotations

import functools
import html

import altair as alt
import pandas as pd
import streamlit as st

from core.course import lessons
from core.lessons import vanishing
from core.models import inference
from core.training import checkpoints
from core.ui import charts, guard, lesson, models
from core.ui.lessons import rnn_demos
from core.ui.lessons.rnn_demos import BIAS, LSTM_COLOR, MEMORY, RNN_COLOR, STATE
from core.ui.shell import PageContext

KIND_COLORS = alt.Scale(domain=["vanilla RNN", "LSTM", "your model"], range=[RNN_COLOR, LSTM_COLOR, STATE])
DEBUG = {"Model A": "debug-lstm-bad", "Model B": "debug-lstm-good"}
TELEPHONE_STEPS = 50
FLOW_FIRST = 50  # the gradient-flow simulator's first sequence length


def warm() -> None:
    """Compute what this page's model demos show first (core.ui.warmup calls it once per process, in the
    background): the gradient flow of fresh weights and the telephone game on the trained models."""
    flow("random", FLOW_FIRST, 1.0, 1.0)
    telephone("trained", TELEPHONE_STEPS)


def power_table() -> None:
    st.dataframe(pd.DataFrame(vanishing.power_table()), hide_index=True)
    charts.draw_client(power_spec())


@functools.cache
def power_spec(w: float = 0.9, n: int = 20) -> dict:
    """w^t for t = 0..n on a log scale, both set by sliders in the browser: the scalar picture of a gradient that
    is multiplied by the same factor at every step (vanishing.power_table's f ** steps)."""
    factor = charts.slider("w", "factor per step w", 0.5, 2.0, 0.05, w)
    steps = charts.slider("n", "steps n", 1, 100, 1, n)
    line = alt.Chart().transform_filter("datum.t <= n").transform_calculate(product="pow(w, datum.t)").mark_line(
        point=alt.OverlayMarkDef(size=14, color=RNN_COLOR), color=RNN_COLOR).encode(
        x=alt.X("t:Q", title="steps back t", scale=alt.Scale(domain=[0, 100])),
        y=alt.Y("product:Q", title="w^t (log scale)", scale=alt.Scale(type="log")),
        tooltip=["t:Q", alt.Tooltip("product:Q", format=".3e")])
    one = charts.one_row().mark_rule(strokeDash=[4, 3], color=BIAS).encode(y=alt.datum(1))
    text = charts.readout("'w^n = ' + format(w, '.2f') + '^' + n + ' = ' + format(pow(w, n), '.3g') + "
                          "(w < 1 ? ': vanishes' : w > 1 ? ': explodes' : ': survives')")
    chart = alt.layer(line, one, text, data=alt.Data(values=[{"t": t} for t in range(101)])).add_params(
        factor, steps).properties(height=300)
    return charts.client_spec(chart, lines=1)


@st.cache_data(show_spinner="Back-propagating...", max_entries=64)
def own_flow(name: str, steps: int) -> pd.DataFrame:
    """‖∂h_T/∂h_t‖ for layer 1 of a learner's own model (models.own_key name) on the same passage."""
    inference.configure_threads()
    model, vocab = models.load_char_model(name)
    return pd.DataFrame(vanishing.trained_flow(model, vocab, steps, "your model"))


@st.cache_data(show_spinner="Back-propagating...", max_entries=64)
def flow(source: str, steps: int, scale: float, forget_bias: float) -> pd.DataFrame | None:
    """Gradient-flow rows of both kinds, fresh ("random") or shipped ("trained"); None if nothing is shipped."""
    inference.configure_threads()  # one intra-op thread: 2 threads on a busy 2-core box were 30-100x slower
    rows = []
    for kind in ("rnn", "lstm"):
        if source == "random":
            rows += vanishing.random_flow(kind, steps, scale, forget_bias)
            continue
        name = rnn_demos.available(kind)
        if name is not None:
            model, vocab = models.load_char_model(name)
            rows += vanishing.trained_flow(model, vocab, steps, vanishing.LABEL[kind])
    return pd.DataFrame(rows) if rows else None


def _log_chart(df: pd.DataFrame, title: str, x: str, x_title: str, y: str, y_title: str,
               color_scale: alt.Scale | None = None) -> alt.Chart:
    color = alt.Color("model:N", title=None, **({"scale": color_scale} if color_scale is not None else {}))
    return alt.Chart(df, title=title).mark_line().encode(
        x=alt.X(f"{x}:Q", title=x_title), y=alt.Y(f"{y}:Q", title=y_title, scale=alt.Scale(type="log")), color=color)


@st.fragment
@guard.demo_guard("LSTM gradient flow")
def gradient_flow(ctx: PageContext) -> None:
    """‖∂h_T/∂h_t‖ against distance for a fresh or trained RNN and LSTM (and the learner's own model)."""
    cols = st.columns(2)
    source = cols[0].radio("Weights", ["random", "trained"], horizontal=True, key="m03-source",
                           format_func={"random": "random (fresh initialisation)",
                                        "trained": "trained on Shakespeare"}.get)
    steps = cols[1].slider("sequence length T", 5, 100, FLOW_FIRST, 5, key="m03-steps")
    scale, bias = 1.0, 1.0
    if source == "random":
        cols = st.columns(2)
        scale = cols[0].slider("RNN: scale of W_hh", 0.5, 4.0, 1.0, 0.1, key="m03-scale")
        bias = cols[1].slider("LSTM: forget-gate bias", -2.0, 5.0, 1.0, 0.5, key="m03-bias")
    df = flow(source, steps, scale, bias)
    if df is None:
        rnn_demos.missing("rnn")
        return
    own = models.pick_own(ctx, "m03-flow-own", label="Add one of your own trained models") if source == "trained" \
        else None
    if own is not None:
        df = pd.concat([df, own_flow(own.name, steps)], ignore_index=True)
    df = df.assign(norm=df["norm"].clip(lower=1e-30))
    st.altair_chart(alt.Chart(df, title="‖∂h_T/∂h_t‖ against distance T − t").mark_line(point=True).encode(
        x=alt.X("distance:Q", title="distance T − t (time steps)"),
        y=alt.Y("norm:Q", title="gradient size (log scale)", scale=alt.Scale(type="log")),
        color=alt.Color("model:N", scale=KIND_COLORS, title=None),
        tooltip=["model", "distance", alt.Tooltip("norm:Q", format=".2e")]), width="stretch")
    far = df[df["distance"] == steps].set_index("model")["norm"]
    st.caption(" · ".join(f"{m}: {v:.2e} at distance {steps}" for m, v in far.items()) +
               ". Every point is a real backward pass; a straight falling line on a log scale means the gradient "
               "shrinks by a constant factor per step, i.e. vanishes exponentially.")
    if source == "trained":
        for kind in ("rnn", "lstm"):
            if rnn_demos.available(kind) is None:
                rnn_demos.missing(kind)
        st.caption("Trained weights: layer 1 of each shipped model (and of yours, if you added one), reading the "
                   "opening of Tiny Shakespeare.")


@st.cache_data(show_spinner=False, max_entries=32)
def telephone(source: str, steps: int) -> pd.DataFrame | None:
    inference.configure_threads()  # one intra-op thread: 2 threads on a busy 2-core box were 30-100x slower
    rows = []
    for kind in ("rnn", "lstm"):
        if source == "random":
            rows += vanishing.random_telephone(kind, steps)
            continue
        name = rnn_demos.available(kind)
        if name is not None:
            model, vocab = models.load_char_model(name)
            rows += vanishing.trained_telephone(model, vocab, steps, kind)
    return pd.DataFrame(rows) if rows else None


@st.fragment
@guard.demo_guard("Telephone game")
def telephone_game() -> None:
    """How far apart two runs are at every step after only step 1 was changed, for both kinds."""
    source = st.radio("Weights", ["trained", "random"], horizontal=True, key="m03-tel-source",
                      format_func={"random": "random", "trained": "trained (first letter 'F' → 'S')"}.get)
    df = telephone(source, TELEPHONE_STEPS)
    if df is None:
        rnn_demos.missing("rnn")
        return
    df = df.assign(diff=df["diff"].clip(lower=1e-12))
    st.altair_chart(_log_chart(df, "‖h_t − h_t′‖ after changing only step 1", "t", "time step t", "diff",
                               "difference in h_t (log scale)", KIND_COLORS), width="stretch")
    last = df[df["t"] == TELEPHONE_STEPS].set_index("model")["diff"]
    cols = st.columns(len(last))
    for col, (m, v) in zip(cols, last.items(), strict=True):
        col.metric(f"{m}: influence of step 1 at step {TELEPHONE_STEPS}", f"{v:.2e}")


def gate_playground() -> None:
    """One LSTM memory cell with its gates set by hand, over 40 steps, computed in the browser."""
    charts.draw_client(gate_spec())
    st.caption(lessons.block("m03", "gates-try"))


GATE_STEPS = 40
# c_t = f·c_{t-1} + i_t·g from c_0 = 0, in closed form: i·g·(1 − f^t)/(1 − f) (i·g·t when f = 1), or
# f^(t−1)·i·g when only step 1 writes; h_t = o·tanh(c_t), tanh from exp (Vega has no tanh).
GATE_C = ("once ? i_gate * g_cand * pow(f_gate, datum.t - 1) : f_gate == 1 ? i_gate * g_cand * datum.t : "
          "i_gate * g_cand * (1 - pow(f_gate, datum.t)) / (1 - f_gate)")
TANH = "(datum.c >= 0 ? 1 : -1) * (1 - exp(-2 * abs(datum.c))) / (1 + exp(-2 * abs(datum.c)))"


@functools.cache
def gate_spec(f: float = 0.9, i: float = 0.5, o: float = 1.0, g: float = 0.8, once: bool = False) -> dict:
    """Cell and hidden state of analysis.gate_playground(f, i, o, g, steps=40) as a client-side chart: four gate
    sliders and the 'write once' box live under the chart."""
    params = [charts.slider("f_gate", "forget gate f", 0.0, 1.0, 0.01, f),
              charts.slider("i_gate", "input gate i", 0.0, 1.0, 0.01, i),
              charts.slider("o_gate", "output gate o", 0.0, 1.0, 0.01, o),
              charts.slider("g_cand", "candidate g", -1.0, 1.0, 0.05, g),
              charts.checkbox("once", "write only at step 1, then close the input gate", once)]
    lines = alt.Chart().transform_fold(["c", "h"], as_=["which", "value"]).transform_calculate(
        state="datum.which == 'c' ? 'cell state c_t' : 'hidden state h_t'").mark_line().encode(
        x=alt.X("t:Q", title="time step t"), y=alt.Y("value:Q", title="value"),
        color=alt.Color("state:N", scale=alt.Scale(domain=["cell state c_t", "hidden state h_t"],
                                                   range=[MEMORY, STATE]), title=None,
                        legend=alt.Legend(orient="bottom")),
        tooltip=["t:Q", "state:N", alt.Tooltip("value:Q", format=".4f")])
    text = charts.readout("'c₄₀ = ' + format(datum.c, '.4f') + ' · h₄₀ = ' + format(datum.h, '.4f')",
                          where=f"datum.t == {GATE_STEPS}")
    chart = (alt.layer(lines, text, data=alt.Data(values=[{"t": t} for t in range(1, GATE_STEPS + 1)]))
             .add_params(*params).transform_calculate(c=GATE_C).transform_calculate(h=f"o_gate * {TANH}")
             .properties(title="Cell and hidden state over time", height=380))
    return charts.client_spec(chart, lines=1)


@st.fragment
def predict_then_reveal(ctx: PageContext) -> None:
    """The learner guesses where the trained LSTM forgets most, then sees its real average gates."""
    choice = models.pick_charlm(ctx, "m03-but-model", rnn_demos.CHAR_MODELS["lstm"], kinds=("lstm",),
                                label="LSTM model")
    if choice is None:
        return
    text = st.text_input("A sentence with a turn in it", value="I came to praise him, but he would not stay.",
                         max_chars=80, key="m03-but-text")
    tr = rnn_demos.trace(choice.name, text, 0)
    if tr is None:
        st.caption("None of these characters are in the model's vocabulary.")
        return
    labels = [f"{t + 1}: {ch if ch.strip() else '␣'}" for t, ch in enumerate(tr.chars)]
    guess = st.select_slider("Your prediction: at which character does the model forget the most (lowest "
                             "average forget gate)?", labels, key="m03-but-guess")
    if not st.toggle("Reveal the real gate activations", key="m03-but-reveal"):
        st.caption("Make your guess first; the answer is computed from the model, not written in advance.")
        return
    means = vanishing.average_gates(tr.gates)
    df = pd.DataFrame([{"pos": t, "label": labels[t], "gate": gate, "mean": values[t]}
                       for gate, values in means.items() for t in range(len(labels))])
    st.altair_chart(alt.Chart(df, title=f"Average gate value over the {choice.config['hidden']} units of layer 1"
                              ).mark_line(point=True).encode(
        x=alt.X("label:N", sort=labels, title="character"),
        y=alt.Y("mean:Q", title="average gate value (0 = closed, 1 = open)"),
        color=alt.Color("gate:N", title=None), tooltip=["label", "gate", alt.Tooltip("mean:Q", format=".3f")]),
        width="stretch")
    forget = means["forget f"]
    lowest = vanishing.lowest(forget)
    hit = abs(labels.index(guess) - lowest) <= 2
    (st.success if hit else st.info)(
        f"Lowest average forget gate at **{labels[lowest]}** ({forget[lowest]:.3f}); you picked "
        f"**{guess}**{' — within two characters, well predicted!' if hit else '.'} Whether a word like "
        "“but” resets memory is something to check, not assume: this small model may react more to spaces "
        "and punctuation than to meaning.")


@st.cache_data(show_spinner="Running diagnostics...")
def debug_facts(name: str) -> vanishing.DebugFacts:
    inference.configure_threads()  # one intra-op thread: 2 threads on a busy 2-core box were 30-100x slower
    model, entry = rnn_demos.get_debug_model(name)
    return vanishing.debug_facts(model, entry)


def _evidence(facts: dict[str, vanishing.DebugFacts]) -> None:
    curves = pd.DataFrame([{"model": label, "step": s, "loss": v} for label, f in facts.items() for s, v in f.curve])
    st.altair_chart(alt.Chart(curves, title="Training loss").mark_line().encode(
        x=alt.X("step:Q", title="training step"), y=alt.Y("loss:Q", title="training loss (nats per character)"),
        color=alt.Color("model:N", title=None)), width="stretch")
    cols = st.columns(2)
    for col, (label, f) in zip(cols, facts.items(), strict=True):
        col.metric(f"{label}: validation loss", f"{f.val:.3f} nats/char")
        col.markdown(f'<pre style="white-space: pre-wrap">{html.escape(f.sample)}</pre>', unsafe_allow_html=True)


def _diagnostics(facts: dict[str, vanishing.DebugFacts]) -> None:
    cols = st.columns(2)
    for col, (label, f) in zip(cols, facts.items(), strict=True):
        col.metric(f"{label}: average forget gate", f"{f.forget:.2f}")
    flow_df = pd.DataFrame([{"model": label, "distance": len(f.flow) - t, "norm": max(n, 1e-30)}
                            for label, f in facts.items() for t, n in enumerate(f.flow)])
    st.altair_chart(_log_chart(flow_df, "‖∂h_T/∂h_t‖ of each trained model", "distance",
                               "distance T − t (time steps)", "norm", "gradient size (log scale)"), width="stretch")


def _verdict(facts: dict[str, vanishing.DebugFacts], guess: str) -> None:
    bad = next(label for label, name in DEBUG.items() if name == "debug-lstm-bad")
    good = next(label for label in DEBUG if label != bad)
    fb, fg = facts[bad], facts[good]
    ratio = vanishing.flow_ratio(fg, fb)
    loss_note = (f"Its validation loss is even {fg.val - fb.val:.3f} nats/char better here" if fb.val <= fg.val
                 else f"Its validation loss is only {fb.val - fg.val:.3f} nats/char worse")
    full = checkpoints.entry("shakespeare-lstm")["metrics"]["val_loss_nats_per_char"]
    (st.success if guess == bad else st.warning)(
        f"The bug is in **{bad}**: its forget-gate bias started at −5, so σ(−5) ≈ 0.007 and every forget gate "
        f"began almost shut. After training its forget gates average {fb.forget:.2f} (against "
        f"{fg.forget:.2f}), so it wipes most of its cell state every step, and the gradient from "
        f"{len(fb.flow)} steps back is {ratio:.1e} times smaller than the healthy model's. {loss_note}: after "
        f"their short runs both models are still learning short-range letter statistics (validation "
        f"{fb.val:.2f} and {fg.val:.2f} nats/char, against {full:.2f} for the fully trained Shakespeare "
        "LSTM), which need little long memory. So this bug hides in early loss curves and shows up in gate "
        "statistics and gradient flow.")


@st.fragment
@guard.demo_guard("Debug the LSTM")
def debug_the_lstm() -> None:
    """Two LSTMs, one with a bad forget-gate initialisation: the usual evidence, a guess, then the diagnostics."""
    if not rnn_demos.debug_available():
        guard.not_installed("The debug pair (checkpoints/debug)", "python -m core.training.debug_lstm")
        return
    lesson.text("m03", "debug-intro")
    facts = {label: debug_facts(name) for label, name in DEBUG.items()}
    _evidence(facts)
    guess = st.radio("Which model has the bug?", list(DEBUG), index=None, horizontal=True, key="m03-debug-guess")
    if guess is None:
        return
    st.markdown("Now the diagnostics you would run when loss alone is not conclusive:")
    _diagnostics(facts)
    _verdict(facts, guess)
