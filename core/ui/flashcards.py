"""Flashcard widgets: the card set (or a message when it is broken), the review session (reveal, then Again/Good
or all four ratings, next due date shown), the per-concept mastery view, and the deck browser with filters and
Anki export."""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime

import pandas as pd
import streamlit as st
from fsrs import Rating

from core.assessment import flashcards
from core.assessment import quiz as quizzes
from core.assessment.flashcards import Card
from core.cohort.store import StoreError
from core.ui.shell import PageContext, rerun_fragment, show_store_error

SIMPLE = (Rating.Again, Rating.Good)
LABEL = {Rating.Again: "Again", Rating.Hard: "Hard", Rating.Good: "Good", Rating.Easy: "Easy"}


def plain(text: str, limit: int = 90) -> str:
    """A one-line, markup-free version of a card side, for labels and tables."""
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    text = re.sub(r"[$*`]", "", text).replace("\n", " ").strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def kind_label(kind: str) -> str:
    """A card kind as a label: 'system-design' -> 'System design'."""
    return kind.replace("-", " ").capitalize()


def _meta(card: Card, module_label: str) -> str:
    return f"{module_label} · {card.level} · {kind_label(card.kind)} · " + " ".join(f"#{t}" for t in card.tags)


def _module_label(ctx: PageContext, module_id: str | None) -> str:
    module = ctx.course.modules.get(module_id or "")
    return f"Module {module.label}" if module else "General"


def load_cards() -> dict[str, Card]:
    """Every card by id; when the card file is broken, says so and stops the page (nothing else can run)."""
    try:
        return flashcards.by_id(flashcards.load_cards())
    except quizzes.QuizError as exc:
        st.error(f"**The flashcards could not be loaded.** Please tell the course team: {exc}")
        st.stop()


@st.fragment
def review_session(ctx: PageContext, cards: dict[str, Card]) -> None:
    ss, now = st.session_state, datetime.now(UTC)
    try:
        deck = ctx.store.deck(ctx.learner.id)
    except StoreError as exc:
        show_store_error(exc)
        return
    last = ss.get("fc::last")
    if last:
        st.success(f"Saved: **{last['rating']}**. That card comes back {flashcards.humanize_until(last['due'], now)} "
                   f"({last['due']:%Y-%m-%d %H:%M} UTC).", icon=":material/event:")
    due = [cid for cid in flashcards.due_now(deck, now) if cid in cards]
    if not deck:
        st.info("Your deck is empty. Add cards under **Browse & export**, or take a module quiz: every question "
                "you miss puts its card in your deck.", icon=":material/style:")
        _starter_deck(ctx, cards)
        return
    if not due:
        upcoming = min(rec.due for rec in deck.values())
        st.info(f"Nothing is due. {len(deck)} cards in your deck; the next one comes back "
                f"{flashcards.humanize_until(upcoming, now)} ({upcoming:%Y-%m-%d %H:%M} UTC).",
                icon=":material/done_all:")
        return
    card = cards[due[0]]
    st.caption(f"{len(due)} card{'s' if len(due) != 1 else ''} due · {len(deck)} in your deck")
    with st.container(border=True):
        st.caption(_meta(card, _module_label(ctx, card.module)))
        st.markdown(card.front)
        if ss.get("fc::revealed") != card.id:
            if st.button("Show answer", key=f"fc::show::{card.id}", type="primary", icon=":material/visibility:"):
                ss["fc::revealed"] = card.id
                ss.pop("fc::last", None)
                rerun_fragment()
            return
        st.divider()
        st.markdown(card.back)
    four = st.toggle("Offer all four ratings (Again, Hard, Good, Easy)", key="fc::four",
                     help="Again/Good is enough for most people; Hard and Easy fine-tune the intervals.")
    ratings = tuple(Rating) if four else SIMPLE
    previews = flashcards.next_due(deck[card.id].fsrs, now)
    st.caption("How well did you recall it? Each button shows when the card would come back.")
    for col, rating in zip(st.columns(len(ratings)), ratings, strict=True):
        label = f"{LABEL[rating]} · {flashcards.humanize_until(previews[rating], now)}"
        if col.button(label, key=f"fc::rate::{card.id}::{rating.name}", width="stretch"):
            try:
                due_at = flashcards.rate(ctx.store, ctx.learner.id, card.id, rating, now)
            except (StoreError, KeyError) as exc:
                show_store_error(StoreError(str(exc)))
                return
            ss["fc::last"] = {"rating": LABEL[rating], "due": due_at}
            ss.pop("fc::revealed", None)
            # The whole page, not just this fragment: the "What to review next" tab was drawn before the rating and
            # would otherwise go on listing the card just rated as "review now".
            st.rerun()


def add_cards(ctx: PageContext, chosen: list[Card], source: str) -> int | None:
    """Put cards in the learner's deck: how many were new, or None when the store failed (the page says so)."""
    try:
        return sum(flashcards.add_to_deck(ctx.store, ctx.learner.id, c, source) for c in chosen)
    except StoreError as exc:
        show_store_error(exc)
        return None


