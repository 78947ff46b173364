"""Module 0: why RNNs still matter. The AI timeline explorer, what you will learn, industries, three
audiences, the jargon translator and the use-case finder."""

import altair as alt
import pandas as pd
import streamlit as st

from core.course import glossary, timeline
from core.ui import jargon, lesson, shell
from core.ui import quiz as quiz_ui

ctx = shell.course_page("m00")
lesson.module_header(ctx)


@st.fragment
def timeline_explorer() -> None:
    st.subheader("From a loop with memory to today's chat assistants",
                 help=jargon.tip("Recurrent neural network (RNN)", "Transformer"))
    items = timeline.load()
    ids = [m.id for m in items]
    chosen = st.selectbox("Pick a milestone", ids, index=ids.index("charrnn"), key="m00-milestone",
                          format_func=lambda i: next(f"{m.year} · {m.title}" for m in items if m.id == i))
    df = pd.DataFrame([{"year": m.year, "title": m.title, "era": "recurrent (memory loop)" if m.era == "recurrent"
                        else "attention (look back at everything)", "chosen": m.id == chosen} for m in items])
    base = alt.Chart(df, title="Milestones in sequence modelling").encode(
        x=alt.X("year:Q", title="year", scale=alt.Scale(domain=[1988, 2025]), axis=alt.Axis(format="d")),
        y=alt.Y("era:N", title=None))
    points = base.mark_circle().encode(size=alt.condition("datum.chosen", alt.value(400), alt.value(90)),
                                       color=alt.Color("era:N", legend=None),
                                       tooltip=["year", "title"])
    labels = base.mark_text(dy=-14, fontSize=11).encode(text="title:N",
                                                        opacity=alt.condition("datum.chosen", alt.value(1),
                                                                              alt.value(0)))
    st.altair_chart((points + labels).properties(height=180), width="stretch")
    m = next(m for m in items if m.id == chosen)
    left, right = st.columns(2)
    left.markdown(f"**{m.year}: what happened**\n\n{m.what}")
    right.markdown(f"**Why it matters for you**\n\n{m.why}")
    st.caption(f"Source: {m.source}")


LEARN = [
    ("Hidden state", "Every model that reads in order keeps some running summary.",
     "Knowing what a model can and cannot remember about a long case or conversation."),
    ("Attention", "Translation, search ranking, every modern chat assistant.",
     "Knowing why a model can cite the right paragraph, and when it cannot."),
    ("Temperature", "A setting on every text-generation API.",
     "Choosing between safe, repetitive output and varied, riskier output."),
    ("Sequence to sequence", "Translation, summarising, speech to text.",
     "Recognising input-to-output pipelines in vendor pitches."),
    ("Backpropagation through time", "How recurrent models are trained (transformers use ordinary backpropagation over all positions at once).",
     "Understanding why long-range behaviour is hard to train and costly to fix."),
]
INDUSTRY = [
    ("Banking and payments", "Card transactions in time order",
     "Flagging a purchase that breaks a customer's usual pattern"),
    ("Healthcare", "Vital signs, visits and lab results over time", "Warning early that a patient is deteriorating"),
    ("Retail and e-commerce", "Clicks and baskets within a session",
     "Suggesting the next product; spotting likely churn"),
    ("Marketing", "A customer's emails, visits and purchases over time",
     "Choosing the next message, and when to send it"),
    ("IT operations", "Log lines and metrics from servers", "Noticing an unusual sequence of events before an outage"),
    ("Manufacturing and energy", "Sensor readings from machines", "Planning maintenance before a part fails"),
    ("Legal and compliance", "Clauses and correspondence", "Pulling obligations and deadlines out of long documents"),
]
AUDIENCES = {
    "A friend over dinner": "When you read a sentence you don't start from scratch at each word: you carry a sense "
    "of what came before. A recurrent network does the same thing with a list of numbers it updates after every "
    "word. In 2015 someone showed that such a network, just by guessing the next letter over and over, could "
    "write passable fake Shakespeare. Today's chatbots grew out of that line of work.",
    "An executive, in one minute": "Much of our data is a sequence: transactions, tickets, sensor feeds, customer "
    "journeys. Sequence models learn patterns in the order of events, not just in totals. This course explains "
    "the first successful family of them, recurrent networks, so we can judge where today's larger models fit, "
    "what they will cost, and where a small, fast model is the better buy.",
    "An engineering lead": "RNNs process a stream with constant memory per step, which still suits streaming and "
    "on-device work. Their weakness, gradients that vanish over long distances, is exactly what LSTMs and then "
    "attention were built to fix. Knowing that chain of problems and fixes makes architecture reviews and vendor "
    "claims much easier to assess.",
}


timeline_explorer()

st.subheader("What you will learn, and where you meet it at work")
st.dataframe(pd.DataFrame(LEARN, columns=["concept", "where it shows up today", "why it is useful to you"]),
             hide_index=True)
st.subheader("Sequences in your industry")
st.dataframe(pd.DataFrame(INDUSTRY, columns=["industry", "the sequence", "a typical use"]), hide_index=True)

st.subheader("Say it to three audiences")
audience = st.radio("Who are you talking to?", list(AUDIENCES), horizontal=True, key="m00-audience")
st.info(AUDIENCES[audience], icon=":material/record_voice_over:")

st.subheader("Jargon translator")
st.markdown("Hover the ⓘ on a term for a plain-English version, or search the course glossary below.")
cols = st.columns(3)
for col, term in zip(cols, ["Recurrent neural network (RNN)", "Hidden state", "Vanilla RNN"], strict=True):
    col.markdown(f"**{term}**", help=jargon.tip(term))
query = st.text_input("Look up a term", value="", placeholder="e.g. gradient, attention, LSTM", key="m00-jargon")
found = glossary.search(glossary.load(), query) if query.strip() else []
for t in found[:6]:
    with st.expander(t.term):
        st.markdown(f"**In plain English:** {t.plain}\n\n**Technically:** {t.technical}")
if query.strip() and not found:
    st.caption("No glossary term matches that yet; try a shorter word.")

lesson.section_checklist(ctx)
lesson.still_to_come(ctx.module.interactive, built=("Find-your-use-case quiz", "AI timeline explorer",
                                                    "Jargon translator"))
quiz_ui.use_case_finder(ctx)
quiz_ui.module_quiz(ctx)
lesson.takeaways(ctx)
lesson.next_step(ctx)
