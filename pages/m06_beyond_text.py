"""Module 6: beyond text. A real CNN + LSTM captioner on generated scenes, the translation sandbox on the dates
encoder-decoders, the model-size trade-off explorer, speech and visual question answering, the graded exercises
and the cross-domain brainstorm."""

import streamlit as st

from core.ui import jargon, lesson, shell
from core.ui import quiz as quiz_ui
from core.ui.lessons import beyond_text, captioning

ctx = shell.course_page("m06")
lesson.module_header(ctx)
lesson.section_checklist(ctx)

st.header("6.1 CNN + RNN: image captioning")
st.markdown("""
A character model (module 4) starts from an empty hidden state and writes whatever its training text makes likely.
Now give it something to talk about: set its starting state from a picture. That is the whole idea behind the
captioners of 2014-2015 (Vinyals et al., *Show and Tell*; Karpathy and Fei-Fei).

1. A convolutional network (CNN), usually one already trained to recognise objects, turns the picture into
   numbers: a vector, or a grid of vectors, one per region.
2. Those numbers become the RNN's starting context.
3. The RNN writes the caption one word at a time.
4. Each word is chosen from the picture's features *and* the words written so far, then fed back as the next input.
""")
st.latex(r"h_0 = \tanh\!\big(W_{\text{init}}\,\mathrm{CNN}(\text{image})\big) \qquad "
         r"h_t = \mathrm{LSTM}\big(h_{t-1},\, [\,\text{embed}(w_{t-1});\, z_t\,]\big) \qquad "
         r"p(w_t) = \mathrm{softmax}(W_{\text{out}}[h_t; z_t; \text{embed}(w_{t-1})])")
st.caption("z_t is what the decoder reads of the picture at step t. In the simplest captioners it is the same "
           "vector at every step; the model below computes it with attention over a grid (module 7).")
captioning.captioning_demo("m06")

st.header("6.2 Sequence-to-sequence translation")
st.markdown("""
Translation reads a sentence and writes another, of a different length and often in a different word order, so
one output per input (module 1's synced many-to-many) does not fit. Sutskever et al. and Cho et al. (2014) split
the job in two RNNs: an **encoder** reads the source to the end, and its final state, the **context vector**,
starts a **decoder** that writes the target until it emits an end token.
""")
st.latex(r"c = h^{\text{enc}}_{n} = \mathrm{RNN}_{\text{enc}}(x_1, \dots, x_n) \qquad "
         r"y_t \sim p(\,\cdot \mid c,\, y_1, \dots, y_{t-1})")
st.caption("The sandbox's encoder is bidirectional: its c joins the forward GRU's last state and the backward "
           "GRU's last state (which has just read x₁), c = [h→ₙ ; h←₁].")
st.markdown("Everything the decoder knows about the source passes through c, a vector of fixed size. A five-word "
            "sentence and a fifty-word one get the same room. The sandbox lets you watch that limit bite.",
            help=jargon.tip("Context vector", "Encoder-decoder", "Sequence-to-sequence (seq2seq)"))
beyond_text.translation_sandbox("m06")
beyond_text.size_explorer("m06")

st.header("6.3 Speech and other signals")
st.markdown("""
Audio is a sequence too. A speech recogniser slices the waveform into short overlapping windows (about 25 ms,
every 10 ms), turns each into a spectrogram frame (how much energy at each frequency), and reads the frames with an
RNN the way a character model reads letters. One second of speech is about 100 frames but only a dozen characters,
so the model must also learn which frames belong to which output: either with a CTC loss, which lets the network
emit "blank" for most frames (Graves et al.; Baidu's Deep Speech 2, 2015), or with an encoder-decoder and attention
(*Listen, Attend and Spell*, 2016).

The same recipe covers other ordered signals: pen positions for handwriting recognition (Graves et al., 2009) and
generation (Graves, 2013), notes for music, sensor readings for activity recognition. The model does not care what the numbers mean,
only that their order carries information.
""")

st.header("6.4 Visual question answering")
st.markdown("""
Visual question answering takes two inputs, a picture and a question about it, and produces an answer. The early
designs (around 2015) combined what this page already showed: a CNN encodes the picture, an RNN encodes the
question, the two vectors are merged, and a classifier (or a decoder RNN, for longer answers) produces the reply.
Ask our captioner's scene "what colour is the shape on the left?" and you would need exactly that: the grid of
CNN features plus an RNN that reads the question and decides which cells to consult.

These systems also taught a lasting lesson: many questions can be answered well from the question alone ("what
colour is the sky?" → "blue"), so a model can score well without looking at the image much. Good evaluations
balance their questions so that the picture is necessary.
""")

st.header("Exercises")
beyond_text.pipeline_exercise(ctx)
beyond_text.brainstorm(ctx, "m06")

lesson.still_to_come(ctx.module.interactive, built=(
    "Image captioning demo", "Translation sandbox", "Architecture matching exercise", "Build-the-pipeline exercise",
    "Model size trade-off explorer", "Cross-domain brainstorm"))
st.caption("The architecture-matching exercise is question 1 of the check below.")
quiz_ui.module_quiz(ctx)
lesson.takeaways(ctx)
lesson.next_step(ctx)
