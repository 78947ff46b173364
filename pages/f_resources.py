"""Appendix F: downloads. Each file is built from the course content when you ask for it; the ones not
built yet are named as such.
"""

from core.ui import downloads, lesson, shell

ctx = shell.course_page("resources")
lesson.page_header(ctx)
downloads.poster_pdf(ctx)
downloads.gate_diagram()
downloads.glossary_csv()
downloads.troubleshooting_flowchart()
downloads.lab_templates()
downloads.track_templates(ctx)
downloads.anki_deck(ctx)
downloads.still_to_come(ctx)
lesson.next_step(ctx)
