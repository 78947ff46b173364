"""Appendix C: glossary, searchable, with a plain-English and a technical definition of each term."""

import streamlit as st

from core.course import glossary
from core.ui import lesson, shell

ctx = shell.course_page("glossary")
lesson.page_header(ctx)

terms = glossary.load()
query = st.text_input("Search the glossary", max_chars=80, placeholder="e.g. gradient, attention, h_t")
found = glossary.search(terms, query)
st.caption(f"{len(found)} of {len(terms)} terms")
for term in found:
    with st.expander(term.term + (f"  ({', '.join(term.aliases)})" if term.aliases else "")):
        st.markdown(f"**In plain English:** {term.plain}")
        st.markdown(f"**Technically:** {term.technical}")
        module = ctx.course.modules.get(term.module)
        if module:
            st.page_link(ctx.course.pages[module.id].file, label=f"Introduced in module {module.label}",
                         icon=":material/school:")
lesson.next_step(ctx)
