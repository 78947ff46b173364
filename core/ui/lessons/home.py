"""Home's widgets: the welcome line, the learning-path cards, where the learner stands on their path (reading ticked
and steps complete, i.e. quiz passed and labs shown), the progress overview and the course objectives.

Home is the first page after a server start, so it imports neither Altair nor pandas (nor torch): its charts are
plain Vega-Lite specs (core.ui.charts), and a table (st.dataframe converts through pandas) is drawn only where it is
seen: the best quiz scores once there are any, the per-module table once its expander is opened."""

from __future__ import annotations

import streamlit as st

from core.assessment import quiz as quizzes
from core.cohort import identity
from core.cohort.store import StoreError
from core.course import progress
from core.labs import exercises
from core.ui import charts
from core.ui.shell import PageContext


def hours(minutes: int) -> str:
    """'2 h 05 min', or '25 min' under an hour."""
    minutes = max(int(minutes), 0)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def reading_text(share: float, total: int) -> str:
    """The reading bar's caption: the share ticked and the time left, or 'all read' once nothing is left."""
    left = round(total * (1 - share))
    where = f"about {hours(left)} to go of {hours(total)}" if left > 0 else f"all read ({hours(total)} in all)"
    return f"Reading: {quizzes.format_share(share)} ticked · {where}"


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


def _need_text(need: progress.Need) -> str:
    if need.kind == "lab" and need.id in exercises.LABS:
        return need.text.replace(need.id, f"'{exercises.LABS[need.id].title}'")
    return need.text


def current_path(ctx: PageContext) -> None:
    """The learner's path: reading ticked, steps complete (with evidence), the next step and what it still needs,
    and the other paths behind an expander."""
    course, path = ctx.course, ctx.path
    shown = ctx.evidence
    share = progress.path_share(course, ctx.done, path.key)
    complete, steps = progress.path_completion(course, ctx.done, path.key, shown)
    st.subheader(f"Your path: {path.key} · {path.name}")
    st.markdown(path.goal)
    total = course.path_minutes(path.key)
    st.progress(share, text=reading_text(share, total))
    st.progress(complete / steps if steps else 0.0,
                text=f"Complete: {complete} of {steps} steps ("
                     + progress.join_terms(progress.completion_terms(course, path.key)) + ")")
    nxt = progress.next_step(course, ctx.done, path.key, shown)
    if nxt:
        target = course.pages[nxt]
        st.page_link(target.file, label=f"Next step: {target.label}", icon=":material/arrow_forward:")
        step = progress.step_progress(course, ctx.done, nxt, path.key, shown)
        reading = (f"tick its sections as you read them ({step.done} of {step.required} so far)" if nxt in course.modules
                   else "tick 'I have worked through this page' when you have")
        todo = ([reading] if not step.read else []) + [_need_text(n) for n in step.needs]
        if todo:
            st.caption("To complete it: " + "; ".join(todo) + ".")
        note = path.notes.get(nxt)
        if note:
            st.caption(note)
    else:
        done_as = progress.join_terms(progress.completion_terms(course, path.key))
        st.success(f"You have completed every step of this path: {done_as}. Well done! Try another path, or the "
                   "capstone.")
    with st.expander("Change learning path"):
        path_cards(ctx, path.key)


def _quiz_label(ctx: PageContext, quiz_id: str) -> str:
    """A quiz as people know it: 'Module 3 · Vanishing gradients and the LSTM', or the quiz's own title."""
    module = ctx.course.modules.get(quiz_id)
    if module is not None:
        return f"Module {module.label}"
    try:
        return quizzes.load_quiz(quiz_id).title
    except quizzes.QuizError:
        pass
    prefix, _, rest = quiz_id.partition("-")  # scores kept by a lesson widget, e.g. 'm02-speed-round'
    module = ctx.course.modules.get(prefix)
    return f"Module {module.number}: {rest.replace('-', ' ')}" if module is not None and rest else quiz_id


