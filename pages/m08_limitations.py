"""Module 8: limits of RNNs and what came next. The long-range stress test and a live speed benchmark, the
timeline and a real tiny transformer's attention, the 'Should I use an RNN?' helper, build vs buy with a cost
table, and two saved exercises."""

import streamlit as st

from core.ui import lesson, shell
from core.ui import quiz as quiz_ui
from core.ui.lessons import limits, limits_decisions

ctx = shell.course_page("m08")
lesson.module_header(ctx)
lesson.section_checklist(ctx)

st.header("8.1 Where RNNs fall short")
lesson.text("m08", "shortfalls")
limits.stress_test()
limits.speed_benchmark()
with st.expander("Checklist: when to look beyond an RNN", icon=":material/checklist:"):
    lesson.text("m08", "beyond-rnn-checklist")

st.header("8.2 The transformer (2017 onward)")
lesson.text("m08", "transformer")
limits.sequence_timeline(ctx)
limits.transformer_preview()

st.header("8.3 When RNNs still make sense")
lesson.text("m08", "still-sensible")
limits_decisions.rnn_flowchart()

st.header("8.4 Build vs buy")
lesson.text("m08", "build-vs-buy")
limits_decisions.build_vs_buy()
limits_decisions.architecture_exercise(ctx)
limits_decisions.apply_it(ctx)

lesson.still_to_come(ctx.module.interactive, built=(
    "Long-range dependency stress test", "RNN vs transformer speed comparison",
    "'Should I use an RNN?' decision helper", "Sequence model timeline", "Architecture selection exercise",
    "Transformer preview"))
quiz_ui.module_quiz(ctx)
lesson.takeaways(ctx)
lesson.next_step(ctx)
