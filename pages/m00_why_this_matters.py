"""Module 0: why RNNs still matter. The lesson outline; interactive elements arrive in later releases."""

from core.ui import lesson, shell
from core.ui import quiz as quiz_ui

ctx = shell.course_page("m00")
lesson.module_header(ctx)
lesson.section_checklist(ctx)
lesson.still_to_come(ctx.module.interactive, built=("Find-your-use-case quiz",))
quiz_ui.use_case_finder(ctx)
quiz_ui.module_quiz(ctx)
lesson.takeaways(ctx)
lesson.next_step(ctx)
