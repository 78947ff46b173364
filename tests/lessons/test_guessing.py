"""The guess-the-next-character game: rounds are cut from the famous lines, fixed per round, and scored fairly."""

from core.lessons import guessing


def test_every_round_cuts_a_famous_line_after_the_minimum_prefix_and_repeats_for_the_same_round():
    for n in range(50):
        prefix, answer = guessing.game_round(n)
        assert len(answer) == 1 and len(prefix) >= guessing.MIN_PREFIX
        assert any(line.startswith(prefix + answer) for line in guessing.LINES)
        assert guessing.game_round(n) == (prefix, answer)
    assert len({guessing.game_round(n) for n in range(20)}) > 10


def test_a_round_scores_the_learner_the_first_choice_and_the_top_three():
    ranked = [("e", 0.5), (" ", 0.2), ("a", 0.1), ("o", 0.05)]
    assert guessing.score("e", "e", ranked) == guessing.Score(you=True, model=True, top3=True)
    assert guessing.score("x", "a", ranked) == guessing.Score(you=False, model=False, top3=True)
    assert guessing.score("o", "o", ranked) == guessing.Score(you=True, model=False, top3=False)
    assert guessing.score("o", "o", []) == guessing.Score(you=True, model=False, top3=False)


def test_the_answers_probability_is_zero_outside_the_models_alphabet():
    ranked = [("e", 0.5), (" ", 0.2)]
    assert guessing.answer_probability(" ", ranked) == 0.2
    assert guessing.answer_probability("€", ranked) == 0.0
