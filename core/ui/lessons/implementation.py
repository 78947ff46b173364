"""Module 9, sections 9.1-9.4: the three implementation tracks (NumPy run live, PyTorch run live, Hugging Face
detected), their comparison table, and the worked BPTT examples. Every number is computed when shown; the prose is
in assets/lessons/m09.md."""

from __future__ import annotations

import inspect

import altair as alt
import pandas as pd
import streamlit as st

from core.course import lessons as lesson_text
from core.lessons import bptt_examples, bughunts, curves, numpy_rnn, tracks
from core.models import charlm, inference
from core.training import checkpoints
from core.training import loop as training
from core.ui import lesson

PAGE = "m09"
MAX_SECONDS = 60  # a live run stops after this much wall time, whatever the step count
SHOWN = {" ": "␣", "\n": "⏎"}


@st.cache_data(show_spinner=False)
def practice() -> tuple[str, str]:
    return bughunts.practice_text()


def _curve(losses: list[float], title: str, window: int = 25) -> alt.Chart:
    df = pd.DataFrame({"step": range(1, len(losses) + 1), "loss": losses,
                       "smoothed": curves.trailing_mean(losses, window)})
    long = df.melt("step", var_name="series", value_name="nats")
    return alt.Chart(long, title=title).mark_line().encode(
        x=alt.X("step:Q", title="training step"),
        y=alt.Y("nats:Q", title="training loss (nats per character)", scale=alt.Scale(zero=False)),
        color=alt.Color("series:N", title=None, scale=alt.Scale(domain=["loss", "smoothed"],
                                                                range=["#c7d7ea", "#1f77b4"])))


def track_a() -> None:
    st.header("9.1 Track A: a char-RNN in plain NumPy", divider="gray")
    lesson.text(PAGE, "track-a")
    lesson.text(PAGE, "track-a-origin")
    st.code(inspect.getsource(numpy_rnn.step), language="python")
    src = inspect.getsource(numpy_rnn)
    with st.expander(f"The whole file: core/lessons/numpy_rnn.py ({tracks.code_lines(src)} lines of code)",
                     icon=":material/code:"):
        st.code(src, language="python", line_numbers=True)
    st.caption(lesson_text.block(PAGE, "track-a-source"))
    _track_a_run()


