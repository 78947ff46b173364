"""Module 3's GRU section: the parameter count of the three cells (formula against the weights of core/models/cells.py
and the shipped models' manifest), and gradient flow measured by autograd for the vanilla RNN, the LSTM and the GRU
side by side. Numbers come from core.lessons.cell_sizes and core.lessons.vanishing."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from core.lessons import cell_sizes, equal_budget, vanishing
from core.models import inference
from core.training import checkpoints
from core.ui import charts, guard, models
from core.ui.lessons.rnn_demos import LSTM_COLOR, RNN_COLOR

GRU_COLOR = "#17becf"
KINDS = ("rnn", "lstm", "gru")
COLORS = alt.Scale(domain=[vanishing.LABEL[k] for k in KINDS], range=[RNN_COLOR, LSTM_COLOR, GRU_COLOR])
SHIPPED = {"rnn": "shakespeare-rnn", "lstm": "shakespeare-lstm", "gru": "shakespeare-gru"}  # the equal-budget trio
EMBED, HIDDEN = 64, 256  # the first layer of the shipped trio: X = 64 (embedding), H = 256


def parameter_table() -> None:
    """Weights per cell by formula and by counting, then the whole shipped models against their manifest."""
    st.dataframe(pd.DataFrame(cell_sizes.size_table(EMBED, HIDDEN)), hide_index=True, width="stretch")
    lines = []
    for run in equal_budget.load():
        by_formula = cell_sizes.charlm_params_of(checkpoints.entry(run.name)["config"])
        lines.append(f"{run.label}: {by_formula:,} by formula, {run.params:,} in the manifest")
    st.caption(f"One layer reading X = {EMBED} inputs with H = {HIDDEN} units (the first layer of the shipped "
               "Shakespeare models); 'counted' sums the weights of a real cell built by core/models/cells.py. "
               + ("Whole two-layer models with their 65-character embedding and output layer: " + "; ".join(lines)
                  + "." if lines else ""))


@st.cache_data(show_spinner="Back-propagating...", max_entries=64)
def flow(source: str, steps: int) -> pd.DataFrame | None:
    """‖∂h_T/∂h_t‖ rows for the three kinds, fresh ("random") or the shipped trio ("trained")."""
    inference.configure_threads()  # one intra-op thread: 2 threads on a busy 2-core box were 30-100x slower
    rows = []
    shipped = {r.name for r in equal_budget.load()}
    for kind in KINDS:
        if source == "random":
            rows += vanishing.random_flow(kind, steps, scale=1.0, forget_bias=1.0)
        elif SHIPPED[kind] in shipped:
            model, vocab = models.load_char_model(SHIPPED[kind])
            rows += vanishing.trained_flow(model, vocab, steps, vanishing.LABEL[kind])
    return pd.DataFrame(rows) if rows else None


@st.cache_data(show_spinner=False, max_entries=64)
def _flow_spec(df: pd.DataFrame, title: str) -> dict:
    chart = alt.Chart(df.assign(norm=df["norm"].clip(lower=1e-30)), title=title).mark_line(point=True).encode(
        x=alt.X("distance:Q", title="distance T − t (time steps)"),
        y=alt.Y("norm:Q", title="gradient size (log scale)", scale=alt.Scale(type="log")),
        color=alt.Color("model:N", scale=COLORS, title=None, legend=alt.Legend(orient="bottom")),
        tooltip=["model", "distance", alt.Tooltip("norm:Q", format=".2e")])
    return chart.to_dict()


@st.fragment
@guard.demo_guard("GRU gradient flow")
def gradient_flow() -> None:
    """The gradient-flow measurement of section 3.1, now with the GRU beside the RNN and the LSTM."""
    cols = st.columns(2)
    source = cols[0].radio("Weights", ["random", "trained"], horizontal=True, key="m03-gru-source",
                           format_func={"random": "random (fresh initialisation)",
                                        "trained": "trained (the equal-budget trio)"}.get)
    steps = cols[1].slider("sequence length T", 5, 100, 50, 5, key="m03-gru-steps")
    df = flow(source, steps)
    if df is None:
        st.info("The trained Shakespeare models are not shipped here, so this view shows nothing rather than "
                "made-up numbers; switch to random weights.", icon=":material/hourglass_empty:")
        return
    charts.draw_spec(_flow_spec(df, "‖∂h_T/∂h_t‖ for a vanilla RNN, an LSTM and a GRU"), height=420)
    far = df[df["distance"] == df["distance"].max()].set_index("model")["norm"]
    st.caption(" · ".join(f"{m}: {v:.2e} at distance {int(df['distance'].max())}" for m, v in far.items()) +
               (". Trained: layer 1 of shakespeare-rnn, -lstm and -gru (same size, same recipe, same CPU budget) "
                "reading the opening of Tiny Shakespeare." if source == "trained" else
                ". Random: fresh cells with 32 units reading random input (the LSTM's forget-gate bias at 1)."))
