"""`core.train` end to end on a tiny made-up corpus: the manifest entry is complete, the metric is re-measurable,
and a stopped run resumes."""

import dataclasses
import hashlib
import json
import math

import pytest
import torch

from core import evaluate
from core.data import corpora as data
from core.models.charlm import CharLMConfig
from core.training import charlm as train
from core.training import checkpoints, runs
from core.training.loop import TrainConfig

torch.set_num_threads(1)
TEXT = "to be or not to be, that is the question.\nwhether tis nobler in the mind to suffer\n" * 30


@pytest.fixture()
def tiny(tmp_path, monkeypatch):
    (tmp_path / "tiny.txt").write_text(TEXT)
    digest = hashlib.sha256(TEXT.encode()).hexdigest()
    monkeypatch.setitem(data.CORPORA, "tiny", data.Corpus("tiny", "tiny.txt", len(TEXT), digest, None, "test"))
    monkeypatch.setenv(data.DATA_ENV, str(tmp_path))
    monkeypatch.setenv(runs.RUNS_ENV, str(tmp_path / "runs"))
    monkeypatch.setattr(checkpoints, "CHECKPOINT_DIR", tmp_path / "ckpt")
    monkeypatch.setattr(train, "SAMPLE_LEN", 40)
    return train.Recipe(
        "tiny-gru", "tiny", "tiny", CharLMConfig(kind="gru", hidden=16, layers=1, embed=8),
        TrainConfig(batch=4, seq_len=16, max_steps=30, warmup_steps=3, eval_every=10, snapshot_steps=(0, 20)),
    )


def test_a_recipe_run_writes_a_complete_reproducible_manifest_entry(tiny):
    entry = train.run(tiny, resume=False, threads=1)
    assert checkpoints.entry("tiny-gru") == json.loads(json.dumps(entry))
    assert entry["training"]["steps"] == 30 and entry["training"]["stopped"] == "max_steps"
    assert set(entry["samples"]["by_temperature"]) == {"0.5", "0.8", "1.2"}
    assert [s["iteration"] for s in entry["snapshots"]] == [0, 20]
    assert entry["data"]["sha256"] == hashlib.sha256(TEXT.encode()).hexdigest()
    m = entry["metrics"]
    assert m["perplexity"] == pytest.approx(math.exp(m["val_loss_nats_per_char"]), rel=1e-3)
    _, val_text = data.split_text(TEXT)
    again = evaluate.evaluate_text("tiny-gru", val_text, torch.device("cpu"))
    assert again["loss_nats_per_char"] == pytest.approx(m["val_loss_nats_per_char"], abs=1e-4)
    assert again["chars"] == m["chars"]


def test_a_stopped_run_resumes_from_its_saved_state(tiny, tmp_path):
    short = dataclasses.replace(tiny, train=dataclasses.replace(tiny.train, max_steps=12, snapshot_steps=()))
    train.run(short, resume=False, threads=1)
    assert (tmp_path / "runs" / "tiny-gru" / "state.pt").exists()
    longer = dataclasses.replace(short, train=dataclasses.replace(short.train, max_steps=20))
    entry = train.run(longer, resume=True, threads=1)
    assert entry["training"]["resumed"] and entry["training"]["steps"] == 20
    assert entry["curve"]["step"][-1] == 20


def test_a_recipe_can_start_from_a_shipped_checkpoint(tiny):
    first = train.run(tiny, resume=False, threads=1)
    more = dataclasses.replace(tiny, name="tiny-gru-more", init_from="tiny-gru",
                               train=dataclasses.replace(tiny.train, max_steps=5, snapshot_steps=()))
    entry = train.run(more, resume=False, threads=1)
    assert entry["recipe"]["init_from"] == "tiny-gru"
    assert entry["curve"]["train_loss"][0] < first["curve"]["train_loss"][0]  # it did not start from scratch


def test_the_cli_lists_every_recipe_of_the_registry(capsys):
    from core import train as cli
    from core.training import recipes

    assert cli.main(["--list"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert listed == list(recipes.RECIPES)
    assert {"shakespeare-lstm", "dates-attention", "longrange-stress", "captioner", "ntm-copy",
            "agreement-transformer"} <= set(listed)
    assert cli.main(["--recipe", "no-such-recipe"]) == 2
