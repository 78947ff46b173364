"""Karpathy's interpretable cells, then ours: the cells the 2015 post shows, which of our features stands for each,
and the closest unit of our shipped models (from checkpoints/neurons.json, plus checkpoints/cells.json for the two
features that analysis lacks: inside a URL, inside an if condition).

    python -m core.lessons.cells    # writes checkpoints/cells.json (about 30 s on one CPU thread)
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from core.data import corpora as data
from core.lessons import neurons
from core.training import checkpoints

POST_URL = "http://karpathy.github.io/2015/05/21/rnn-effectiveness/"
RESULTS_PATH = checkpoints.CHECKPOINT_DIR / "cells.json"
CLEAR, LOOSE = 0.6, 0.3  # |r| at or above CLEAR (and 3x chance): reproduced; at or above LOOSE: partly
URL_START = re.compile(r"(?:https?|ftp)://|www\.")
URL_CHARS = re.compile(r"[^\s<>\"'()\[\]{}]")
IF_OPEN = re.compile(r"(?<![A-Za-z0-9_])if\s*\(")


def _url(text: str) -> np.ndarray:
    """1 from the character that completes "://" or "www." to the last character of the URL."""
    out = np.zeros(len(text), np.float32)
    for m in URL_START.finditer(text):
        end = m.end()
        while end < len(text) and URL_CHARS.match(text[end]):
            end += 1
        out[m.end() - 1:end] = 1
    return out


def _if_condition(text: str) -> np.ndarray:
    """1 inside the parentheses of a C `if (...)`, from its "(" up to (not including) the matching ")"."""
    out = np.zeros(len(text), np.float32)
    for m in IF_OPEN.finditer(text):
        depth, t = 0, m.end() - 1
        while t < len(text):
            depth += {"(": 1, ")": -1}.get(text[t], 0)
            if depth == 0:
                break
            out[t] = 1
            t += 1
    return out


EXTRA = {
    "url": neurons.Feature("url", "inside a URL", "From the character that completes :// or www. to the URL's end.",
                           True, _url),
    "if_condition": neurons.Feature("if_condition", "inside an if ( condition )",
                                    "Inside the parentheses of a C if statement.", True, _if_condition),
}


@dataclass(frozen=True)
class PostCell:
    id: str  # also the name of its block in assets/lessons/m05.md ("cell-<id>")
    title: str
    post_data: str  # the text the post's model read
    ours: tuple[tuple[str, str], ...]  # (model, feature) pairs that stand for it, best guess first


POST_CELLS = (
    PostCell("url", "URL cell", "Wikipedia", (("linux-lstm", "url"),)),
    PostCell("wiki-link", "[[ ]] link cell", "Wikipedia", (("latex-lstm", "brackets"), ("linux-lstm", "brackets"))),
    PostCell("quotes", "quote cell", "War and Peace", (("warpeace-lstm", "quotes"), ("linux-lstm", "quotes"))),
    PostCell("line", "position-in-line cell", "War and Peace",
             (("warpeace-lstm", "line_position"), ("shakespeare-lstm-best", "line_position"),
              ("linux-lstm", "line_position"), ("latex-lstm", "line_position"))),
    PostCell("comments", "comment cell", "Linux source", (("linux-lstm", "comment"),)),
    PostCell("depth", "nesting-depth cell", "Linux source",
             (("linux-lstm", "braces"), ("linux-lstm", "indent"), ("linux-lstm", "parens"))),
    PostCell("if", "if-statement cell", "Linux source", (("linux-lstm", "if_condition"),)),
)


def feature_label(name: str) -> str:
    return (EXTRA.get(name) or neurons.FEATURES[name]).label


def best_unit(model_result: dict | None, feature: str) -> dict | None:
    """The strongest unit for `feature` over every layer and signal of one model's analysis entry, or None."""
    best = None
    for key, per in (model_result or {}).get("units", {}).items():
        v = per.get(feature)
        if v and (best is None or abs(v["top"][0][1]) > abs(best["r"])):
            best = {"layer": int(key[1]) + 1, "signal": key[3:], "unit": v["top"][0][0], "r": v["top"][0][1],
                    "chance": v["chance"], "active_share": v["active_share"]}
    return best


def verdict(best: dict | None) -> str:
    """Reproduced / partly / not reproduced / not measurable, by |r| against CLEAR, LOOSE and the chance level."""
    if best is None:
        return "not measurable here"
    r = abs(best["r"])
    if r >= CLEAR and r >= 3 * best["chance"]:
        return "reproduced"
    if r >= LOOSE and r >= 2 * best["chance"]:
        return "partly"
    return "not reproduced"


