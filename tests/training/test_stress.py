import pytest

from core.data import tasks
from core.models.recall import RecallConfig, RecallNet
from core.training import checkpoints, stress


def _tiny(kind="gru", attention=False):
    return RecallNet(RecallConfig(kind, attention, len(tasks.RECALL_VOCAB), len(tasks.CUES), 8, 4)).eval()


def test_fixed_keys_round_trip_and_keep_the_original_layout_for_seed_zero():
    assert stress.fixed_key("gru", 20, 0) == "fixed/gru/20"
    assert stress.parse_fixed_key(stress.fixed_key("gru+attention", 75, 1)) == ("gru+attention", 75, 1)


def test_measure_groups_seeds_per_model_and_distance():
    models = {"rnn": _tiny("rnn"), stress.fixed_key("rnn", 3, 0): _tiny("rnn"), stress.fixed_key("rnn", 3, 1): _tiny()}
    mixed, fixed = stress.measure(models, n=20, seed=0)
    assert set(mixed) == {"rnn"} and set(mixed["rnn"]) == {str(d) for d in stress.DISTANCES}
    assert list(fixed) == ["rnn"] and list(fixed["rnn"]) == ["3"] and len(fixed["rnn"]["3"]) == 2
    assert fixed["rnn"]["3"][0] == stress.accuracy_vs_distance(models["fixed/rnn/3"], (3,), 20, 0)["3"]


def test_rows_and_learned_share_read_both_manifest_layouts():
    fixed = {"lstm": {"10": [1.0, 0.3], "20": [0.25, 0.26]}, "rnn": {"10": 0.95}}  # rnn: older one-seed layout
    rows = stress.fixed_rows(fixed)
    assert {"model": "lstm", "distance": 10, "seed": 1, "accuracy": 0.3} in rows and len(rows) == 5
    assert stress.learned_share(fixed) == {"lstm": {"10": 0.5, "20": 0.0}, "rnn": {"10": 1.0}}


def test_probe_scores_the_models_for_one_distance_and_checks_its_input():
    models = {"gru": _tiny(), stress.fixed_key("gru", 4, 0): _tiny(), stress.fixed_key("gru", 9, 0): _tiny()}
    out = stress.probe(models, 4, attractors=0.2, n=30, seed=1)
    assert [r["trained on"] for r in out["rows"]] == ["distances 1-100 mixed", "only distance 4"]
    assert len(out["example"]) == 4 + 2 and out["answer"] in tasks.CUES and out["n"] == 30
    assert all(0 <= r["accuracy"] <= 1 and 0 < r["confidence"] <= 1 for r in out["rows"])
    assert out == stress.probe(models, 4, attractors=0.2, n=30, seed=1)
    with pytest.raises(ValueError):
        stress.probe(models, 4, attractors=1.5)


@pytest.mark.skipif(stress.RECIPE not in checkpoints.names(model_type=stress.MODEL_TYPE),
                    reason="needs the shipped stress-test models")
def test_shipped_stress_checkpoint_is_small_and_attention_learns_where_the_plain_rnn_cannot():
    entry = checkpoints.entry(stress.RECIPE)
    assert entry["bytes"] < 3_000_000
    share = stress.learned_share(entry["metrics"]["fixed_distance_accuracy"])
    assert share["gru+attention"]["100"] == 1.0 and share["rnn"]["100"] == 0.0
