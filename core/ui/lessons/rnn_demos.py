"""Demos on shipped char models shared by Modules 2-4: checkpoint lookup, hidden-state heatmap, cached traces, and
Module 2's hidden-state visualiser.

Colour code used on the equations and charts of Modules 2-3 lives here too, so pages and charts agree (the static
equations in assets/lessons/m02.md spell the same hex values).
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from core.lessons import analysis
from core.models import inference
from core.training import checkpoints, debug_lstm
from core.ui import charts, models
from core.ui.shell import PageContext

INPUT = "#1f77b4"  # x_t, W_xh
MEMORY = "#ff7f0e"  # h_{t-1}, W_hh
STATE = "#2ca02c"  # h_t
BIAS = "#7f7f7f"  # b_h
RNN_COLOR, LSTM_COLOR = "#d62728", "#9467bd"
CHAR_MODELS = {"rnn": "shakespeare-rnn", "lstm": "shakespeare-lstm"}


def available(kind: str) -> str | None:
    """The shipped checkpoint name for `kind` if it exists now, else None."""
    name = CHAR_MODELS[kind]
    try:
        return name if name in checkpoints.names() else None
    except checkpoints.CheckpointError:
        return None


def missing(kind: str) -> None:
    st.info(f"The trained {kind.upper()} checkpoint ({CHAR_MODELS[kind]}) is not available yet, so this part "
            "shows nothing rather than made-up numbers. It appears here as soon as the model is shipped.",
            icon=":material/hourglass_empty:")


@st.cache_data(show_spinner=False, max_entries=64)
def trace(name: str, text: str, layer: int) -> analysis.HiddenTrace | None:
    """Activations of one layer on `text`; `name` is a shipped checkpoint or a learner's models.own_key()."""
    model, vocab = models.load_char_model(name)
    ids = vocab.encode(text, unknown="skip")
    if not ids:
        return None
    return analysis.hidden_trace(model, ids, [vocab.chars[i] for i in ids], layer)


def heatmap(values: list[list[float]], chars: list[str], units: int, title: str, color_title: str) -> alt.Chart:
    """Units (rows) x characters (columns) heatmap of the `units` most active units, scale -1..1."""
    a = np.asarray(values)  # (T, H)
    top = np.argsort(-a.std(0))[:units]
    shown = [{" ": "␣", "\n": "⏎"}.get(ch, ch) for ch in chars]
    labels = [f"{t + 1} {ch}" for t, ch in enumerate(shown)]
    rows = [{"label": labels[t], "char": shown[t], "unit": f"unit {u}", "value": float(a[t, u])}
            for t in range(a.shape[0]) for u in top]
    df = pd.DataFrame(rows)
    return (
        alt.Chart(df, title=title)
        .mark_rect()
        .encode(
            x=alt.X("label:N", title="your text, one character per column", sort=labels,
                    axis=alt.Axis(labelAngle=0, labelExpr="split(datum.value, ' ')[1]", labelOverlap=False)),
            y=alt.Y("unit:N", title=f"hidden unit ({units} most active)", sort=[f"unit {u}" for u in top],
                    axis=alt.Axis(labelOverlap=False)),  # 16 px rows: Vega's overlap test still hid every other
            color=alt.Color("value:Q", title=color_title,
                            scale=alt.Scale(scheme="redblue", domain=[-1, 1], reverse=True)),
            tooltip=["char", "unit", alt.Tooltip("value:Q", format=".3f")],
        )
        .properties(height=alt.Step(16),  # 16 px per unit: at 12 (and Streamlit's "fit") every other name was
                    **charts.FIT_X)  # hidden by overlap
    )


@st.cache_resource(show_spinner="Loading model...")
def get_debug_model(name: str):
    """(model, entry) of one of the 'debug the LSTM' pair (checkpoints/debug), read-only like get_model."""
    inference.configure_threads()
    model, entry = checkpoints.load(name, directory=debug_lstm.DEBUG_DIR)
    return inference.prepare(model), entry


def debug_available() -> bool:
    try:
        return set(debug_lstm.PAIR) <= set(checkpoints.names(debug_lstm.DEBUG_DIR))
    except checkpoints.CheckpointError:
        return False


@st.fragment
def visualiser(ctx: PageContext) -> None:
    """Real hidden-state activations of a chosen char model (shipped or the learner's) on typed text."""
    choice = models.pick_charlm(ctx, "m02-vis-model", CHAR_MODELS["rnn"])
    if choice is None:
        return
    cfg = choice.config
    text = st.text_input("Type some text", value="ROMEO: But soft, what light", max_chars=120, key="m02-vis-text")
    layer = st.radio("Layer", list(range(1, cfg["layers"] + 1)), horizontal=True, key="m02-vis-layer")
    tr = trace(choice.name, text, layer - 1)
    if tr is None:
        st.caption("None of these characters are in the model's vocabulary.")
        return
    st.altair_chart(heatmap(tr.hidden, tr.chars, min(24, cfg["hidden"]),
                            f"h_t of layer {layer}, one column per character", "h_t"), width="stretch")
    st.caption(f"Real activations of {choice.label} ({cfg['layers']}-layer {cfg['kind'].upper()}, "
               f"{cfg['hidden']} units). Red is positive, blue negative. Look for units that switch at spaces, "
               "capitals or line breaks.")

