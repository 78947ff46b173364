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
st.markdown("""
Gated RNNs fixed the worst of the vanishing-gradient problem, but four weaknesses remain, and together they
explain why the field moved on.

1. **Very long-range dependencies.** An LSTM can *hold* information for a long time, but *learning* that a token
   far back matters is still hard: the error signal must travel back through every step in between. Think of a
   LaTeX `\\begin{proof}` closed by the wrong `\\end{...}` a hundred lines later.
2. **Strictly sequential computation.** Step *t* needs the state from step *t − 1*, so the positions of one
   sequence cannot be computed at the same time. Long sequences train slowly and a GPU's thousands of cores wait.
3. **Memory size is tied to cost per step.** To remember more you widen the hidden state, and the recurrent
   matrix multiplication on *every* step grows with the square of that width.
4. **Finicky training.** Results depend on initialisation, learning rate and gradient clipping more than most
   practitioners would like.

The two demos below measure the first two on this machine.
""")
limits.stress_test()
limits.speed_benchmark()
with st.expander("Checklist: when to look beyond an RNN", icon=":material/checklist:"):
    st.markdown("""
- Sequences longer than roughly a thousand steps, or outputs that depend on items far apart
- Training time matters and you have parallel hardware (GPUs) to use
- The relationships between positions are complex and not local
- You have plenty of data and compute: transformers improve more predictably as both grow
""")

st.header("8.2 The transformer (2017 onward)")
st.markdown("""
In 2017 *Attention Is All You Need* removed the recurrence altogether. Its main ingredients:

- **Self-attention:** each position computes how relevant every other position is and takes a weighted mix of
  them, so distant tokens are one step away instead of hundreds.
- **Parallel processing:** with no state passed from step to step, every position of a layer is computed at once.
- **Positional encodings:** without a loop, word order has to be supplied explicitly as extra input.
- **Scale:** the design kept improving as models, data and compute grew, which led to BERT, GPT and today's
  assistants.

Nothing you learned is wasted: attention grew out of the encoder-decoder RNNs of Module 7, and next-token
prediction is exactly what char-rnn does.
""")
limits.sequence_timeline(ctx)
limits.transformer_preview()

st.header("8.3 When RNNs still make sense")
st.markdown("""
| Situation | Why a recurrent model fits |
|---|---|
| Tight memory or power budgets | Few parameters, fixed memory per step |
| Real-time streams | Each new item costs the same small update, no growing context |
| Short, simple sequences | A transformer's extra machinery buys little |
| Teaching and prototyping | The whole model fits in your head and trains on a laptop |
| Hybrids for audio and video | A convolutional front end plus a recurrent back end is a proven pattern |

Recurrence is also back in research: state-space models and linear-recurrent designs keep a fixed-size state for
cheap streaming but are built to train in parallel.
""")
limits_decisions.rnn_flowchart()

st.header("8.4 Build vs buy")
st.markdown("""
Before anyone trains a model, decide whether to use a hosted API, run a pretrained model yourself, or build
something custom. In short:

- **Hosted API:** standard language tasks, prototypes, data that may leave your environment, top quality needed
  fast.
- **Pretrained model you run:** data must stay in-house, you need to fine-tune on your domain, or the per-request
  bill gets too large at your volume.
- **Custom RNN/LSTM:** streaming with hard latency limits, edge devices, a narrow task where small is enough.
- **Custom transformer:** no suitable pretrained model, large unique data, a real compute budget, or research.
""")
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
