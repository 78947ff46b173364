"""Appendix F: downloads. Each file is built from the course content when you ask for it; the ones not
built yet are named as such.
"""

import streamlit as st

from core.course import cheatsheets, glossary, poster, templates, troubleshooting
from core.labs import exercises
from core.ui import lesson, shell

ctx = shell.course_page("resources")
lesson.page_header(ctx)

POSTER = "Equations poster (PDF)"
DIAGRAM = "LSTM gate diagram (PNG)"
GLOSSARY = "Glossary (CSV)"
ANKI = "Flashcard deck for Anki"
FLOWCHART = "Hyperparameter and training troubleshooting flowchart"
TEMPLATES = "Code templates: NumPy track (every lab's starter)"
TRACK_TEMPLATES = "Code templates: PyTorch and Hugging Face tracks (with module 9)"
PLANNED = [POSTER, DIAGRAM, GLOSSARY, FLOWCHART, TEMPLATES, TRACK_TEMPLATES, ANKI]
flashcards_page = ctx.course.pages.get("flashcards")
built = [POSTER, DIAGRAM, GLOSSARY, FLOWCHART, TEMPLATES, TRACK_TEMPLATES] + ([ANKI] if flashcards_page else [])

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

with st.container(border=True):
    st.markdown(f"**{FLOWCHART}**")
    st.caption("From a symptom in your loss curve to what to change first: exploding or NaN loss, a flat loss, "
               "overfitting, a plateau.")
    dot = troubleshooting.to_dot(troubleshooting.load())
    st.graphviz_chart(dot)
    st.download_button("Download the flowchart (Graphviz DOT)", data=dot, file_name="training-troubleshooting.dot",
                       mime="text/vnd.graphviz", on_click="ignore", icon=":material/schema:",
                       key="resources::flow", help="Render it with: dot -Tpdf training-troubleshooting.dot -o flow.pdf")

with st.container(border=True):
    st.markdown(f"**{TEMPLATES}**")
    st.caption(f"A zip with {len(exercises.LABS)} Python files: each lab's task and starter code, ready for your "
               "own editor. Check your answers in the course's code labs, which grade them against hidden tests.")
    st.download_button("Download the templates (zip)", data=exercises.templates_zip,
                       file_name="rnn-course-templates.zip", mime="application/zip", on_click="ignore",
                       icon=":material/folder_zip:", key="resources::templates")

with st.container(border=True):
    st.markdown(f"**{TRACK_TEMPLATES}**")
    st.caption("Starters for going on after the course in a real framework, each a zip with one script and a "
               "README that explains every part and how to run it.")
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

if flashcards_page is not None:
    with st.container(border=True):
        st.markdown(f"**{ANKI}**")
        st.caption("The flashcards page exports the course's cards as an Anki package, all of them or a filtered "
                   "set, alongside its own spaced-review scheduler.")
        st.page_link(flashcards_page.file, label=f"Go to {flashcards_page.label}", icon=":material/style:")

lesson.still_to_come(PLANNED, built=tuple(built))
lesson.next_step(ctx)
