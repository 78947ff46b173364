"""Module 2: the RNN architecture. Colour-coded equations, the live worked example, the what-if explorer and
two demos on the trained Shakespeare RNN."""

import random

import altair as alt
import pandas as pd
import streamlit as st

from core.lessons import worked
from core.ui import codelab, jargon, lesson, models, shell
from core.ui import quiz as quiz_ui
from core.ui.lessons import charlm_demos, rnn_demos, speed_round
from core.ui.lessons.rnn_demos import BIAS, INPUT, MEMORY, STATE

ctx = shell.course_page("m02")
lesson.module_header(ctx)


def c(color: str, tex: str) -> str:
    return rf"\textcolor{{{color}}}{{{tex}}}"


def vec(v: list[float]) -> str:
    return r"\begin{bmatrix}" + r"\\".join(f"{x:+.3f}" for x in v) + r"\end{bmatrix}"


st.subheader("The idea of recurrence")
st.markdown("Any programmer has written a loop that carries a variable from one pass to the next:")
st.code("""total = 0
for x in readings:
    total = 0.9 * total + x   # the new value depends on the input and on the old value
""", language="python")
st.markdown("An RNN is that loop with the update *learned*: the variable becomes a vector of a few hundred numbers "
            "(the hidden state), and the rule that mixes the old state with the new input is a small neural "
            "network whose weights come from training. The same weights run at every pass, so one model handles "
            "inputs of any length. This is Karpathy's point: a network with a loop does not just map a fixed input "
            "to a fixed output, it runs a program over its inputs, and training chooses the program.")

st.subheader("The one equation of a vanilla RNN", help=jargon.tip("Vanilla RNN", "Hidden state", "tanh"))
st.markdown("At every step the network mixes two things: what it reads now and what it remembered a moment ago. "
            "The colours stay the same everywhere on this page: **blue** is the new input, **orange** is the "
            "memory carried over, **green** is the updated memory.")
st.latex(rf"{c(STATE, 'h_t')} = \tanh\big({c(INPUT, 'W_{{xh}}')}\,{c(INPUT, 'x_t')} + "
         rf"{c(MEMORY, 'W_{{hh}}')}\,{c(MEMORY, 'h_{{t-1}}')} + {c(BIAS, 'b_h')}\big)")
st.latex(rf"y_t = W_{{hy}}\,{c(STATE, 'h_t')} + b_y, \qquad p(\text{{next token}}) = \mathrm{{softmax}}(y_t)")
st.dataframe(pd.DataFrame([
    ("x_t", "input at step t (an embedding)", "E", "changes every step"),
    ("h_{t-1}", "hidden state: the memory so far", "H", "changes every step"),
    ("W_xh", "how the input enters the memory", "H × E", "learned, shared by all steps"),
    ("W_hh", "how old memory feeds the new", "H × H", "learned, shared by all steps"),
    ("b_h", "bias", "H", "learned"),
    ("h_t", "the new hidden state", "H", "changes every step"),
    ("W_hy, b_y", "read-out to a score per vocabulary item", "V × H, V", "learned"),
], columns=["symbol", "meaning", "shape", "varies?"]), hide_index=True)
st.caption("A *layer* is the set of weights; the *hidden state* is the vector those weights produce at one "
           "step. One layer, many hidden states: one per step, all made by the same W_xh, W_hh and b_h.")


def number_grid(label: str, values: list[list[float]], key: str, row_names: list[str]) -> list[list[float]]:
    st.markdown(label)
    out = []
    for r, row in enumerate(values):
        cols = st.columns(len(row) + 1)
        cols[0].markdown(row_names[r])
        out.append([cols[j + 1].number_input(f"{key}[{r},{j}]", value=float(v), step=0.1, format="%.2f",
                                             key=f"{key}-{r}-{j}", label_visibility="collapsed")
                    for j, v in enumerate(row)])
    return out


