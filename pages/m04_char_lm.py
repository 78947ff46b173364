"""Module 4: character-level language modelling: the 'hello' RNN trained live, temperature, a guessing game,
loss calculators, the training timelapse, the perplexity challenges, the code labs, the link to today's LLM tools
and the quiz."""

from core.ui import codelab, lesson, shell
from core.ui import quiz as quiz_ui
from core.ui.lessons import charlm_demos, lm_lessons

ctx = shell.course_page("m04")
lesson.module_header(ctx)
lesson.section_checklist(ctx)
charlm_demos.hello_example()
charlm_demos.calculators()
charlm_demos.temperature_playground(ctx)
charlm_demos.guess_game()
lm_lessons.training_timelapse()
labs_built = codelab.page_labs(ctx)
lm_lessons.perplexity_challenges(ctx)
lm_lessons.modern_ai_table()
lesson.still_to_come(ctx.module.interactive, built=(
    "Temperature playground", "Guess-the-next-character game", "Training timelapse",
    "Perplexity challenge levels") + labs_built)
quiz_ui.module_quiz(ctx)
lesson.takeaways(ctx)
lesson.next_step(ctx)
