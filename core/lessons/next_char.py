"""Module 2's "what comes next?" game: which famous line each round shows, and where it is cut."""

from __future__ import annotations

from core.lessons import guessing

LINES = ("To be, or not to be, that is the question", "Now is the winter of our discontent",
         "Friends, Romans, countrymen, lend me your ears", "If music be the food of love, play on",
         "All the world's a stage, and all the men and women merely players",
         "What's in a name? That which we call a rose")
MIN_PREFIX = 8  # characters shown at least, so the model has some context


def puzzle(round_: int) -> tuple[str, str]:
    """(prefix, the character after it) for one round; the same round always gives the same puzzle."""
    return guessing.cut_line(LINES, round_, MIN_PREFIX)