@st.fragment
def worked_example() -> None:
    st.subheader("Worked example: “cat sat here”, computed live", help=jargon.tip("Embedding", "Unrolling"))
    st.markdown("Three words, 2-number embeddings, 2 hidden units. Change any weight and every step below is "
                "recomputed; nothing here is typed in by hand.")
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
    rnn = worked.TinyRNN(dict(zip(worked.WORDS, emb, strict=True)), W_xh, W_hh, b)
    typed = st.text_input("Sequence: up to 6 of the words cat, sat, here, in any order (repeats allowed)",
                          value="cat sat here", max_chars=60, key="m02-seq")
    words = [w for w in typed.lower().split() if w in rnn.embeddings][:6]
    if len(words) != len(typed.split()):
        st.caption("Only cat, sat and here have embeddings (at most 6 words); other words were left out.")
    steps = worked.run(rnn, words)
    for s in steps:
        st.markdown(f"**Step {s.t}: “{s.word}”**")
        st.latex(rf"{c(STATE, f'h_{s.t}')} = \tanh\big({c(INPUT, vec(s.input_part))} + "
                 rf"{c(MEMORY, vec(s.memory_part))} + {c(BIAS, vec(b))}\big) = \tanh{vec(s.pre)} = "
                 rf"{c(STATE, vec(s.h))}")
    if steps:
        st.dataframe(pd.DataFrame([{"step": s.t, "word": s.word, "x_t": str([round(v, 3) for v in s.x]),
                                    "W_xh·x_t": str([round(v, 3) for v in s.input_part]),
                                    "W_hh·h_(t-1)": str([round(v, 3) for v in s.memory_part]),
                                    "h_t": str([round(v, 3) for v in s.h])} for s in steps]), hide_index=True)
        st.caption("Notice step 1: with h₀ = 0 the memory term is exactly zero. From step 2 on, the orange term "
                   "carries what came before, which is why the same word gives a different h_t in a new position.")
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
    st.subheader("What if? Change W_hh and watch the memory")
    st.markdown("An 8-unit RNN reads random input for a few steps, then silence (x = 0). With no input, only "
                "W_hh decides what happens to the memory.")
    cols = st.columns(3)
    scheme = cols[0].selectbox("W_hh", worked.SCHEMES, key="m02-whh",
                               format_func={"identity": "scale × identity", "zero": "all zeros",
                                            "random": "scale × random"}.get)
    scale = cols[1].slider("scale", 0.0, 5.0, 1.0, 0.1, key="m02-scale", disabled=scheme == "zero")
    input_steps = cols[2].slider("steps with input", 1, 10, 3, key="m02-input-steps")
    tr = worked.trajectory(worked.recurrent_matrix(scheme, 8, scale), steps=30, input_steps=input_steps)
    df = pd.DataFrame([{"t": t + 1, "unit": f"unit {u + 1}", "h": v} for t, row in enumerate(tr.h)
                       for u, v in enumerate(row)])
    lines = alt.Chart(df, title="h_t of each hidden unit").mark_line().encode(
        x=alt.X("t:Q", title="time step t"), y=alt.Y("h:Q", title="h_t (tanh output, -1 to 1)",
                                                      scale=alt.Scale(domain=[-1, 1])),
        color=alt.Color("unit:N", legend=None), tooltip=["t", "unit", alt.Tooltip("h:Q", format=".3f")])
    rule = alt.Chart(pd.DataFrame({"t": [input_steps + 0.5]})).mark_rule(strokeDash=[4, 4]).encode(x="t:Q")
    st.altair_chart(lines + rule, width="stretch")
    sat = pd.DataFrame({"t": range(1, 31), "saturated": tr.saturated})
    st.altair_chart(alt.Chart(sat, title="Share of units saturated (|h| > 0.95)").mark_area(
        color=STATE, opacity=0.6).encode(x=alt.X("t:Q", title="time step t"),
                                          y=alt.Y("saturated:Q", title="share of units", axis=alt.Axis(format="%"),
                                                  scale=alt.Scale(domain=[0, 1]))).properties(height=200),
                    width="stretch")
    last = tr.norm[-1]
    st.metric("‖h₃₀‖ after the input stopped", f"{last:.3f}", help="0 means the memory is gone.")
    st.caption("Try: zeros (memory vanishes the moment input stops); identity at scale 1 (the memory fades only "
               "slowly, since tanh shrinks it a little each step); identity at scale 3 or more (units pin at ±1: "
               "saturated, so the slope of tanh there is almost 0 and gradients die, a preview of Module 3; with "
               "a random W_hh only some units saturate).")


