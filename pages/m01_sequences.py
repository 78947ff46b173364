"""Module 1: why sequences matter. Bag-of-words demo, the five input/output patterns, the spot-the-sequence
game and the Turing-complete aside."""

import streamlit as st

from core.ui import lesson, shell
from core.ui import quiz as quiz_ui
from core.ui.lessons import sequences_demos

ctx = shell.course_page("m01")
lesson.module_header(ctx)

st.subheader("Try it: what a bag of words forgets")
lesson.text("m01", "bow-intro")
sequences_demos.bag_of_words()

st.subheader("Five shapes of a sequence problem")
lesson.text("m01", "patterns-intro")
sequences_demos.patterns()

st.subheader("Where sequences show up")
lesson.text("m01", "domains-intro")
sequences_demos.domains_table()
lesson.text("m01", "domains-questions")

st.subheader("Game: spot the sequence")
sequences_demos.spot_the_sequence()
with st.expander("Aside: RNNs are Turing complete. Should you care?", icon=":material/memory:"):
    lesson.text("m01", "turing")

st.subheader("Why it took until the 2010s")
lesson.text("m01", "history")

st.subheader("Discuss with a colleague")
lesson.text("m01", "discuss")
sequences_demos.discuss(ctx)

lesson.section_checklist(ctx)
lesson.still_to_come(ctx.module.interactive, built=(
    "Sequence sorter (drag and drop)", "Reflection: sequence problems in your work", "Three-question knowledge check",
    "Spot-the-sequence game", "Discuss with a colleague"))
quiz_ui.module_quiz(ctx)
lesson.takeaways(ctx)
lesson.next_step(ctx)
