"""Module 5: experiments, what RNNs learn. The lesson outline; interactive elements arrive in later releases."""

from core.ui import lesson, shell
from core.ui import quiz as quiz_ui

ctx = shell.course_page("m05")
lesson.module_header(ctx)
lesson.section_checklist(ctx)
lesson.still_to_come(ctx.module.interactive)
quiz_ui.module_quiz(ctx)
lesson.takeaways(ctx)
lesson.next_step(ctx)
