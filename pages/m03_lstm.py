"""Module 3: vanishing gradients and LSTMs. Gradient flow measured by autograd, the telephone game, the gate
playground and real gate activations of the trained Shakespeare LSTM."""

import html

import altair as alt
import pandas as pd
import streamlit as st
import torch

from core.lessons import analysis
from core.models import inference, sampling
from core.training import checkpoints
from core.ui import jargon, lesson, models, shell
from core.ui import quiz as quiz_ui
from core.ui.lessons import rnn_demos
from core.ui.lessons.rnn_demos import LSTM_COLOR, MEMORY, RNN_COLOR, STATE

ctx = shell.course_page("m03")
lesson.module_header(ctx)

PASSAGE = ("First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n\n"
           "First Citizen:\nYou are all resolved rather to die than to famish?\n")
KIND_COLORS = alt.Scale(domain=["vanilla RNN", "LSTM", "your model"], range=[RNN_COLOR, LSTM_COLOR, STATE])
LABEL = {"rnn": "vanilla RNN", "lstm": "LSTM"}


@st.cache_data(show_spinner="Back-propagating...", max_entries=64)
def own_flow(name: str, steps: int) -> pd.DataFrame:
    """‖∂h_T/∂h_t‖ for layer 1 of a learner's own model (models.own_key name) on the same passage."""
    inference.configure_threads()
    model, vocab = models.load_char_model(name)
    ids = vocab.encode(PASSAGE[:steps], unknown="skip") or [0] * steps
    norms = analysis.gradient_flow(analysis.trained_cell(model, dtype=torch.float32),
                                   analysis.embed_text(model, ids, torch.float32))
    return pd.DataFrame([{"model": "your model", "distance": len(ids) - t, "norm": n} for t, n in enumerate(norms)])


@st.cache_data(show_spinner="Back-propagating...", max_entries=64)
def flow(source: str, steps: int, scale: float, forget_bias: float) -> pd.DataFrame | None:
    inference.configure_threads()  # one intra-op thread: 2 threads on a busy 2-core box were 30-100x slower
    rows = []
    for kind in ("rnn", "lstm"):
        if source == "random":
            cell = analysis.random_cell(kind, hidden=32, input_size=16, recurrent_scale=scale if kind == "rnn"
                                        else 1.0, forget_bias=forget_bias)
            xs = analysis.random_inputs(steps, 16)
        else:
            name = rnn_demos.available(kind)
            if name is None:
                continue
            model, entry = models.get_model(name)
            ids = checkpoints.vocab_of(entry).encode(PASSAGE[:steps], unknown="skip")
            # float32 halves the cost of the 256-copy backward pass; 1e-30-sized gradients still fit in it
            cell, xs = analysis.trained_cell(model, dtype=torch.float32), analysis.embed_text(model, ids, torch.float32)
        norms = analysis.gradient_flow(cell, xs)
        rows += [{"model": LABEL[kind], "distance": steps - t, "norm": n} for t, n in enumerate(norms)]
    return pd.DataFrame(rows) if rows else None


@st.fragment
def gradient_flow() -> None:
    st.subheader("Gradient flow simulator",
                 help=jargon.tip("Backpropagation through time (BPTT)", "Vanishing gradient", "Exploding gradient"))
    st.markdown("How strongly does the last hidden state h_T still depend on the state a few steps back? We "
                "measure it exactly with autograd: the size (Frobenius norm) of the Jacobian ∂h_T/∂h_t, for every "
                "t. For the LSTM the state at step t is both h_t and the cell state c_t.")
    cols = st.columns(2)
    source = cols[0].radio("Weights", ["random", "trained"], horizontal=True, key="m03-source",
                           format_func={"random": "random (fresh initialisation)",
                                        "trained": "trained on Shakespeare"}.get)
    steps = cols[1].slider("sequence length T", 5, 100, 50, 5, key="m03-steps")
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
        missing = [k for k in ("rnn", "lstm") if rnn_demos.available(k) is None]
        for kind in missing:
            rnn_demos.missing(kind)
        st.caption("Trained weights: layer 1 of each shipped model (and of yours, if you added one), reading the "
                   "opening of Tiny Shakespeare.")


