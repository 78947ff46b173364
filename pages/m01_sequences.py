"""Module 1: why sequences matter. Lesson outline plus the live bag-of-words demo."""

import pandas as pd
import streamlit as st

from core import bow
from core.ui import lesson, shell, urlstate
from core.ui import quiz as quiz_ui

DEFAULT_A = "The dog bit the man."
DEFAULT_B = "The man bit the dog."

ctx = shell.course_page("m01")
lesson.module_header(ctx)

st.subheader("Try it: what a bag of words forgets")
st.markdown("A classic non-sequential model sees text as a *bag*: which words occur and how often, not in "
            "what order. Type two sentences with the same words in a different order and compare the bags. "
            "The settings live in the page address, so you can share this exact example.")
left, right = st.columns(2)
text_a = left.text_input("Text A", value=urlstate.get("a", DEFAULT_A), max_chars=300, key="bow-a")
text_b = right.text_input("Text B", value=urlstate.get("b", DEFAULT_B), max_chars=300, key="bow-b")
urlstate.put("a", text_a, DEFAULT_A)
urlstate.put("b", text_b, DEFAULT_B)
result = bow.compare(text_a, text_b)
if not result.bag_a and not result.bag_b:
    st.caption("Type some words in either box.")
else:
    st.dataframe(pd.DataFrame(result.table()), hide_index=True)
    if result.same_bag and not result.same_sequence:
        st.warning("Identical bags, different meaning: any model that only sees this bag must give both texts "
                   "the same answer. Keeping the order is what sequence models are for.")
    elif result.same_bag:
        st.info("Same words in the same order: the texts really are the same sequence.")
    else:
        st.info("The bags differ, so even an order-blind model can tell these apart. Try reordering the words "
                "of one text instead.")

lesson.section_checklist(ctx)
lesson.still_to_come(ctx.module.interactive, built=(
    "Sequence sorter (drag and drop)", "Reflection: sequence problems in your work", "Three-question knowledge check"))
quiz_ui.module_quiz(ctx)
lesson.takeaways(ctx)
lesson.next_step(ctx)
