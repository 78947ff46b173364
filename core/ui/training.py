"""The live training dashboard shared by Module 5, Module 9 and the capstone: progress, train and validation loss,
samples, memory, ETA, a stop button that keeps the model, an overfitting warning and the training coach.

It only reads a core.jobs.registry.Job (a frozen Progress copy from the cohort database each poll); the training runs
in a job-engine worker (a thread here, or another process), so this fragment can redraw every second without
slowing the run or any other learner's page, on whichever replica the learner is.
"""

from __future__ import annotations

import math

import altair as alt
import pandas as pd
import streamlit as st

from core.jobs import registry as jobs
from core.training import coach

LEVEL = {"error": st.error, "warning": st.warning, "info": st.info, "success": st.success}
ICON = {"error": ":material/error:", "warning": ":material/warning:", "info": ":material/lightbulb:",
        "success": ":material/check_circle:"}
DONE_TEXT = {
    "finished": "Finished: all {step} steps done.",
    "budget": "Stopped by the time budget after {step} steps ({elapsed:.0f} s).",
    "stopped": "Stopped by you after {step} steps. The model trained so far is kept.",
    "nan": "Training diverged after {step} steps; the last good weights are kept.",
    "failed": "The run failed.",
}


def loss_frame(p: jobs.Progress, smooth: int = 20) -> pd.DataFrame:
    """Long-format losses for the chart: per-step train loss, its running mean, and validation evaluations."""
    rows = [{"step": s, "loss": v, "curve": "train (each batch)"} for s, v in p.train]
    if p.train:
        mean = pd.Series([v for _, v in p.train]).rolling(smooth, min_periods=1).mean()
        rows += [{"step": s, "loss": float(m), "curve": f"train (mean of {smooth})"}
                 for (s, _), m in zip(p.train, mean, strict=True)]
    rows += [{"step": s, "loss": v, "curve": "validation"} for s, v in p.evals]
    return pd.DataFrame(rows, columns=["step", "loss", "curve"])


def loss_chart(p: jobs.Progress) -> alt.Chart:
    df = loss_frame(p)
    curves = ["train (each batch)", "train (mean of 20)", "validation"]
    color = alt.Color("curve:N", title=None, legend=alt.Legend(orient="bottom"),
                      scale=alt.Scale(domain=curves, range=["#c6dbef", "#1f77b4", "#ff7f0e"]))
    base = alt.Chart(df, title="Loss per character while training").encode(
        x=alt.X("step:Q", title="training step", scale=alt.Scale(domain=[0, max(1, p.max_steps)])),
        y=alt.Y("loss:Q", title="cross-entropy (nats per character)", scale=alt.Scale(zero=False)),
        color=color, tooltip=["curve", "step", alt.Tooltip("loss:Q", format=".3f")])
    lines = base.transform_filter(alt.datum.curve != "validation").mark_line(strokeWidth=1.5)
    val = base.transform_filter(alt.datum.curve == "validation").mark_line(point=True, strokeWidth=2.5)
    return (lines + val).properties(height=300)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def _recent(p: jobs.Progress, n: int = 20) -> float | None:
    tail = [v for _, v in p.train[-n:]]
    return sum(tail) / len(tail) if tail else None


