"""Module 0: why RNNs still matter. The AI timeline explorer, what you will learn, industries, three
audiences, the jargon translator and the use-case finder."""

import streamlit as st

from core.ui import lesson, shell
from core.ui import quiz as quiz_ui
from core.ui.lessons import why

ctx = shell.course_page("m00")
lesson.module_header(ctx)

why.timeline_explorer()

st.subheader("What you will learn, and where you meet it at work")
why.learn_table()
st.subheader("Sequences in your industry")
why.industry_table()

st.subheader("Say it to three audiences")
why.audiences()

st.subheader("Jargon translator")
lesson.text("m00", "jargon")
why.jargon_translator()

lesson.section_checklist(ctx)
lesson.still_to_come(ctx.module.interactive, built=("Find-your-use-case quiz", "AI timeline explorer",
                                                    "Jargon translator"))
quiz_ui.use_case_finder(ctx)
quiz_ui.module_quiz(ctx)
lesson.takeaways(ctx)
lesson.next_step(ctx)
