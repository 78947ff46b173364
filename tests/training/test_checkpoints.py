"""Checkpoint files and the manifest: round trip, and clear errors for truncated, altered or mismatched files."""

import pytest
import torch

from core.data import tasks
from core.data.corpora import CORPORA, Vocab
from core.models.charlm import CharLMConfig, build
from core.models.ntm import NTM, NTMConfig
from core.models.recall import RecallConfig, RecallNet
from core.training import checkpoints, ntm, recipes, seq2seq, stress
from core.training.checkpoints import CheckpointError

torch.set_num_threads(1)
VOCAB = Vocab(list("\nabc de"))


def _save(tmp_path, name="tiny", snapshots=None):
    torch.manual_seed(0)
    model = build(CharLMConfig(kind="gru", vocab_size=len(VOCAB), hidden=8, layers=2, embed=4))
    facts = checkpoints.save_file(tmp_path / f"{name}.pt", model, VOCAB, snapshots)
    entry = {"config": model.cfg.to_dict(), "vocab": VOCAB.chars, **facts,
             "metrics": {"val_loss_nats_per_char": 1.0}}
    checkpoints.register(name, entry, tmp_path)
    return model


def test_checkpoint_round_trip_keeps_weights_and_entry(tmp_path):
    model = _save(tmp_path)
    loaded, entry = checkpoints.load("tiny", directory=tmp_path)
    assert entry["metrics"]["val_loss_nats_per_char"] == 1.0
    assert checkpoints.vocab_of(entry) == VOCAB
    idx = torch.randint(len(VOCAB), (2, 6))
    with torch.no_grad():
        expected, _, _ = model(idx)
        got, _, _ = loaded(idx)
    torch.testing.assert_close(got, expected, atol=2e-3, rtol=2e-3)  # stored as float16
    assert not loaded.training
    assert checkpoints.names(tmp_path) == ["tiny"]


def test_snapshots_load_by_iteration(tmp_path):
    early = {k: torch.zeros_like(v) for k, v in build(
        CharLMConfig(kind="gru", vocab_size=len(VOCAB), hidden=8, layers=2, embed=4)).state_dict().items()}
    _save(tmp_path, snapshots={100: early})
    snap, _ = checkpoints.load("tiny", snapshot=100, directory=tmp_path)
    assert all(float(p.detach().abs().sum()) == 0 for p in snap.parameters())
    with pytest.raises(CheckpointError, match="no snapshot at iteration 7"):
        checkpoints.load("tiny", snapshot=7, directory=tmp_path)


def test_truncated_file_is_a_clear_error(tmp_path):
    _save(tmp_path)
    path = tmp_path / "tiny.pt"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(CheckpointError, match="truncated"):
        checkpoints.load("tiny", directory=tmp_path)
    # The same file with the manifest "fixed" to match still fails, now when read.
    entry = checkpoints.entry("tiny", tmp_path)
    entry.update(bytes=path.stat().st_size, sha256=checkpoints.sha256_file(path))
    checkpoints.register("tiny", entry, tmp_path)
    with pytest.raises(CheckpointError, match="could not be read"):
        checkpoints.load("tiny", directory=tmp_path)


def test_altered_file_is_a_clear_error(tmp_path):
    _save(tmp_path)
    path = tmp_path / "tiny.pt"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="sha256"):
        checkpoints.load("tiny", directory=tmp_path)


def test_file_from_another_vocabulary_is_a_clear_error(tmp_path):
    _save(tmp_path)
    entry = checkpoints.entry("tiny", tmp_path)
    entry["vocab"] = list("\nabc dx")
    checkpoints.register("tiny", entry, tmp_path)
    with pytest.raises(CheckpointError, match="vocabulary"):
        checkpoints.load("tiny", directory=tmp_path)


def test_unknown_name_and_missing_file_are_clear_errors(tmp_path):
    with pytest.raises(CheckpointError, match="No checkpoint named"):
        checkpoints.load("nope", directory=tmp_path)
    _save(tmp_path)
    (tmp_path / "tiny.pt").unlink()
    with pytest.raises(CheckpointError, match="missing"):
        checkpoints.load("tiny", directory=tmp_path)


def test_evaluate_reports_loss_perplexity_and_bits(tmp_path, monkeypatch):
    import math

    from core import evaluate

    _save(tmp_path)
    monkeypatch.setattr(checkpoints, "CHECKPOINT_DIR", tmp_path)
    result = evaluate.evaluate_text("tiny", "abc de\nabc dXe\n" * 20, torch.device("cpu"))
    assert result["chars"] > 0 and result["unknown_chars_skipped"] == 20
    assert result["perplexity"] == pytest.approx(math.exp(result["loss_nats_per_char"]))
    assert result["bits_per_char"] == pytest.approx(result["loss_nats_per_char"] / math.log(2))


def test_every_recipe_describes_a_buildable_model():
    from core.training import charlm as train

    for recipe in train.RECIPES.values():
        model = build(recipe.model)
        assert recipe.corpus in CORPORA
        assert model.cfg.kind in ("rnn", "lstm", "gru")


def test_entries_of_other_model_types_are_listed_apart_and_not_loaded_as_char_models(tmp_path):
    _save(tmp_path)
    other = {**checkpoints.entry("tiny", tmp_path), "model_type": "seq2seq-dates"}
    checkpoints.register("dates", other, tmp_path)
    assert checkpoints.names(tmp_path) == ["tiny"]
    assert checkpoints.names(tmp_path, model_type=None) == ["dates", "tiny"]
    with pytest.raises(CheckpointError, match="not a char language model"):
        checkpoints.load("dates", directory=tmp_path)


