"""Cohort: your cohort code, your resume code, and your own data (download or delete)."""

import streamlit as st

from core.ui import cohort_page, shell

ctx = shell.course_page("cohort")
st.title("My cohort & data")

st.subheader("Cohort")
cohort_page.membership(ctx)

st.subheader("Resume on another device")
cohort_page.resume_code()

st.subheader("Your data")
cohort_page.my_data(ctx)
