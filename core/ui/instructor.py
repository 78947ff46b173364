"""Instructor dashboard widgets: the cohort filter, progress by learner, module and path (with CSV export), quiz,
code-lab and flashcard activity, and capstone leaderboard moderation. The page itself checks the role."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from core.cohort.store import DEFAULT_SQLITE_NOTICE, StoreError, safe_csv
from core.course import lessons, progress
from core.labs import grader
from core.ui import guard, shell
from core.ui.shell import PageContext

ALL = "All learners"


def server_notices(ctx: PageContext) -> None:
    """What the operator must know, that learners are only told 'your instructor has been told' about: the default
    SQLite file on a hosted server, code labs refused (no seccomp), demos whose models are missing or damaged. The
    same lines are in the server log."""
    if ctx.store.uses_default_sqlite:
        st.warning(DEFAULT_SQLITE_NOTICE, icon=":material/database:")
    for n in grader.notices():
        st.error(f"{n.text} ({n.count}× since the server started)", icon=":material/code_off:")
    problems = guard.failures()
    if problems:
        with st.expander(f"Demos that are off on this server ({len(problems)})", icon=":material/broken_image:",
                         expanded=True):
            st.markdown("\n".join(f"- {p}" for p in problems))


def cohort_filter(ctx: PageContext) -> str | None:
    """The cohort to show, or None for every learner on the server."""
    cohort = st.selectbox("Cohort", [ALL, *ctx.store.cohort_codes()], key="cohort-filter")
    return None if cohort == ALL else cohort


def _heatmap(table: pd.DataFrame, modules: list[str]) -> alt.Chart:
    long = table.melt(id_vars=["learner"], value_vars=modules, var_name="module", value_name="done")
    return alt.Chart(long).mark_rect().encode(
        x=alt.X("module:N", sort=modules, title=None),
        y=alt.Y("learner:N", title=None),
        color=alt.Color("done:Q", scale=alt.Scale(domain=[0, 1], scheme="greens"), title="share of sections done"),
        tooltip=["learner", "module", alt.Tooltip("done:Q", format=".0%")],
    )


def _per_path(table: pd.DataFrame) -> alt.Chart:
    by_path = table.groupby("path", dropna=False).size().reset_index(name="learners")
    by_path["path"] = by_path["path"].replace("", "none chosen")
    return alt.Chart(by_path, title="Learners per path").mark_bar().encode(
        x="learners:Q", y=alt.Y("path:N", title=None))


def progress_overview(ctx: PageContext, cohort: str | None) -> bool:
    """Progress by learner (table and CSV), the module heatmap and learners per path; False when nobody is there."""
    learners, done = ctx.store.cohort_overview(cohort)
    if not learners:
        st.info("No learners yet. Share the app's address and, if you use one, the cohort code.")
        return False
    evidence = shell.cohort_evidence(ctx.store, [learner.id for learner in learners])
    table = pd.DataFrame(progress.cohort_table(ctx.course, learners, done, evidence))
    modules = [f"M{m.number}" for m in ctx.course.modules.values()]
    st.metric("Learners", len(table))
    st.subheader("Progress by learner")
    st.dataframe(table, hide_index=True, column_config={
        "path_done": st.column_config.ProgressColumn("path done", format="percent", min_value=0, max_value=1),
        **{m: st.column_config.NumberColumn(m, format="percent") for m in modules},
    })
    st.download_button("Download as CSV", safe_csv(table), file_name="cohort-progress.csv",
                       mime="text/csv", icon=":material/download:")
    st.subheader("Where the cohort is")
    st.altair_chart(_heatmap(table, modules), width="stretch")
    st.altair_chart(_per_path(table), width="stretch")
    return True


def activity(ctx: PageContext, cohort: str | None) -> None:
    """The most-missed quiz questions, code-lab pass rates and flashcard reviews of the last seven days."""
    found = ctx.store.cohort_activity(cohort)
    st.subheader("Quiz questions, most missed first")
    items = pd.DataFrame(found["quiz_items"], columns=["quiz", "question", "answers", "share_correct"])
    if items.empty:
        st.caption("No quiz answers yet.")
    else:
        st.dataframe(items.sort_values(["share_correct", "answers"], ascending=[True, False]), hide_index=True,
                     column_config={"share_correct": st.column_config.ProgressColumn(
                         "share correct", format="percent", min_value=0, max_value=1)})
    left, right = st.columns(2)
    with left:
        st.subheader("Code labs")
        labs = pd.DataFrame(found["labs"], columns=["lab", "learners", "solved", "pass_rate"])
        if labs.empty:
            st.caption("No code-lab attempts yet.")
        else:
            st.dataframe(labs.sort_values("pass_rate"), hide_index=True, column_config={
                "pass_rate": st.column_config.ProgressColumn("solved by", format="percent", min_value=0,
                                                             max_value=1)})
    with right:
        st.subheader("Flashcards (last 7 days)")
        cards = pd.DataFrame(found["flashcards"], columns=["learner", "cards_in_deck", "reviews_7d"])
        if cards.empty:
            st.caption("No flashcard activity yet.")
        else:
            st.dataframe(cards.sort_values("reviews_7d", ascending=False), hide_index=True)


def moderation(ctx: PageContext, cohort: str | None) -> None:
    """Every leaderboard entry, hidden ones too, with its sample, and hide/restore with a reason for the learner."""
    st.subheader("Capstone leaderboard moderation")
    entries = pd.DataFrame(ctx.store.moderation_entries(cohort))
    if entries.empty:
        st.caption("No capstone leaderboard entries yet.")
        return
    st.caption(lessons.block("instructor", "moderation"))
    st.dataframe(entries.drop(columns=["sample"]), hide_index=True, column_config={
        "perplexity": st.column_config.NumberColumn(format="%.3f"),
        "bits_per_char": st.column_config.NumberColumn("bits/char", format="%.3f")})
    st.download_button("Download the leaderboard as CSV", safe_csv(entries),
                       file_name="capstone-leaderboard.csv", mime="text/csv", icon=":material/download:",
                       key="moderation-csv")
    rows = {int(r.entry): r for r in entries.itertuples()}
    entry = st.selectbox("Entry to moderate", list(rows), key="moderation-entry", format_func=lambda i: (
        f"#{i} · {rows[i].learner} · {rows[i].category} · perplexity {rows[i].perplexity:.3f}"
        + (" · hidden" if rows[i].hidden else "")))
    st.code(rows[entry].sample, language=None, wrap_lines=True)
    reason = st.text_input("Reason (shown to the learner when hidden)", max_chars=500, key="moderation-reason")
    hide, restore = st.columns(2)
    action = None
    if hide.button("Hide entry", key="moderation-hide", disabled=bool(rows[entry].hidden)):
        action = True
    if restore.button("Restore entry", key="moderation-restore", disabled=not rows[entry].hidden):
        action = False
    if action is not None:
        try:
            ctx.store.moderate_result(entry, action, reason)
            st.rerun()
        except (ValueError, StoreError) as exc:
            st.error(str(exc))
