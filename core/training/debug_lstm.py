"""The "debug the LSTM" pair for Module 3: two small LSTMs trained identically on Tiny Shakespeare except for
the forget-gate bias at initialisation (+1, the usual fix, against -5, a bug that starts every forget gate shut).

Reproduce with `python -m core.training.debug_lstm` (about 2 x 25 s of CPU). Files: checkpoints/debug/ + its own manifest,
so the main manifest (written by the char-model recipes) is never touched.
"""

from __future__ import annotations

import argparse
import datetime as dt

import torch

from core.data.corpora import REPO_ROOT, TextData
from core.models.charlm import CharLMConfig, build, num_params
from core.training import checkpoints
from core.training.loop import TrainConfig, evaluate_loss, train

DEBUG_DIR = REPO_ROOT / "checkpoints" / "debug"
PAIR = {"debug-lstm-good": 1.0, "debug-lstm-bad": -5.0}  # name -> forget-gate bias at initialisation


def train_one(name: str, forget_bias: float, seconds: float, data: TextData) -> dict:
    cfg = CharLMConfig(kind="lstm", vocab_size=len(data.vocab), hidden=96, layers=1, embed=32,
                       forget_bias=forget_bias)
    torch.manual_seed(0)
    model = build(cfg)
    tcfg = TrainConfig(batch=32, seq_len=64, lr=3e-3, warmup_steps=20, max_steps=100_000, time_budget_s=seconds,
                       clock="cpu", eval_every=0, eval_chars=50_000, seed=0)
    history = train(model, data, tcfg)
    path = DEBUG_DIR / f"{name}.pt"
    facts = checkpoints.save_file(path, model, data.vocab)
    shipped = checkpoints.load_file(path)
    val, chars = evaluate_loss(shipped, data.val, max_chars=50_000)
    curve = [(s, round(v, 4)) for s, v in zip(history.steps, history.train_loss, strict=True)][::10]
    entry = {
        "title": f"Debug pair: 1x96 LSTM, forget-gate bias {forget_bias:+g} at init",
        "model_type": checkpoints.MODEL_TYPE, "kind": "lstm", "config": cfg.to_dict(), "params": num_params(model),
        "vocab": data.vocab.chars, **facts,
        "metrics": {"val_loss_nats_per_char": round(val, 4), "chars": chars,
                    "split": "val: first 50k chars of the last 10% of tinyshakespeare.txt"},
        "forget_bias_init": forget_bias, "curve": curve,
        "training": {"steps": history.steps[-1] if history.steps else 0, "cpu_s": round(history.elapsed_s, 1),
                     "train_config": {k: v for k, v in vars(tcfg).items() if not k.startswith("_")}},
        "recipe": {"command": "python -m core.training.debug_lstm"},
        "produced_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    checkpoints.register(name, entry, DEBUG_DIR)
    return entry


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=25.0, help="CPU seconds of training per model")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    data = TextData.from_corpus("tinyshakespeare")
    for name, bias in PAIR.items():
        e = train_one(name, bias, args.seconds, data)
        print(f"{name}: bias {bias:+g}, {e['training']['steps']} steps, val {e['metrics']['val_loss_nats_per_char']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
