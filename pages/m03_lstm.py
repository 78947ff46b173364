"""Module 3: vanishing gradients and LSTMs. Gradient flow measured by autograd, the telephone game, the gate
playground and real gate activations of the trained Shakespeare LSTM."""

import streamlit as st

from core.ui import jargon, lesson, shell
from core.ui import quiz as quiz_ui
from core.ui.lessons import lstm_lesson

ctx = shell.course_page("m03")
lesson.module_header(ctx)

st.subheader("Why gradients vanish or explode")
lesson.text("m03", "why-vanish")
lstm_lesson.power_table()
lesson.text("m03", "why-vanish-after")

st.subheader("Gradient flow simulator",
             help=jargon.tip("Backpropagation through time (BPTT)", "Vanishing gradient", "Exploding gradient"))
lesson.text("m03", "flow-intro")
lstm_lesson.gradient_flow(ctx)

st.subheader("The telephone game: does step 1 still matter at step 50?")
lesson.text("m03", "telephone-intro")
lstm_lesson.telephone_game()

st.subheader("Why LSTMs work better")
lesson.text("m03", "why-lstm")

st.subheader("LSTM gate playground", help=jargon.tip("LSTM", "Cell state", "Gate", "Forget gate"))
lesson.text("m03", "gates-intro")
lstm_lesson.gate_playground()

st.subheader("Predict, then reveal: real gates of the trained LSTM")
lstm_lesson.predict_then_reveal(ctx)

st.subheader("Debug the LSTM")
lstm_lesson.debug_the_lstm()

lesson.section_checklist(ctx)
lesson.still_to_come(ctx.module.interactive, built=(
    "Gate matching quiz", "Gradient flow simulator", "Telephone game: RNN vs LSTM", "LSTM gate playground",
    "Predict-then-reveal gate activations", "Debug-the-LSTM challenge"))
quiz_ui.module_quiz(ctx)
lesson.takeaways(ctx)
lesson.next_step(ctx)
