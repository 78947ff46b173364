"""Module 10 progress dashboard: the learner's capstone phases timed from recorded events (saved notes, saved runs,
server measurements, submissions, badges), the runs' validation loss over time, and what comes next. It only reads
the learner's own rows of the store and run records; no time is estimated or typed in. The prose is in
assets/lessons/m10.md."""

from __future__ import annotations

from datetime import UTC, datetime

import altair as alt
import pandas as pd
import streamlit as st

from core.capstone import projects as capstone
from core.cohort.store import StoreError
from core.ui import charts, lesson
from core.ui.lessons.capstone import PROJECT, events
from core.ui.shell import PageContext, show_store_error

STATUS_COLOURS = alt.Scale(domain=["done", "current"], range=[charts.DONE_COLOR, "#f9a825"])


def _when(t: datetime | None) -> str:
    return t.strftime("%Y-%m-%d %H:%M UTC") if t else "—"


def _phase_chart(ps: list[capstone.Phase], now: datetime) -> alt.Chart | None:
    rows = [{"phase": f"{i}. {p.name}", "start": p.start, "end": p.end if p.status == "done" else now,
             "status": p.status, "duration": capstone.format_duration(p.duration(now))}
            for i, p in enumerate(ps, 1) if p.start is not None and p.duration(now) is not None]
    if not rows:
        return None
    df = pd.DataFrame(rows)
    return alt.Chart(df, title="Time in each capstone phase (between consecutive recorded events)").mark_bar(
        cornerRadius=3).encode(
        x=alt.X("start:T", title="time (UTC)"), x2=alt.X2("end:T"),
        y=alt.Y("phase:N", sort=[f"{i}. {p.name}" for i, p in enumerate(ps, 1)], title=None),
        color=alt.Color("status:N", title="phase", scale=STATUS_COLOURS),
        tooltip=[alt.Tooltip("phase:N"), alt.Tooltip("status:N"), alt.Tooltip("start:T", format="%Y-%m-%d %H:%M"),
                 alt.Tooltip("end:T", format="%Y-%m-%d %H:%M"),
                 alt.Tooltip("duration:N")])


def _event_chart(log: list[capstone.TimedEvent]) -> alt.Chart:
    df = pd.DataFrame([{"time": e.at, "event": e.kind, "what": e.label} for e in log])
    return alt.Chart(df, title="Every recorded capstone event").mark_circle(size=90).encode(
        x=alt.X("time:T", title="time (UTC)"), y=alt.Y("event:N", title=None),
        color=alt.Color("event:N", legend=None),
        tooltip=[alt.Tooltip("time:T", format="%Y-%m-%d %H:%M:%S"), alt.Tooltip("event:N"),
                 alt.Tooltip("what:N")])


def _runs_chart(runs: list) -> alt.Chart:
    df = pd.DataFrame([{"saved": capstone.as_utc(r.created_at), "val_loss": r.val_loss, "run": r.title,
                        "cell": r.config.get("kind", "?"), "steps": r.steps} for r in runs])
    return alt.Chart(df, title="Validation loss of your saved runs, by when each was saved").mark_line(
        point=alt.OverlayMarkDef(size=90)).encode(
        x=alt.X("saved:T", title="run saved at (UTC)"),
        y=alt.Y("val_loss:Q", title="validation loss (nats/char)", scale=alt.Scale(zero=False)),
        color=alt.Color("cell:N", title="cell"),
        tooltip=[alt.Tooltip("run:N"), alt.Tooltip("cell:N"), alt.Tooltip("steps:Q"), alt.Tooltip("val_loss:Q", format=".3f", title="val loss (nats/char)"),
                 alt.Tooltip("saved:T", format="%Y-%m-%d %H:%M")])


def progress_dashboard(ctx: PageContext) -> None:
    st.subheader("Progress dashboard")
    try:
        ev = events(ctx)
        note_times = {q: t for (_, q), t in ctx.store.reflection_times(ctx.learner.id, PROJECT).items()}
        badges = ctx.store.badges(ctx.learner.id)
    except StoreError as exc:
        show_store_error(exc)
        return
    now = datetime.now(UTC)
    ps = capstone.phases(ev, note_times)
    current = capstone.current_phase(ps)
    lesson.text("m10", "progress-intro")
    cols = st.columns(3)
    cols[0].metric("milestones reached", f"{sum(p.status == 'done' for p in ps)} of {len(ps)}")
    cols[1].metric("current phase", current.name if current else "all reached")
    cols[2].metric("in this phase for", capstone.format_duration(current.duration(now)) if current else "—",
                   help="Time since the latest milestone event before this phase; unknown for the first phase, "
                        "which has no recorded start.")
    st.dataframe(pd.DataFrame([{
        "phase": p.name, "status": p.status, "started": _when(p.start), "start measured from": p.start_from,
        "ended": _when(p.end), "end event": p.end_at or "—",
        "duration": capstone.format_duration(p.duration(now)) if p.status != "not started" else "—",
    } for p in ps]), hide_index=True)
    chart = _phase_chart(ps, now)
    if chart is not None:
        st.altair_chart(chart, width="stretch")
    else:
        st.caption("No phase has both a recorded start and end yet: reach two milestones to see durations.")
    log = capstone.event_log(ev, note_times, badges)
    if log:
        st.altair_chart(_event_chart(log), width="stretch")
    else:
        st.info("Not started: nothing of your capstone is recorded yet. Choose a project above to start the first "
                "phase.", icon=":material/hourglass_empty:")
    runs = [r for r in ev.runs if r.val_loss is not None]
    if runs:
        st.altair_chart(_runs_chart(runs), width="stretch")
        st.caption(f"{len(runs)} saved run(s) with a validation loss, measured by the trainer on each run's own "
                   "held-out split at the end of training (the server keeps your latest runs only).")
    else:
        st.caption("No saved run with a validation loss yet: the training phase has not produced a run.")
    if current:
        st.markdown(f"**Next:** {current.name}: {current.next_step}")
    else:
        st.success("All five milestones are reached. Next: the cohort features below and your reflection.",
                   icon=":material/flag:")
