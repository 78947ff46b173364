"""Appendix D: cheat sheets. The RNN, LSTM and GRU equations with their symbols, loss units, hyperparameter
starting points and a temperature guide with a live example; every number shown is computed here and now.
"""

from core.ui import lesson, reference, shell

ctx = shell.course_page("cheatsheets")
lesson.page_header(ctx)
reference.cheat_sheets(ctx)
lesson.next_step(ctx)
