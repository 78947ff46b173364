"""Checkpoint files and the manifest: round trip, and clear errors for truncated, altered or mismatched files."""

import pytest
import torch

from core.data.corpora import CORPORA, Vocab
from core.models.charlm import CharLMConfig, build
from core.training import checkpoints
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
