"""Appendix D: cheat sheets. The RNN, LSTM and GRU equations with their symbols, loss units, hyperparameter
starting points and a temperature guide with a live example; every number shown is computed here and now.
"""

import pandas as pd
import streamlit as st

from core.course import cheatsheets, poster
from core.ui import lesson, shell

ctx = shell.course_page("cheatsheets")
lesson.page_header(ctx)

content = cheatsheets.load()

st.download_button("Download the equations poster (PDF, A4 landscape)", data=poster.equations_poster_pdf,
                   file_name="rnn-equations-poster.pdf", mime="application/pdf", on_click="ignore",
                   icon=":material/picture_as_pdf:", key="cheatsheets::poster")
with st.expander("Notation used on every sheet", icon=":material/info:"):
    st.table(pd.DataFrame(content.conventions, columns=["Symbol", "Meaning"]), hide_index=True)


def module_link(module_id: str) -> None:
    page = ctx.course.pages.get(module_id)
    if page is not None:
        st.page_link(page.file, label=f"Learn it in Module {page.label}", icon=":material/school:")


def show_sheet(sheet: cheatsheets.Sheet) -> None:
    st.markdown(sheet.intro)
    for eq in sheet.equations:
        words, maths = st.columns([2, 3], vertical_alignment="center")
        words.markdown(f"**{eq.name}**")
        words.caption(eq.note)
        with maths:
            st.latex(eq.latex)
    st.markdown("**Symbols**")
    st.table(pd.DataFrame([(s.symbol, s.meaning, s.shape) for s in sheet.symbols],
                          columns=["Symbol", "Meaning", "Shape"]), hide_index=True)
    st.info(sheet.remember, icon=":material/lightbulb:")
    module_link(sheet.module)


def loss_converter() -> None:
    st.markdown("**Convert a loss**")
    left, right = st.columns(2)
    nats = left.number_input("Mean cross-entropy in nats", min_value=0.0, max_value=20.0, value=1.5, step=0.1,
                             key="cheatsheets::nats", help="What your training loop prints, if it uses ln.")
    units = cheatsheets.loss_units(nats)
    left.markdown(f"Perplexity **{units.perplexity:,.2f}** · bits per character **{units.bits_per_char:.3f}**")
    vocab = right.number_input("Vocabulary size V", min_value=2, max_value=1_000_000, value=65, step=1,
                               key="cheatsheets::vocab")
    base = cheatsheets.uniform_loss(int(vocab))
    right.markdown(f"Uniform guessing: loss **{base.nats:.3f}** nats · perplexity **{base.perplexity:,.0f}** · "
                   f"**{base.bits_per_char:.3f}** bits per character")


def parameter_calculator() -> None:
    st.markdown("**How many parameters is that?**")
    left, right = st.columns(2)
    d = left.number_input("Input size D", min_value=1, max_value=100_000, value=65, step=1, key="cheatsheets::d",
                          help="Vocabulary size for one-hot characters, or the embedding size.")
    h = right.number_input("Hidden size H", min_value=1, max_value=100_000, value=256, step=1,
                           key="cheatsheets::h")
    rows = [(name, f"{cheatsheets.parameter_count(kind, int(d), int(h)):,}")
            for kind, name in (("rnn", "Vanilla RNN cell"), ("gru", "GRU cell"), ("lstm", "LSTM cell"))]
    st.table(pd.DataFrame(rows, columns=["One layer", "Parameters (PyTorch layout)"]), hide_index=True)
    st.caption("Counts k blocks of W_x (H x D), W_h (H x H) and two bias vectors, with k = 1, 3, 4; "
               "the output layer adds V x H + V.")


def temperature_example() -> None:
    st.markdown("**Live example**: three logits through the temperature softmax")
    ex = cheatsheets.temperature_example(content.example_logits, content.example_temperatures)
    columns = [f"p({label}), logit {z:.1f}" for label, z in zip(content.example_labels, ex.logits, strict=True)]
    table = pd.DataFrame(ex.probs, columns=columns).map(lambda p: f"{p:.3f}")
    table.insert(0, "τ", [f"{t:g}" for t in ex.temperatures])
    table["entropy (bits)"] = [f"{e:.3f}" for e in ex.entropy_bits]
    st.table(table, hide_index=True)
    st.caption("Lower τ concentrates the probability on the top logit; higher τ spreads it out. "
               "The order never changes.")
    tau = st.slider("Try your own temperature τ", min_value=0.05, max_value=5.0, value=1.0, step=0.05,
                    key="cheatsheets::tau")
    probs = cheatsheets.softmax_with_temperature(content.example_logits, tau)
    st.bar_chart(pd.DataFrame({"probability": probs}, index=list(content.example_labels)), height=200,
                 horizontal=True, x_label="probability", y_label="character")
    st.caption(f"At τ = {tau:g}: " + ", ".join(f"p({label}) = {p:.3f}"
                                              for label, p in zip(content.example_labels, probs, strict=True)))


tabs = st.tabs([s.title for s in content.sheets] + ["Hyperparameters", "Temperature"])
for tab, sheet in zip(tabs, content.sheets, strict=False):
    with tab:
        show_sheet(sheet)
        if sheet.id == "lstm":
            st.markdown("**The gates as a diagram**")
            st.graphviz_chart(cheatsheets.lstm_gate_dot())
        if sheet.id == "loss":
            loss_converter()

with tabs[-2]:
    st.markdown(content.hyperparameters_intro)
    st.table(pd.DataFrame([(r.name, r.start, r.range, r.adjust, r.why) for r in content.hyperparameters],
                          columns=["Setting", "Start", "Typical range", "Adjust when", "Why"]), hide_index=True)
    parameter_calculator()
    module_link("m09")

with tabs[-1]:
    st.markdown(content.temperature_intro)
    st.latex(content.sheet("loss").equation("Softmax with temperature").latex)
    st.table(pd.DataFrame([(b.range, b.effect, b.use) for b in content.temperature_bands],
                          columns=["τ", "What the samples look like", "Good for"]), hide_index=True)
    temperature_example()
    module_link("m04")

lesson.next_step(ctx)
