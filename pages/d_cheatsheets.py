"""Appendix D: cheat sheets."""

from core.ui import lesson, shell

ctx = shell.course_page("cheatsheets")
lesson.page_header(ctx)
lesson.still_to_come([
    'RNN and LSTM equation sheets',
    'Hyperparameter starting points',
    'Temperature guide',
])
lesson.next_step(ctx)