@st.fragment
def visualiser() -> None:
    st.subheader("Hidden-state visualiser: a trained char model reads your text")
    choice = models.pick_charlm(ctx, "m02-vis-model", rnn_demos.CHAR_MODELS["rnn"])
    if choice is None:
        return
    cfg = choice.config
    text = st.text_input("Type some text", value="ROMEO: But soft, what light", max_chars=120, key="m02-vis-text")
    layer = st.radio("Layer", list(range(1, cfg["layers"] + 1)), horizontal=True, key="m02-vis-layer")
    tr = rnn_demos.trace(choice.name, text, layer - 1)
    if tr is None:
        st.caption("None of these characters are in the model's vocabulary.")
        return
    st.altair_chart(rnn_demos.heatmap(tr.hidden, tr.chars, min(24, cfg["hidden"]),
                                      f"h_t of layer {layer}, one column per character", "h_t"), width="stretch")
    st.caption(f"Real activations of {choice.label} ({cfg['layers']}-layer {cfg['kind'].upper()}, "
               f"{cfg['hidden']} units). Red is positive, blue negative. Look for units that switch at spaces, "
               "capitals or line breaks.")


LINES = ("To be, or not to be, that is the question", "Now is the winter of our discontent",
         "Friends, Romans, countrymen, lend me your ears", "If music be the food of love, play on",
         "All the world's a stage, and all the men and women merely players",
         "What's in a name? That which we call a rose")


@st.fragment
def next_char_game() -> None:
    st.subheader("What comes next? You against the model",
                 help=jargon.tip("Character-level language model", "Softmax"))
    name = rnn_demos.available("rnn")
    if name is None:
        rnn_demos.missing("rnn")
        return
    state = st.session_state.setdefault("m02-game", {"round": 0, "you": 0, "model": 0, "revealed": False})
    rng = random.Random(state["round"])
    line = LINES[rng.randrange(len(LINES))]
    cut = rng.randrange(8, len(line))
    prefix, answer = line[:cut], line[cut]
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
        shown = {" ": "␣", "\n": "⏎"}
        st.markdown(f"The real next character is **{shown.get(answer, answer)}**. You guessed "
                    f"**{shown.get(guess, guess)}**; the model's top guess was **{shown.get(top[0][0], top[0][0])}**.")
        df = pd.DataFrame([{"char": shown.get(ch, ch), "p": p} for ch, p in top])
        st.altair_chart(alt.Chart(df, title="The model's five most likely next characters").mark_bar(
            color=STATE).encode(x=alt.X("p:Q", title="probability", axis=alt.Axis(format="%")),
                                y=alt.Y("char:N", sort="-x", title="next character")).properties(height=150),
                        width="stretch")
        cols[1].button("Next round", key="m02-next",
                       on_click=lambda: state.update(round=state["round"] + 1, revealed=False))
    st.metric("Score: you vs the model", f"{state['you']} : {state['model']}")
    st.caption("The lines are famous Shakespeare; some of them are in the text the model was trained on, so "
               "it may have seen them. The model's top guess is its most likely character, computed live.")


worked_example()
what_if()
visualiser()
next_char_game()
speed_round.show(ctx)
lesson.section_checklist(ctx)
labs_built = codelab.page_labs(ctx)
lesson.still_to_come(ctx.module.interactive, built=(
    "Hand-calculation exercise", "What-if explorer for W_hh", "Hidden state visualizer",
    "What-comes-next prediction game", "Timed speed round") + labs_built)
quiz_ui.module_quiz(ctx)
lesson.takeaways(ctx)
lesson.next_step(ctx)