def _starter_deck(ctx: PageContext, cards: dict[str, Card]) -> None:
    """One click to a first deck: the cards of the modules on the learner's path (all cards without a path)."""
    path = ctx.path
    mine = [c for c in cards.values() if c.module and (path is None or c.module in path.modules)]
    if not mine:
        return
    where = "the modules on your path" if path is not None else "every module"
    if st.button(f"Start my deck with the {len(mine)} cards of {where}", key="fc::starter", type="primary",
                 icon=":material/library_add:") and add_cards(ctx, mine, "browse") is not None:
        st.rerun()  # the review tab now has them, all due


def mastery_view(ctx: PageContext, cards: dict[str, Card]) -> None:
    now = datetime.now(UTC)
    try:
        deck = ctx.store.deck(ctx.learner.id)
        answers = ctx.store.quiz_answers(ctx.learner.id)
        links = flashcards.question_cards(quizzes.all_quizzes())
    except (StoreError, quizzes.QuizError) as exc:
        st.error(f"Mastery cannot be shown right now: {exc}")
        return
    rows = [m for m in flashcards.mastery(deck, answers, links, cards, now) if m.card_id in cards]
    if not rows:
        st.info("Take a module quiz or review a few cards; how well you know each concept shows up here.",
                icon=":material/insights:")
        return
    weak = [m for m in rows if m.status(now) in ("review now", "weak", "shaky")][:5]
    if weak:
        st.markdown("**Review next**")
        for m in weak:
            page = ctx.course.pages.get(m.module or "")
            where = f" · {page.label}" if page else ""
            st.markdown(f"- {plain(cards[m.card_id].front, 110)} ({m.status(now)}{where})")
    else:
        st.success("Everything you have met so far looks solid. Keep reviewing when cards fall due.")
    per_module: dict[str, list] = {}
    for m in rows:
        per_module.setdefault(_module_label(ctx, m.module), []).append(m)
    st.dataframe(pd.DataFrame([{
        "module": label,
        "concepts met": len(ms),
        "mastery": (sum(s) / len(s)) if (s := [m.score for m in ms if m.score is not None]) else None,
        "due now": sum(m.status(now) == "review now" for m in ms),
    } for label, ms in sorted(per_module.items())]), hide_index=True, column_config={
        "mastery": st.column_config.ProgressColumn(format="percent")})
    st.markdown("**Every concept**")
    table = pd.DataFrame([{
        "concept": plain(cards[m.card_id].front, 80),
        "module": _module_label(ctx, m.module),
        "quiz": f"{m.quiz_right}/{m.quiz_total}" if m.quiz_total else "–",
        "recall": m.recall,
        "mastery": m.score,
        "status": m.status(now),
        "next review": m.due,
    } for m in rows])
    st.dataframe(table, hide_index=True, column_config={
        "recall": st.column_config.ProgressColumn("recall now", format="percent", help="FSRS's estimate"),
        "mastery": st.column_config.ProgressColumn(format="percent", help="Latest quiz answers and recall"),
        "next review": st.column_config.DatetimeColumn("next review (UTC)", format="YYYY-MM-DD HH:mm"),
    })
    st.caption("Mastery combines your latest answer to each quiz question linked to a concept with FSRS's "
               "estimate that you would recall its card now.")


def deck_browser(ctx: PageContext, cards: list[Card]) -> None:
    modules = sorted({c.module for c in cards if c.module})
    tags = sorted({t for c in cards for t in c.tags})
    left, mid, right, far = st.columns(4)
    pick_modules = left.multiselect("Module", modules, key="fc::f::module",
                                    format_func=lambda m: _module_label(ctx, m))
    pick_levels = mid.multiselect("Level", flashcards.LEVELS, key="fc::f::level")
    pick_kinds = right.multiselect("Kind", flashcards.KINDS, key="fc::f::kind", format_func=kind_label)
    pick_tags = far.multiselect("Tag", tags, key="fc::f::tag")
    chosen = flashcards.filter_cards(cards, modules=pick_modules, levels=pick_levels, kinds=pick_kinds,
                                     tags=pick_tags)
    try:
        deck = ctx.store.deck(ctx.learner.id)
    except StoreError as exc:
        show_store_error(exc)
        return
    new = [c for c in chosen if c.id not in deck]
    st.caption(f"{len(chosen)} of {len(cards)} cards match · {len(chosen) - len(new)} already in your deck")
    add, download = st.columns(2)
    if add.button(f"Add {len(new)} card{'s' if len(new) != 1 else ''} to my deck", key="fc::add", disabled=not new,
                  icon=":material/library_add:"):
        count = add_cards(ctx, new, "browse")
        if count is not None:
            st.success(f"Added {count} cards; they are due for review now.")
    name = "RNN Course" if len(chosen) == len(cards) else "RNN Course (filtered)"
    download.download_button(f"Download {len(chosen)} cards for Anki (.apkg)",
                             data=functools.partial(flashcards.export_apkg, tuple(chosen), name),
                             file_name="rnn-course-flashcards.apkg", mime="application/octet-stream",
                             on_click="ignore", disabled=not chosen, icon=":material/download:", key="fc::apkg")
    for c in chosen:
        mark = "★ " if c.id in deck else ""
        with st.expander(mark + plain(c.front)):
            st.markdown(c.front)
            st.divider()
            st.markdown(c.back)
            st.caption(_meta(c, _module_label(ctx, c.module)) + (" · in your deck" if c.id in deck else ""))