@st.cache_data(show_spinner=False, max_entries=32)
def telephone(source: str, steps: int) -> pd.DataFrame | None:
    inference.configure_threads()  # one intra-op thread: 2 threads on a busy 2-core box were 30-100x slower
    rows = []
    for kind in ("rnn", "lstm"):
        if source == "random":
            cell, xs = analysis.random_cell(kind, hidden=32, input_size=16), analysis.random_inputs(steps, 16)
            alt_x = -xs[0]
        else:
            name = rnn_demos.available(kind)
            if name is None:
                continue
            model, entry = models.get_model(name)
            vocab = checkpoints.vocab_of(entry)
            ids = vocab.encode(PASSAGE[:steps], unknown="skip")
            cell, xs = analysis.trained_cell(model), analysis.embed_text(model, ids)
            alt_x = analysis.embed_text(model, vocab.encode("S"))[0]  # "First" -> "Sirst"
        diffs = analysis.influence_of_first_input(cell, xs, alt_x)
        rows += [{"model": LABEL[kind], "t": t + 1, "diff": d} for t, d in enumerate(diffs)]
    return pd.DataFrame(rows) if rows else None


@st.fragment
def telephone_game() -> None:
    st.subheader("The telephone game: does step 1 still matter at step 50?")
    st.markdown("We run each model twice on the same input, changing only the very first item, and measure how "
                "far apart the two hidden states are at every later step. If the difference dies out, the "
                "message from step 1 was lost along the line.")
    source = st.radio("Weights", ["trained", "random"], horizontal=True, key="m03-tel-source",
                      format_func={"random": "random", "trained": "trained (first letter 'F' → 'S')"}.get)
    df = telephone(source, 50)
    if df is None:
        rnn_demos.missing("rnn")
        return
    df = df.assign(diff=df["diff"].clip(lower=1e-12))
    st.altair_chart(alt.Chart(df, title="‖h_t − h_t′‖ after changing only step 1").mark_line().encode(
        x=alt.X("t:Q", title="time step t"), y=alt.Y("diff:Q", title="difference in h_t (log scale)",
                                                     scale=alt.Scale(type="log")),
        color=alt.Color("model:N", scale=KIND_COLORS, title=None)), width="stretch")
    last = df[df["t"] == 50].set_index("model")["diff"]
    cols = st.columns(len(last))
    for col, (m, v) in zip(cols, last.items(), strict=True):
        col.metric(f"{m}: influence of step 1 at step 50", f"{v:.2e}")


@st.fragment
def gate_playground() -> None:
    st.subheader("LSTM gate playground", help=jargon.tip("LSTM", "Cell state", "Gate", "Forget gate"))
    st.markdown("One LSTM memory cell with its gates set by hand. The cell state follows "
                "c_t = f·c_(t−1) + i·g and the output is h_t = o·tanh(c_t).")
    cols = st.columns(4)
    f = cols[0].slider("forget gate f", 0.0, 1.0, 0.9, 0.01, key="m03-f")
    i = cols[1].slider("input gate i", 0.0, 1.0, 0.5, 0.01, key="m03-i")
    o = cols[2].slider("output gate o", 0.0, 1.0, 1.0, 0.01, key="m03-o")
    g = cols[3].slider("candidate g", -1.0, 1.0, 0.8, 0.05, key="m03-g")
    once = st.toggle("Write only at step 1, then close the input gate", key="m03-once")
    run = analysis.gate_playground(f, i, o, g, steps=40, write_steps=1 if once else None)
    df = pd.DataFrame({"t": range(1, 41), "cell state c_t": run.c, "hidden state h_t": run.h}).melt(
        "t", var_name="state", value_name="value")
    st.altair_chart(alt.Chart(df, title="Cell and hidden state over time").mark_line().encode(
        x=alt.X("t:Q", title="time step t"), y=alt.Y("value:Q", title="value"),
        color=alt.Color("state:N", scale=alt.Scale(domain=["cell state c_t", "hidden state h_t"],
                                                   range=[MEMORY, STATE]), title=None)), width="stretch")
    st.metric("c₄₀", f"{run.c[-1]:.4f}")
    st.caption("Try f = 1 with 'write only at step 1': the value is held perfectly, forever. Lower f and it "
               "leaks away geometrically; o only decides how much of the memory is shown, not what is kept.")