def _max_score(ctx: PageContext, quiz_id: str) -> int | None:
    try:
        return quizzes.load_quiz(quiz_id).for_path(ctx.learner.path).max_score or None
    except quizzes.QuizError:
        return None


def score_rows(ctx: PageContext, scores: dict[str, float]) -> list[dict]:
    """One row per quiz taken, in course order: its name, the best score as points and a whole percentage."""
    order = {m: i for i, m in enumerate(ctx.course.modules)}
    rows = []
    for quiz_id in sorted(scores, key=lambda q: (order.get(q[:3], len(order)), q)):  # 'm02-speed-round' by m02
        share, top = scores[quiz_id], _max_score(ctx, quiz_id)
        rows.append({"quiz": _quiz_label(ctx, quiz_id),
                     "best score": quizzes.format_score(share * top, top) if top else "",
                     "share": round(share * 100)})
    return rows


def completion_rows(ctx: PageContext, shown: progress.Evidence) -> list[dict]:
    """Per module on the learner's path: sections ticked, complete or not, and what is still missing."""
    rows = []
    for module_id in ctx.path.modules:
        step = progress.step_progress(ctx.course, ctx.done, module_id, ctx.path.key, shown)
        rows.append({"module": ctx.course.modules[module_id].label,
                     "sections ticked": f"{step.done} / {step.required}",
                     "complete": "✓" if step.status == "done" else "",
                     "still needed": "; ".join(_need_text(n) for n in step.needs)})
    return rows


# Row labels (module and path names, up to 47 characters) on up to two lines, broken at the last space within the
# first 24 characters: the whole name shows and a phone's column still leaves room for the bars.
WRAP_LABEL = r"split(replace(datum.label, /^(.{1,24}) /, '$1|'), '|')"


def _full_labels(spec: dict, step: int) -> dict:
    """A progress chart whose y labels wrap instead of being cut (Streamlit's theme cuts them at 100 px). The legend
    under the plot starts where the plot does, right of the labels: one entry per line keeps it inside a phone."""
    return {**spec, "height": {"step": step},
            "config": {"axisY": {"labelExpr": WRAP_LABEL, "labelLimit": 0, "labelLineHeight": 13},
                       "legend": {"direction": "vertical"}}}


def progress_overview(ctx: PageContext) -> None:
    """Per-module and per-path progress charts and the learner's best quiz scores."""
    shown = ctx.evidence
    rows = progress.overview(ctx.course, ctx.done, ctx.learner.path, shown)
    left, right = st.columns([3, 2])
    with left:
        charts.show_spec(_full_labels(charts.module_progress(rows), 32))
        if ctx.path is not None:  # its table is built only while the expander is open (a rerun when it opens)
            table = st.expander("Which modules are complete, and what each still needs", key="home-completion",
                                on_change="rerun")
            with table:
                if table.open:  # a static table: 'still needed' is a sentence, which the dataframe grid cut
                    st.table(completion_rows(ctx, shown))
    with right:
        charts.show_spec(_full_labels(charts.path_progress(progress.all_paths(ctx.course, ctx.done)), 32))
    # Below both charts, full width: in the narrow right column the quiz names hid the scores.
    scores = ctx.store.best_quiz_scores(ctx.learner.id)
    if scores:
        st.markdown("**Your best quiz scores**")
        st.dataframe(score_rows(ctx, scores), hide_index=True, column_config={
            "quiz": st.column_config.TextColumn("quiz", width="large"),
            "best score": st.column_config.TextColumn("best score", width="small"),
            "share": st.column_config.ProgressColumn("best %", format="%d%%", min_value=0, max_value=100,
                                                     width="small")})
    else:
        st.caption("Quiz scores will appear here once you take a module quiz.")


def objectives(ctx: PageContext) -> None:
    st.markdown("\n".join(f"{i}. {o}" for i, o in enumerate(ctx.course.objectives, 1)))
