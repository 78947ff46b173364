"""Module 4: character-level language modelling, section by section: the task and the 'hello' RNN trained live
(4.1), one-hot vectors (4.2), cross-entropy, perplexity, teacher forcing, the training timelapse and the perplexity
challenges (4.3), temperature and greedy / beam / sampled decoding (4.4), then the code labs, the link to today's
LLM tools and the quiz."""

import streamlit as st

from core.ui import codelab, lesson, shell
from core.ui import quiz as quiz_ui
from core.ui.lessons import charlm_demos, decoding, lm_lessons

ctx = shell.course_page("m04")
lesson.module_header(ctx)
lesson.section_checklist(ctx)

st.header("4.1 Framing the task: guess the next character")
lesson.text("m04", "task")
charlm_demos.hello_example()
lesson.text("m04", "char-vs-word")
charlm_demos.guess_game()

st.header("4.2 One-hot encoding")
lesson.text("m04", "one-hot")

st.header("4.3 Training with cross-entropy")
lesson.text("m04", "cross-entropy")
lesson.text("m04", "perplexity")
charlm_demos.calculators()
lesson.text("m04", "teacher-forcing")
lm_lessons.training_timelapse()
lm_lessons.perplexity_challenges(ctx)

st.header("4.4 Sampling and temperature")
lesson.text("m04", "temperature")
charlm_demos.temperature_playground(ctx)
st.subheader("Greedy, sampling and beam search")
lesson.text("m04", "decoding")
decoding.decoding_comparison()
lesson.text("m04", "decoding-after")

labs_built = codelab.page_labs(ctx)
lm_lessons.modern_ai_table()
lesson.still_to_come(ctx.module.interactive, built=(
    "Temperature playground", "Guess-the-next-character game", "Training timelapse",
    "Perplexity challenge levels") + labs_built)
quiz_ui.module_quiz(ctx)
lesson.takeaways(ctx)
lesson.next_step(ctx)
