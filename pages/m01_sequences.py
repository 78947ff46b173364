"""Module 1: why sequences matter. Bag-of-words demo, the five input/output patterns, the spot-the-sequence
game and the Turing-complete aside."""

import pandas as pd
import streamlit as st

from core.cohort.store import StoreError
from core.lessons import bow, sequences
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


st.subheader("Five shapes of a sequence problem")
st.markdown("Blue boxes are inputs, red boxes are outputs, green boxes are the recurrent memory passed from left "
            "to right. The same loop, wired five ways, covers a surprising range of problems.")
tabs = st.tabs([p.name for p in sequences.PATTERNS])
for tab, pattern in zip(tabs, sequences.PATTERNS, strict=True):
    with tab:
        st.graphviz_chart(sequences.dot(pattern))
        st.caption(f"Example: {pattern.example}")

st.subheader("Where sequences show up")
st.markdown("Order carries meaning far beyond text. The same five shapes cover most of it:")
st.dataframe(pd.DataFrame([
    {"domain": "Language", "what arrives in order": "characters, words", "a typical task and its shape":
     "next-word suggestions (in step); sentiment of a review (many to one); translation (read then write)"},
    {"domain": "Speech", "what arrives in order": "audio frames, about 100 a second",
     "a typical task and its shape": "speech to text (read then write, since a dozen letters come from 100 frames)"},
    {"domain": "Time series", "what arrives in order": "sensor readings, prices, transactions",
     "a typical task and its shape": "flag each reading as normal or not (in step); forecast the next value "
     "(many to one)"},
    {"domain": "Video", "what arrives in order": "frames", "a typical task and its shape":
     "label each frame (in step); one label for the whole clip (many to one)"},
]), hide_index=True)
st.markdown("To pick the shape of a task, ask three questions: how many inputs arrive (one, or a sequence)? How "
            "many outputs are needed? And does each output belong to one input as it arrives (in step), or only "
            "after the whole input has been read (read then write)? The game below practises exactly this.")


@st.fragment
def spot_the_sequence() -> None:
    st.subheader("Game: spot the sequence")
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


spot_the_sequence()
with st.expander("Aside: RNNs are Turing complete. Should you care?", icon=":material/memory:"):
    st.markdown("In 1995 Siegelmann and Sontag proved that a recurrent network can, in principle, simulate any "
                "computer program. The proof assumes numbers of unlimited precision and as many steps as needed, "
                "and it says nothing about whether training will ever find such weights. So it is a statement "
                "about what the loop *could* represent, not about what gradient descent *will* learn. Karpathy's "
                "point was gentler: a network with a memory is running a program over its inputs, not just "
                "mapping one fixed input to one output. Module 3 shows the practical limit: in a trained RNN the "
                "influence of an early input fades exponentially with distance.")

st.subheader("Why it took until the 2010s")
st.markdown("""
The idea is old. Jordan (1986) and Elman (1990) fed a network's own state back into it, and backpropagation
through time (Rumelhart, Hinton and Williams, 1986; Werbos, 1990) could train such loops. But in practice they
forgot almost everything beyond a few steps: Hochreiter (1991) and Bengio, Simard and Frasconi (1994) showed why,
as the gradient shrinks or grows exponentially with distance (module 3 measures this). The LSTM (Hochreiter and
Schmidhuber, 1997, with the forget gate added by Gers and colleagues in 2000) was the fix, but for a decade there
was too little data and compute to show what it could do.

Three things changed around 2010: GPUs made training tens of times faster, large text and speech collections became
available, and the training recipes matured (careful initialisation, gradient clipping, better optimisers).
Results followed quickly: Mikolov's recurrent language models (2010), Sutskever, Martens and Hinton's
character-level text generator (2011), Graves's handwriting generation and speech recognition (2013), and the
sequence-to-sequence translators of 2014. Karpathy's 2015 post, with its short, readable `char-rnn` code, put
these results within reach of anyone with a laptop, which is why this course is built around it.
""")


@st.fragment
def discuss() -> None:
    st.subheader("Discuss with a colleague")
    st.markdown("Share your three sequence problems from the reflection with a colleague and ask for theirs. "
                "Did they find problems you missed, or pick a different shape for the same problem? Note what "
                "you learned; it is saved for you.")
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


discuss()

lesson.section_checklist(ctx)
lesson.still_to_come(ctx.module.interactive, built=(
    "Sequence sorter (drag and drop)", "Reflection: sequence problems in your work", "Three-question knowledge check",
    "Spot-the-sequence game", "Discuss with a colleague"))
quiz_ui.module_quiz(ctx)
lesson.takeaways(ctx)
lesson.next_step(ctx)