@st.fragment
def predict_then_reveal() -> None:
    st.subheader("Predict, then reveal: real gates of the trained LSTM")
    choice = models.pick_charlm(ctx, "m03-but-model", rnn_demos.CHAR_MODELS["lstm"], kinds=("lstm",),
                                label="LSTM model")
    if choice is None:
        return
    name = choice.name
    text = st.text_input("A sentence with a turn in it", value="I came to praise him, but he would not stay.",
                         max_chars=80, key="m03-but-text")
    tr = rnn_demos.trace(name, text, 0)
    if tr is None:
        st.caption("None of these characters are in the model's vocabulary.")
        return
    labels = [f"{t + 1}: {ch if ch.strip() else '␣'}" for t, ch in enumerate(tr.chars)]
    guess = st.select_slider("Your prediction: at which character does the model forget the most (lowest "
                             "average forget gate)?", labels, key="m03-but-guess")
    if not st.toggle("Reveal the real gate activations", key="m03-but-reveal"):
        st.caption("Make your guess first; the answer is computed from the model, not written in advance.")
        return
    rows = [{"pos": t, "label": labels[t], "gate": name_, "mean": sum(v[t]) / len(v[t])}
            for name_, v in (("forget f", tr.gates["f"]), ("input i", tr.gates["i"]), ("output o", tr.gates["o"]))
            for t in range(len(labels))]
    df = pd.DataFrame(rows)
    st.altair_chart(alt.Chart(df, title=f"Average gate value over the {choice.config['hidden']} units of layer 1"
                              ).mark_line(
        point=True).encode(x=alt.X("label:N", sort=labels, title="character"),
                           y=alt.Y("mean:Q", title="average gate value (0 = closed, 1 = open)"),
                           color=alt.Color("gate:N", title=None), tooltip=["label", "gate",
                                                                           alt.Tooltip("mean:Q", format=".3f")]),
                    width="stretch")
    forget = df[df["gate"] == "forget f"].reset_index(drop=True)
    lowest = int(forget["mean"].idxmin())
    hit = abs(labels.index(guess) - lowest) <= 2
    (st.success if hit else st.info)(
        f"Lowest average forget gate at **{labels[lowest]}** ({forget['mean'][lowest]:.3f}); you picked "
        f"**{guess}**{' — within two characters, well predicted!' if hit else '.'} Whether a word like "
        "“but” resets memory is something to check, not assume: this small model may react more to spaces "
        "and punctuation than to meaning.")


DEBUG = {"Model A": "debug-lstm-bad", "Model B": "debug-lstm-good"}


@st.cache_data(show_spinner="Running diagnostics...")
def debug_facts(name: str) -> dict:
    inference.configure_threads()  # one intra-op thread: 2 threads on a busy 2-core box were 30-100x slower
    model, entry = rnn_demos.get_debug_model(name)
    vocab = checkpoints.vocab_of(entry)
    ids = vocab.encode(PASSAGE[:60], unknown="skip")
    tr = analysis.hidden_trace(model, ids, list(PASSAGE[:60]))
    f = [v for row in tr.gates["f"] for v in row]
    return {"val": entry["metrics"]["val_loss_nats_per_char"], "curve": entry["curve"],
            "sample": sampling.sample(model, vocab, length=160, temperature=0.8, prime="ROMEO:", seed=0),
            "forget": sum(f) / len(f), "flow": analysis.gradient_flow(analysis.trained_cell(model),
                                                                     analysis.embed_text(model, ids))}


