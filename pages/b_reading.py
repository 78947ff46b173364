"""Appendix B: further reading, in four groups, each item tied to the module it deepens."""

import streamlit as st

from core.ui import lesson, reference, shell

ctx = shell.course_page("reading")
lesson.page_header(ctx)
reference.start_here(ctx)
st.divider()
reference.readings_by_module(ctx)
lesson.next_step(ctx)
