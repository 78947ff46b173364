"""`python -m core.evaluate NAME --text FILE [--json]`: re-measure a shipped checkpoint's loss on any text.

`--split val` instead of `--text` reads the checkpoint's own validation split (the last 10% of its corpus), the
number the manifest reports. Characters outside the model's vocabulary are skipped and counted.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import torch

from core import logs
from core.data.corpora import load_text, shuffle_lines, split_text  # the same split TextData.from_text makes
from core.models import inference
from core.training import checkpoints, recipes
from core.training.loop import evaluate_loss


def evaluate_text(name: str, text: str, device: torch.device | None = None) -> dict:
    model, entry = checkpoints.load(name, device or inference.choose_device())
    vocab = checkpoints.vocab_of(entry)
    unknown = sum(1 for ch in text if ch not in vocab)
    ids = torch.tensor(vocab.encode(text, unknown="skip"), dtype=torch.long)
    if len(ids) < 2:
        raise ValueError("The text needs at least 2 characters the model knows.")
    loss, chars = evaluate_loss(model, ids)
    return {
        "checkpoint": name,
        "loss_nats_per_char": loss,
        "perplexity": math.exp(loss),
        "bits_per_char": loss / math.log(2),
        "chars": chars,
        "unknown_chars_skipped": unknown,
        "manifest_loss_nats_per_char": entry["metrics"]["val_loss_nats_per_char"],
    }


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    family = recipes.RECIPES.get(argv[0]) if argv else None
    if family is not None and family.evaluate is not None:  # e.g. the dates models re-measure on fresh data
        return family.evaluate(argv)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", help="checkpoint name in checkpoints/manifest.json")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--text", type=Path, help="a UTF-8 text file to score")
    source.add_argument("--split", choices=["val", "train"], help="the checkpoint corpus's own split")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    logs.configure()
    inference.configure_threads()
    try:
        if args.text is not None:
            text = args.text.read_text(encoding="utf-8")
        else:
            entry = checkpoints.entry(args.name)
            text = load_text(entry["data"]["corpus"])
            if entry["data"].get("shuffle_lines_seed") is not None:
                text = shuffle_lines(text, entry["data"]["shuffle_lines_seed"])
            train_text, val_text = split_text(text)
            text = val_text if args.split == "val" else train_text
        result = evaluate_text(args.name, text)
    except (checkpoints.CheckpointError, OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            print(f"{k:32} {v}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