@st.fragment
def debug_the_lstm() -> None:
    st.subheader("Debug the LSTM")
    if not rnn_demos.debug_available():
        st.info("The debug pair (checkpoints/debug) is not shipped yet; run `python -m core.training.debug_lstm`.")
        return
    st.markdown("Two small LSTMs (1 layer, 96 units) were trained on Tiny Shakespeare with identical settings "
                "and the same time budget, except one line of initialisation code. One of them has a bug. Look at "
                "the evidence a training run normally gives you, then decide.")
    facts = {label: debug_facts(name) for label, name in DEBUG.items()}
    curves = pd.DataFrame([{"model": label, "step": s, "loss": v} for label, f in facts.items()
                           for s, v in f["curve"]])
    st.altair_chart(alt.Chart(curves, title="Training loss").mark_line().encode(
        x=alt.X("step:Q", title="training step"), y=alt.Y("loss:Q", title="training loss (nats per character)"),
        color=alt.Color("model:N", title=None)), width="stretch")
    cols = st.columns(2)
    for col, (label, f) in zip(cols, facts.items(), strict=True):
        col.metric(f"{label}: validation loss", f"{f['val']:.3f} nats/char")
        col.markdown(f'<pre style="white-space: pre-wrap">{html.escape(f["sample"])}</pre>', unsafe_allow_html=True)
    guess = st.radio("Which model has the bug?", list(DEBUG), index=None, horizontal=True, key="m03-debug-guess")
    if guess is None:
        return
    st.markdown("Now the diagnostics you would run when loss alone is not conclusive:")
    cols = st.columns(2)
    for col, (label, f) in zip(cols, facts.items(), strict=True):
        col.metric(f"{label}: average forget gate", f"{f['forget']:.2f}")
    flow_df = pd.DataFrame([{"model": label, "distance": len(f["flow"]) - t, "norm": max(n, 1e-30)}
                            for label, f in facts.items() for t, n in enumerate(f["flow"])])
    st.altair_chart(alt.Chart(flow_df, title="‖∂h_T/∂h_t‖ of each trained model").mark_line().encode(
        x=alt.X("distance:Q", title="distance T − t (time steps)"),
        y=alt.Y("norm:Q", title="gradient size (log scale)", scale=alt.Scale(type="log")),
        color=alt.Color("model:N", title=None)), width="stretch")
    bad = next(label for label, name in DEBUG.items() if name == "debug-lstm-bad")
    good = next(label for label in DEBUG if label != bad)
    fb, fg = facts[bad], facts[good]
    ratio = fg["flow"][0] / max(fb["flow"][0], 1e-300)
    loss_note = (f"Its validation loss is even {fg['val'] - fb['val']:.3f} nats/char better here" if fb["val"] <= fg["val"]
                 else f"Its validation loss is only {fb['val'] - fg['val']:.3f} nats/char worse")
    full = checkpoints.entry("shakespeare-lstm")["metrics"]["val_loss_nats_per_char"]
    (st.success if guess == bad else st.warning)(
        f"The bug is in **{bad}**: its forget-gate bias started at −5, so σ(−5) ≈ 0.007 and every forget gate "
        f"began almost shut. After training its forget gates average {fb['forget']:.2f} (against "
        f"{fg['forget']:.2f}), so it wipes most of its cell state every step, and the gradient from "
        f"{len(fb['flow'])} steps back is {ratio:.1e} times smaller than the healthy model's. {loss_note}: after "
        f"their short runs both models are still learning short-range letter statistics (validation "
        f"{fb['val']:.2f} and {fg['val']:.2f} nats/char, against {full:.2f} for the fully trained Shakespeare "
        "LSTM), which need little long memory. So this bug hides in early loss curves and shows up in gate "
        "statistics and gradient flow.")


st.subheader("Why gradients vanish or explode")
lesson.text("m03", "why-vanish")
st.dataframe(pd.DataFrame([{"factor per step": f, "after 20 steps": f"{f ** 20:.3g}",
                            "what the gradient does": verdict}
                           for f, verdict in ((0.5, "vanishes: step 1 has no say"), (1.0, "survives"),
                                              (2.0, "explodes: one step swamps training"))]), hide_index=True)
st.markdown("Real factors are matrices, and tanh's slope (at most 1, near 0 when a unit saturates) pushes them "
            "below 1, so in practice vanishing is the common failure. The simulator measures the real product.")

gradient_flow()
telephone_game()
st.subheader("Why LSTMs work better")
lesson.text("m03", "why-lstm")
gate_playground()
predict_then_reveal()
debug_the_lstm()
lesson.section_checklist(ctx)
lesson.still_to_come(ctx.module.interactive, built=(
    "Gate matching quiz", "Gradient flow simulator", "Telephone game: RNN vs LSTM", "LSTM gate playground",
    "Predict-then-reveal gate activations", "Debug-the-LSTM challenge"))
quiz_ui.module_quiz(ctx)
lesson.takeaways(ctx)
lesson.next_step(ctx)
