"""The next-character game's rounds are reproducible and always cut a real line after some context."""

from core.lessons import next_char


def test_each_round_cuts_a_line_with_the_answer_right_after_the_prefix():
    for round_ in range(50):
        prefix, answer = next_char.puzzle(round_)
        assert len(answer) == 1 and len(prefix) >= next_char.MIN_PREFIX
        assert any(line.startswith(prefix + answer) for line in next_char.LINES)


def test_the_same_round_gives_the_same_puzzle_and_rounds_differ():
    assert next_char.puzzle(3) == next_char.puzzle(3)
    assert len({next_char.puzzle(r) for r in range(10)}) > 1
