"""Which hidden units track which text features: features computed from raw text, the correlation analysis over
held-out text, and the CLI that writes the shipped results (checkpoints/neurons.json) behind Module 5.

    python -m core.lessons.neurons                   # all default models, ~40k held-out characters each
    python -m core.lessons.neurons --models warpeace-lstm --streams 10
"""

from __future__ import annotations

import argparse
import json
import random
import string
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from core.data import corpora as data
from core.lessons import analysis
from core.training import checkpoints

RESULTS_PATH = checkpoints.CHECKPOINT_DIR / "neurons.json"
DEFAULT_MODELS = ("warpeace-lstm", "latex-lstm", "linux-lstm", "shakespeare-lstm-best")
NONE_LABEL = "no clear feature (none of these)"
SIGNALS = {"c": "cell state c", "h": "hidden state h"}


@dataclass(frozen=True)
class Feature:
    name: str
    label: str  # what the game offers as an answer
    description: str
    memory: bool  # True: needs context beyond the current character (the interesting kind)
    fn: Callable[[str], np.ndarray]


def _toggle(text: str, mark: str) -> np.ndarray:
    """1 between an opening and a closing `mark` (escaped marks ignored); a blank line resets to outside."""
    out, inside, prev = np.zeros(len(text), np.float32), False, ""
    for t, ch in enumerate(text):
        if ch == "\n" and prev == "\n":
            inside = False
        elif ch == mark and prev != "\\":
            inside = not inside
        out[t], prev = inside, ch
    return out


def _depth(text: str, opener: str, closer: str, binary: bool, blank_resets: bool) -> np.ndarray:
    """Nesting depth of opener/closer after each character (never below 0)."""
    out, depth, prev = np.zeros(len(text), np.float32), 0, ""
    for t, ch in enumerate(text):
        if blank_resets and ch == "\n" and prev == "\n":
            depth = 0
        elif ch == opener:
            depth += 1
        elif ch == closer:
            depth = max(0, depth - 1)
        out[t], prev = (depth > 0) if binary else depth, ch
    return out


def _env_depth(text: str) -> np.ndarray:
    """LaTeX \\begin ... \\end nesting depth, counted when the command name has been read."""
    out, depth = np.zeros(len(text), np.float32), 0
    for t in range(len(text)):
        if text.endswith("\\begin", 0, t + 1):
            depth += 1
        elif text.endswith("\\end", 0, t + 1):
            depth = max(0, depth - 1)
        out[t] = depth
    return out


def _c_comment(text: str) -> np.ndarray:
    """1 inside a C comment, from the '*' of /* (or the second / of //) to the closing */ (or the newline)."""
    out, block, line, opened_at = np.zeros(len(text), np.float32), False, False, -1
    for t, ch in enumerate(text):
        prev = text[t - 1] if t else ""
        if block and ch == "/" and prev == "*" and t - 1 != opened_at:
            block = False
        elif line and ch == "\n":
            line = False
        elif not block and not line and prev == "/" and ch in "*/":
            block, line, opened_at = ch == "*", ch == "/", t
        out[t] = block or line
    return out


def _line_position(text: str) -> np.ndarray:
    out, n = np.zeros(len(text), np.float32), 0
    for t, ch in enumerate(text):
        n = 0 if ch == "\n" else n + 1
        out[t] = n
    return out


def _indent(text: str) -> np.ndarray:
    """Leading whitespace of the current line read so far (a tab counts 8)."""
    out, n, leading = np.zeros(len(text), np.float32), 0, True
    for t, ch in enumerate(text):
        if ch == "\n":
            n, leading = 0, True
        elif leading and ch in " \t":
            n += 8 if ch == "\t" else 1
        else:
            leading = False
        out[t] = n
    return out


def _word_position(text: str) -> np.ndarray:
    out, n = np.zeros(len(text), np.float32), 0
    for t, ch in enumerate(text):
        n = n + 1 if ch.isalpha() else 0
        out[t] = n
    return out


def _is(pred: Callable[[str], bool]) -> Callable[[str], np.ndarray]:
    return lambda text: np.fromiter((pred(ch) for ch in text), np.float32, len(text))