def render_progress(p: jobs.Progress, job: jobs.Job | None, key: str) -> None:
    """One frame of the dashboard for a Progress copy (used live and for finished runs)."""
    if p.state == "queued":
        st.info(f"Waiting for the trainer: you are number **{p.queue_position}** in the queue. This server trains "
                "a limited number of models at once so that every learner's pages stay fast; your run starts "
                "by itself, and you can leave this page meanwhile.", icon=":material/hourglass_top:")
    frac = min(1.0, max(p.step / max(1, p.max_steps), p.elapsed_s / max(1e-9, p.seconds_budget)))
    st.progress(frac, text=f"step {p.step:,} of {p.max_steps:,} · {_duration(p.elapsed_s)} of "
                           f"{_duration(p.seconds_budget)} budget · "
                           f"{'starting' if p.state == 'running' and p.step == 0 else p.state}")
    advice = coach.advise(coach.RunFacts.of(p))
    overfit = any(a.rule == "overfitting" for a in advice)
    if p.state == "running" and p.step == 0:
        st.caption("Preparing the model and optimiser. The first run after a server start also loads part of "
                   "PyTorch, which takes longer on a busy server.")
    if job is not None and not p.done and p.stop_requested:
        st.caption("Stopping after the current step; the model trained so far will be saved.")
    elif job is not None and not p.done:
        label = "Early stop: keep this model" if overfit else "Stop training (keeps the model so far)"
        st.button(label, key=f"{key}-stop", type="primary" if overfit else "secondary", icon=":material/stop:",
                  on_click=job.stop)
    cols = st.columns(5)
    recent = _recent(p)
    cols[0].metric("train loss (last 20)", "—" if recent is None else f"{recent:.3f}",
                   help="Mean cross-entropy of the last 20 training batches, nats per character (dropout on).")
    cols[1].metric("validation loss", f"{p.evals[-1][1]:.3f}" if p.evals else "—",
                   help=f"On the held-out last 10% of the text ({p.val_chars:,} characters), nats per character.")
    cols[2].metric("speed", f"{p.chars_per_s:,.0f} chars/s" if p.chars_per_s else "—")
    cols[3].metric("time left (ETA)", _duration(p.eta_s) if not p.done else "done")
    cols[4].metric("memory", f"{p.memory_mb:.0f} MB", help=f"Estimated for this run (weights, optimiser, "
                   f"activations, text). The whole server process uses {jobs.process_rss_mb():.0f} MB now, "
                   "shared by every learner.")
    if overfit:
        st.warning("**Overfitting:** validation loss is rising while training loss falls. Use the early-stop "
                   "button to keep the model as it is now.", icon=":material/trending_up:")
    if p.train or p.evals:
        st.altair_chart(loss_chart(p), width="stretch")
    st.caption(f"{p.params:,} parameters · {p.train_chars:,} training and {p.val_chars:,} validation characters · "
               f"{p.vocab_size} distinct characters · a uniform guess scores ln {p.vocab_size} = "
               f"{math.log(max(2, p.vocab_size)):.2f} nats.")
    with st.container(border=True):
        st.markdown("**Training coach**")
        if not advice:
            st.caption("Nothing to flag yet: the coach reads the curves as they come in.")
        for a in advice:
            LEVEL[a.level](f"**{a.title}.** {a.text}", icon=ICON[a.level])
    if p.samples:
        step, text = p.samples[-1]
        st.markdown(f"**Sample at step {step}** (temperature 0.8)")
        st.code(text, language=None, wrap_lines=True)
        if len(p.samples) > 1:
            with st.expander(f"All {len(p.samples)} samples, oldest first"):
                for s, t in p.samples:
                    st.markdown(f"step {s}")
                    st.code(t, language=None, wrap_lines=True)
    if p.done:
        text = DONE_TEXT.get(p.state, p.state).format(step=p.step, elapsed=p.elapsed_s)
        saved = " Saved to your models." if p.run_id else ""
        (st.error if p.state in ("failed", "nan") else st.success)(
            f"{text}{saved} {p.message}".strip(), icon=ICON["error" if p.state in ("failed", "nan") else "success"])


def training_dashboard(ctx, job: jobs.Job | None = None, key: str = "train-dash", poll_s: float = 2.0) -> None:
    """The live dashboard for this learner's current run (or `job`); redraws itself every `poll_s` seconds while
    the run is active and stops polling when it ends. Shows nothing of another learner's run."""
    job = job or jobs.registry(ctx.store).current(ctx.learner.uid)
    if job is None or job.spec.owner != ctx.learner.uid:
        st.caption("No training run yet. Start one above; this dashboard follows it live.")
        return
    active = not job.progress().done

    @st.fragment(run_every=poll_s if active else None)
    def live() -> None:
        p = job.progress()
        render_progress(p, job, key)
        if active and p.done:
            st.rerun()  # leave polling mode (and let the page show what comes after a run)

    live()
