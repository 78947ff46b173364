"""Module 9: implementation deep dive. Track A (our NumPy char-RNN) and Track B (the PyTorch LSTM) trained live,
Track C (Hugging Face) detected, BPTT worked by hand, the code labs, bug hunts on real runs, the hyperparameter
grid explorer, the tips checklist and the failure-modes table."""

import streamlit as st

from core.ui import codelab, lesson, own_model, shell
from core.ui import quiz as quiz_ui
from core.ui.lessons import implementation, implementation_practice

ctx = shell.course_page("m09")
lesson.module_header(ctx)
lesson.section_checklist(ctx)

st.markdown(
    "All three tracks below run the same four-beat loop: **forward** (turn inputs into predictions), **loss** "
    "(score the predictions against the real next characters), **backward** (work out how each weight should "
    "change) and **update** (change it a little). They differ in how much of that loop you write yourself. "
    "Track A writes all of it, Track B lets PyTorch derive the backward pass, and Track C borrows a model that "
    "has already been trained.")
implementation.track_a()
implementation.track_b()
implementation.track_c()
implementation.comparison()
implementation.bptt()

labs_built = codelab.page_labs(ctx, options={"train_loop": {"text": codelab.training_text()}})
implementation_practice.bug_hunts(ctx)
implementation_practice.hparam_explorer()

own_model.live_dashboard_lab(ctx)

implementation_practice.tips(ctx)
lesson.still_to_come(ctx.module.interactive, built=("Bug hunts", "Hyperparameter grid explorer", "Live training dashboard") + labs_built)
quiz_ui.module_quiz(ctx)
lesson.takeaways(ctx)
lesson.next_step(ctx)
