"""Appendix E widgets: the interview questions with model answers (each linked to the module that teaches it), a
mock interview drawn from the learner's path whose self-ratings schedule each question with FSRS, and the capstone
pitch builder. The questions are in assets/interview.yaml; the guidance text in assets/lessons/interview.md."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import streamlit as st
from fsrs import Rating

from core.assessment import flashcards, interview
from core.assessment.flashcards import Card
from core.assessment.quiz import QuizError
from core.cohort import identity
from core.cohort.store import StoreError
from core.ui import lesson
from core.ui.flashcards import add_cards, kind_label
from core.ui.shell import PageContext, show_store_error

RATINGS = [("Again", Rating.Again), ("Hard", Rating.Hard), ("Good", Rating.Good), ("Easy", Rating.Easy)]


def _load() -> tuple[list[interview.Question], dict[str, Card]]:
    """The questions in course order and their flashcards; none (with a message) when a file is broken."""
    try:
        questions = list(interview.load())
        cards = flashcards.by_id(flashcards.load_cards())
    except QuizError as exc:
        st.error(f"**The interview questions could not be loaded.** Please tell the course team: {exc}")
        return [], {}
    return questions, cards


def questions(ctx: PageContext) -> list[Card]:
    """Every interview question with its model answer and a link to the module that teaches it, and a button that
    adds them all to the deck. Returns their cards, in the order shown (none when a file is broken)."""
    qs, cards = _load()
    modules = ctx.course.modules
    qs.sort(key=lambda q: modules[q.module].number if q.module in modules else len(modules))
    for number, q in enumerate(qs, 1):
        with st.expander(f"Q{number}. {q.question}"):
            st.markdown(q.answer)
            module = ctx.course.pages.get(q.module)
            st.caption(f"{q.level} · {kind_label(q.kind)}" + (" · Follow-up question" if q.follow_up else ""))
            if module is not None:
                st.page_link(module.file, label=f"Learn it in Module {module.label}", icon=":material/school:")
    chosen = [cards[q.id] for q in qs if q.id in cards]
    if chosen and st.button(f"Add these {len(chosen)} questions to my flashcard deck", icon=":material/library_add:",
                            key="interview-add"):
        added = add_cards(ctx, chosen, "interview")
        if added is not None:
            st.success(f"{added} added ({len(chosen) - added} were already there). Review them under Practice → "
                       "Flashcards.")
    return chosen


def _reveal() -> None:
    st.session_state["mock-revealed"] = True


def _rate(ctx: PageContext, card: Card, label: str, rating: Rating, pool: list[str]) -> None:
    """Schedule the question with the learner's rating and move on to another question from the pool."""
    ss = st.session_state
    try:
        flashcards.add_to_deck(ctx.store, ctx.learner.id, card, "interview:mock")
        due = flashcards.rate(ctx.store, ctx.learner.id, card.id, rating)
    except StoreError as exc:
        ss["mock-error"] = str(exc)
        return
    ss["mock-last"] = (f"Saved your rating ({label}): that question comes back "
                       f"{flashcards.humanize_until(due, datetime.now(UTC))}.")
    ss["mock-q"] = random.choice([c for c in pool if c != card.id] or pool)
    ss.pop("mock-revealed", None)


@st.fragment
def mock_interview(ctx: PageContext, cards: list[Card]) -> None:
    """Question from the learner's path -> your answer -> model answer (one click) -> self-rating, which schedules
    the card with FSRS."""
    st.subheader("Mock interview")
    lesson.text("interview", "mock")
    ss = st.session_state
    by_id = {c.id: c for c in cards}
    try:
        pool = [q.id for q in interview.mock_pool(interview.load(), ctx.path) if q.id in by_id]
    except QuizError:
        pool = []
    if not pool:
        st.caption("No interview questions to draw from right now.")
        return
    if ss.get("mock-last"):
        st.success(ss["mock-last"], icon=":material/event_repeat:")
    if ss.get("mock-error"):
        show_store_error(StoreError(ss.pop("mock-error")))
    if ss.get("mock-q") not in pool:
        ss["mock-q"] = random.choice(pool)
        ss.pop("mock-revealed", None)
    card = by_id[ss["mock-q"]]
    st.markdown(f"**{card.front.removeprefix('Interview: ').removeprefix('Interview follow-up: ')}**")
    answer = st.text_area("Your answer", key=f"mock-answer-{card.id}", height=120, max_chars=4000)
    if not ss.get("mock-revealed"):
        # Never disabled: a button that only enables once the text area commits (on blur) needed two clicks.
        st.button("Show the model answer", key="mock-reveal", on_click=_reveal)
        st.caption("Answer first, out loud or in the box, then compare.")
        return
    if not answer.strip():
        st.caption("Next time, try an answer before you look: recalling is what makes it stick.")
    st.markdown("**Model answer**")
    st.markdown(card.back)
    st.markdown("**How did you do?**")
    for column, (label, rating) in zip(st.columns(4), RATINGS, strict=True):
        column.button(label, key=f"mock-rate-{label}", width="stretch", on_click=_rate,
                      args=(ctx, card, label, rating, pool))


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
