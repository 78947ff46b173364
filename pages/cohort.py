"""Cohort: your cohort code, your resume code, and your own data (download or delete)."""

import json

import streamlit as st

from core.cohort import identity
from core.cohort.store import StoreError
from core.jobs import runs as learner_runs
from core.ui import shell, state

ctx = shell.course_page("cohort")
st.title("My cohort & data")

st.subheader("Cohort")
if ctx.learner.cohort_code:
    size = ctx.store.cohort_size(ctx.learner.cohort_code)
    st.markdown(f"You are in cohort **{identity.escape_markdown(ctx.learner.cohort_code)}** "
                f"with {size - 1} other learner{'s' if size != 2 else ''} on this server.")
else:
    st.markdown("You are learning on your own (no cohort code).")
with st.form("cohort-code"):
    code = st.text_input("Cohort code", value=ctx.learner.cohort_code or "", max_chars=identity.COHORT_MAX,
                         help="Leave empty to learn on your own.")
    if st.form_submit_button("Save cohort code"):
        try:
            ctx.store.set_cohort(ctx.learner.id, code)
        except (ValueError, StoreError) as exc:
            st.error(str(exc))
        else:
            st.rerun()
st.caption("Instructors see the cohort's progress and moderate the capstone leaderboard on the Instructor "
           "dashboard page.")

st.subheader("Resume on another device")
token = state.current_token()
if token:
    st.markdown("This code signs you in anywhere this course runs on this server. Treat it like a password.")
    st.code(token, language=None)

st.subheader("Your data")
st.download_button("Download everything stored about me (JSON)",
                   json.dumps(ctx.store.export_learner(ctx.learner.id), indent=2),
                   file_name="rnn-course-my-data.json", mime="application/json", icon=":material/download:")
with st.expander("Delete my data"):
    st.warning("This removes your name, path, progress, scores and the models you trained from this server. "
               "It cannot be undone.")
    confirm = st.checkbox("Yes, delete everything about me", key="confirm-delete")
    if st.button("Delete my data", disabled=not confirm, type="primary"):
        learner_runs.delete_learner_runs(ctx.learner.id)  # the models this learner trained, on disk
        ctx.store.delete_learner(ctx.learner.id)
        state.sign_out()
        st.rerun()
