"""Module 4 interactive demos: the 'hello' RNN trained live, the temperature playground, the guess-the-next-
character game and the loss/perplexity calculators. Numbers come from core.lessons.hello, core.lessons.guessing or
the shipped LSTM; the lesson text is in assets/lessons/m04.md."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from core.lessons import guessing, hello
from core.models import inference, sampling
from core.training import checkpoints
from core.ui import lesson, models, urlstate
from core.ui.lessons import rnn_demos

SHOWN = {" ": "␣", "\n": "⏎"}
TAUS = (0.5, 1.0, 1.5)
DEFAULT_PRIME = "ROMEO:\n"


def _show(ch: str) -> str:
    return SHOWN.get(ch, ch)


@st.cache_data(show_spinner="Training the tiny RNN...", max_entries=16)
def _hello(hidden: int, steps: int, lr: float, seed: int):
    inference.configure_threads()  # 2 intra-op threads make these tiny ops ~20x slower on a 2-core box
    before, after, losses = hello.train(hello.HelloConfig(hidden=hidden, steps=steps, lr=lr, seed=seed))
    return hello.views(before), hello.views(after), losses


def _step_table(views: list[hello.StepView]) -> pd.DataFrame:
    rows = []
    for s in views:
        for i, ch in enumerate(hello.VOCAB):
            rows.append({"step": f"{s.t}: '{s.char}' → '{s.target}'", "char": ch, "one-hot input": s.one_hot[i],
                         "logit": s.logits[i], "probability": s.probs[i], "is target": ch == s.target})
    return pd.DataFrame(rows)


def _prob_chart(views: list[hello.StepView], title: str) -> alt.Chart:
    df = _step_table(views)
    return (
        alt.Chart(df, title=title).mark_bar().encode(
            x=alt.X("char:N", sort=list(hello.VOCAB), title=None),
            y=alt.Y("probability:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
            color=alt.Color("is target:N", scale=alt.Scale(domain=[True, False],
                                                           range=[rnn_demos.STATE, rnn_demos.BIAS]),
                            legend=alt.Legend(title="correct next char", orient="bottom")),
            column=alt.Column("step:N", title=None, sort=None),
            tooltip=["char", alt.Tooltip("logit:Q", format=".3f"), alt.Tooltip("probability:Q", format=".3f")],
        ).properties(width=90, height=140)
    )


@st.fragment
def hello_example() -> None:
    st.subheader("Train the 'hello' RNN yourself")
    lesson.text("m04", "hello-intro")
    cols = st.columns(3)
    hidden = cols[0].slider("hidden units", 2, 16, 3, key="m04-hello-hidden")
    steps = cols[1].slider("training steps (Adam)", 0, 300, 100, 10, key="m04-hello-steps")
    seed = cols[2].number_input("random seed", 0, 999, 0, key="m04-hello-seed")
    before, after, losses = _hello(hidden, steps, 0.1, int(seed))
    left, right = st.columns(2)
    left.metric("average loss before training", f"{hello.mean_loss(before):.3f} nats")
    right.metric("after training", f"{hello.mean_loss(after):.3f} nats",
                 delta=f"{hello.mean_loss(after) - hello.mean_loss(before):.3f}", delta_color="inverse")
    st.altair_chart(_prob_chart(before, "Before training: softmax at each step"), width="content")
    st.altair_chart(_prob_chart(after, f"After {steps} steps: softmax at each step"), width="content")
    if losses:
        st.altair_chart(alt.Chart(pd.DataFrame({"step": range(1, len(losses) + 1), "loss": losses}),
                                  title="Training loss (mean cross-entropy over the 4 steps)")
                        .mark_line(color=rnn_demos.STATE).encode(x="step:Q", y=alt.Y("loss:Q", title="nats")),
                        width="stretch")
    which = st.radio("Show the numbers", ["after training", "before training"], horizontal=True,
                     key="m04-hello-which")
    views = after if which == "after training" else before
    table = pd.DataFrame([{"step": s.t, "input": s.char, "one-hot x_t": s.one_hot, "target": s.target,
                           "logits y_t": [round(v, 2) for v in s.logits],
                           "softmax p": [round(v, 3) for v in s.probs],
                           "p(target)": round(s.probs[hello.VOCAB.index(s.target)], 3),
                           "loss = -ln p(target)": round(s.loss, 3)} for s in views])
    st.dataframe(table, hide_index=True, width="stretch")
    st.caption("Vectors are in the order h, e, l, o. Everything here is computed now by core/lessons/hello.py; "
               "change the seed or the number of steps and every number moves.")


@st.cache_data(show_spinner=False, max_entries=256)
def next_probs(name: str, prefix: str) -> list[tuple[str, float]]:
    """The model's whole next-character distribution at tau 1, most likely first (shipped or own_key name)."""
    model, vocab = models.load_char_model(name)
    probs = sampling.next_char_distribution(model, vocab, prefix)
    chars = vocab.chars
    return sorted(((chars[i], float(p)) for i, p in enumerate(probs)), key=lambda cp: -cp[1])


