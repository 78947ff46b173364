"""Instructor dashboard: the cohort's progress by learner, module and path; CSV export; capstone leaderboard
moderation. Instructors only."""

import streamlit as st

from core.ui import instructor, shell

ctx = shell.course_page("instructor")  # refuses everyone who is not an instructor, on every run
st.title("Instructor dashboard")

instructor.server_notices(ctx)

cohort = instructor.cohort_filter(ctx)
if instructor.progress_overview(ctx, cohort):
    instructor.activity(ctx, cohort)
    instructor.moderation(ctx, cohort)
