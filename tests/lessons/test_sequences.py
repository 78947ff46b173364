"""Architecture diagrams and the spot-the-sequence game."""

from core.lessons import sequences


def test_every_pattern_draws_its_inputs_and_outputs():
    for p in sequences.PATTERNS:
        src = sequences.dot(p)
        assert src.count('fillcolor="#bbdefb"') == p.inputs
        assert src.count('fillcolor="#ffcdd2"') == p.outputs


def test_delayed_outputs_start_after_the_last_input():
    p = next(p for p in sequences.PATTERNS if p.id == "many-to-many-delayed")
    src = sequences.dot(p)
    assert "h2 -> y0" in src and "x2 -> h2" in src and "h0 -> y" not in src


def test_scenarios_load_and_score():
    items = sequences.scenarios()
    assert len(items) >= 6 and {s.sequence for s in items} == {True, False}
    s = items[0]
    assert sequences.score(s, s.sequence, s.pattern) == 3
    assert sequences.score(s, not s.sequence, "nope") == 0
