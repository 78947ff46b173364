"""Module 3's equal-budget experiment (lab 2): the shipped RNN, GRU and LSTM trained for the same CPU time, shown from
their manifest entries as a table, validation curves against updates, CPU time or characters read, the training log
(loss and gradient norm) and an equal-updates comparison. Rows come from core.lessons.equal_budget."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from core.lessons import equal_budget as budget
from core.ui import charts, lesson
from core.ui.lessons.gru_lesson import GRU_COLOR
from core.ui.lessons.rnn_demos import LSTM_COLOR, RNN_COLOR

COLORS = alt.Scale(domain=["vanilla RNN", "GRU", "LSTM"], range=[RNN_COLOR, GRU_COLOR, LSTM_COLOR])
AXES = {"CPU seconds": "CPU seconds (estimated from updates)", "updates": "updates (optimizer steps)",
        "characters read": "characters read"}
TABLE = ("model", "updates", "perplexity", "perplexity vs RNN", "validation loss (nats/char)", "bits per char",
         "characters read", "seconds per update", "parameters", "training-text loss")  # what matters most first


@st.cache_data(ttl=300, show_spinner=False)
def _runs() -> list[budget.Run]:
    return budget.load()


@st.cache_data(show_spinner=False, max_entries=8)
def _eval_spec(axis: str) -> dict:
    df = pd.DataFrame(budget.eval_rows(_runs()))
    chart = alt.Chart(df, title="Validation loss during training").mark_line(point=True).encode(
        x=alt.X(f"{axis}:Q", title=AXES[axis]),
        y=alt.Y("validation loss:Q", title="nats per character (lower is better)", scale=alt.Scale(zero=False)),
        color=alt.Color("model:N", scale=COLORS, title=None, legend=alt.Legend(orient="bottom")),
        tooltip=["model", "updates", "CPU seconds", "characters read", "validation loss", "perplexity"])
    return chart.to_dict()


@st.cache_data(show_spinner=False, max_entries=8)
def _log_spec(measure: str) -> dict:
    df = pd.DataFrame(budget.log_rows(_runs()))
    title = {"training loss": "nats per character (training batches)",
             "gradient norm": "gradient norm before clipping (clip at 1.0)"}[measure]
    chart = alt.Chart(df, title=f"Training log: {measure}").mark_line().encode(
        x=alt.X("updates:Q", title="updates (optimizer steps)"),
        y=alt.Y(f"{measure}:Q", title=title, scale=alt.Scale(zero=False)),
        color=alt.Color("model:N", scale=COLORS, title=None, legend=alt.Legend(orient="bottom")),
        tooltip=["model", "updates", alt.Tooltip(f"{measure}:Q", format=".3f")])
    return chart.to_dict()


def _reading(runs: list[budget.Run]) -> str:
    """The numbers behind the honest reading, all computed from the manifest."""
    by = {r.label: r for r in runs}
    rnn, gru, lstm = by["vanilla RNN"], by["GRU"], by["LSTM"]
    change = {label: (r.perplexity - rnn.perplexity) / rnn.perplexity for label, r in by.items()}
    step = budget.common_step(runs)
    text = (f"At the end of the budget the GRU's perplexity is {abs(change['GRU']):.1%} lower than the vanilla "
            f"RNN's ({gru.perplexity:.2f} vs {rnn.perplexity:.2f}) and the LSTM's is {change['LSTM']:.1%} higher "
            f"({lstm.perplexity:.2f}). But the three did not get the same amount of training: one update cost the "
            f"RNN {budget.seconds_per_update(rnn):.2f} s, the GRU {budget.seconds_per_update(gru):.2f} s and the "
            f"LSTM {budget.seconds_per_update(lstm):.2f} s, so in 900 CPU-seconds the RNN made "
            f"{budget.update_ratio(rnn, lstm):.1f}× as many updates as the LSTM ({rnn.steps:,} vs {lstm.steps:,}) "
            f"and read {rnn.chars_seen / lstm.chars_seen:.1f}× as much text.")
    if step is not None:
        text += (f" Compared at the same number of updates ({step:,}), the validation losses were: " +
                 ", ".join(f"{r.label} {budget.at_step(r, step):.3f}" for r in runs) + " nats per character.")
    return text


@st.fragment
def experiment() -> None:
    """Table, curves and the equal-updates comparison of the three shipped runs."""
    runs = _runs()
    if len(runs) < 3:
        st.info("The three equal-budget checkpoints (shakespeare-rnn, -gru, -lstm) are not all shipped here, so "
                "this comparison shows nothing rather than made-up numbers.", icon=":material/hourglass_empty:")
        return
    rows = pd.DataFrame(budget.summary_rows(runs))[list(TABLE)]
    st.dataframe(rows, hide_index=True, width="stretch", column_config={
        "parameters": st.column_config.NumberColumn(format="localized"),
        "updates": st.column_config.NumberColumn(format="localized"),
        "characters read": st.column_config.NumberColumn(format="localized")})
    axis = st.radio("Validation loss against", list(AXES), horizontal=True, key="m03-eb-axis")
    charts.draw_spec(_eval_spec(axis), height=440)  # the height is Streamlit's: a spec height was squashed
    st.markdown(_reading(runs))
    measure = st.radio("Training log", ["training loss", "gradient norm"], horizontal=True, key="m03-eb-log")
    charts.draw_spec(_log_spec(measure), height=400)
    recipe = runs[0].recipe
    cfg = recipe["train_config"]
    st.caption(
        f"Recipe, identical for all three ({'checked' if budget.same_recipe(runs) else 'NOT identical'}): 2 layers "
        f"of 256 units, 64-dim embedding, dropout 0.1, batch {cfg['batch']} × {cfg['seq_len']} characters, Adam "
        f"at {cfg['lr']} with {cfg['warmup_steps']} warm-up steps and a cosine decay over the time budget, gradient "
        f"clipping at {cfg['clip']}, seed {cfg['seed']}, {cfg['time_budget_s']} CPU-seconds on one thread. "
        "Table: the whole "
        "held-out tenth of Tiny Shakespeare, measured after training. Curve points: the first 50,000 held-out "
        "characters, measured during training (so the two differ a little). CPU seconds on the x-axis are updates × "
        "the run's average seconds per update.")
    lesson.provenance(f"Reproduce one with `{recipe['command']}` (likewise shakespeare-gru, shakespeare-lstm).")
