"""Module 7: attention. The bottleneck, the attention equations with a live calculator and the real heatmaps of
the dates model, soft vs hard attention, a debugging challenge on the model's real mistakes, a Neural Turing
Machine trained on copying, and the step from here to transformer self-attention. The prose is in
assets/lessons/m07.md."""

import streamlit as st

from core.ui import codelab, jargon, lesson, shell
from core.ui import quiz as quiz_ui
from core.ui.lessons import attention, captioning, ntm_demo

ctx = shell.course_page("m07")
lesson.module_header(ctx)
lesson.section_checklist(ctx)
built: list[str] = []

st.header("7.1 The bottleneck problem")
lesson.text("m07", "bottleneck")
attention.bottleneck_chart()

st.header("7.2 Attention: learning where to look", help=jargon.tip("Attention mechanism", "Softmax",
                                                                  "Bahdanau attention"))
with lesson.technical(ctx, "the attention equations and a weight calculator"):
    lesson.text("m07", "attention")
    attention.weight_calculator()
built.append("Attention weight calculator")
attention.translation_heatmap()
built.append("Translation attention heatmap")
lesson.text("m07", "beyond-translation")

st.header("7.3 Soft vs hard attention", help=jargon.tip("Soft attention", "Hard attention"))
lesson.text("m07", "soft-vs-hard")
if captioning.image_attention_if_installed("m07-img"):
    built += ["Image attention demo", "Soft vs hard attention comparison"]

st.header("Debugging with attention")
attention.debugging_challenge(ctx)
built.append("Attention debugging challenge")

st.header("7.4 External memory: Neural Turing Machines and memory networks",
          help=jargon.tip("Neural Turing Machine", "Memory network"))
with lesson.technical(ctx, "how a Neural Turing Machine addresses its memory, with a trained one to run"):
    lesson.text("m07", "external-memory")
    ntm_demo.ntm_simulator()
built.append("Neural Turing Machine simulator")

with lesson.technical(ctx, "code lab: implement attention yourself"):
    labs_built = codelab.page_labs(ctx)

attention.comparison_table()
lesson.still_to_come(ctx.module.interactive, built=tuple(built) + tuple(labs_built))
quiz_ui.module_quiz(ctx)
lesson.takeaways(ctx)
lesson.next_step(ctx)
