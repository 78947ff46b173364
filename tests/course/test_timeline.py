"""The timeline asset is complete and ordered."""

import pytest

from core.course import timeline


def test_timeline_loads_sorted_with_every_field():
    items = timeline.load()
    assert len(items) >= 8
    assert [m.year for m in items] == sorted(m.year for m in items)
    assert len({m.id for m in items}) == len(items)
    assert {"lstm", "transformer", "charrnn"} <= {m.id for m in items}


def test_incomplete_entry_is_rejected(tmp_path):
    bad = tmp_path / "t.yaml"
    bad.write_text("- id: x\n  year: 2000\n  era: recurrent\n  title: T\n")
    with pytest.raises(ValueError, match="lacks"):
        timeline.load(bad)
