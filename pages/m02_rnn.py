"""Module 2: the RNN architecture. The lesson outline; interactive elements arrive in later releases."""

from core.ui import lesson, shell

ctx = shell.course_page("m02")
lesson.module_header(ctx)
lesson.section_checklist(ctx)
lesson.still_to_come(ctx.module.interactive)
lesson.takeaways(ctx)
lesson.next_step(ctx)
