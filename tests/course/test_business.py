"""assets/business.yaml: three lines per module on every manager's-path module, the lesson plan's tables for
modules 1, 3, 5 and 6, and a malformed entry reported with its file and line."""

import pytest

from core.course import business, curriculum
from core.course.content import ContentError

COURSE = curriculum.load_course()


def test_every_module_on_the_managers_path_has_three_lines_and_the_plans_tables_exist():
    views = business.load()
    for module_id in COURSE.paths["A"].modules:
        assert len(views[module_id].organisation) == 3, module_id
    assert {m for m, v in views.items() if v.table} == {"m01", "m03", "m05", "m06"}


def test_tables_stay_narrow_enough_for_a_phone():
    for view in business.load().values():
        if view.table:
            assert len(view.table.columns) <= 3, view.module
            assert all(len(cell) <= 90 for row in view.table.rows for cell in row), view.module


def test_a_table_renders_as_markdown_with_pipes_escaped():
    table = business.Table("T", ("a", "b"), (("x | y", "z"),))
    assert table.markdown().splitlines() == ["| a | b |", "|---|---|", "| x \\| y | z |"]


@pytest.mark.parametrize("text, message", [
    ("modules:\n  m01:\n    organisation: [a, b]\n", ":3: m01: 'organisation' has 2 lines"),
    ("modules:\n  m99:\n    organisation: [a, b, c]\n", ":3: unknown module 'm99'"),
    ("modules:\n  m01:\n    organisation: [a, b, c]\n    table:\n      title: T\n      columns: [x, y]\n"
     "      rows:\n        - [p, q, r]\n", ":5: rows [1] do not have 2 cells"),
])
def test_a_malformed_entry_names_its_line(tmp_path, text, message):
    path = tmp_path / "business.yaml"
    path.write_text(text)
    with pytest.raises(ContentError, match=message.replace("[", r"\[").replace("]", r"\]")):
        business.load.__wrapped__(path)
