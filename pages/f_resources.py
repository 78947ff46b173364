"""Appendix F: downloadable resources."""

from core.ui import lesson, shell

ctx = shell.course_page("resources")
lesson.page_header(ctx)
lesson.still_to_come([
    'Equation poster and gate diagram',
    'Code templates per implementation track',
    'Anki flashcard deck export',
])
lesson.next_step(ctx)