FEATURES: dict[str, Feature] = {f.name: f for f in [
    Feature("quotes", 'inside "double quotes"', 'Between an opening and a closing " (dialogue, C strings).',
            True, lambda s: _toggle(s, '"')),
    Feature("parens", "inside ( parentheses )", "At least one ( is open.", True,
            lambda s: _depth(s, "(", ")", True, True)),
    Feature("brackets", "inside [ square brackets ]", "At least one [ is open.", True,
            lambda s: _depth(s, "[", "]", True, True)),
    Feature("braces", "{ } nesting depth", "How many { are open (blocks in C, groups in LaTeX).", True,
            lambda s: _depth(s, "{", "}", False, False)),
    Feature("math", "inside $ math $", "Between two $ signs (LaTeX inline math).", True, lambda s: _toggle(s, "$")),
    Feature("env", "\\begin ... \\end depth", "How many LaTeX environments are open.", True, _env_depth),
    Feature("comment", "inside a C comment", "Inside /* ... */ or after // up to the end of the line.", True,
            _c_comment),
    Feature("line_position", "position in the line", "Characters since the last newline.", True, _line_position),
    Feature("indent", "indentation of the line", "Leading spaces of the current line (tab = 8).", True, _indent),
    Feature("word_position", "position inside a word", "Letters since the last non-letter (0 outside words).",
            True, _word_position),
    Feature("newline", "just read a newline", "The character just read is a line break.", False,
            _is(lambda ch: ch == "\n")),
    Feature("space", "just read a space", "The character just read is a space.", False, _is(lambda ch: ch == " ")),
    Feature("punct", "just read punctuation", "The character just read is punctuation.", False,
            _is(lambda ch: ch in string.punctuation)),
    Feature("upper", "just read a capital letter", "The character just read is upper case.", False,
            _is(str.isupper)),
    Feature("digit", "just read a digit", "The character just read is 0-9.", False, _is(str.isdigit)),
]}


def feature_values(text: str, names: list[str] | None = None) -> dict[str, np.ndarray]:
    """Feature name -> (len(text),) values at each character (after reading it), for all or the named features."""
    return {n: FEATURES[n].fn(text) for n in (names or FEATURES)}


def usable(values: np.ndarray, min_active: int = 20) -> bool:
    """A feature worth correlating: not constant, and off its most common value at least `min_active` times."""
    if values.size == 0:
        return False
    _, counts = np.unique(values, return_counts=True)
    return len(counts) > 1 and values.size - counts.max() >= min_active


