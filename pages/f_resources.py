"""Appendix F: downloads. Each file is built from the course content when you ask for it; the ones not
built yet are named as such.
"""

import streamlit as st

from core import cheatsheets, glossary, poster
from core.ui import lesson, shell

ctx = shell.course_page("resources")
lesson.page_header(ctx)

POSTER = "Equations poster (PDF)"
DIAGRAM = "LSTM gate diagram (PNG)"
GLOSSARY = "Glossary (CSV)"
ANKI = "Flashcard deck for Anki"
PLANNED = [POSTER, DIAGRAM, GLOSSARY, "Hyperparameter tuning flowchart (PDF)",
           "Code templates for each implementation track", ANKI]
flashcards_page = ctx.course.pages.get("flashcards")
built = [POSTER, DIAGRAM, GLOSSARY] + ([ANKI] if flashcards_page else [])

with st.container(border=True):
    st.markdown(f"**{POSTER}**")
    st.caption("One A4 landscape page with the vanilla RNN, LSTM and GRU equations, cross-entropy, perplexity, "
               "bits per character and the temperature softmax, in plain text that prints cleanly. The same "
               "equations, typeset, are on the cheat-sheet page.")
    st.download_button("Download the poster", data=poster.equations_poster_pdf,
                       file_name="rnn-equations-poster.pdf", mime="application/pdf", on_click="ignore",
                       icon=":material/picture_as_pdf:", key="resources::poster")
    st.page_link(ctx.course.pages["cheatsheets"].file, label="Open the cheat sheets", icon=":material/description:")

with st.container(border=True):
    st.markdown(f"**{DIAGRAM}**")
    st.caption("How one LSTM step moves information: the cell-state line along the top, the four gates fed by "
               "the previous hidden state and the input, and the two products and one sum between them.")
    diagram = poster.lstm_gate_png()
    st.image(diagram, caption="The same picture you download.")
    left, right = st.columns(2)
    left.download_button("Download the diagram (PNG)", data=diagram, file_name="lstm-gates.png",
                         mime="image/png", on_click="ignore", icon=":material/image:", key="resources::png")
    right.download_button("Download an editable version (Graphviz DOT)", data=cheatsheets.lstm_gate_dot(),
                          file_name="lstm-gates.dot", mime="text/vnd.graphviz", on_click="ignore",
                          icon=":material/schema:", key="resources::dot",
                          help="Open it with Graphviz (dot -Tsvg lstm-gates.dot) or any online DOT viewer.")

with st.container(border=True):
    st.markdown(f"**{GLOSSARY}**")
    st.caption(f"All {len(glossary.load())} glossary terms with their plain-English and technical definitions "
               "and the module that introduces each, ready for a spreadsheet.")
    st.download_button("Download the glossary", data=glossary.glossary_csv, file_name="rnn-course-glossary.csv",
                       mime="text/csv", on_click="ignore", icon=":material/table:", key="resources::glossary")

if flashcards_page is not None:
    with st.container(border=True):
        st.markdown(f"**{ANKI}**")
        st.caption("The flashcards page exports the course's cards as an Anki package, all of them or a filtered "
                   "set, alongside its own spaced-review scheduler.")
        st.page_link(flashcards_page.file, label=f"Go to {flashcards_page.label}", icon=":material/style:")

lesson.still_to_come(PLANNED, built=tuple(built))
lesson.next_step(ctx)
