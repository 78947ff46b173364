import io
import zipfile

import pytest

from core.course import troubleshooting
from core.labs import exercises


def test_flowchart_is_a_tree_whose_every_path_ends_in_an_action():
    flow = troubleshooting.load()
    assert flow.reachable() == set(flow.nodes)

    def leaves(node_id, depth=0):
        assert depth < 20, "cycle"
        node = flow.nodes[node_id]
        return [node] if node.is_action else [leaf for t in node.answers.values() for leaf in leaves(t, depth + 1)]

    assert len(leaves(flow.start)) >= 5
    dot = troubleshooting.to_dot(flow)
    assert dot.startswith("digraph") and all(f"  {n} [" in dot for n in flow.nodes)


@pytest.mark.parametrize("broken, message", [
    ({"start": "a", "nodes": {"a": {"ask": "?", "answers": {"yes": "zz"}}}}, "unknown node"),
    ({"start": "a", "nodes": {"a": {"do": "x"}, "b": {"do": "y"}}}, "Unreachable"),
    ({"start": "a", "nodes": {"a": {"ask": "?"}}}, "no answers"),
])
def test_broken_flowcharts_are_rejected(broken, message):
    with pytest.raises(ValueError, match=message):
        troubleshooting.parse(broken)


def test_templates_zip_has_every_lab_starter_and_no_solution():
    zf = zipfile.ZipFile(io.BytesIO(exercises.templates_zip()))
    names = set(zf.namelist())
    assert {f"rnn-course-templates/{lab_id}.py" for lab_id in exercises.LABS} <= names
    for lab in exercises.LABS.values():
        text = zf.read(f"rnn-course-templates/{lab.id}.py").decode()
        assert lab.starter.strip() in text
        compile(text, lab.id, "exec")  # a valid Python file
        assert lab.solution.strip() not in text