def correlate(acts: np.ndarray, features: dict[str, np.ndarray], k: int = 5) -> dict[str, dict]:
    """For each usable feature: the top-k units by |Pearson r| and a chance level (the best |r| with the feature
    shifted by half the text, which keeps its run lengths but breaks its link to the activations)."""
    out = {}
    for name, f in features.items():
        if not usable(f):
            continue
        r = analysis.pearson_by_unit(acts, f)
        chance = analysis.pearson_by_unit(acts, np.roll(f, len(f) // 2))
        out[name] = {"top": [[u, round(v, 4)] for u, v in analysis.top_units(r, k)],
                     "chance": round(float(np.abs(chance).max()), 4), "active_share": round(float((f != 0).mean()), 4)}
    return out


def display_values(values: np.ndarray, signal: str) -> np.ndarray:
    """What the charts colour: h as it is (already in -1..1), the cell state through tanh (as h sees it)."""
    return np.tanh(values) if signal == "c" else values


def spread_pieces(text: str, streams: int, length: int) -> tuple[list[str], list[int], dict[str, np.ndarray]]:
    """`streams` pieces of `length` characters spread evenly over `text` (so the whole held-out text is sampled),
    their start offsets, and each feature on them as (B, T). Features are computed over the whole text first, so
    that a quote or a block opened before a piece starts counts as open inside it."""
    length = min(length, len(text))
    step = (len(text) - length) // max(1, streams - 1) if streams > 1 else 0
    starts = [b * step for b in range(streams)]
    whole = feature_values(text)
    feats = {n: np.stack([v[s:s + length] for s in starts]) for n, v in whole.items()}
    return [text[s:s + length] for s in starts], starts, feats


def run_model(model, vocab: data.Vocab, pieces: list[str], chunk: int = 500) -> dict[str, np.ndarray]:
    """Run equal-length pieces as one batch from a zero state, carrying the state over chunks of `chunk`
    characters; returns {"L0.h": (B, T, H), "L0.c": ..., ...}."""
    ids = torch.tensor([vocab.encode(p) for p in pieces])  # (B, T)
    parts: dict[str, list[np.ndarray]] = {}
    state = None
    for t0 in range(0, ids.shape[1], chunk):
        layers, state = analysis.layer_states(model, ids[:, t0:t0 + chunk], state)
        for layer, item in enumerate(layers):
            for signal, a in item.items():
                parts.setdefault(f"L{layer}.{signal}", []).append(a)
    return {key: np.concatenate(p, 1) for key, p in parts.items()}


def _excerpt(acts_bt: np.ndarray, feat_bt: np.ndarray | None, pieces: list[str], burn_in: int, width: int,
             rng: random.Random) -> tuple[str, list[float], list[float] | None]:
    """A window of `width` characters after the burn-in. With a feature: the window where the feature changes a lot
    and the unit follows it closely (score: the feature's spread times the window's own r, sign as overall);
    without one, a random window."""
    B, T = acts_bt.shape[:2]
    starts = [(b, t) for b in range(B) for t in range(burn_in, T - width, width // 4)]
    if feat_bt is not None:
        overall = np.sign(analysis.pearson_by_unit(acts_bt.reshape(-1, 1), feat_bt.reshape(-1))[0]) or 1.0

        def score(bt: tuple[int, int]) -> float:
            f, a = feat_bt[bt[0], bt[1]:bt[1] + width], acts_bt[bt[0], bt[1]:bt[1] + width]
            r = analysis.pearson_by_unit(a[:, None], f)[0] * overall
            return float(f.std() / (np.abs(f).max() or 1.0) * max(r, 0.0))

        b, t = max(starts, key=score)
    else:
        b, t = rng.choice(starts)
    f = None if feat_bt is None else [round(float(v), 2) for v in feat_bt[b, t:t + width]]
    return pieces[b][t:t + width], [round(float(v), 2) for v in acts_bt[b, t:t + width]], f


def analyse(name: str, chars: int = 40_000, streams: int = 20, burn_in: int = 100, k: int = 5) -> tuple[dict, dict]:
    """(shipped-results entry, raw arrays for the puzzles) for one checkpoint on `chars` characters of its
    validation split: `streams` pieces spread evenly over it, the first `burn_in` of each left out."""
    model, entry = checkpoints.load(name)
    vocab = checkpoints.vocab_of(entry)
    corpus = entry["data"]["corpus"]
    _, val = data.split_text(data.load_text(corpus))
    text = "".join(ch for ch in val if ch in vocab)  # held-out characters the model can read
    pieces, starts, feats = spread_pieces(text, streams, chars // streams)
    acts = run_model(model, vocab, pieces)
    length = len(pieces[0])
    flat_feats = {n: v[:, burn_in:].reshape(-1) for n, v in feats.items()}
    units, share = {}, {}
    memory = [n for n in FEATURES if FEATURES[n].memory and usable(flat_feats[n])]
    for key, a in acts.items():
        flat = a[:, burn_in:].reshape(-1, a.shape[-1])  # (N, H)
        units[key] = correlate(flat, flat_feats, k)
        best = np.max(np.abs(np.stack([analysis.pearson_by_unit(flat, flat_feats[n]) for n in memory])), 0)
        share[key] = {"r>=0.5": round(float((best >= 0.5).mean()), 4), "r>=0.3": round(float((best >= 0.3).mean()), 4)}
    result = {
        "title": entry.get("title", name), "corpus": corpus, "checkpoint_sha256": entry["sha256"],
        "span": {"split": "validation (last 10%)", "val_chars": len(text), "pieces": streams, "piece_chars": length,
                 "starts": starts, "burn_in": burn_in, "used_chars": streams * (length - burn_in)},
        "units": units, "memory_share": share,
    }
    return result, {"acts": acts, "feats": feats, "pieces": pieces, "burn_in": burn_in}


def model_puzzles(name: str, result: dict, raw: dict, per_model: int = 4, min_r: float = 0.5, width: int = 160,
                  seed: int = 0) -> list[dict]:
    """Game rounds for one model: its strongest memory-feature units (|r| >= min_r, one per feature), plus one
    unit whose best |r| over every feature stays small (the common case). Seeded per model name."""
    rng = random.Random(f"{seed}-{name}")
    cands = []
    for key, per in result["units"].items():
        for feat, v in per.items():
            if FEATURES[feat].memory and abs(v["top"][0][1]) >= min_r:
                cands.append((abs(v["top"][0][1]), feat, key, v["top"][0][0], v["top"][0][1], v["chance"]))
    cands.sort(reverse=True)
    chosen, seen = [], set()
    for c in cands:
        if c[1] not in seen and len(chosen) < per_model:
            chosen.append(c)
            seen.add(c[1])
    puzzles = [_puzzle(name, raw, key, unit, feat, rv, chance, width, rng)
               for _, feat, key, unit, rv, chance in chosen]
    key = "L1.c" if "L1.c" in raw["acts"] else sorted(raw["acts"])[-1]
    a = raw["acts"][key][:, raw["burn_in"]:].reshape(-1, raw["acts"][key].shape[-1])
    feats = [v[:, raw["burn_in"]:].reshape(-1) for v in raw["feats"].values()]
    best = np.max(np.abs(np.stack([analysis.pearson_by_unit(a, f) for f in feats if usable(f)])), 0)
    quiet = int(np.argmin(best))
    puzzles.append(_puzzle(name, raw, key, quiet, None, float(best[quiet]), None, width, rng))
    return puzzles


def order_puzzles(puzzles: list[dict], seed: int = 0) -> list[dict]:
    """A fixed shuffled order that mixes the models and opens with a unit that has an answer."""
    out = sorted(puzzles, key=lambda p: p["id"])
    random.Random(seed).shuffle(out)
    first = next((i for i, p in enumerate(out) if p["answer"]), 0)
    out.insert(0, out.pop(first))
    return out


def _puzzle(name, raw, key, unit, feat, r, chance, width, rng) -> dict:
    layer, signal = int(key[1]), key.split(".")[1]
    acts = display_values(raw["acts"][key][:, :, unit], signal)
    fb = raw["feats"][feat] if feat else None
    text, act, fvals = _excerpt(acts, fb, raw["pieces"], raw["burn_in"], width, rng)
    flat = raw["acts"][key][:, raw["burn_in"]:, unit].reshape(-1, 1)
    r_all = {n: round(float(analysis.pearson_by_unit(flat, v[:, raw["burn_in"]:].reshape(-1))[0]), 4)
             for n, v in raw["feats"].items() if usable(v[:, raw["burn_in"]:])}
    weak = [n for n, v in r_all.items() if n != feat and abs(v) < 0.25]
    mem = [n for n in weak if FEATURES[n].memory]
    choices = rng.sample(mem, min(3, len(mem)))
    choices += rng.sample([n for n in weak if n not in mem], max(0, 3 - len(choices))) + ([feat] if feat else [])
    rng.shuffle(choices)
    return {"id": f"{name}/{key}/{unit}", "model": name, "layer": layer, "signal": signal, "unit": unit,
            "answer": feat, "r": round(r, 4), "chance": chance, "r_all": r_all,
            "choices": choices + [None], "excerpt": {"text": text, "activation": act, "feature": fvals}}


def load_results(path: Path | str | None = None) -> dict | None:
    """The shipped analysis, or None when the file is missing or unreadable."""
    path = Path(path) if path else RESULTS_PATH
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Correlate hidden units of shipped char models with text features.")
    parser.add_argument("--models", nargs="+", default=list(DEFAULT_MODELS))
    parser.add_argument("--chars", type=int, default=40_000, help="held-out characters per model")
    parser.add_argument("--streams", type=int, default=20, help="pieces, spread evenly over the validation split")
    parser.add_argument("--burn-in", type=int, default=100, help="characters per piece left out of the statistics")
    parser.add_argument("--merge", action="store_true", help="keep the other models already in --out")
    parser.add_argument("--out", default=str(RESULTS_PATH))
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    started = time.time()
    command = "python -m core.lessons.neurons " + " ".join(argv if argv is not None else sys.argv[1:])
    old = (load_results(args.out) or {}) if args.merge else {}
    results = {n: m for n, m in old.get("models", {}).items() if n not in args.models}
    puzzles = [p for p in old.get("puzzles", []) if p["model"] in results]
    for name in args.models:
        try:
            result, raw = analyse(name, args.chars, args.streams, args.burn_in)
        except (checkpoints.CheckpointError, data.CorpusError) as e:
            print(f"skipped {name}: {e}", file=sys.stderr)
            continue
        result.update(produced_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), command=command.strip())
        results[name] = result
        puzzles += model_puzzles(name, result, raw)
        del raw  # the activations of one model take a few hundred MB
        print(f"{name}: done after {time.time() - started:.0f} s", file=sys.stderr)
    payload = {
        "format": 1, "produced_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": command.strip(),
        "method": "Pearson r between each unit's activation (hidden state h, or cell state c) and each feature, "
                  "over pieces spread evenly across the model's validation split (the last 10% of its corpus, "
                  "never trained on), run as one batch from a zero state; the first characters of each piece "
                  "(burn-in) are left out. Chance level: the best |r| with the feature shifted by half "
                  "the text.",
        "seconds": round(time.time() - started, 1),
        "features": {n: {"label": f.label, "description": f.description, "memory": f.memory}
                     for n, f in FEATURES.items()},
        "models": results, "puzzles": order_puzzles(puzzles),
    }
    Path(args.out).write_text(json.dumps(payload, separators=(",", ":")), encoding="utf-8")
    print(f"wrote {args.out} ({Path(args.out).stat().st_size:,} bytes)", file=sys.stderr)
    return 0


def is_current(results: dict | None, name: str) -> bool:
    """True when the shipped analysis of `name` was made on the checkpoint file the manifest lists now."""
    try:
        return bool(results) and name in results["models"] and \
            results["models"][name]["checkpoint_sha256"] == checkpoints.entry(name)["sha256"]
    except (checkpoints.CheckpointError, KeyError):
        return False


if __name__ == "__main__":
    raise SystemExit(main())
