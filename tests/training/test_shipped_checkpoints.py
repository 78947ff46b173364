"""The shipped checkpoints: every manifest entry verifies and loads, and re-measuring one reproduces its loss."""

import json
import math
import subprocess
import sys

import pytest
import torch

from core.data.corpora import REPO_ROOT, data_dir, load_text, split_text
from core.models import sampling
from core.training import checkpoints, recipes

torch.set_num_threads(1)
NAMES = checkpoints.names()
REQUIRED = {"config", "vocab", "file", "bytes", "sha256", "metrics", "curve", "samples", "data", "recipe",
            "hardware", "produced_at"}


def test_checkpoint_folder_stays_small():
    total = sum(p.stat().st_size for p in checkpoints.CHECKPOINT_DIR.glob("*") if p.is_file())
    assert total < 100 * 2**20


@pytest.mark.parametrize("name", NAMES)
def test_every_manifest_entry_loads_and_describes_itself(name):
    model, entry = checkpoints.load(name, "cpu")
    assert REQUIRED <= set(entry)
    m = entry["metrics"]
    assert m["perplexity"] == pytest.approx(math.exp(m["val_loss_nats_per_char"]), rel=1e-3)
    assert m["bits_per_char"] == pytest.approx(m["val_loss_nats_per_char"] / math.log(2), rel=1e-3)
    assert set(entry["samples"]["by_temperature"]) == {"0.5", "0.8", "1.2"}
    vocab = checkpoints.vocab_of(entry)
    assert len(sampling.sample(model, vocab, 20, 0.8, seed=0)) == 20


ALL = checkpoints.names(model_type=None)


@pytest.mark.parametrize("name", ALL)
def test_every_shipped_file_of_every_family_loads_through_the_one_loader(name):
    assert recipes.RECIPES  # imported for its family modules, which declare their loaders
    loaded, entry = checkpoints.load(name, "cpu", model_type=None)
    models = list(loaded.values()) if isinstance(loaded, dict) else [loaded]
    assert models and all(not m.training and m.cfg is not None for m in models)
    assert entry["file"] == f"{name}.pt"


EVALUATED = [n for n in ("shakespeare-lstm", "shakespeare-gru", "shakespeare-rnn") if n in NAMES]


@pytest.mark.slow
@pytest.mark.skipif(not EVALUATED or not (data_dir() / "tinyshakespeare.txt").exists(),
                    reason="needs a shipped Shakespeare checkpoint and the corpus")
@pytest.mark.parametrize("name", EVALUATED[:1])
def test_evaluate_cli_reproduces_the_manifest_loss(name, tmp_path):
    _, val_text = split_text(load_text("tinyshakespeare"))
    text_file = tmp_path / "val.txt"
    text_file.write_text(val_text, encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "core.evaluate", name, "--text", str(text_file), "--json"],
                         cwd=REPO_ROOT, capture_output=True, text=True, timeout=600, check=True)
    result = json.loads(out.stdout)
    assert {"loss_nats_per_char", "perplexity", "bits_per_char", "chars"} <= set(result)
    expected = checkpoints.entry(name)["metrics"]["val_loss_nats_per_char"]
    assert abs(result["loss_nats_per_char"] - expected) <= 0.01
    assert result["chars"] == checkpoints.entry(name)["metrics"]["chars"]
