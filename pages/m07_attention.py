"""Module 7: attention. The lesson outline; interactive elements arrive in later releases."""

from core.ui import codelab, lesson, shell
from core.ui import quiz as quiz_ui

ctx = shell.course_page("m07")
lesson.module_header(ctx)
lesson.section_checklist(ctx)
labs_built = codelab.page_labs(ctx)
lesson.still_to_come(ctx.module.interactive, built=labs_built)
quiz_ui.module_quiz(ctx)
lesson.takeaways(ctx)
lesson.next_step(ctx)
