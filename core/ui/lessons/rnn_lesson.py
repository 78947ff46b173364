"""Module 2's widgets on the tiny RNN of core.lessons.worked: the symbol table, the worked example with editable
weights and its equations computed live, the hand-calculation check, the what-if explorer for W_hh, and the
"what comes next?" game against the shipped RNN."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from core.course import lessons
from core.lessons import next_char, worked
from core.ui.lessons import charlm_demos, rnn_demos
from core.ui.lessons.rnn_demos import BIAS, INPUT, MEMORY, STATE

SYMBOLS = [
    ("x_t", "input at step t (an embedding)", "E", "changes every step"),
    ("h_{t-1}", "hidden state: the memory so far", "H", "changes every step"),
    ("W_xh", "how the input enters the memory", "H × E", "learned, shared by all steps"),
    ("W_hh", "how old memory feeds the new", "H × H", "learned, shared by all steps"),
    ("b_h", "bias", "H", "learned"),
    ("h_t", "the new hidden state", "H", "changes every step"),
    ("W_hy, b_y", "read-out to a score per vocabulary item", "V × H, V", "learned"),
]
SCHEME_NAMES = {"identity": "scale × identity", "zero": "all zeros", "random": "scale × random"}


def c(color: str, tex: str) -> str:
    """LaTeX for `tex` in one of the page's colours."""
    return rf"\textcolor{{{color}}}{{{tex}}}"


def vec(v: list[float]) -> str:
    """A column vector of computed values, three decimals with sign."""
    return r"\begin{bmatrix}" + r"\\".join(f"{x:+.3f}" for x in v) + r"\end{bmatrix}"


def symbol_table() -> None:
    st.dataframe(pd.DataFrame(SYMBOLS, columns=["symbol", "meaning", "shape", "varies?"]), hide_index=True)
    st.caption(lessons.block("m02", "layer-vs-state"))


def number_grid(label: str, values: list[list[float]], key: str, row_names: list[str]) -> list[list[float]]:
    """A matrix of number inputs, one row of columns per matrix row; returns the edited values."""
    st.markdown(label)
    out = []
    for r, row in enumerate(values):
        cols = st.columns(len(row) + 1)
        cols[0].markdown(row_names[r])
        out.append([cols[j + 1].number_input(f"{key}[{r},{j}]", value=float(v), step=0.1, format="%.2f",
                                             key=f"{key}-{r}-{j}", label_visibility="collapsed")
                    for j, v in enumerate(row)])
    return out


def _edited_rnn() -> worked.TinyRNN:
    base = worked.TinyRNN()
    with st.expander("Edit the embeddings and weights", icon=":material/tune:"):
        left, right = st.columns(2)
        with left:
            emb = number_grid("**Embeddings** (x for each word)", [base.embeddings[w] for w in worked.WORDS],
                              "emb", list(worked.WORDS))
            b = number_grid("**b_h**", [base.b_h], "b", ["b_h"])[0]
        with right:
            W_xh = number_grid("**W_xh** (2 × 2)", base.W_xh, "wxh", ["row 1", "row 2"])
            W_hh = number_grid("**W_hh** (2 × 2)", base.W_hh, "whh", ["row 1", "row 2"])
    return worked.TinyRNN(dict(zip(worked.WORDS, emb, strict=True)), W_xh, W_hh, b)


@st.fragment
def worked_example() -> None:
    """Every step of the tiny RNN on the learner's sequence, as a coloured equation and a table, then the
    hand-calculation exercise on the same weights."""
    rnn = _edited_rnn()
    typed = st.text_input("Sequence: up to 6 of the words cat, sat, here, in any order (repeats allowed)",
                          value="cat sat here", max_chars=60, key="m02-seq")
    words = [w for w in typed.lower().split() if w in rnn.embeddings][:6]
    if len(words) != len(typed.split()):
        st.caption("Only cat, sat and here have embeddings (at most 6 words); other words were left out.")
    steps = worked.run(rnn, words)
    for s in steps:
        st.markdown(f"**Step {s.t}: “{s.word}”**")
        st.latex(rf"{c(STATE, f'h_{s.t}')} = \tanh\big({c(INPUT, vec(s.input_part))} + "
                 rf"{c(MEMORY, vec(s.memory_part))} + {c(BIAS, vec(rnn.b_h))}\big) = \tanh{vec(s.pre)} = "
                 rf"{c(STATE, vec(s.h))}")
    if steps:
        st.dataframe(pd.DataFrame([{"step": s.t, "word": s.word, "x_t": str([round(v, 3) for v in s.x]),
                                    "W_xh·x_t": str([round(v, 3) for v in s.input_part]),
                                    "W_hh·h_(t-1)": str([round(v, 3) for v in s.memory_part]),
                                    "h_t": str([round(v, 3) for v in s.h])} for s in steps]), hide_index=True)
        st.caption(lessons.block("m02", "worked-note"))
    hand_calculation(rnn)


