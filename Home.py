"""Home: pick or resume a learning path, see your progress, follow the next step."""

import streamlit as st

from core.ui import lesson, shell
from core.ui.lessons import home

ctx = shell.course_page("home")

st.title(ctx.course.title)
home.welcome(ctx)
lesson.save_errors()

if ctx.path is None:
    st.subheader("Choose your learning path")
    lesson.text("home", "choose-path")
    home.path_cards(ctx, None)
else:
    home.current_path(ctx)

st.subheader("Your progress")
home.progress_overview(ctx)

with st.expander("What you will be able to do"):
    home.objectives(ctx)
