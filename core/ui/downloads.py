"""Appendix F widgets: one card per download, each file built from the course content when it is asked for.
The descriptions are lesson text (assets/lessons/resources.md)."""

from __future__ import annotations

import streamlit as st

from core.course import cheatsheets, glossary, lessons, poster, templates, troubleshooting
from core.labs import exercises
from core.ui import lesson
from core.ui.shell import PageContext

POSTER = "Equations poster (PDF)"
DIAGRAM = "LSTM gate diagram (PNG)"
GLOSSARY = "Glossary (CSV)"
ANKI = "Flashcard deck for Anki"
FLOWCHART = "Hyperparameter and training troubleshooting flowchart"
TEMPLATES = "Code templates: NumPy track (every lab's starter)"
TRACK_TEMPLATES = "Code templates: PyTorch and Hugging Face tracks (with module 9)"
PLANNED = [POSTER, DIAGRAM, GLOSSARY, FLOWCHART, TEMPLATES, TRACK_TEMPLATES, ANKI]


def _card(title: str, block: str, **numbers: int) -> None:
    """A download card's heading and description; `numbers` fill the {placeholders} of the description."""
    st.markdown(f"**{title}**")
    st.caption(lessons.block("resources", block).format(**numbers))


def poster_pdf(ctx: PageContext) -> None:
    with st.container(border=True):
        _card(POSTER, "poster")
        st.download_button("Download the poster", data=poster.equations_poster_pdf,
                           file_name="rnn-equations-poster.pdf", mime="application/pdf", on_click="ignore",
                           icon=":material/picture_as_pdf:", key="resources::poster")
        st.page_link(ctx.course.pages["cheatsheets"].file, label="Open the cheat sheets",
                     icon=":material/description:")


def gate_diagram() -> None:
    with st.container(border=True):
        _card(DIAGRAM, "diagram")
        diagram = poster.lstm_gate_png()
        st.image(diagram, caption="The same picture you download.")
        left, right = st.columns(2)
        left.download_button("Download the diagram (PNG)", data=diagram, file_name="lstm-gates.png",
                             mime="image/png", on_click="ignore", icon=":material/image:", key="resources::png")
        right.download_button("Download an editable version (Graphviz DOT)", data=cheatsheets.lstm_gate_dot(),
                              file_name="lstm-gates.dot", mime="text/vnd.graphviz", on_click="ignore",
                              icon=":material/schema:", key="resources::dot",
                              help="Open it with Graphviz (dot -Tsvg lstm-gates.dot) or any online DOT viewer.")


def glossary_csv() -> None:
    with st.container(border=True):
        _card(GLOSSARY, "glossary", terms=len(glossary.load()))
        st.download_button("Download the glossary", data=glossary.glossary_csv, file_name="rnn-course-glossary.csv",
                           mime="text/csv", on_click="ignore", icon=":material/table:", key="resources::glossary")


def troubleshooting_flowchart() -> None:
    with st.container(border=True):
        _card(FLOWCHART, "flowchart")
        dot = troubleshooting.to_dot(troubleshooting.load())
        st.graphviz_chart(dot)
        st.download_button("Download the flowchart (Graphviz DOT)", data=dot,
                           file_name="training-troubleshooting.dot", mime="text/vnd.graphviz", on_click="ignore",
                           icon=":material/schema:", key="resources::flow",
                           help="Render it with: dot -Tpdf training-troubleshooting.dot -o flow.pdf")


def lab_templates() -> None:
    with st.container(border=True):
        _card(TEMPLATES, "templates", labs=len(exercises.LABS))
        st.download_button("Download the templates (zip)", data=exercises.templates_zip,
                           file_name="rnn-course-templates.zip", mime="application/zip", on_click="ignore",
                           icon=":material/folder_zip:", key="resources::templates")


def track_templates(ctx: PageContext) -> None:
    with st.container(border=True):
        _card(TRACK_TEMPLATES, "track-templates")
        m09 = ctx.course.pages.get("m09")
        for track in templates.TRACKS.values():
            st.markdown(f"*{track.title}* (`{track.script}` and `README.md`)")
            st.caption(track.summary)
            st.download_button(f"Download the {track.title.split(':')[0]} starter (zip)",
                               data=lambda t=track.id: templates.templates_zip(t),
                               file_name=f"rnn-course-{track.id}.zip", mime="application/zip", on_click="ignore",
                               icon=":material/folder_zip:", key=f"resources::templates-{track.id}")
        if m09 is not None:
            st.page_link(m09.file, label=f"Compare the tracks in {m09.label}", icon=":material/compare_arrows:")


def anki_deck(ctx: PageContext) -> None:
    """A pointer to the flashcards page, which builds the Anki package (when that page exists)."""
    flashcards_page = ctx.course.pages.get("flashcards")
    if flashcards_page is None:
        return
    with st.container(border=True):
        _card(ANKI, "anki")
        st.page_link(flashcards_page.file, label=f"Go to {flashcards_page.label}", icon=":material/style:")


def still_to_come(ctx: PageContext) -> None:
    """Name the planned downloads this page does not offer yet."""
    built = [POSTER, DIAGRAM, GLOSSARY, FLOWCHART, TEMPLATES, TRACK_TEMPLATES]
    built += [ANKI] if ctx.course.pages.get("flashcards") else []
    lesson.still_to_come(PLANNED, built=tuple(built))
