"""Code labs: every lab of the course on one page, with this learner's progress, and any lab opened here."""

import streamlit as st

from core.ui import codelab, lesson, shell

ctx = shell.course_page("codelabs")
lesson.page_header(ctx)
picked = codelab.overview(ctx)
if picked:
    options = {"text": codelab.training_text()} if picked == "train_loop" else None
    codelab.lab(ctx, picked, options=options)
else:
    st.caption("Each lab also sits in its module, next to the lesson it belongs to.")
lesson.next_step(ctx)
