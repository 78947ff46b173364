"""Home's widgets: the welcome line, the learning-path cards, where the learner stands on their path, the progress
overview and the course objectives."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.cohort import identity
from core.cohort.store import StoreError
from core.course import progress
from core.ui import charts
from core.ui.shell import PageContext


def hours(minutes: int) -> str:
    return f"{minutes // 60} h {minutes % 60:02d} min"


def welcome(ctx: PageContext) -> None:
    name = identity.escape_markdown(ctx.learner.display_name)
    st.markdown(f"Welcome, **{name}**. {ctx.course.subtitle}")


def _choose_path(ctx: PageContext, key: str) -> None:
    try:
        ctx.store.set_path(ctx.learner.id, key)
    except StoreError as exc:
        st.session_state["_save_error"] = str(exc)


def path_cards(ctx: PageContext, current: str | None) -> None:
    """One card per learning path, side by side, with a button to follow it (disabled for the current one)."""
    course = ctx.course
    for column, path in zip(st.columns(len(course.paths)), course.paths.values(), strict=True):
        with column, st.container(border=True):
            st.markdown(f"#### {path.key} · {path.name}")
            st.caption(path.audience)
            st.markdown(path.goal)
            steps = [course.pages[s] for s in path.steps]
            st.markdown("\n".join(f"- {p.label}" for p in steps))
            st.markdown(f"**About {hours(course.path_minutes(path.key))}**")
            if path.key == current:
                st.button("Your current path", key=f"path-{path.key}", disabled=True, width="stretch")
            else:
                st.button(f"Follow path {path.key}", key=f"path-{path.key}", type="primary", width="stretch",
                          on_click=_choose_path, args=(ctx, path.key))


def current_path(ctx: PageContext) -> None:
    """The learner's path: how much is done, the next step, and the other paths behind an expander."""
    course, path = ctx.course, ctx.path
    share = progress.path_share(course, ctx.done, path.key)
    st.subheader(f"Your path: {path.key} · {path.name}")
    st.markdown(path.goal)
    total = course.path_minutes(path.key)
    st.progress(share, text=f"{share:.0%} done · about {hours(round(total * (1 - share)))} to go "
                            f"of {hours(total)}")
    nxt = progress.next_step(course, ctx.done, path.key)
    if nxt:
        target = course.pages[nxt]
        st.page_link(target.file, label=f"Next step: {target.label}", icon=":material/arrow_forward:")
        note = path.notes.get(nxt)
        if note:
            st.caption(note)
    else:
        st.success("You have finished every step of this path. Well done! Try another path, or the capstone.")
    with st.expander("Change learning path"):
        path_cards(ctx, path.key)


def progress_overview(ctx: PageContext) -> None:
    """Per-module and per-path progress charts and the learner's best quiz scores."""
    rows = progress.overview(ctx.course, ctx.done, ctx.learner.path)
    left, right = st.columns([3, 2])
    with left:
        st.altair_chart(charts.module_progress(rows), width="stretch")
    with right:
        st.altair_chart(charts.path_progress(progress.all_paths(ctx.course, ctx.done)), width="stretch")
        scores = ctx.store.best_quiz_scores(ctx.learner.id)
        if scores:
            st.dataframe(pd.DataFrame({"quiz": list(scores), "best score": list(scores.values())}),
                         column_config={"best score": st.column_config.ProgressColumn(format="percent")},
                         hide_index=True)
        else:
            st.caption("Quiz scores will appear here once you take a module quiz.")


def objectives(ctx: PageContext) -> None:
    st.markdown("\n".join(f"{i}. {o}" for i, o in enumerate(ctx.course.objectives, 1)))