@st.fragment
def _track_a_run() -> None:
    text, source = practice()
    st.markdown(f"**Train it now** on {source}. " + lesson_text.block(PAGE, "track-a-run"))
    cols = st.columns(3)
    hidden = cols[0].select_slider("hidden units", [16, 32, 64, 100, 128], 64, key="m09-a-hidden")
    steps = cols[1].slider("training steps", 100, 3000, 600, 100, key="m09-a-steps")
    lr = cols[2].select_slider("learning rate", [0.01, 0.03, 0.1, 0.3], 0.1, key="m09-a-lr")
    left, right = st.columns([1, 3])
    go = left.button("Train it now", key="m09-a-train", type="primary", icon=":material/play_arrow:")
    right.button("Stop", key="m09-a-stop", icon=":material/stop:",
                 help="Stops the run; the steps done so far and their samples are kept.")
    state = st.session_state
    if go:
        run = tracks.NumpyRun(hidden=hidden, steps=steps, lr=lr)
        state["m09-a-result"] = run  # filled in place, so a click on Stop keeps what is done
        bar, chart, sample_box = st.progress(0.0, text="Starting..."), st.empty(), st.empty()
        every = max(1, steps // 25)

        def on_step(run: tracks.NumpyRun, i: int, loss: float, sampled: bool) -> None:
            if sampled:
                sample_box.code(f"step {i}:\n{run.samples[-1][1]}", language=None, wrap_lines=True)
            if i % every == 0:
                bar.progress(i / steps, text=f"step {i} of {steps} · loss {loss:.3f} nats/char · "
                                             f"{run.chars_per_s:,.0f} characters/s")
                chart.altair_chart(_curve(run.losses, "Training loss so far"), width="stretch")

        tracks.train_numpy_live(text, run, max_seconds=MAX_SECONDS, on_step=on_step)
        bar.progress(1.0, text=f"Done: {len(run.losses)} steps")
        chart.empty()
        sample_box.empty()
        state["m09-speed-A"] = run.chars_per_s
    run = state.get("m09-a-result")
    if not run or not run.losses:
        st.caption("Press *Train it now*. A run stops by itself after "
                   f"{MAX_SECONDS} s; *Stop* ends it sooner and keeps what it has done.")
        return
    done = len(run.losses)
    status = run.stopped if run.stopped != "running" else "stopped by you"
    m = st.columns(3)
    m[0].metric("first loss", f"{run.losses[0]:.3f} nats/char")
    m[1].metric(f"mean loss, last {min(50, done)} steps", f"{run.tail_mean(50):.3f}")
    m[2].metric("training speed", f"{run.chars_per_s:,.0f} chars/s")
    st.altair_chart(_curve(run.losses, f"Track A: {done} steps, hidden {run.hidden}, lr {run.lr} ({status})"),
                    width="stretch")
    for i, sample in run.samples:
        st.code(f"after step {i}:\n{sample}", language=None, wrap_lines=True)
    if run.final_sample is not None:
        st.code(f"at the end, 300 characters at temperature 0.8:\n{run.final_sample}", language=None,
                wrap_lines=True)


def track_b() -> None:
    st.header("9.2 Track B: the PyTorch LSTM", divider="gray")
    lesson.text(PAGE, "track-b")
    with st.expander("The model: TorchCharLM in core/models/charlm.py", icon=":material/code:"):
        st.code(inspect.getsource(charlm.TorchCharLM), language="python")
    with st.expander("The loop: train() in core/training/loop.py", icon=":material/code:"):
        st.code(inspect.getsource(training.train), language="python")
    _shipped_numbers()
    _track_b_run()


def _shipped_numbers() -> None:
    try:
        e = checkpoints.entry("shakespeare-lstm")
    except checkpoints.CheckpointError:
        st.info("The shipped Shakespeare LSTM is not available, so its numbers are not shown.")
        return
    tr = e["training"]
    st.markdown("**What this loop produced offline**: "
                f"a {e['config']['layers']}×{e['config']['hidden']} LSTM, {e['params']:,} parameters, "
                f"{tr['steps']:,} steps in {tr['elapsed_s'] / 60:.0f} "
                f"{'CPU ' if tr.get('budget_clock') == 'cpu' else ''}minutes at "
                f"{tr['chars_per_s']:,.0f} characters/s, validation loss "
                f"**{e['metrics']['val_loss_nats_per_char']:.3f} nats/char** on the last 10% of Tiny Shakespeare.")
    lesson.provenance(f"`{e['recipe']['command']}`, produced {e['produced_at'][:10]}.")


@st.fragment
def _track_b_run() -> None:
    text, source = practice()
    cfg = tracks.LiveLSTM()
    st.markdown(f"**A short live run** of the same loop on {source}: a {cfg.layers}-layer nn.LSTM with {cfg.hidden} "
                f"units, batches of {cfg.batch} windows × {cfg.seq_len} characters, Adam with clipping at {cfg.clip:g}.")
    steps = st.slider("steps", 20, 200, 60, 20, key="m09-b-steps")
    if st.button("Train the LSTM now", key="m09-b-train", icon=":material/play_arrow:"):
        inference.configure_threads()
        bar = st.progress(0.0, text="Starting...")

        def on_step(info: training.StepInfo) -> None:
            bar.progress(info.step / steps, text=f"step {info.step} of {steps} · loss {info.loss:.3f} · "
                                                 f"{info.chars_per_s:,.0f} characters/s")

        run = tracks.train_torch_live(text, steps, cfg, time_budget_s=MAX_SECONDS, on_step=on_step)
        st.session_state["m09-b-result"] = run
        st.session_state["m09-speed-B"] = run.chars_per_s
    run = st.session_state.get("m09-b-result")
    if not run:
        st.caption(f"Press *Train the LSTM now* (a few seconds; never more than {MAX_SECONDS} s).")
        return
    m = st.columns(3)
    m[0].metric("steps", run.steps)
    m[1].metric("validation loss", f"{run.val:.3f} nats/char" if run.val is not None else "n/a")
    m[2].metric("training speed", f"{run.chars_per_s:,.0f} chars/s")
    st.altair_chart(_curve(run.losses, "Track B: training loss", window=5), width="stretch")
    st.code(f"300 characters at temperature 0.8:\n{run.sample}", language=None, wrap_lines=True)


def track_c() -> None:
    st.header("9.3 Track C: fine-tune a pretrained model with Hugging Face", divider="gray")
    lesson.text(PAGE, "track-c")
    ok, why = tracks.hf_status()
    (st.success if ok else st.info)(why, icon=":material/check_circle:" if ok else ":material/info:")
    st.code(inspect.getsource(tracks.finetune_gpt2), language="python")
    if ok and st.button("Fine-tune for 10 steps", key="m09-c-train"):
        text, _ = practice()
        with st.spinner("Fine-tuning GPT-2..."):
            try:
                losses, sample = tracks.finetune_gpt2(text, steps=10)
            except Exception as e:  # noqa: BLE001 (a broken local install must not crash the page)
                st.error(f"Track C could not run: {e}")
                return
        st.line_chart(pd.DataFrame({"loss (nats per token)": losses}))
        st.code(sample, language=None, wrap_lines=True)


@st.cache_data(show_spinner="Measuring both tracks on this server...")
def _bench(text: str) -> dict[str, float]:
    inference.configure_threads()
    return {"A": tracks.numpy_speed(text), "B": tracks.torch_speed(text)}


@st.cache_data(show_spinner=False)
def _line_counts() -> dict[str, int]:
    return {track: tracks.code_lines(src) for track, src in tracks.sources().items()}


def comparison() -> None:
    st.subheader("The three tracks side by side")
    state = st.session_state
    if st.button("Measure training speed of A and B now (about 5 s)", key="m09-compare-measure"):
        speeds = _bench(practice()[0])
        state["m09-speed-A"], state["m09-speed-B"] = speeds["A"], speeds["B"]
    lines = _line_counts()
    ok, _ = tracks.hf_status()

    def speed(track: str) -> str:
        value = state.get(f"m09-speed-{track}")
        return f"{value:,.0f} chars/s" if value else "not measured yet (run it above)"

    rows = {
        "model": ("vanilla RNN, 1 layer", "LSTM (nn.LSTM), any depth", "GPT-2 small, a transformer"),
        "gradients": ("written by hand (backward)", "autograd", "autograd"),
        "optimiser": ("Adagrad", "Adam, warmup + cosine schedule", "AdamW"),
        "lines of code (counted, without blanks, comments, docstrings)":
            (str(lines["A"]), f"{lines['B']} (model + loop)", f"{lines['C']} plus the transformers library"),
        "training speed on this server": (speed("A"), speed("B"), "cannot run here" if not ok else "run it above"),
        "what it teaches": ("every gradient, by hand", "the tools of real work", "reuse beats retraining"),
    }
    table = pd.DataFrame(rows, index=["Track A: NumPy", "Track B: PyTorch", "Track C: Hugging Face"]).T
    st.table(table)
    st.caption(lesson_text.block(PAGE, "tracks-compared"))


def bptt() -> None:
    st.header("9.4 Backpropagation through time, worked by hand", divider="gray")
    lesson.text(PAGE, "bptt")
    _bptt_fragment()


@st.fragment
def _bptt_fragment() -> None:
    cols = st.columns(4)
    w = cols[0].slider("recurrent weight w", 0.1, 2.5, 0.9, 0.1, key="m09-bptt-w")
    T = cols[1].slider("steps T", 3, 12, 3, key="m09-bptt-T")
    k = cols[2].slider("truncation window k", 1, 12, 12, key="m09-bptt-k",
                       help="k ≥ T means no truncation: the full gradient.")
    threshold = cols[3].number_input("clip threshold", 0.001, 100.0, 0.5, 0.1, key="m09-bptt-clip")
    rnn = bptt_examples.ScalarRNN(w=w)
    xs, ds = bptt_examples.XS[:T], bptt_examples.DS[:T]
    fwd = bptt_examples.forward(rnn, xs, ds)
    st.markdown("**Forward pass** (u = 0.7, v = 1.2, b = 0, h₀ = 0):")
    st.dataframe(pd.DataFrame([{"t": r.t, "x_t": r.x, "a_t = w·h_(t−1) + u·x_t": r.a, "h_t = tanh(a_t)": r.h,
                                "y_t": r.y, "target d_t": r.d, "loss_t": r.loss} for r in fwd]).round(4),
                 hide_index=True)
    rows, full = bptt_examples.backward(rnn, xs, ds)
    lesson.text(PAGE, "bptt-backward")
    st.dataframe(pd.DataFrame([{"t": r.t, "own part v·(y_t−d_t)": r.dL_dy * rnn.v, "dL/dh_t (total)": r.dL_dh,
                                "dL/da_t": r.dL_da, "share of dL/dw": r.grads["w"], "share of dL/du": r.grads["u"]}
                               for r in rows]).round(5), hide_index=True)
    st.markdown(f"Summed over the {T} steps: dL/dw = **{full['w']:.5f}**, dL/du = **{full['u']:.5f}**, "
                f"dL/dv = **{full['v']:.5f}**, dL/db = **{full['b']:.5f}**.")

    if k < T:
        _, cut = bptt_examples.backward(rnn, xs, ds, window=k)
        st.markdown(f"**Truncated to windows of {k} steps** (the gradient stops at steps "
                    f"{', '.join(str(t) for t in range(k + 1, T + 1, k))}; the hidden *value* still flows on):")
        st.dataframe(pd.DataFrame([{"parameter": p, "full BPTT": full[p], f"truncated, k = {k}": cut[p],
                                    "difference": cut[p] - full[p]} for p in bptt_examples.PARAMS]).round(5),
                     hide_index=True)
        st.caption(lesson_text.block(PAGE, "bptt-truncated"))
    else:
        st.caption("Move the truncation window below T to compare truncated and full gradients.")

    sens = bptt_examples.sensitivity(rnn)
    df = pd.DataFrame({"distance T − t": range(len(sens) - 1, -1, -1), "|∂h_T/∂h_t|": [max(s, 1e-30) for s in sens]})
    st.altair_chart(alt.Chart(df, title=f"How much h_12 depends on earlier states, w = {w}").mark_line(point=True)
                    .encode(x=alt.X("distance T − t:Q", title="steps back in time"),
                            y=alt.Y("|∂h_T/∂h_t|:Q", title="|∂h_T/∂h_t| (log scale)", scale=alt.Scale(type="log"))),
                    width="stretch")
    st.caption(lesson_text.block(PAGE, "bptt-sensitivity"))

    clipped = bptt_examples.clip_global_norm(full, threshold)
    st.markdown(f"**Clipping by the global norm.** The full gradient's norm is {clipped.norm_before:.4f}. "
                + (f"That is above the threshold {threshold:g}, so every component is multiplied by "
                   f"{threshold:g} / {clipped.norm_before:.4f} = {clipped.scale:.4f}:"
                   if clipped.scale < 1 else f"That is within the threshold {threshold:g}: nothing changes."))
    st.dataframe(pd.DataFrame([{"parameter": p, "before": clipped.before[p], "after": clipped.after[p]}
                               for p in bptt_examples.PARAMS]).round(5), hide_index=True)
    st.caption(f"Norm after: {clipped.norm_after:.4f}. " + lesson_text.block(PAGE, "bptt-clipped"))
