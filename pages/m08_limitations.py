"""Module 8: limitations and the path forward. The lesson outline; interactive elements arrive in later releases."""

from core.ui import lesson, shell

ctx = shell.course_page("m08")
lesson.module_header(ctx)
lesson.section_checklist(ctx)
lesson.still_to_come(ctx.module.interactive)
lesson.takeaways(ctx)
lesson.next_step(ctx)
