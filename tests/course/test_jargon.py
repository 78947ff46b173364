"""Tooltips come from the glossary, and unknown terms are left out."""

from core.course import glossary
from core.ui import jargon


def test_tip_uses_the_glossary_plain_english():
    term = next(t for t in glossary.load() if t.term == "Hidden state")
    assert jargon.tip("Hidden state", "No such term") == f"**Hidden state:** {term.plain}"
    assert jargon.tip("No such term") is None
