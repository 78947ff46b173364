"""Practice: flashcards with FSRS spaced repetition, a mastery view and Anki export."""

import streamlit as st

from core.assessment import flashcards
from core.assessment.quiz import QuizError
from core.ui import flashcards as cards_ui
from core.ui import lesson, shell

ctx = shell.course_page("flashcards")
lesson.page_header(ctx)

try:
    cards = flashcards.load_cards()
except QuizError as exc:
    st.error(f"**The flashcards could not be loaded.** Please tell the course team: {exc}")
    st.stop()

review, progress, browse = st.tabs(["Review", "What to review next", "Browse & export"])
with review:
    cards_ui.review_session(ctx, flashcards.by_id(cards))
with progress:
    cards_ui.mastery_view(ctx, flashcards.by_id(cards))
with browse:
    cards_ui.deck_browser(ctx, list(cards))
lesson.next_step(ctx)
