"""Module 1's widgets: the bag-of-words comparison (kept in the page address), the five sequence shapes, the
table of domains, the spot-the-sequence game and the saved discussion notes."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.cohort.store import StoreError
from core.course import lessons
from core.lessons import bow, sequences
from core.ui import urlstate
from core.ui.shell import PageContext

DEFAULT_A = "The dog bit the man."
DEFAULT_B = "The man bit the dog."
DOMAINS = [
    {"domain": "Language", "what arrives in order": "characters, words", "a typical task and its shape":
     "next-word suggestions (in step); sentiment of a review (many to one); translation (read then write)"},
    {"domain": "Speech", "what arrives in order": "audio frames, about 100 a second",
     "a typical task and its shape": "speech to text (read then write, since a dozen letters come from 100 frames)"},
    {"domain": "Time series", "what arrives in order": "sensor readings, prices, transactions",
     "a typical task and its shape": "flag each reading as normal or not (in step); forecast the next value "
     "(many to one)"},
    {"domain": "Video", "what arrives in order": "frames", "a typical task and its shape":
     "label each frame (in step); one label for the whole clip (many to one)"},
]


def bag_of_words() -> None:
    """Two texts side by side and their word counts; both texts are kept in the page address (?a=...&b=...)."""
    left, right = st.columns(2)
    text_a = left.text_input("Text A", value=urlstate.get("a", DEFAULT_A), max_chars=300, key="bow-a")
    text_b = right.text_input("Text B", value=urlstate.get("b", DEFAULT_B), max_chars=300, key="bow-b")
    urlstate.put("a", text_a, DEFAULT_A)
    urlstate.put("b", text_b, DEFAULT_B)
    result = bow.compare(text_a, text_b)
    if not result.bag_a and not result.bag_b:
        st.caption("Type some words in either box.")
        return
    st.dataframe(pd.DataFrame(result.table()), hide_index=True)
    if result.same_bag and not result.same_sequence:
        st.warning(lessons.block("m01", "bow-same-bag"))
    elif result.same_bag:
        st.info(lessons.block("m01", "bow-same-sequence"))
    else:
        st.info(lessons.block("m01", "bow-different"))


def patterns() -> None:
    """One tab per input/output shape, each a diagram and an example."""
    tabs = st.tabs([p.name for p in sequences.PATTERNS])
    for tab, pattern in zip(tabs, sequences.PATTERNS, strict=True):
        with tab:
            st.graphviz_chart(sequences.dot(pattern))
            st.caption(f"Example: {pattern.example}")


def domains_table() -> None:
    st.table(pd.DataFrame(DOMAINS).set_index("domain"))  # sentences: a static table wraps them


@st.fragment
def spot_the_sequence() -> None:
    """Scenario by scenario: does order matter (1 point) and which shape fits (2 points)?"""
    items = sequences.scenarios()
    game = st.session_state.setdefault("m01-spot", {"round": 0, "points": 0, "answered": False, "last": 0})
    if game["round"] >= len(items):
        st.success(f"Finished: {game['points']} of {3 * len(items)} points.")
        st.button("Play again", key="m01-spot-again",
                  on_click=lambda: game.update(round=0, points=0, answered=False))
        return
    item = items[game["round"]]
    st.markdown(f"**Scenario {game['round'] + 1} of {len(items)}.** {item.text}")
    names = {p.id: p.name for p in sequences.PATTERNS}
    st.radio("Does the order of the data matter?", ["yes", "no"], horizontal=True,
             key=f"m01-spot-seq-{game['round']}")
    st.selectbox("Which shape fits best?", list(names), format_func=names.get,
                 key=f"m01-spot-pattern-{game['round']}")

    def answer() -> None:
        seq_now = st.session_state[f"m01-spot-seq-{game['round']}"]  # widget values as of the click
        game["last"] = sequences.score(item, seq_now == "yes", st.session_state[f"m01-spot-pattern-{game['round']}"])
        game["points"] += game["last"]
        game["answered"] = True

    st.button("Check", key="m01-spot-check", on_click=answer, disabled=game["answered"])
    if game["answered"]:
        verdict = "order matters" if item.sequence else "order does not matter"
        st.info(f"+{game['last']} points. Here {verdict}; best shape: **{names[item.pattern]}**. {item.why}")
        st.button("Next scenario", key="m01-spot-next",
                  on_click=lambda: game.update(round=game["round"] + 1, answered=False))
    st.metric("Points", f"{game['points']} / {3 * len(items)}")


@st.fragment
def discuss(ctx: PageContext) -> None:
    """Notes from talking the reflection over with a colleague, saved as the learner's reflection."""
    try:
        saved = ctx.store.reflections(ctx.learner.id, "m01-discuss").get(("m01-discuss", "notes"), "")
    except StoreError:
        saved = ""
    notes = st.text_area("Notes from the discussion", value=saved, max_chars=2000, key="m01-discuss-notes")
    if st.button("Save notes", key="m01-discuss-save", disabled=not notes.strip()):
        try:
            ctx.store.save_reflection(ctx.learner.id, "m01-discuss", "notes", notes.strip())
            st.success("Saved.")
        except StoreError as exc:
            st.error(f"Could not save: {exc}")
