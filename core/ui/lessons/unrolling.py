"""Module 2 section 2.3: the RNN drawn as a loop and unrolled over the characters a learner types, with the forward
path and, on request, the backward path labelled with gradient sizes from one real backward pass through the shipped
vanilla RNN (core.lessons.unrolling)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.lessons import unrolling
from core.models import inference
from core.ui import guard, models
from core.ui.lessons import rnn_demos
from core.ui.lessons.rnn_demos import INPUT, MEMORY, STATE

BACKWARD = "#d62728"
DEFAULT_TEXT = "ROMEO"
SHOWN = {" ": "␣", "\n": "⏎", '"': "''", "\\": "⧵"}


def _show(ch: str) -> str:
    return SHOWN.get(ch, ch)


LOOP_DOT = f"""digraph loop {{
  rankdir=BT; bgcolor="transparent"; ranksep=0.35;
  node [fontname="Helvetica", fontsize=11, width=0.45, height=0.35]; edge [fontsize=10, arrowsize=0.7];
  x [label="x_t", shape=box, style=filled, fillcolor="{INPUT}22", color="{INPUT}"];
  h [label="h_t", shape=circle, style=filled, fillcolor="{STATE}22", color="{STATE}"];
  y [label="y_t", shape=box];
  x -> h [label=" W_xh", color="{INPUT}"];
  h -> h [label=" W_hh", color="{MEMORY}"];
  h -> y [label=" W_hy"];
}}"""


@st.cache_data(show_spinner="Back-propagating...", max_entries=64)
def trace(name: str, text: str) -> unrolling.Unrolled | None:
    inference.configure_threads()
    model, vocab = models.load_char_model(name)
    return unrolling.trace_back(model, vocab, text)


def unrolled_dot(u: unrolling.Unrolled, backward: bool) -> str:
    """Graphviz source of the unrolled network: x_t bottom, h_t middle, y_t top; backward edges in red."""
    T = len(u.chars)
    lines = ['digraph unrolled {', '  rankdir=BT; bgcolor="transparent"; nodesep=0.35; ranksep=0.4;',
             '  node [fontname="Helvetica", fontsize=11, width=0.5, height=0.4, margin="0.05,0.03"];',
             '  edge [fontname="Helvetica", fontsize=10, arrowsize=0.7];']
    for t in range(1, T + 1):
        ch, (guess, p) = u.chars[t - 1], u.guesses[t - 1]
        lines.append(f'  x{t} [label="x{t}\\n\\"{_show(ch)}\\"", shape=box, style=filled, fillcolor="{INPUT}22", '
                     f'color="{INPUT}"];')
        lines.append(f'  h{t} [label="h{t}", shape=circle, style=filled, fillcolor="{STATE}22", color="{STATE}"];')
        lines.append(f'  y{t} [label="y{t}\\n\\"{_show(guess)}\\" {p:.0%}", shape=box];')
        lines.append(f'  x{t} -> h{t} [color="{INPUT}"]; h{t} -> y{t};')
        if t > 1:
            lines.append(f'  h{t - 1} -> h{t} [color="{MEMORY}", penwidth=1.6];')
    lines.append("  { rank=same; " + " ".join(f"x{t};" for t in range(1, T + 1)) + " }")
    lines.append("  { rank=same; " + " ".join(f"h{t};" for t in range(1, T + 1)) + " }")
    lines.append("  { rank=same; " + " ".join(f"y{t};" for t in range(1, T + 1)) + " }")
    if backward:
        style = f'color="{BACKWARD}", fontcolor="{BACKWARD}", style=dashed, constraint=false'
        lines.append(f'  y{T} -> h{T} [{style}, label="{u.state_grad[-1]:.2g}"];')
        for t in range(T, 1, -1):
            lines.append(f'  h{t} -> h{t - 1} [{style}, label="{u.state_grad[t - 2]:.2g}"];')
        lines.append(f'  h1 -> x1 [{style}, label="{u.input_grad[0]:.2g}"];')
    lines.append("}")
    return "\n".join(lines)


@st.fragment
@guard.demo_guard("Unrolled RNN view")
def unrolled_view() -> None:
    """The loop, the unrolled chain over the learner's characters, and the backward path from the last output."""
    left, right = st.columns([1, 3])
    with left:
        st.graphviz_chart(LOOP_DOT, width="content")
        st.caption("The loop, drawn once.")
    name = rnn_demos.available("rnn")
    with right:
        if name is None:
            rnn_demos.missing("rnn")
            return
        text = st.text_input(f"Characters to unroll over (up to {unrolling.MAX_STEPS})", DEFAULT_TEXT,
                             max_chars=unrolling.MAX_STEPS, key="m02-unroll-text")
        backward = st.toggle("Show the backward path from the last prediction", value=True, key="m02-unroll-back")
    u = trace(name, text)
    if u is None:
        st.caption("None of these characters are in the model's vocabulary.")
        return
    st.graphviz_chart(unrolled_dot(u, backward), width="content")
    T = len(u.chars)
    st.caption(f"The same loop, unrolled over {T} steps of the shipped vanilla RNN ({name}, two stacked layers: "
               "each h_t circle stands for both layers' states). y_t shows its most likely next character and its "
               "probability." + (
                   f" Red, dashed: one backward pass from log p(\"{_show(u.target)}\") at y{T}; each label is the "
                   "size of the gradient reaching that state (or, on the last arrow, the input x1)."
                   if backward else ""))
    table = pd.DataFrame({"step t": range(1, T + 1), "x_t": [_show(c) for c in u.chars],
                          "y_t (top guess)": [f"{_show(g)} ({p:.1%})" for g, p in u.guesses],
                          f"‖∂ log p(y{T}) / ∂h_t‖": [round(v, 4) for v in u.state_grad],
                          f"‖∂ log p(y{T}) / ∂x_t‖": [round(v, 4) for v in u.input_grad]})
    st.dataframe(table, hide_index=True, width="stretch")
