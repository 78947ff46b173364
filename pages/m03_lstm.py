"""Module 3: vanishing gradients, the LSTM built gate by gate, and the GRU. Gradient flow measured by autograd, the
telephone game, the gate playground, real gate activations of the trained Shakespeare LSTM, the GRU's equations and
size, and the equal-budget RNN / GRU / LSTM experiment."""

import streamlit as st

from core.ui import jargon, lesson, shell
from core.ui import quiz as quiz_ui
from core.ui.lessons import connectivity, equal_budget, gru_lesson, lstm_lesson

ctx = shell.course_page("m03")
lesson.module_header(ctx)

st.header("3.1 Why gradients vanish or explode")
with lesson.technical(ctx, "the chain rule, and gradient flow measured by autograd"):
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

st.header("3.2 Inside the LSTM: cell state and gates", help=jargon.tip("LSTM", "Cell state", "Gate", "Forget gate"))
with lesson.technical(ctx, "the LSTM's equations, gate by gate, and the gate playground"):
    lesson.text("m03", "lstm-build")
    st.subheader("The cell state")
    lesson.text("m03", "lstm-cell-state")
    st.subheader("The forget gate")
    lesson.text("m03", "lstm-forget")
    st.subheader("The input gate and the candidate")
    lesson.text("m03", "lstm-input")
    st.subheader("The output gate")
    lesson.text("m03", "lstm-output")
    lesson.text("m03", "lstm-shapes")

    st.subheader("LSTM gate playground")
    lesson.text("m03", "gates-intro")
    lstm_lesson.gate_playground()

st.subheader("Predict, then reveal: real gates of the trained LSTM")
lstm_lesson.predict_then_reveal(ctx)

st.header("3.3 Why LSTMs work better")
lesson.text("m03", "why-lstm")

st.subheader("The GRU: two gates, one state")
lesson.text("m03", "gru-intro")
with lesson.technical(ctx, "the GRU's equations, its size and its gradient flow"):
    lesson.text("m03", "gru-equations")
    lesson.text("m03", "gru-vs-lstm")
    gru_lesson.parameter_table()
    st.subheader("Gradient flow: vanilla RNN, LSTM and GRU")
    lesson.text("m03", "gru-flow-intro")
    gru_lesson.gradient_flow()

st.subheader("The equal-budget experiment: RNN, GRU and LSTM for 900 CPU-seconds each")
with lesson.technical(ctx, "the race's measurements, and how to read them honestly"):
    lesson.text("m03", "equal-budget-intro")
    equal_budget.experiment()
    lesson.text("m03", "equal-budget-reading")

st.subheader("Connectivity: which earlier characters does a prediction depend on?")
lesson.text("m03", "connectivity-intro")
with lesson.technical(ctx, "the connectivity view: gradients of a prediction, character by character"):
    connectivity.view(ctx)
    lesson.text("m03", "connectivity-reading")

st.subheader("Debug the LSTM")
with lesson.technical(ctx, "diagnose a broken LSTM from its gates and gradients"):
    lstm_lesson.debug_the_lstm()

lesson.section_checklist(ctx)
lesson.still_to_come(ctx.module.interactive, built=(
    "Gate matching quiz", "Gradient flow simulator", "Telephone game: RNN vs LSTM", "LSTM gate playground",
    "Predict-then-reveal gate activations", "Debug-the-LSTM challenge"))
quiz_ui.module_quiz(ctx)
lesson.takeaways(ctx)
lesson.next_step(ctx)
