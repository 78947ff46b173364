"""Appendix C: glossary, searchable, with a plain-English and a technical definition of each term."""

from core.ui import lesson, reference, shell

ctx = shell.course_page("glossary")
lesson.page_header(ctx)
reference.glossary_search(ctx)
lesson.next_step(ctx)
