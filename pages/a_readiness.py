"""Appendix A: readiness check. Two auto-graded diagnostics, each with its recommendation and refreshers."""

import streamlit as st

from core.ui import lesson, shell
from core.ui import quiz as quiz_ui

ctx = shell.course_page("readiness")
lesson.page_header(ctx)
lesson.text("readiness", "intro")
math_tab, python_tab = st.tabs(["Math", "Python and NumPy"])
with math_tab:
    quiz_ui.quiz_card(ctx, "readiness_math")
with python_tab:
    quiz_ui.quiz_card(ctx, "readiness_python")
lesson.next_step(ctx)
