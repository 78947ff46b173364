"""Appendix E: interview preparation guide."""

from core.ui import lesson, shell

ctx = shell.course_page("interview")
lesson.page_header(ctx)
lesson.still_to_come([
    'Common interview questions with model answers',
    'Portfolio project talking points',
])
lesson.next_step(ctx)
