"""Module 6: beyond text. A real CNN + LSTM captioner on generated scenes, the translation sandbox on the dates
encoder-decoders, the model-size trade-off explorer, teacher forcing vs free running and greedy vs beam search,
speech and visual question answering, the graded exercises and the cross-domain brainstorm.
The prose is in assets/lessons/m06.md."""

import streamlit as st

from core.ui import jargon, lesson, shell
from core.ui import quiz as quiz_ui
from core.ui.lessons import beyond_text, captioning, dates_decoding

ctx = shell.course_page("m06")
lesson.module_header(ctx)
lesson.section_checklist(ctx)

st.header("6.1 CNN + RNN: image captioning")
lesson.text("m06", "captioning")
lesson.text("m06", "captioning-z")
captioning.captioning_demo("m06")

st.header("6.2 Sequence-to-sequence translation",
          help=jargon.tip("Context vector", "Encoder-decoder", "Sequence-to-sequence (seq2seq)"))
lesson.text("m06", "seq2seq")
lesson.text("m06", "seq2seq-bidirectional")
lesson.text("m06", "bottleneck")
beyond_text.translation_sandbox("m06")
beyond_text.size_explorer("m06")
st.subheader("Training vs using the decoder: teacher forcing and beam search")
lesson.text("m06", "decoding-intro")
dates_decoding.teacher_forcing("m06")
dates_decoding.beam_search("m06")

st.header("6.3 Speech and other signals")
lesson.text("m06", "speech")

st.header("6.4 Visual question answering")
lesson.text("m06", "vqa")

st.header("Exercises")
beyond_text.pipeline_exercise(ctx)
beyond_text.brainstorm(ctx, "m06")

lesson.still_to_come(ctx.module.interactive, built=(
    "Image captioning demo", "Translation sandbox", "Architecture matching exercise", "Build-the-pipeline exercise",
    "Model size trade-off explorer", "Cross-domain brainstorm"))
lesson.text("m06", "matching-exercise")
quiz_ui.module_quiz(ctx)
lesson.takeaways(ctx)
lesson.next_step(ctx)
