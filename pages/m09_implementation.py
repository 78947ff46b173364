"""Module 9: implementation deep dive. Track A (our NumPy char-RNN) and Track B (the PyTorch LSTM) trained live,
Track C (Hugging Face) detected, BPTT worked by hand, the code labs, bug hunts on real runs, the hyperparameter
grid explorer, the tips checklist and the failure-modes table."""

from core.ui import codelab, lesson, own_model, shell
from core.ui import quiz as quiz_ui
from core.ui.lessons import implementation, implementation_practice

ctx = shell.course_page("m09")
lesson.module_header(ctx)
lesson.section_checklist(ctx)

lesson.text("m09", "tracks")
implementation.track_a()
implementation.track_b()
implementation.track_c()
implementation.comparison()
implementation.bptt()

labs_built = codelab.page_labs(ctx, options={"train_loop": {"text": codelab.training_text()}})
implementation_practice.bug_hunts(ctx)
implementation_practice.hparam_explorer()

own_model.live_dashboard_lab(ctx)

implementation_practice.tips(ctx)
lesson.still_to_come(ctx.module.interactive, built=("Bug hunts", "Hyperparameter grid explorer", "Live training dashboard") + labs_built)
quiz_ui.module_quiz(ctx)
lesson.takeaways(ctx)
lesson.next_step(ctx)
