"""Module 2: the RNN architecture. Colour-coded equations, the live worked example, the what-if explorer and
two demos on the trained Shakespeare RNN."""

import streamlit as st

from core.ui import codelab, jargon, lesson, shell
from core.ui import quiz as quiz_ui
from core.ui.lessons import rnn_demos, rnn_lesson, speed_round, unrolling

ctx = shell.course_page("m02")
lesson.module_header(ctx)

st.subheader("The idea of recurrence")
lesson.text("m02", "recurrence")

st.subheader("The one equation of a vanilla RNN", help=jargon.tip("Vanilla RNN", "Hidden state", "tanh"))
lesson.text("m02", "equation-intro")
lesson.text("m02", "equations")
rnn_lesson.symbol_table()

st.subheader("Worked example: “cat sat here”, computed live", help=jargon.tip("Embedding", "Unrolling"))
lesson.text("m02", "worked-intro")
rnn_lesson.worked_example()

st.subheader("What if? Change W_hh and watch the memory")
lesson.text("m02", "what-if-intro")
rnn_lesson.what_if()

st.subheader("Unrolling through time", help=jargon.tip("Unrolling", "Backpropagation through time (BPTT)"))
lesson.text("m02", "unrolling")
unrolling.unrolled_view()
lesson.text("m02", "unrolling-trace")
with st.expander("The answer: one road forward, one product backward", icon=":material/route:"):
    lesson.text("m02", "unrolling-answer")
lesson.text("m02", "unrolling-try")

st.subheader("Hidden-state visualiser: a trained char model reads your text")
rnn_demos.visualiser(ctx)

st.subheader("What comes next? You against the model", help=jargon.tip("Character-level language model", "Softmax"))
rnn_lesson.next_char_game()

speed_round.show(ctx)
lesson.section_checklist(ctx)
labs_built = codelab.page_labs(ctx)
lesson.still_to_come(ctx.module.interactive, built=(
    "Hand-calculation exercise", "What-if explorer for W_hh", "Hidden state visualizer",
    "What-comes-next prediction game", "Timed speed round") + labs_built)
quiz_ui.module_quiz(ctx)
lesson.takeaways(ctx)
lesson.next_step(ctx)