@st.fragment
def temperature_playground(ctx=None) -> None:
    """Pass the page's ctx to offer the learner's own trained models next to the shipped ones."""
    st.subheader("Temperature playground")
    choice = models.pick_charlm(ctx, "m04-temp-model", rnn_demos.CHAR_MODELS["lstm"])
    if choice is None:
        return
    name = choice.name
    prime = st.text_input("Start the text with", value=urlstate.get("prime", DEFAULT_PRIME.replace("\n", " ")),
                          max_chars=200, key="m04-prime")
    urlstate.put("prime", prime, DEFAULT_PRIME.replace("\n", " "))
    seed = st.session_state.setdefault("m04-temp-seed", urlstate.get("seed", 0, valid=lambda s: 0 <= s < 10**6))
    length = 200
    cols = st.columns(len(TAUS))
    for col, tau in zip(cols, TAUS, strict=True):
        col.markdown(f"**τ = {tau}**")
        col.code(prime + models.sample(name, prime, tau, seed, length), language=None, wrap_lines=True)
    st.button("Re-sample", key="m04-resample", icon=":material/casino:",
              on_click=lambda: st.session_state.update({"m04-temp-seed": seed + 1}))
    urlstate.put("seed", seed, 0)
    cfg = choice.config
    st.caption(f"{length} characters each from {choice.label} ({cfg['layers']}-layer {cfg['kind'].upper()}, "
               f"{cfg['hidden']} units), the same random draws (seed {seed}) for all three, so only the "
               "temperature differs.")

    tau = st.slider("τ for the next-character distribution", 0.1, 3.0,
                    urlstate.get("tau", 1.0, valid=lambda t: 0.1 <= t <= 3.0), 0.1, key="m04-tau")
    urlstate.put("tau", tau, 1.0)
    dist = next_probs(name, prime)
    reshaped = hello.with_temperature([p for _, p in dist], tau)
    df = pd.DataFrame([{"char": _show(ch), "τ = 1": p, f"τ = {tau:g}": q}
                       for (ch, p), q in zip(dist[:15], reshaped[:15], strict=True)])
    df = df.melt("char", var_name="temperature", value_name="probability")
    st.altair_chart(alt.Chart(df, title="Next character after your text: the 15 most likely").mark_bar().encode(
        x=alt.X("char:N", sort=None, title="next character"),
        xOffset="temperature:N",
        y=alt.Y("probability:Q", axis=alt.Axis(format="%")),
        color=alt.Color("temperature:N", legend=alt.Legend(orient="bottom")),
        tooltip=["char", "temperature", alt.Tooltip("probability:Q", format=".3f")]), width="stretch")
    st.metric(f"top character's probability at τ = {tau:g}", f"{max(reshaped):.1%}",
              delta=f"{max(reshaped) - dist[0][1]:+.1%} vs τ = 1")


@st.fragment
def guess_game() -> None:
    st.subheader("Guess the next character")
    name = rnn_demos.available("lstm")
    if name is None:
        rnn_demos.missing("lstm")
        return
    state = st.session_state.setdefault("m04-game", {"round": 0, "you": 0, "model": 0, "top3": 0,
                                                     "revealed": False})
    prefix, answer = guessing.game_round(state["round"])
    st.code(prefix + "▌", language=None)
    key = f"m04-guess-{state['round']}"
    guess = st.text_input("Your guess (one character; a space counts)", max_chars=1, key=key)

    def reveal() -> None:
        got = guessing.score(st.session_state[key], answer, next_probs(name, prefix))
        state["you"] += got.you
        state["model"] += got.model
        state["top3"] += got.top3
        state["revealed"] = True

    cols = st.columns(2)
    cols[0].button("Reveal", key="m04-reveal", disabled=state["revealed"] or not guess, on_click=reveal)
    if state["revealed"]:
        top = next_probs(name, prefix)
        p_answer = guessing.answer_probability(answer, top)
        st.markdown(f"Answer: **{_show(answer)}**; you said **{_show(guess)}**. The model gave the answer "
                    f"{p_answer:.1%}, a loss of {hello.cross_entropy(max(p_answer, 1e-12)):.2f} nats.")
        st.dataframe(pd.DataFrame([{"rank": i + 1, "character": _show(ch), "probability": f"{p:.1%}"}
                                   for i, (ch, p) in enumerate(top[:3])]), hide_index=True)
        cols[1].button("Next round", key="m04-next",
                       on_click=lambda: state.update(round=state["round"] + 1, revealed=False))
    m = st.columns(3)
    m[0].metric("you", state["you"])
    m[1].metric("model's first choice", state["model"])
    m[2].metric("answer in model's top 3", state["top3"])
    st.caption(f"Round {state['round'] + 1}. The model is {name}; its probabilities are computed live.")


def calculators() -> None:
    st.subheader("Cross-entropy and perplexity calculators")
    left, right = st.columns(2)
    with left:
        p = st.number_input("probability the model gave the true next character", 0.0001, 1.0, 0.25, 0.01,
                            format="%.4f", key="m04-calc-p")
        nats = hello.cross_entropy(p)
        st.markdown(f"loss = −ln {p:g} = **{nats:.4f} nats** = **{hello.bits(nats):.4f} bits**; "
                    f"if every character scored like this, perplexity = e^loss = **{hello.perplexity(nats):.3f}**.")
    with right:
        loss = st.number_input("average loss (nats per character)", 0.0, 10.0, 1.5, 0.05, key="m04-calc-loss")
        st.markdown(f"bits per character = {loss:g} / ln 2 = **{hello.bits(loss):.4f}**; "
                    f"perplexity = **{hello.perplexity(loss):.3f}**.")
        name = rnn_demos.available("lstm")
        if name is not None:
            val = checkpoints.entry(name)["metrics"]["val_loss_nats_per_char"]
            st.caption(f"For comparison, the shipped {name} scores {val} nats per character on held-out text "
                       f"(from its manifest): {hello.bits(val):.3f} bits, perplexity {hello.perplexity(val):.2f}.")
