"""Appendix A: readiness check (diagnostic quizzes and refreshers)."""

from core.ui import lesson, shell

ctx = shell.course_page("readiness")
lesson.page_header(ctx)
lesson.still_to_come([
    'Math readiness quiz (5 questions, auto-graded)',
    'Python/NumPy readiness quiz (5 questions, auto-graded)',
    'Recommendation: ready, mini-refresher or full foundation, with the refreshers',
])
lesson.next_step(ctx)
