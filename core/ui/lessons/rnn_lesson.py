"""Module 2's widgets on the tiny RNN of core.lessons.worked: the symbol table, the worked example with editable
weights and its equations computed live, the hand-calculation check, the what-if explorer for W_hh, and the
"what comes next?" game against the shipped RNN."""

from __future__ import annotations

import functools

import altair as alt
import pandas as pd
import streamlit as st
import torch

from core.course import lessons
from core.lessons import next_char, worked
from core.ui import charts
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
SHORT_NAMES = {"identity": "scale × I", "zero": "0", "random": "scale × random"}  # chart titles fit at 390 px


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
        # three lines, so that a phone's column holds the equation
        st.latex(rf"\begin{{aligned}}{c(STATE, f'h_{s.t}')} &= \tanh\big({c(INPUT, vec(s.input_part))} + "
                 rf"{c(MEMORY, vec(s.memory_part))} \\ &\qquad + {c(BIAS, vec(rnn.b_h))}\big) \\ "
                 rf"&= \tanh{vec(s.pre)} = {c(STATE, vec(s.h))}\end{{aligned}}")
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


@st.fragment
def what_if() -> None:
    """An 8-unit RNN under a W_hh the learner picks: each unit's h_t, the saturated units and the final norm. The
    scale and input-step sliders are part of the chart and recompute in the browser (whatif_spec)."""
    scheme = st.selectbox("W_hh", worked.SCHEMES, key="m02-whh", format_func=SCHEME_NAMES.get)
    charts.draw_client(whatif_spec(scheme))
    st.caption(lessons.block("m02", "what-if-try"))


# ---------------------------------------------------------------- the what-if explorer, computed in the browser
# worked.trajectory has no closed form in the scale (tanh sits between the steps), but it is 30 steps of an 8 x 8
# matrix times a vector: the browser runs the recurrence itself, unrolled into one Vega expression per unit and step,
# from inputs and a matrix the server draws once with worked.trajectory's seed. The scale and the number of input
# steps are sliders under the chart; the choice of W_hh (which changes the expressions) stays a server widget.
# tests/ui/test_client_charts_m02.py checks every number against worked.trajectory.
WHATIF_HIDDEN, WHATIF_STEPS, WHATIF_MAX_INPUT, SATURATED = 8, 30, 10, 0.95
ROOT_HIDDEN = WHATIF_HIDDEN ** 0.5  # worked.recurrent_matrix divides scale * randn by this


def whatif_draws(seed: int = 0) -> tuple[list[list[float]], list[list[float]]]:
    """(W_xh x_t for the first WHATIF_MAX_INPUT steps, the random scheme's randn matrix before scale and /√H): the
    draws worked.trajectory and worked.recurrent_matrix make with this seed."""
    g = torch.Generator().manual_seed(seed)
    xw = torch.randn(WHATIF_STEPS, WHATIF_HIDDEN, generator=g, dtype=torch.float64)[:WHATIF_MAX_INPUT]
    g = torch.Generator().manual_seed(seed)
    return xw.tolist(), torch.randn(WHATIF_HIDDEN, WHATIF_HIDDEN, generator=g, dtype=torch.float64).tolist()


def _tanh(z: str) -> str:
    """tanh, which Vega's expression language lacks, in a form that neither overflows nor divides ∞ by ∞."""
    return f"1 - 2 / (exp(2 * ({z})) + 1)"


