"""Practice: flashcards with FSRS spaced repetition, a mastery view and Anki export."""

import streamlit as st

from core.ui import flashcards as cards_ui
from core.ui import lesson, shell

ctx = shell.course_page("flashcards")
lesson.page_header(ctx)

cards = cards_ui.load_cards()  # a broken card file: a message, and the page stops here
review, progress, browse = st.tabs(["Review", "What to review next", "Browse & export"])
with review:
    cards_ui.review_session(ctx, cards)
with progress:
    cards_ui.mastery_view(ctx, cards)
with browse:
    cards_ui.deck_browser(ctx, list(cards.values()))
lesson.next_step(ctx)
