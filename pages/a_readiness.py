"""Appendix A: readiness check. Two auto-graded diagnostics, each with its recommendation and refreshers."""

import streamlit as st

from core.ui import lesson, shell
from core.ui import quiz as quiz_ui

ctx = shell.course_page("readiness")
lesson.page_header(ctx)
st.markdown("Take both checks before Module 1 if you are unsure whether your math or Python is rusty. Each takes "
            "about five minutes; your score points you to *ready*, a *mini-refresher* or the *full foundation*, "
            "and the refreshers open right below the check.")
math_tab, python_tab = st.tabs(["Math", "Python and NumPy"])
with math_tab:
    quiz_ui.quiz_card(ctx, "readiness_math")
with python_tab:
    quiz_ui.quiz_card(ctx, "readiness_python")
lesson.next_step(ctx)