def comparison(neuron_results: dict | None, cell_results: dict | None) -> list[dict]:
    """One row per (post cell, our model and feature): our closest unit, its r, the chance level and a verdict.
    Features of checkpoints/cells.json are read from there, the rest from checkpoints/neurons.json."""
    rows = []
    for cell in POST_CELLS:
        for model, feature in cell.ours:
            source = cell_results if feature in EXTRA else neuron_results
            entry = (source or {}).get("models", {}).get(model)
            best = best_unit(entry, feature)
            rows.append({"cell": cell.id, "post cell": cell.title, "our model": model,
                         "our feature": feature_label(feature),
                         "closest unit": None if best is None else
                         f"layer {best['layer']} {best['signal']} · unit {best['unit']}",
                         "Pearson r": None if best is None else best["r"],
                         "chance |r|": None if best is None else best["chance"],
                         "verdict": verdict(best) if entry else "not analysed"})
    return rows


def interpretable_share(neuron_results: dict | None, threshold: str = "r>=0.5") -> tuple[float, float] | None:
    """(lowest, highest) share of a layer's units whose best |r| with a memory feature reaches 0.5, over every
    model, layer and signal of the shipped analysis: our counterpart of the post's "about 5%"."""
    shares = [s[threshold] for m in (neuron_results or {}).get("models", {}).values()
              for s in m.get("memory_share", {}).values()]
    return (min(shares), max(shares)) if shares else None


def url_counts(corpus: str) -> dict[str, int]:
    """How many URLs the training and validation splits of a corpus hold."""
    train, val = data.split_text(data.load_text(corpus))
    return {"train": len(URL_START.findall(train)), "validation": len(URL_START.findall(val))}


def analyse(name: str, features: list[str], chars: int = 40_000, streams: int = 20, burn_in: int = 100) -> dict:
    """The EXTRA features' strongest units of one checkpoint, on the same held-out pieces as core.lessons.neurons
    (same text, piece starts and burn-in), so its numbers sit beside the shipped analysis."""
    model, entry = checkpoints.load(name)
    vocab = checkpoints.vocab_of(entry)
    _, val = data.split_text(data.load_text(entry["data"]["corpus"]))
    text = "".join(ch for ch in val if ch in vocab)
    length = min(chars // streams, len(text))
    step = (len(text) - length) // max(1, streams - 1) if streams > 1 else 0
    starts = [b * step for b in range(streams)]
    pieces = [text[s:s + length] for s in starts]
    acts = neurons.run_model(model, vocab, pieces)
    flat = {f: np.stack([EXTRA[f].fn(text)[s:s + length] for s in starts])[:, burn_in:].reshape(-1) for f in features}
    units = {key: neurons.correlate(a[:, burn_in:].reshape(-1, a.shape[-1]), flat) for key, a in acts.items()}
    return {"title": entry.get("title", name), "corpus": entry["data"]["corpus"], "checkpoint_sha256": entry["sha256"],
            "span": {"pieces": streams, "piece_chars": length, "starts": starts, "burn_in": burn_in,
                     "used_chars": streams * (length - burn_in)},
            "active_chars": {f: int(v.sum()) for f, v in flat.items()}, "units": units}


def load_results(path: Path | str | None = None) -> dict | None:
    try:
        return json.loads(Path(path or RESULTS_PATH).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Measure the post's cells that core.lessons.neurons lacks.")
    parser.add_argument("--out", default=str(RESULTS_PATH))
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    started = time.time()
    models = {}
    try:
        models["linux-lstm"] = analyse("linux-lstm", ["url", "if_condition"])
    except (checkpoints.CheckpointError, data.CorpusError) as e:
        print(f"skipped linux-lstm: {e}", file=sys.stderr)
    urls = {}
    for corpus in ("linux_c", "latex", "warpeace", "tinyshakespeare"):
        try:
            urls[corpus] = url_counts(corpus)
        except data.CorpusError as e:
            print(f"no URL count for {corpus}: {e}", file=sys.stderr)
    payload = {"format": 1, "produced_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "command": "python -m core.lessons.cells " + " ".join(argv if argv is not None else sys.argv[1:]),
               "method": "As checkpoints/neurons.json (same held-out pieces, Pearson r per unit, chance level from "
                         "the feature shifted by half the text), for features that analysis does not have.",
               "features": {n: {"label": f.label, "description": f.description} for n, f in EXTRA.items()},
               "url_counts": urls, "models": models, "seconds": round(time.time() - started, 1)}
    Path(args.out).write_text(json.dumps(payload, indent=1), encoding="utf-8")
    print(f"wrote {args.out} in {payload['seconds']} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
