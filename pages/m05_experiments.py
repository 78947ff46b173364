"""Module 5: what the experiments revealed. The live sample gallery (section 5.1), the training iteration scrubber
(5.2), the interpretable-neuron tools (5.3), training on your own text, the spot-the-error challenge and the quiz."""

from core.ui import lesson, own_model, shell
from core.ui import quiz as quiz_ui
from core.ui.lessons import cells as cells_ui
from core.ui.lessons import gallery_demos, lm_lessons
from core.ui.lessons import neurons as neurons_ui
from core.ui.lessons import pattern_search as search_ui

ctx = shell.course_page("m05")
lesson.module_header(ctx)
lesson.section_checklist(ctx)

# --- 5.1 The experiments: one model per dataset, sampled live -------------------------------------------------
gallery_demos.experiments_overview()
gallery_demos.sample_gallery(ctx)

# --- 5.2 How samples change during training: the War and Peace snapshots --------------------------------------
lm_lessons.iteration_scrubber()

# --- 5.3 Looking inside: neurons (explorer, detective, pattern search, Karpathy's cells vs ours) ---------------
with lesson.technical(ctx, "how the units were found: correlation tables on held-out text"):
    neurons_ui.analysis_summary()
neurons_ui.explorer(ctx, "m05-ex")
neurons_ui.neuron_detective(ctx)
search_ui.pattern_search(ctx)
cells_ui.karpathy_cells()

# --- Hands-on: train on your own text ---------------------------------------------------------------------------
own_model.train_your_own(ctx)

# --- Error analysis: spot the error in real samples ---------------------------------------------------------------
gallery_demos.spot_the_error(ctx)

BUILT = ("Sample gallery by dataset", "Training iteration scrubber", "Spot-the-error challenge",
         "Neuron detective game", "Activation heatmap explorer", "Train on your own text")
lesson.still_to_come(ctx.module.interactive, built=BUILT)
quiz_ui.module_quiz(ctx)
lesson.takeaways(ctx)
lesson.next_step(ctx)