def whatif_steps(scheme: str) -> list[tuple[str, str]]:
    """(field, expression) per step in order: W_hh's entries, then h{t}_{u} = tanh(W_xh x_t + W_hh h_{t-1}) for t
    = 0..29 (x_t only while t < input_steps), then the share saturated at each step and ‖h₃₀‖."""
    H, out = WHATIF_HIDDEN, []
    if scheme == "random":
        out += [(f"w{u}_{v}", f"(scale * datum.g{u}_{v}) / {ROOT_HIDDEN!r}") for u in range(H) for v in range(H)]
    for t in range(WHATIF_STEPS):
        for u in range(H):
            if t == 0 or scheme == "zero":
                memory = "0"
            elif scheme == "identity":
                memory = f"scale * datum.h{t - 1}_{u}"
            else:
                memory = " + ".join(f"datum.w{u}_{v} * datum.h{t - 1}_{v}" for v in range(H))
            pre = f"(input_steps > {t} ? datum.x{t}_{u} : 0) + ({memory})" if t < WHATIF_MAX_INPUT else memory
            out.append((f"h{t}_{u}", _tanh(pre)))
    for t in range(WHATIF_STEPS):
        out.append((f"sat{t}", "(" + " + ".join(f"(abs(datum.h{t}_{u}) > {SATURATED})" for u in range(H)) + f") / {H}"))
    last = WHATIF_STEPS - 1
    out.append(("norm", "sqrt(" + " + ".join(f"datum.h{last}_{u} * datum.h{last}_{u}" for u in range(H)) + ")"))
    return out


@functools.cache
def whatif_spec(scheme: str, scale: float = 1.0, input_steps: int = 3) -> dict:
    """Each unit's h_t over 30 steps (saturated points as dots, the last input step dashed) under the W_hh scheme,
    with sliders for the scale and the steps with input; ‖h₃₀‖ and the saturated share above."""
    H = WHATIF_HIDDEN
    xw, g = whatif_draws()
    row = {f"x{t}_{u}": xw[t][u] for t in range(WHATIF_MAX_INPUT) for u in range(H)}
    if scheme == "random":
        row |= {f"g{u}_{v}": g[u][v] for u in range(H) for v in range(H)}
    params = [charts.slider("input_steps", "steps with input", 1, WHATIF_MAX_INPUT, 1, input_steps)]
    if scheme != "zero":  # all zeros has no scale
        params.insert(0, charts.slider("scale", "scale of W_hh", 0.0, 5.0, 0.1, scale))
    long = alt.Chart().transform_fold([f"h{t}_{u}" for t in range(WHATIF_STEPS) for u in range(H)],
                                      as_=["_key", "h"]).transform_window(
        _k="row_number()").transform_calculate(t="floor((datum._k - 1) / 8) + 1",
                                               unit="'unit ' + ((datum._k - 1) % 8 + 1)")
    x = alt.X("t:Q", title="time step t", scale=alt.Scale(domain=[1, WHATIF_STEPS]))
    y = alt.Y("h:Q", title="h_t (tanh output, −1 to 1)", scale=alt.Scale(domain=[-1, 1]))
    color = alt.Color("unit:N", legend=None)
    lines = long.mark_line(strokeWidth=1.5).encode(x=x, y=y, color=color, detail="unit:N",
                                                   tooltip=["t:Q", "unit:N", alt.Tooltip("h:Q", format=".3f")])
    dots = long.transform_filter(f"abs(datum.h) > {SATURATED}").mark_point(filled=True, size=28).encode(
        x=x, y=y, color=color)
    rule = charts.one_row().transform_calculate(t="input_steps + 0.5").mark_rule(strokeDash=[4, 4]).encode(x="t:Q")
    last = WHATIF_STEPS - 1
    lines_text = [charts.readout("'‖h₃₀‖ after the input stopped: ' + format(datum.norm, '.3f') + "
                                 "(datum.norm == 0 ? ' (the memory is gone)' : '')", 0, 2),
                  charts.readout(f"'saturated (|h| > {SATURATED}, dots) at step 30: ' + "
                                 f"format(datum.sat{last} * {H}, '.0f') + ' of {H} units'", 1, 2)]
    chart = alt.layer(lines, dots, rule, *lines_text, data=alt.Data(values=[row]))
    for name, expr in whatif_steps(scheme):
        chart = chart.transform_calculate(**{name: expr})
    chart = chart.add_params(*params).properties(height=320, title=f"h_t per unit, W_hh = {SHORT_NAMES[scheme]}")
    return charts.client_spec(chart, lines=2)


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
