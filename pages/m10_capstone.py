"""Module 10: the capstone. Choose a project, explore the data, train, let the server measure the run, look at
neurons, present it; then the class features (leaderboard, gallery and final vote, blinded peer review), badges,
the certificate and the summative reflection."""

import streamlit as st

from core.ui import lesson, own_model, shell
from core.ui import quiz as quiz_ui
from core.ui.lessons import capstone as capstone_ui
from core.ui.lessons import capstone_cohort, capstone_progress

ctx = shell.course_page("m10")
lesson.module_header(ctx)
lesson.section_checklist(ctx)

st.header("10.1 Choose your project")
st.markdown("""
A capstone is worth more finished than ambitious. Choose the level that matches the time you have:

- **Beginner:** one clean run on a data set you find fun, measured honestly and read critically.
- **Intermediate:** the same, plus one controlled change (one knob at a time) and an explanation of what
  it did to the validation curve.
- **Advanced:** a comparison of cell types at the same time budget, plus a look inside the model for
  neurons with a clear job.

The domain decides what "good" means when you read samples. Code has hard rules (balanced braces,
consistent indentation) that are easy to check; names should be new yet pronounceable; plays need speaker
names, line breaks and dialogue. Write down what a good sample looks like *before* you train.
""")
capstone_ui.template_picker(ctx)
st.markdown("""
Before training, look at the data. The character counts tell you how large a model the text can support,
the vocabulary tells you how many symbols the model must learn, and the **unigram perplexity** is the
score of a model that only knows letter frequencies: your trained model has to beat it clearly to show
it learned anything about context. Split the text into contiguous blocks: train on the first, tune on
the validation block, and touch the test block only once, for the final number.
""")
capstone_ui.dataset_explorer(ctx)

st.header("10.2 Work through the milestones")
st.markdown("""
Five milestones take you from data to a presentation: **prepare the data**, **choose the architecture**,
**train**, **evaluate** and **present**. Each is ticked from something that actually happened (a saved
choice, a saved run, a measurement by the server), and so are the badges.
""")
capstone_ui.milestones_and_badges(ctx)
capstone_progress.progress_dashboard(ctx)

st.markdown("**Milestone 3, train.** Training runs on the server in the background, within a per-learner time "
            "budget, and saves the model to your account only. Use the settings of your project as a starting "
            "point.")
own_model.train_your_own(ctx, key=capstone_ui.TRAIN_KEY)

capstone_ui.evaluation(ctx)
capstone_ui.neuron_view(ctx)
capstone_ui.presentation(ctx)

st.header("With your cohort")
st.markdown("Everything below is shared only within your cohort (learners with the same cohort code).")
board, gallery, review = st.tabs(["Leaderboard", "Gallery and final vote", "Peer review"])
with board:
    capstone_cohort.leaderboard(ctx)
with gallery:
    capstone_cohort.gallery(ctx)
with review:
    capstone_cohort.peer_review(ctx)

capstone_ui.certificate(ctx)
capstone_ui.reflections(ctx)
lesson.still_to_come(ctx.module.interactive, built=(
    "Project template picker", "Dataset explorer", "Milestone checklist", "Leaderboard", "Peer review",
    "Sample gallery", "Presentation export", "Achievement badges", "Completion certificate", "Progress dashboard"))
quiz_ui.module_quiz(ctx)
lesson.takeaways(ctx)
lesson.next_step(ctx)
