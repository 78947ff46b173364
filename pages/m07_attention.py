"""Module 7: attention. The bottleneck, the attention equations with a live calculator and the real heatmaps of
the dates model, soft vs hard attention, a debugging challenge on the model's real mistakes, a Neural Turing
Machine trained on copying, and the step from here to transformer self-attention."""

import streamlit as st

from core.ui import codelab, jargon, lesson, shell
from core.ui import quiz as quiz_ui
from core.ui.lessons import attention, ntm_demo

ctx = shell.course_page("m07")
lesson.module_header(ctx)
lesson.section_checklist(ctx)
built: list[str] = []

st.header("7.1 The bottleneck problem")
st.markdown("""
A plain encoder-decoder reads the whole input and hands the decoder one vector: the encoder's final state.
Whatever the decoder needs later, every name, number and date, has to fit in those few hundred numbers. For a
short input that is plenty. For a long one, the early parts get overwritten by the later ones (with a
bidirectional encoder, as in the sandbox, it is the middle that fades), and the decoder has no way to go back and
check.

The chart shows it on the dates models from Module 6. Without attention, the model copes with a single date
but falls apart once the input holds a memo; with attention, length barely matters. The fix is to stop asking
for one summary.
""")
attention.bottleneck_chart()

st.header("7.2 Attention: learning where to look", help=jargon.tip("Attention mechanism", "Softmax",
                                                                  "Bahdanau attention"))
st.markdown(r"""
Keep **all** the encoder states $h_1 \dots h_S$, one per input position. At every output step $t$ the decoder
does three things:

1. **Score** each input position for how useful it is right now: $e_{t,i} = \mathrm{score}(s_{t-1}, h_i)$,
   where $s_{t-1}$ is the decoder's state. The score can be a small network (additive, Bahdanau) or a dot
   product (Luong et al., who score the current state $s_t$ instead).
2. **Normalise** the scores with a softmax, so that they are positive and sum to 1 (formula below).
3. **Mix**: the context for this step is the weighted sum $c_t$ of the encoder states, and the decoder uses it
   together with its own state to produce the next output.

Every output step gets its own context, and the weights $\alpha$ are a record of what the model used. In
transformer vocabulary, the decoder state is the **query**, the encoder states being scored are the **keys**,
and the vectors being averaged are the **values** (here keys and values are the same $h_i$).
""")
st.latex(r"\alpha_{t,i} = \frac{\exp(e_{t,i})}{\sum_j \exp(e_{t,j})} \qquad c_t = \sum_i \alpha_{t,i}\, h_i")
attention.weight_calculator()
built.append("Attention weight calculator")
attention.translation_heatmap()
built.append("Translation attention heatmap")
st.markdown("""
The same idea was applied well beyond translation. A captioning model can score the cells of a CNN's feature
grid instead of words, so each generated word comes with a map of the image regions it drew on. A summariser can
score source sentences, so each summary sentence can be traced back to the sentences it came from.
""")

st.header("7.3 Soft vs hard attention", help=jargon.tip("Soft attention", "Hard attention"))
st.markdown("""
The dates heatmap above is **soft** attention: the context is a weighted average over every position. It is smooth,
so ordinary backpropagation trains the scoring function along with the rest of the model. The price is that
every step reads every position.

**Hard** attention picks one position (sampled from the weights) and reads only that. It is cheaper to read
and easy to interpret, but picking is not differentiable, so training needs a gradient estimator from
reinforcement learning (REINFORCE), which is noisier and slower to converge. In practice soft attention won;
sparse and top-k variants are the modern compromise when inputs are very long.

The captioner below (trained in Module 6) shows both on the same picture: on the left the soft weights over
its grid of CNN feature cells for each word, on the right one cell sampled from those weights.
""")
if attention.image_attention_demo("m07-img"):
    built += ["Image attention demo", "Soft vs hard attention comparison"]

st.header("Debugging with attention")
attention.debugging_challenge(ctx)
built.append("Attention debugging challenge")

st.header("7.4 External memory: Neural Turing Machines and memory networks",
          help=jargon.tip("Neural Turing Machine", "Memory network"))
st.markdown("""
Attention reads from a fixed set of encoder states. A **Neural Turing Machine** (Graves, Wayne and Danihelka,
2014) goes a step further: it gives a recurrent controller a memory matrix it can both **read and write**. The
heads address memory in two ways, both soft so that the whole system trains by backpropagation:

- **by content**: compare a key vector to every memory row (cosine similarity), sharpen with a key strength β,
  softmax, exactly as in attention;
- **by location**: blend with where the head was last step, shift it by −1, 0 or +1 slots, and sharpen it again,
  which lets the head walk through memory in order.

Writing is an erase (multiply the addressed rows by 1 − w·e) followed by an add (w·a). **Memory networks**
(Weston, Chopra and Bordes, 2014, on arXiv the same month as the NTM) applied a related idea to question
answering: store facts in slots and retrieve the relevant ones. The original picked memories with a hard max and
needed the supporting facts labelled; End-To-End Memory Networks (Sukhbaatar et al., 2015) made the retrieval soft
attention. Both lines are direct ancestors of the key-value view of attention in transformers.
""")
ntm_demo.ntm_simulator()
built.append("Neural Turing Machine simulator")

labs_built = codelab.page_labs(ctx)

attention.comparison_table()
lesson.still_to_come(ctx.module.interactive, built=tuple(built) + tuple(labs_built))
quiz_ui.module_quiz(ctx)
lesson.takeaways(ctx)
lesson.next_step(ctx)
