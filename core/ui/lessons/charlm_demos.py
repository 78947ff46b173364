"""Module 4 interactive demos: the 'hello' RNN trained live, the temperature playground, the guess-the-next-
character game and the loss/perplexity calculators. Numbers come from core.lessons.hello, core.lessons.guessing or
the shipped LSTM; the lesson text is in assets/lessons/m04.md."""

from __future__ import annotations

import functools

import altair as alt
import pandas as pd
import streamlit as st

from core.lessons import guessing, hello
from core.models import inference, sampling
from core.training import checkpoints
from core.ui import charts, guard, lesson, models, urlstate
from core.ui.lessons import rnn_demos

SHOWN = {" ": "␣", "\n": "⏎"}
TAUS = (0.5, 1.0, 1.5)
SAMPLE_LENGTH = 200
TOP = 15  # characters shown in the distribution chart
HELLO_FIRST = (3, 100, 0)  # hidden units, training steps, seed of the 'hello' RNN's first view
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
            x=alt.X("char:N", sort=list(hello.VOCAB), title=None,
                    axis=alt.Axis(labelAngle=0, labelOverlap=False)),  # one letter per 14 px bar: all fit upright
            y=alt.Y("probability:Q", axis=alt.Axis(format="%")),
            color=alt.Color("is target:N", scale=alt.Scale(domain=[True, False],
                                                           range=[rnn_demos.STATE, rnn_demos.BIAS]),
                            legend=alt.Legend(title="correct next char", orient="bottom")),
            column=alt.Column("step:N", title=None, sort=None),
            tooltip=["char", alt.Tooltip("logit:Q", format=".3f"), alt.Tooltip("probability:Q", format=".3f")],
        ).properties(width=56, height=140)  # four panels fit a 390 px phone (at 90 px they were cut)
    )


def warm() -> None:
    """Compute what this page's demos show first (core.ui.warmup calls it once per process, in the background):
    the 'hello' RNN at its first settings and the shipped LSTM's samples and distribution for the default text."""
    _hello(*HELLO_FIRST[:2], 0.1, HELLO_FIRST[2])
    name = rnn_demos.available("lstm")
    if name is not None:
        prime = DEFAULT_PRIME.replace("\n", " ")
        for tau in TAUS:
            models.sample(name, prime, tau, 0, SAMPLE_LENGTH)
        _distribution_spec(name, prime, 1.0)


@st.fragment
def hello_example() -> None:
    st.subheader("Train the 'hello' RNN yourself")
    lesson.text("m04", "hello-intro")
    cols = st.columns(3)
    hidden = cols[0].slider("hidden units", 2, 16, HELLO_FIRST[0], key="m04-hello-hidden")
    steps = cols[1].slider("training steps (Adam)", 0, 300, HELLO_FIRST[1], 10, key="m04-hello-steps")
    seed = cols[2].number_input("random seed", 0, 999, HELLO_FIRST[2], key="m04-hello-seed")
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
    length = SAMPLE_LENGTH
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

    start_tau = urlstate.get("tau", 1.0, valid=lambda t: 0.1 <= t <= 3.0)  # a shared link may set the start
    charts.draw_client(_distribution_spec(name, prime, start_tau))
    st.caption("The model ran once on your text; the slider reshapes its distribution in your browser, as "
               "softmax(log p / τ).")


@st.cache_data(show_spinner=False, max_entries=256)
def _distribution_spec(name: str, prime: str, tau: float) -> dict:
    return distribution_spec(next_probs(name, prime), tau)


def distribution_spec(dist: list[tuple[str, float]], tau: float = 1.0, top: int = TOP) -> dict:
    """The next-character distribution at τ = 1 and at the slider's τ, for the `top` most likely characters; the
    browser reshapes the whole distribution as hello.with_temperature does (log p / τ, subtract the max, exp,
    normalise over every character), so the bars and the readout match the server's numbers. Only the data changes
    with the model's text: it goes into a chart built once per (τ, top), since building and validating the Altair
    chart cost ~60 CPU-ms, a third of a new prime's server time (tests/load/bench.py --cost)."""
    rows = [{"char": _show(ch), "p": p, "rank": r} for r, (ch, p) in enumerate(dist)]
    return {**_distribution_chart(tau, top), "data": {"values": rows}}


