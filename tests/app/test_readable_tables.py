"""Tables of prose are readable: the dataframe grid cuts a cell at its column width and does not wrap (the
walk screenshots showed badge rules and failure-mode advice cut mid-word), so a table whose cells are sentences is
drawn with st.table, which wraps. This finds every dataframe a page shows on first render with a cell longer
than LONG_TEXT characters."""

import pandas as pd
import pytest

from core.course import curriculum
from tests.app.conftest import open_as_allowed, open_page

COURSE = curriculum.load_course()
PAGES = sorted(COURSE.pages.values(), key=lambda p: p.file)
LONG_TEXT = 40  # characters: a grid column grows to fit up to about this much, then cuts
ROW_TEXT = 110  # characters across a row (widest cell per column, or its header): what a desktop column shows


def long_cells(df: pd.DataFrame) -> list[str]:
    """The long cells of a table whose rows cannot fit the column; empty when it fits."""
    widest = {c: max([len(str(c))] + [len(v) for v in df[c].dropna() if isinstance(v, str)]) for c in df.columns}
    if sum(widest.values()) + 3 * len(widest) <= ROW_TEXT:
        return []
    found = []
    for column in df.columns:
        texts = [v for v in df[column].dropna() if isinstance(v, str)]
        if texts and max(len(t) for t in texts) > LONG_TEXT:
            found.append(f"{column!r}: {max(texts, key=len)[:70]!r}")
    return found


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.id)
def test_no_dataframe_holds_sentences(page, learner):
    _, token = learner
    at = open_as_allowed(page, token)
    assert not at.exception, at.exception
    problems = [cell for frame in at.dataframe for cell in long_cells(frame.value)]
    assert not problems, f"{page.file}: use st.table (it wraps) for {problems}"


def test_homes_per_module_table_wraps_when_opened(db, learner):
    record, token = learner
    db.set_path(record.id, "B")
    at = open_page("Home.py", token)
    at.session_state["home-completion"] = True  # the expander builds its table only while open
    at.run()
    assert not at.exception
    assert not [cell for frame in at.dataframe for cell in long_cells(frame.value)]
    assert any("still needed" in str(t.value.columns.tolist()) for t in at.table)
