"""Appendix E: interview preparation. Common questions with model answers, a mock interview, and capstone
talking points."""

import streamlit as st

from core.ui import interview, lesson, shell

ctx = shell.course_page("interview")
lesson.page_header(ctx)

st.subheader("Common questions, with model answers")
lesson.text("interview", "questions")
cards = interview.questions(ctx)
if cards:
    interview.mock_interview(ctx, cards)

if ctx.on_path("m10"):
    st.subheader("Talking about your capstone")
    pitch = st.container()
else:  # no capstone on this path: the template stays at hand, folded, for a project of the learner's own
    pitch = st.expander("Talking about a project of yours (the capstone, Module 10, is not on your path)",
                        icon=":material/record_voice_over:")
with pitch:
    lesson.text("interview", "pitch")
    interview.capstone_pitch()
lesson.next_step(ctx)
