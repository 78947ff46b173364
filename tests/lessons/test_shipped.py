"""A demo asks whether its checkpoint ships; a missing or broken manifest means no, not a crash."""

import json

from core.lessons import shipped
from core.training import checkpoints


def _names_in(directory, real=checkpoints.names):
    return lambda directory_=None, model_type=checkpoints.MODEL_TYPE: real(directory, model_type)


def test_a_listed_checkpoint_of_the_right_type_is_shipped(monkeypatch, tmp_path):
    manifest = {"format": checkpoints.FORMAT, "checkpoints": {
        "dates-attention": {"model_type": "seq2seq"}, "captioner": {"model_type": "captioner"}}}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    monkeypatch.setattr(checkpoints, "names", _names_in(tmp_path))
    assert shipped.is_shipped("dates-attention", "seq2seq")
    assert shipped.is_shipped("captioner", None)
    assert not shipped.is_shipped("captioner", "seq2seq")
    assert not shipped.is_shipped("ntm-copy", None)


def test_a_broken_or_missing_manifest_means_not_shipped(monkeypatch, tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps({"format": -1}), encoding="utf-8")
    monkeypatch.setattr(checkpoints, "names", _names_in(tmp_path))
    assert not shipped.is_shipped("dates-attention", None)
    monkeypatch.setattr(checkpoints, "names", _names_in(tmp_path / "nowhere"))
    assert not shipped.is_shipped("dates-attention", None)
