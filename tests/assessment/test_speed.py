"""Speed-round questions carry computed answers among their options."""

from core.assessment import speed


def test_answers_are_computed_and_offered():
    qs = speed.questions(seed=3, n=5)
    assert len(qs) == 5
    for q in qs:
        assert q.answer in q.options and len(set(q.options)) == len(q.options) >= 3
    params = qs[3]
    E, H = (int(part.split("= ")[1]) for part in params.prompt.split(".")[0].split(", ")[:2])
    assert params.answer == str(H * E + H * H + H)


def test_badge_needs_all_right_and_fast():
    qs = speed.questions(seed=1, n=3)
    right = [q.answer for q in qs]
    assert speed.result(qs, right, 30.0) == (3, True)
    assert speed.result(qs, right, 90.0) == (3, False)
    assert speed.result(qs, [None, *right[1:]], 10.0) == (2, False)
