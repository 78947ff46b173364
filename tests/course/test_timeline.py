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


def test_the_timeline_names_the_modules_that_build_each_idea():
    items = {m.id: m for m in timeline.load()}
    assert "Module 6 builds one" in items["seq2seq"].why, "the encoder-decoder is built in Module 6"
    chat = items["chatgpt"].what + items["chatgpt"].why
    assert "do not have is a recurrent hidden state" in chat, "chat products are Transformers, not recurrent"
