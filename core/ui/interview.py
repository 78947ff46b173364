"""Appendix E widgets: the interview questions with model answers, a mock interview whose self-ratings schedule
each question with FSRS, and the capstone pitch builder. The guidance text is in assets/lessons/interview.md."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import streamlit as st
from fsrs import Rating

from core.assessment import flashcards
from core.assessment.flashcards import Card
from core.assessment.quiz import QuizError
from core.cohort import identity
from core.cohort.store import StoreError
from core.ui import lesson
from core.ui.shell import PageContext, show_store_error

RATINGS = [("Again", Rating.Again), ("Hard", Rating.Hard), ("Good", Rating.Good), ("Easy", Rating.Easy)]


def _question(card: Card) -> str:
    return card.front.removeprefix("Interview: ").removeprefix("Interview follow-up: ")


def questions(ctx: PageContext) -> list[Card]:
    """Every interview card as a question with its model answer, and a button that adds them all to the deck.

    Returns the cards (none when the card file is broken; the page then shows why)."""
    try:
        cards = [c for c in flashcards.load_cards() if c.source == "interview"]
    except QuizError as exc:
        st.error(f"**The interview questions could not be loaded.** Please tell the course team: {exc}")
        cards = []
    for number, card in enumerate(cards, 1):
        with st.expander(f"Q{number}. {_question(card)}"):
            st.markdown(card.back)
            st.caption(f"{card.level} · {card.kind}")
    if cards and st.button(f"Add these {len(cards)} questions to my flashcard deck", icon=":material/library_add:",
                           key="interview-add"):
        try:
            added = sum(flashcards.add_to_deck(ctx.store, ctx.learner.id, c, "interview") for c in cards)
        except StoreError as exc:
            show_store_error(exc)
        else:
            st.success(f"{added} added ({len(cards) - added} were already there). Review them under Practice → "
                       "Flashcards.")
    return cards


@st.fragment
def mock_interview(ctx: PageContext, cards: list[Card]) -> None:
    """Random question -> your answer -> model answer -> self-rating, which schedules the card with FSRS."""
    st.subheader("Mock interview")
    lesson.text("interview", "mock")
    ss = st.session_state
    if ss.get("mock-last"):
        st.success(ss["mock-last"], icon=":material/event_repeat:")
    if "mock-q" not in ss or ss["mock-q"] not in {c.id for c in cards}:
        ss["mock-q"] = random.choice(cards).id
        ss.pop("mock-revealed", None)
    card = next(c for c in cards if c.id == ss["mock-q"])
    st.markdown(f"**{_question(card)}**")
    answer = st.text_area("Your answer", key=f"mock-answer-{card.id}", height=120, max_chars=4000)
    if not ss.get("mock-revealed"):
        if st.button("Show the model answer", key="mock-reveal", disabled=not answer.strip()):
            ss["mock-revealed"] = True
            st.rerun()
        if not answer.strip():
            st.caption("Write (or say, then type a few words) your answer first.")
        return
    st.markdown("**Model answer**")
    st.markdown(card.back)
    st.markdown("**How did you do?**")
    for column, (label, rating) in zip(st.columns(4), RATINGS, strict=True):
        if column.button(label, key=f"mock-rate-{label}", width="stretch"):
            try:
                flashcards.add_to_deck(ctx.store, ctx.learner.id, card, "interview:mock")
                due = flashcards.rate(ctx.store, ctx.learner.id, card.id, rating)
            except StoreError as exc:
                show_store_error(exc)
                return
            ss["mock-last"] = (f"Saved your rating ({label}): that question comes back "
                               f"{flashcards.humanize_until(due, datetime.now(UTC))}.")
            ss["mock-q"] = random.choice([c for c in cards if c.id != card.id] or cards).id
            ss.pop("mock-revealed", None)
            st.rerun()


def capstone_pitch() -> None:
    """Five fields -> a spoken-length pitch, updated as the learner types, with a text download."""
    with st.container(border=True):
        problem = st.text_input("1. The problem: what text did you model, and why?", key="pitch-problem",
                                placeholder="e.g. release notes from our product, to draft new ones in house style")
        approach = st.text_input("2. The approach: cell, layers, hidden size, data size", key="pitch-approach",
                                 placeholder="e.g. a 2-layer LSTM with 256 units on 1.2 MB of text")
        challenge = st.text_input("3. The main difficulty and what you did about it", key="pitch-challenge",
                                  placeholder="e.g. it overfitted after 10 minutes, so I added dropout and stopped "
                                              "early")
        perplexity = st.number_input("4. Validation perplexity", min_value=1.0, max_value=1000.0, value=None,
                                     step=0.1, key="pitch-ppl", placeholder="e.g. 4.6")
        learned = st.text_input("5. What you learned", key="pitch-learned",
                                placeholder="e.g. the model got layout right long before it got words right")
    parts = [
        f"I built a character-level language model for {problem}." if problem else "",
        f"I used {approach}." if approach else "",
        f"The main challenge: {challenge}." if challenge else "",
        (f"It reached a validation perplexity of {perplexity:.2f}: on average it hesitates as if choosing among "
         f"about {perplexity:.1f} equally likely characters.") if perplexity else "",
        f"What I learned: {learned}." if learned else "",
    ]
    pitch = " ".join(p.replace("..", ".") for p in parts if p)
    if pitch:
        st.markdown("**Your pitch**")
        st.markdown(f"> {identity.escape_markdown(pitch)}")
        st.download_button("Download as text", pitch + "\n", file_name="capstone-pitch.txt", mime="text/plain",
                           on_click="ignore", icon=":material/download:")
    else:
        st.caption("Your pitch appears here as you fill in the fields.")
