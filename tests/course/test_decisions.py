import math

import pytest

from core.course import decisions

TREES = ("rnn", "build_buy")


@pytest.mark.parametrize("tree_id", TREES)
def test_every_path_of_the_shipped_trees_ends_in_a_leaf_and_every_leaf_is_reachable(tree_id):
    t = decisions.tree(tree_id)
    paths = decisions.paths(t)
    assert all(t.nodes[p[-1]].is_leaf for p in paths)
    leaves = {n for n, node in t.nodes.items() if node.is_leaf}
    assert {p[-1] for p in paths} == leaves
    assert {n for p in paths for n in p} == set(t.nodes)


def test_rnn_flowchart_asks_at_most_five_questions_and_some_path_asks_five():
    lengths = [len(p) - 1 for p in decisions.paths(decisions.tree("rnn"))]
    assert max(lengths) == 5 and min(lengths) >= 2
    questions = {n.question for n in decisions.tree("rnn").nodes.values() if not n.is_leaf}
    assert len(questions) >= 5


def test_walking_the_seed_path_recommends_an_api_for_a_standard_task():
    t = decisions.tree("build_buy")
    w = decisions.walk(t, ["Yes", "Yes", "Yes"])
    assert w.finished and w.node.recommendation == "Use a hosted API"
    assert [s.answer for s in w.steps] == ["Yes", "Yes", "Yes"]
    assert all(s.why for s in w.steps)


def test_partial_walk_stops_at_the_next_question_and_bad_answers_are_clear_errors():
    t = decisions.tree("rnn")
    w = decisions.walk(t, ["Yes, it processes a live stream"])
    assert not w.finished and w.node.id == "device"
    with pytest.raises(ValueError, match="not an option"):
        decisions.walk(t, ["Maybe"])
    leaf_path = ["Yes, it processes a live stream", "On a microcontroller, phone or other small device"]
    assert decisions.walk(t, leaf_path).finished
    with pytest.raises(ValueError, match="Too many answers"):
        decisions.walk(t, leaf_path + ["Yes"])


def _tree(nodes, start="a"):
    return {"start": start, "nodes": nodes}


LEAF = {"recommendation": "r", "reasoning": "why"}


def _q(*targets):
    return {"question": "q?", "options": [{"label": f"o{i}", "next": t, "why": "w"} for i, t in enumerate(targets)]}


def test_validation_rejects_cycles_dangling_options_unreachable_nodes_and_bare_leaves():
    with pytest.raises(decisions.TreeError, match="cycle"):
        decisions.parse_tree("t", _tree({"a": _q("b", "l"), "b": _q("a", "l"), "l": LEAF}))
    with pytest.raises(decisions.TreeError, match="unknown"):
        decisions.parse_tree("t", _tree({"a": _q("nowhere", "l"), "l": LEAF}))
    with pytest.raises(decisions.TreeError, match="never reached"):
        decisions.parse_tree("t", _tree({"a": _q("l", "l"), "l": LEAF, "orphan": LEAF}))
    with pytest.raises(decisions.TreeError, match="leaf needs"):
        decisions.parse_tree("t", _tree({"a": _q("l", "m"), "l": LEAF, "m": {}}))
    ok = decisions.parse_tree("t", _tree({"a": _q("b", "l"), "b": _q("l", "l"), "l": LEAF}))  # shared node is fine
    assert len(decisions.paths(ok)) == 3


def test_cost_rows_match_hand_arithmetic():
    inputs = decisions.CostInputs(requests_per_month=1000, tokens_per_request=2000, engineer_cost_per_week=100,
                                  months=10)
    api = {"name": "api", "dev_weeks": 2, "one_off": 50, "monthly_fixed": 0, "price_per_million_tokens": 5}
    own = {"name": "own", "dev_weeks": 10, "one_off": 0, "monthly_fixed": 30, "price_per_million_tokens": 0}
    r_api, r_own = decisions.cost_rows(inputs, [api, own])
    assert r_api["build cost"] == 2 * 100 + 50
    assert r_api["usage per month"] == pytest.approx(1000 * 2000 / 1e6 * 5)  # 10 per month
    assert r_api["total over 10 months"] == pytest.approx(250 + 10 * 10)
    assert r_api["per 1,000 requests"] == pytest.approx(350 / 10_000 * 1000)
    assert r_own["total over 10 months"] == pytest.approx(1000 + 300)
    assert decisions.break_even_requests(30, 5, 2000) == pytest.approx(3000)
    assert decisions.break_even_requests(30, 0, 2000) == math.inf


def test_cost_rows_reject_negative_blank_or_nan_inputs():
    inputs = decisions.CostInputs(1, 1, 1, 1)
    row = {"name": "x", "dev_weeks": 1, "one_off": 0, "monthly_fixed": 0, "price_per_million_tokens": 1}
    for bad in (-1, None, math.nan):
        with pytest.raises(ValueError, match="zero or positive"):
            decisions.cost_rows(inputs, [{**row, "one_off": bad}])
    with pytest.raises(ValueError, match="at least one month"):
        decisions.cost_rows(decisions.CostInputs(1, 1, 1, 0), [row])


def test_shipped_cost_defaults_are_labelled_illustrative_and_compute():
    inputs, approaches, note = decisions.cost_defaults()
    assert "illustrative" in note.lower()
    rows = decisions.cost_rows(inputs, approaches)
    assert len(rows) == 5 and all(r["build cost"] >= 0 for r in rows)


def test_exercise_scenarios_explain_every_choice_and_grade_best_defensible_and_wrong():
    choices, scenarios = decisions.exercise()
    assert len(scenarios) == 5 and len(choices) == 5
    wake = next(s for s in scenarios if s.id == "wake-word")
    assert decisions.grade(wake, "rnn")[0] == 1.0
    assert decisions.grade(wake, "hybrid")[0] == 0.5
    score, why = decisions.grade(wake, "api")
    assert score == 0.0 and "network" in why
    with pytest.raises(ValueError):
        decisions.grade(wake, "quantum")
