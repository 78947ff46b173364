"""Module 10: the capstone. Choose a project, explore the data, train, let the server measure the run, look at
neurons, present it; then the class features (leaderboard, gallery and final vote, blinded peer review), badges,
the certificate and the summative reflection. The prose is in assets/lessons/m10.md."""

import streamlit as st

from core.ui import lesson, own_model, shell
from core.ui import quiz as quiz_ui
from core.ui.lessons import capstone as capstone_ui
from core.ui.lessons import capstone_cohort, capstone_progress

ctx = shell.course_page("m10")
lesson.module_header(ctx)
lesson.section_checklist(ctx)

st.header("10.1 Choose your project")
lesson.text("m10", "choose-project")
capstone_ui.template_picker(ctx)
lesson.text("m10", "look-at-data")
capstone_ui.dataset_explorer(ctx)

st.header("10.2 Work through the milestones")
lesson.text("m10", "milestones")
capstone_ui.milestones_and_badges(ctx)
capstone_progress.progress_dashboard(ctx)

lesson.text("m10", "train")
own_model.train_your_own(ctx, key=capstone_ui.TRAIN_KEY)

capstone_ui.evaluation(ctx)
capstone_ui.neuron_view(ctx)
capstone_ui.presentation(ctx)

st.header("With your cohort")
lesson.text("m10", "cohort")
board, gallery, review = st.tabs(["Leaderboard", "Gallery and final vote", "Peer review"])
with board:
    capstone_cohort.leaderboard(ctx)
with gallery:
    capstone_cohort.gallery(ctx)
with review:
    capstone_cohort.peer_review(ctx)

capstone_ui.certificate(ctx)
capstone_ui.reflections(ctx)
lesson.still_to_come(ctx.module.interactive, built=(
    "Project template picker", "Dataset explorer", "Milestone checklist", "Leaderboard", "Peer review",
    "Sample gallery", "Presentation export", "Achievement badges", "Completion certificate", "Progress dashboard"))
quiz_ui.module_quiz(ctx)
lesson.takeaways(ctx)
lesson.next_step(ctx)
