"""'My cohort & data' widgets: join or leave a cohort, the resume code for another device, and the learner's own
data (download everything, or delete it). The explanations are in assets/lessons/cohort.md."""

from __future__ import annotations

import json

import streamlit as st

from core.cohort import identity
from core.cohort.store import StoreError
from core.course import lessons
from core.jobs import registry as jobs
from core.ui import lesson, state
from core.ui.shell import PageContext

WRONG_CODE = "That is not a cohort code of this course. Check the code with your instructor."


def membership(ctx: PageContext) -> None:
    """Who else is in the learner's cohort, and a form to change the cohort code (empty: learn alone). A new code is
    checked against the course's join codes on every change, and counts are shown only for a cohort the learner
    belongs to, so guessing codes here reveals nothing (every wrong code gets the same answer)."""
    config = state.access_config()
    code = ctx.learner.cohort_code
    if code and config.belongs_to(code):
        size = ctx.store.cohort_size(code)
        st.markdown(f"You are in cohort **{identity.escape_markdown(code)}** "
                    f"with {size - 1} other learner{'s' if size != 2 else ''} on this server.")
    elif code:
        st.markdown("Your saved cohort code is not one this course accepts, so no cohort is shown. Enter the code "
                    "your instructor gave you, or leave the field empty to learn on your own.")
    else:
        st.markdown("You are learning on your own (no cohort code).")
    with st.form("cohort-code"):
        new_code = st.text_input("Cohort code", value=code or "", max_chars=identity.COHORT_MAX,
                                 help="Leave empty to learn on your own.")
        if st.form_submit_button("Save cohort code"):
            try:
                if not config.may_join(identity.clean_cohort_code(new_code)):
                    raise ValueError(WRONG_CODE)
                ctx.store.set_cohort(ctx.learner.id, new_code)
            except (ValueError, StoreError) as exc:
                st.error(str(exc))
            else:
                st.rerun()
    st.caption(lessons.block("cohort", "instructors"))


def resume_code() -> None:
    """The learner's own resume code, shown only when this session has one."""
    token = state.current_token()
    if token:
        lesson.text("cohort", "resume")
        st.code(token, language=None)


def my_data(ctx: PageContext) -> None:
    """Download everything stored about the learner as JSON, or delete it all (after a confirmation tick)."""
    st.download_button("Download everything stored about me (JSON)",
                       json.dumps(ctx.store.export_learner(ctx.learner.id), indent=2),
                       file_name="rnn-course-my-data.json", mime="application/json", icon=":material/download:")
    with st.expander("Delete my data"):
        st.warning(lessons.block("cohort", "delete-warning"))
        confirm = st.checkbox("Yes, delete everything about me", key="confirm-delete")
        if st.button("Delete my data", disabled=not confirm, type="primary"):
            jobs.forget_learner(ctx.learner.uid, ctx.store)  # stop their training, delete their models
            ctx.store.delete_learner(ctx.learner.id)
            state.sign_out()
            st.rerun()
