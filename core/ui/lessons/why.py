"""Module 0's widgets: the AI timeline explorer, the "what you will learn" and industry tables, the three-audiences
picker and the jargon translator."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from core.course import glossary, lessons, timeline
from core.ui import jargon

LEARN = [
    ("Hidden state", "Every model that reads in order keeps some running summary.",
     "Knowing what a model can and cannot remember about a long case or conversation."),
    ("Attention", "Translation, search ranking, every modern chat assistant.",
     "Knowing why a model can cite the right paragraph, and when it cannot."),
    ("Temperature", "A setting on every text-generation API.",
     "Choosing between safe, repetitive output and varied, riskier output."),
    ("Sequence to sequence", "Translation, summarising, speech to text.",
     "Recognising input-to-output pipelines in vendor pitches."),
    ("Backpropagation through time", "How recurrent models are trained (transformers use ordinary backpropagation "
     "over all positions at once).",
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
AUDIENCES = {  # radio option -> block of assets/lessons/m00.md
    "A friend over dinner": "audience-friend",
    "An executive, in one minute": "audience-executive",
    "An engineering lead": "audience-lead",
}
TRANSLATED = ("Recurrent neural network (RNN)", "Hidden state", "Vanilla RNN")


def _timeline_chart(items: tuple[timeline.Milestone, ...], chosen: str) -> alt.Chart:
    df = pd.DataFrame([{"year": m.year, "title": m.title, "era": "recurrent|(memory loop)" if m.era == "recurrent"
                        else "attention|(look back at everything)", "chosen": m.id == chosen} for m in items])
    # the chosen milestone is named under the title: written beside its dot, a long name ran over the row labels
    # on a phone
    picked = next(m for m in items if m.id == chosen)
    title = alt.Title("Milestones in sequence modelling", subtitle=f"large dot: {picked.year} · {picked.title}")
    return alt.Chart(df, title=title).mark_circle().encode(
        x=alt.X("year:Q", title="year", scale=alt.Scale(domain=[1988, 2025]), axis=alt.Axis(format="d")),
        # each era's label on two lines ("|" splits them), so the whole label shows beside a phone-width plot
        y=alt.Y("era:N", title=None, axis=alt.Axis(labelExpr="split(datum.label, '|')", labelLimit=0)),
        size=alt.condition("datum.chosen", alt.value(400), alt.value(90)),
        color=alt.Color("era:N", legend=None),
        tooltip=["year", "title"]).properties(height=230)  # the whole frame: the plot gets about 110 px


@st.fragment
def timeline_explorer() -> None:
    st.subheader("From a loop with memory to today's chat assistants",
                 help=jargon.tip("Recurrent neural network (RNN)", "Transformer"))
    items = timeline.load()
    ids = [m.id for m in items]
    chosen = st.selectbox("Pick a milestone", ids, index=ids.index("charrnn"), key="m00-milestone",
                          format_func=lambda i: next(f"{m.year} · {m.title}" for m in items if m.id == i))
    st.altair_chart(_timeline_chart(items, chosen), width="stretch")
    m = next(m for m in items if m.id == chosen)
    left, right = st.columns(2)
    left.markdown(f"**{m.year}: what happened**\n\n{m.what}")
    right.markdown(f"**Why it matters for you**\n\n{m.why}")
    st.caption(f"Source: {m.source}")


def learn_table() -> None:
    st.table(pd.DataFrame(LEARN, columns=["concept", "where it shows up today", "why it is useful to you"])
             .set_index("concept"))  # sentences: a static table wraps them, the dataframe grid cut them


def industry_table() -> None:
    st.table(pd.DataFrame(INDUSTRY, columns=["industry", "the sequence", "a typical use"]).set_index("industry"))


def audiences() -> None:
    """The same idea said to three audiences; the texts are blocks of the Module 0 lesson text."""
    audience = st.radio("Who are you talking to?", list(AUDIENCES), horizontal=True, key="m00-audience")
    st.info(lessons.block("m00", AUDIENCES[audience]), icon=":material/record_voice_over:")


def jargon_translator() -> None:
    """Tooltips on a few terms, then a search over the course glossary."""
    cols = st.columns(len(TRANSLATED))
    for col, term in zip(cols, TRANSLATED, strict=True):
        col.markdown(f"**{term}**", help=jargon.tip(term))
    query = st.text_input("Look up a term", value="", placeholder="e.g. gradient, attention, LSTM", key="m00-jargon")
    found = glossary.search(glossary.load(), query) if query.strip() else []
    for t in found[:6]:
        with st.expander(t.term):
            st.markdown(f"**In plain English:** {t.plain}\n\n**Technically:** {t.technical}")
    if query.strip() and not found:
        st.caption("No glossary term matches that yet; try a shorter word.")
