"""The timed speed round of Module 2 (questions from core.assessment.speed) and its badge, saved with the learner's scores."""

from __future__ import annotations

import time

import streamlit as st

from core.assessment import speed
from core.cohort.store import StoreError
from core.ui.shell import PageContext

SPEED_ID, BADGE_ID = "m02-speed-round", "m02-speed-badge"


@st.fragment
def show(ctx: PageContext) -> None:
    """The Module 2 speed round; the score and the badge are saved as quiz scores of the learner."""
    st.subheader("Speed round: shapes at a glance")
    st.markdown(f"Five quick questions about the shapes of one RNN layer. Answer all of them correctly within "
                f"{speed.BADGE_SECONDS:.0f} seconds to earn the **Shape Sprinter** badge.")
    run = st.session_state.setdefault("m02-speed", {"seed": 0, "start": None, "done": None})
    try:
        has_badge = BADGE_ID in ctx.store.best_quiz_scores(ctx.learner.id)
    except StoreError:
        has_badge = False
    if has_badge:
        st.success("You hold the Shape Sprinter badge.", icon=":material/military_tech:")

    def start() -> None:
        run.update(seed=run["seed"] + 1, start=time.monotonic(), done=None)

    if run["start"] is None:
        st.button("Start the clock", key="m02-speed-start", on_click=start)
        return
    qs = speed.questions(run["seed"])
    for k, q in enumerate(qs):
        st.radio(q.prompt, q.options, index=None, key=f"m02-speed-{run['seed']}-{k}", disabled=run["done"] is not None)

    def submit() -> None:
        answers = [st.session_state.get(f"m02-speed-{run['seed']}-{k}") for k in range(len(qs))]
        seconds = time.monotonic() - run["start"]
        correct, badge = speed.result(qs, answers, seconds)
        run["done"] = (correct, badge, seconds)
        try:
            ctx.store.record_quiz_score(ctx.learner.id, SPEED_ID, correct, len(qs))
            if badge:
                ctx.store.record_quiz_score(ctx.learner.id, BADGE_ID, 1, 1)
        except StoreError as exc:
            st.session_state["_save_error"] = str(exc)

    if run["done"] is None:
        st.button("Stop the clock and check", key="m02-speed-submit", on_click=submit)
        return
    correct, badge, seconds = run["done"]
    (st.success if badge else st.info)(
        f"{correct} of {len(qs)} correct in {seconds:.1f} s." + (" Badge earned: Shape Sprinter!" if badge else
                                                                  " Try again with new numbers."))
    with st.expander("Answers"):
        st.markdown("\n".join(f"- {q.prompt} **{q.answer}**" for q in qs))
    st.button("New round", key="m02-speed-again", on_click=start)
