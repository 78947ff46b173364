"""Appendix B: further reading."""

from core.ui import lesson, shell

ctx = shell.course_page("reading")
lesson.page_header(ctx)
lesson.still_to_come([
    'Annotated reading list (foundational papers, attention and memory, modern extensions, code)',
])
lesson.next_step(ctx)