@functools.lru_cache(maxsize=32)
def _distribution_chart(tau: float, top: int) -> dict:
    """distribution_spec without its data (the characters are ordered by their rank field, not by a list)."""
    param = charts.slider("tau", "τ for the next-character distribution", 0.1, 3.0, 0.1, tau)
    bars = alt.Chart().transform_filter(f"datum.rank < {top}").transform_fold(
        ["p", "q"], as_=["which", "probability"]).transform_calculate(
        temperature="datum.which == 'p' ? 'τ = 1' : 'your τ'").mark_bar().encode(
        x=alt.X("char:N", sort=alt.EncodingSortField("rank", op="min"), title="next character",
                axis=alt.Axis(labelAngle=0)),
        xOffset=alt.XOffset("temperature:N", sort=["τ = 1", "your τ"]),
        y=alt.Y("probability:Q", axis=alt.Axis(format="%")),
        color=alt.Color("temperature:N", sort=["τ = 1", "your τ"], legend=alt.Legend(orient="bottom", title=None)),
        tooltip=["char:N", "temperature:N", alt.Tooltip("probability:Q", format=".3f")])
    line = charts.readout("'top character at τ = ' + format(tau, '.1f') + ': ' + format(datum.q, '.1%') + ' (' + "
                          "(abs(datum.q - datum.p) < 0.0005 ? '±0.0%' : format(datum.q - datum.p, '+.1%')) + "
                          "' vs τ = 1)'", where="datum.rank == 0")
    chart = (alt.layer(bars, line, data=alt.Data(values=[{"char": "", "p": 1.0, "rank": 0}])).add_params(param)
             .transform_calculate(l="log(datum.p) / tau").transform_joinaggregate(l_max="max(l)")
             .transform_calculate(e="exp(datum.l - datum.l_max)").transform_joinaggregate(e_sum="sum(e)")
             .transform_calculate(q="datum.e / datum.e_sum")
             .properties(title=f"The {top} likeliest next characters", height=400))
    spec = charts.client_spec(chart, lines=1)
    if set(spec["data"]) != {"values"}:
        raise AssertionError("the chart's data must be inline values so distribution_spec can replace them")
    return spec


@st.fragment
@guard.demo_guard("Guess the next character")
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

    @guard.demo_guard("Guess the next character")

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
        charts.draw_client(cross_entropy_spec())
    with right:
        charts.draw_client(perplexity_spec())
        name = rnn_demos.available("lstm")
        if name is not None:
            val = checkpoints.entry(name)["metrics"]["val_loss_nats_per_char"]
            st.caption(f"For comparison, the shipped {name} scores {val} nats per character on held-out text "
                       f"(from its manifest): {hello.bits(val):.3f} bits, perplexity {hello.perplexity(val):.2f}.")


@functools.cache
def cross_entropy_spec(p: float = 0.25) -> dict:
    """The loss of one prediction, −ln p, as a curve with the slider's p marked; the readout mirrors
    hello.cross_entropy, hello.bits and hello.perplexity."""
    param = charts.slider("p_true", "probability given to the true next character", 0.001, 1.0, 0.001, p)
    curve = alt.Chart(alt.sequence(0.001, 1.0005, 0.001, as_="p")).transform_calculate(
        loss="-log(datum.p)").mark_line(color=rnn_demos.BIAS).encode(
        x=alt.X("p:Q", title="probability of the true next character", scale=alt.Scale(domain=[0, 1])),
        y=alt.Y("loss:Q", title="loss = −ln p (nats)"))
    point = charts.one_row().transform_calculate(p="p_true", loss="-log(p_true)").mark_point(
        filled=True, size=90, color=rnn_demos.STATE).encode(x="p:Q", y="loss:Q")
    readings = charts.one_row().transform_calculate(
        loss="-log(p_true)").transform_calculate(bits="datum.loss / LN2", ppl="exp(datum.loss)")
    lines = [charts.readout("'p = ' + format(p_true, '.3f') + ': loss = ' + format(datum.loss, '.4f') + ' nats = ' + "
                            "format(datum.bits, '.4f') + ' bits'", 0, 2, base=readings),
             charts.readout("'perplexity if every character scored so: ' + format(datum.ppl, '.3f')", 1, 2,
                            base=readings)]
    chart = alt.layer(curve, point, *lines).add_params(param).properties(height=320)
    return charts.client_spec(chart, lines=2)


@functools.cache
def perplexity_spec(loss: float = 1.5) -> dict:
    """Perplexity e^L against an average loss L (log scale) with the slider's L marked; the readout mirrors
    hello.bits and hello.perplexity."""
    param = charts.slider("avg_loss", "average loss (nats per character)", 0.0, 10.0, 0.05, loss)
    curve = alt.Chart(alt.sequence(0, 10.025, 0.05, as_="loss")).transform_calculate(
        ppl="exp(datum.loss)").mark_line(color=rnn_demos.BIAS).encode(
        x=alt.X("loss:Q", title="average loss L (nats per character)"),
        y=alt.Y("ppl:Q", title="perplexity e^L (log scale)", scale=alt.Scale(type="log")))
    point = charts.one_row().transform_calculate(loss="avg_loss", ppl="exp(avg_loss)").mark_point(
        filled=True, size=90, color=rnn_demos.STATE).encode(x="loss:Q", y="ppl:Q")
    readings = charts.one_row().transform_calculate(bits="avg_loss / LN2", ppl="exp(avg_loss)")
    lines = [charts.readout("'bits per character = ' + format(avg_loss, '.2f') + ' / ln 2 = ' + "
                            "format(datum.bits, '.4f')", 0, 2, base=readings),
             charts.readout("'perplexity = e^' + format(avg_loss, '.2f') + ' = ' + format(datum.ppl, '.3f')", 1, 2,
                            base=readings)]
    chart = alt.layer(curve, point, *lines).add_params(param).properties(height=320)
    return charts.client_spec(chart, lines=2)

