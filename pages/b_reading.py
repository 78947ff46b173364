"""Appendix B: further reading, in four groups, each item tied to the module it deepens."""

import streamlit as st

from core.course import reading
from core.ui import lesson, shell

ctx = shell.course_page("reading")
lesson.page_header(ctx)

KIND_ICON = {"post": ":material/article:", "paper": ":material/description:", "thesis": ":material/school:",
             "code": ":material/code:", "docs": ":material/menu_book:"}
groups = reading.load()
modules = ctx.course.modules


def module_label(module_id: str) -> str:
    module = modules.get(module_id)
    return f"Module {module.label}" if module else module_id


def show(item: reading.Reading) -> None:
    st.markdown(f"{KIND_ICON[item.kind]} **[{item.title}]({item.url})**  \n"
                f"{item.byline} · {item.kind} · goes with {module_label(item.module)}")
    st.caption(item.why_read)


st.subheader("Start here")
st.caption("If you read only three things besides the course, make them these.")
for item in reading.start_here(groups):
    show(item)

st.divider()
choices = ["all", *(["path"] if ctx.path else []), *modules]
labels = {"all": "Every module", "path": "Modules on my path"}
scope = st.selectbox("Show readings for", choices, format_func=lambda c: labels.get(c) or module_label(c),
                     help="Each reading is tied to the module it deepens.")
wanted = None if scope == "all" else set(ctx.path.modules) if scope == "path" else {scope}
shown = reading.for_modules(groups, wanted)
count = sum(len(g.items) for g in shown)
st.caption(f"{count} of {len(reading.all_items(groups))} readings")
if not shown:
    st.info("No reading is tied to this module yet; the module's own page and the glossary cover it.")
for group in shown:
    st.subheader(group.title)
    st.caption(group.blurb)
    for item in group.items:
        show(item)

lesson.next_step(ctx)