# ---------------------------------------------------------------- the one loader, for every family
def _ntm_entry(tmp_path, name="copy"):
    torch.manual_seed(0)
    model = NTM(NTMConfig(hidden=8, memory_width=4)).eval()
    facts = ntm.save_file(tmp_path / f"{name}.pt", model)
    checkpoints.register(name, {"model_type": ntm.MODEL_TYPE, "config": model.cfg.to_dict(), **facts}, tmp_path)
    return model


def test_every_family_module_declares_its_loader_and_every_shipped_type_has_one():
    assert recipes.RECIPES  # importing it imports every family module
    shipped = {e.get("model_type", checkpoints.MODEL_TYPE) for e in checkpoints.read_manifest()["checkpoints"].values()}
    assert shipped <= set(checkpoints.FAMILIES)
    assert {"charlm", "seq2seq-dates", "captioner", "ntm", "agreement-transformer", "recall-stress"} <= set(
        checkpoints.FAMILIES)


def test_load_with_no_type_follows_the_entry_and_a_wrong_type_is_named(tmp_path):
    _save(tmp_path)
    model = _ntm_entry(tmp_path)
    loaded, entry = checkpoints.load("copy", directory=tmp_path, model_type=None)
    assert type(loaded) is type(model) and entry["model_type"] == ntm.MODEL_TYPE and not loaded.training
    with pytest.raises(CheckpointError, match="'copy' is a 'ntm' model, not a char language model"):
        checkpoints.load("copy", directory=tmp_path)
    with pytest.raises(CheckpointError, match="'tiny' is a 'charlm' model, not an NTM"):
        ntm.load("tiny", tmp_path)
    with pytest.raises(CheckpointError, match="No loader for model type 'gpt'"):
        checkpoints.load("tiny", directory=tmp_path, model_type="gpt")


def test_a_file_of_another_family_under_a_right_entry_is_refused(tmp_path):
    _ntm_entry(tmp_path)
    _save(tmp_path)
    other = checkpoints.entry("tiny", tmp_path)
    checkpoints.register("copy", {**checkpoints.entry("copy", tmp_path), **{k: other[k] for k in
                                  ("file", "bytes", "sha256")}}, tmp_path)
    with pytest.raises(CheckpointError, match="tiny.pt is a 'charlm' checkpoint, not an NTM"):
        checkpoints.load("copy", directory=tmp_path, model_type="ntm")


def test_every_family_compares_its_config_with_the_manifest(tmp_path):
    _ntm_entry(tmp_path)
    entry = checkpoints.entry("copy", tmp_path)
    checkpoints.register("copy", {**entry, "config": {**entry["config"], "hidden": 9}}, tmp_path)
    with pytest.raises(CheckpointError, match="config .* differs from the manifest's"):
        checkpoints.load("copy", directory=tmp_path, model_type="ntm")


def test_a_file_trained_with_another_vocabulary_is_refused(tmp_path):
    torch.manual_seed(0)
    model = seq2seq.Seq2Seq(seq2seq.dates_config("dot", 8, 4, 4))
    facts = seq2seq.save_file(tmp_path / "d.pt", model)
    payload = torch.load(tmp_path / "d.pt", weights_only=True)
    payload["src_vocab"] = payload["src_vocab"][:-1]
    torch.save(payload, tmp_path / "d.pt")
    facts.update(bytes=(tmp_path / "d.pt").stat().st_size, sha256=checkpoints.sha256_file(tmp_path / "d.pt"))
    checkpoints.register("d", {**facts, "model_type": seq2seq.MODEL_TYPE, "config": model.cfg.to_dict()}, tmp_path)
    with pytest.raises(CheckpointError, match="'src_vocab' differs from this code's"):
        seq2seq.load("d", directory=tmp_path)


def test_a_file_of_several_models_round_trips_and_is_checked_against_the_manifest(tmp_path):
    torch.manual_seed(0)
    models = {key: RecallNet(RecallConfig(kind, kind == "gru", len(tasks.RECALL_VOCAB), len(tasks.CUES), 8, 4))
              for key, kind in (("rnn", "rnn"), ("fixed/gru/5", "gru"))}
    facts = checkpoints.save_file(tmp_path / "s.pt", models, model_type=stress.MODEL_TYPE)
    entry = {**facts, "model_type": stress.MODEL_TYPE, "models": {"rnn": models["rnn"].cfg.to_dict()}}
    checkpoints.register("s", entry, tmp_path)
    loaded, _ = checkpoints.load("s", directory=tmp_path, model_type=None)
    x, _ = tasks.recall_batch(3, 5, torch.Generator().manual_seed(0))
    assert set(loaded) == set(models) and not loaded["rnn"].training
    with torch.no_grad():
        torch.testing.assert_close(loaded["fixed/gru/5"](x)[0], models["fixed/gru/5"](x)[0], atol=2e-3, rtol=2e-3)
    checkpoints.register("s", {**entry, "models": {"lstm": models["rnn"].cfg.to_dict()}}, tmp_path)
    with pytest.raises(CheckpointError, match="lists a model 'lstm' the file does not hold"):
        checkpoints.load("s", directory=tmp_path, model_type=stress.MODEL_TYPE)


def test_misfit_weights_name_the_file(tmp_path):
    _save(tmp_path)
    payload = torch.load(tmp_path / "tiny.pt", weights_only=True)
    payload["state_dict"].popitem()
    torch.save(payload, tmp_path / "tiny.pt")
    with pytest.raises(CheckpointError, match="tiny.pt: weights do not fit"):
        checkpoints.load_file(tmp_path / "tiny.pt")