def hand_calculation(rnn: worked.TinyRNN) -> None:
    st.markdown("#### Your turn: compute h₂ by hand")
    first, target = worked.run(rnn, ["cat", "sat"])[:2]
    st.markdown(f"Take h₁ for “cat”, [{first.h[0]:.3f}, {first.h[1]:.3f}] with the current weights (step 1 above "
                "when your sequence starts with cat), and the embedding of “sat”. Compute both units of h₂ for "
                "the sequence “cat sat” (a calculator is fine; two decimals).")
    cols = st.columns(3)
    a = cols[0].number_input("h₂, unit 1", value=0.0, step=0.01, format="%.3f", key="m02-hand-1")
    b = cols[1].number_input("h₂, unit 2", value=0.0, step=0.01, format="%.3f", key="m02-hand-2")
    if cols[2].button("Check my answer", key="m02-hand-check"):
        ok = worked.check_answer(target, [a, b])
        if all(ok):
            st.success(f"Correct: h₂ = [{target.h[0]:.3f}, {target.h[1]:.3f}].")
        else:
            wrong = ", ".join(f"unit {i + 1}" for i, good in enumerate(ok) if not good)
            st.error(f"Not yet ({wrong} off by more than 0.01). Hint: pre-activation = W_xh·x₂ + W_hh·h₁ + b_h "
                     f"= [{target.pre[0]:.3f}, {target.pre[1]:.3f}]; now apply tanh to each.")


def _trajectory_charts(tr: worked.Trajectory, input_steps: int) -> tuple[alt.LayerChart, alt.Chart]:
    df = pd.DataFrame([{"t": t + 1, "unit": f"unit {u + 1}", "h": v} for t, row in enumerate(tr.h)
                       for u, v in enumerate(row)])
    lines = alt.Chart(df, title="h_t of each hidden unit").mark_line().encode(
        x=alt.X("t:Q", title="time step t"), y=alt.Y("h:Q", title="h_t (tanh output, -1 to 1)",
                                                      scale=alt.Scale(domain=[-1, 1])),
        color=alt.Color("unit:N", legend=None), tooltip=["t", "unit", alt.Tooltip("h:Q", format=".3f")])
    rule = alt.Chart(pd.DataFrame({"t": [input_steps + 0.5]})).mark_rule(strokeDash=[4, 4]).encode(x="t:Q")
    sat = pd.DataFrame({"t": range(1, len(tr.saturated) + 1), "saturated": tr.saturated})
    area = alt.Chart(sat, title="Share of units saturated (|h| > 0.95)").mark_area(color=STATE, opacity=0.6).encode(
        x=alt.X("t:Q", title="time step t"),
        y=alt.Y("saturated:Q", title="share of units", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
    ).properties(height=200)
    return lines + rule, area


@st.fragment
def what_if() -> None:
    """An 8-unit RNN under a W_hh the learner picks: each unit's h_t, the saturated share and the final norm."""
    cols = st.columns(3)
    scheme = cols[0].selectbox("W_hh", worked.SCHEMES, key="m02-whh", format_func=SCHEME_NAMES.get)
    scale = cols[1].slider("scale", 0.0, 5.0, 1.0, 0.1, key="m02-scale", disabled=scheme == "zero")
    input_steps = cols[2].slider("steps with input", 1, 10, 3, key="m02-input-steps")
    tr = worked.trajectory(worked.recurrent_matrix(scheme, 8, scale), steps=30, input_steps=input_steps)
    lines, area = _trajectory_charts(tr, input_steps)
    st.altair_chart(lines, width="stretch")
    st.altair_chart(area, width="stretch")
    st.metric("‖h₃₀‖ after the input stopped", f"{tr.norm[-1]:.3f}", help="0 means the memory is gone.")
    st.caption(lessons.block("m02", "what-if-try"))


SHOWN = {" ": "␣", "\n": "⏎"}


def _top_chart(top: list[tuple[str, float]]) -> alt.Chart:
    df = pd.DataFrame([{"char": SHOWN.get(ch, ch), "p": p} for ch, p in top])
    return alt.Chart(df, title="The model's five most likely next characters").mark_bar(color=STATE).encode(
        x=alt.X("p:Q", title="probability", axis=alt.Axis(format="%")),
        y=alt.Y("char:N", sort="-x", title="next character")).properties(height=150)


@st.fragment
def next_char_game() -> None:
    """One famous line cut short per round: the learner and the shipped RNN each guess the next character."""
    name = rnn_demos.available("rnn")
    if name is None:
        rnn_demos.missing("rnn")
        return
    state = st.session_state.setdefault("m02-game", {"round": 0, "you": 0, "model": 0, "revealed": False})
    prefix, answer = next_char.puzzle(state["round"])
    st.markdown(f"Round {state['round'] + 1}. Continue this line by one character:")
    st.code(prefix + "▌", language=None)
    guess = st.text_input("Your guess (one character; a space counts)", max_chars=1, key=f"m02-guess-{state['round']}")
    cols = st.columns(2)

    def reveal() -> None:
        state["you"] += st.session_state[f"m02-guess-{state['round']}"] == answer
        state["model"] += charlm_demos.next_probs(name, prefix)[0][0] == answer
        state["revealed"] = True

    cols[0].button("Reveal", key="m02-reveal", disabled=state["revealed"] or not guess, on_click=reveal)
    if state["revealed"]:
        top = charlm_demos.next_probs(name, prefix)[:5]
        st.markdown(f"The real next character is **{SHOWN.get(answer, answer)}**. You guessed "
                    f"**{SHOWN.get(guess, guess)}**; the model's top guess was **{SHOWN.get(top[0][0], top[0][0])}**.")
        st.altair_chart(_top_chart(top), width="stretch")
        cols[1].button("Next round", key="m02-next",
                       on_click=lambda: state.update(round=state["round"] + 1, revealed=False))
    st.metric("Score: you vs the model", f"{state['you']} : {state['model']}")
    st.caption(lessons.block("m02", "game-note"))
