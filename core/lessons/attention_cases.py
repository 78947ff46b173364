"""Real failure cases of the dates attention model, for the attention debugging challenge.

`python -m core.lessons.attention_cases` runs the shipped `dates-attention` checkpoint on freshly generated held-out memos
(ordinary lengths, and memos longer than anything seen in training), keeps the wrong answers, measures where
attention went at the first wrong output character, and writes assets/m07_attention_failures.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from dataclasses import asdict, dataclass

import torch

from core.data import tasks
from core.data.corpora import REPO_ROOT
from core.training.seq2seq import decode
from core.training.seq2seq_eval import span_attention_mass

MODEL = "dates-attention"
OUT = REPO_ROOT / "assets" / "m07_attention_failures.json"
# (name, how many memos, length range in characters); training memos were 30-250 characters (+20)
SETS = (("ordinary memos (30-270 characters)", 1500, tasks.LONG_LEN),
        ("longer than training (280-370 characters)", 300, (280, 370)))
SEED = 7
# The diagnoses a learner chooses from; `diagnose` picks one from measurements alone.
DIAGNOSES = {
    "misread": "It looked at the right date but read a character wrong (day/month order, a digit)",
    "other_date": "It looked mostly at a different date in the memo",
    "distractor": "It looked mostly at text that is not a date (a room, order or invoice number, filler)",
    "spread": "Its attention was split: no single region got most of it",
    "extra": "It invented an extra date after the real ones",
    "missing": "It stopped early and left a date out",
}


CLEAR = 0.6  # a region with this much of the attention names the diagnosis; below it the attention was spread


@dataclass
class Failure:
    set_name: str
    source: str
    target: str
    predicted: str
    spans: list[list[int]]  # [start, end) of each date's text in the source, in target order
    step: int  # output position of the first wrong character
    date_index: int  # which date (0-based) that character belongs to
    mass_right: float  # attention at that step on the date it should have read
    mass_other_dates: float  # ... on the other dates' text
    mass_elsewhere: float  # ... on text that is no date at all
    peak: int  # source position with the largest weight at that step
    alignment: float | None  # span_attention_mass over the whole answer (None when the date count differs)
    diagnosis: str


def first_wrong(target: str, predicted: str) -> int:
    """Index of the first character where the prediction departs from the target (len(target) if it only adds)."""
    for i, (a, b) in enumerate(zip(target, predicted, strict=False)):
        if a != b:
            return i
    return min(len(target), len(predicted))


def diagnose(pair: tasks.DatePair, predicted: str, attn: torch.Tensor) -> tuple[int, int, dict, str]:
    """(step, date index, masses, diagnosis) for one wrong answer; attn (T_out, S) is its attention matrix."""
    n_pred = len(predicted.split(" ")) if predicted else 0
    step = min(first_wrong(pair.target, predicted), attn.shape[0] - 1)
    k = min(pair.target[:step].count(" "), pair.n_dates - 1)
    row = attn[step]
    a, b = pair.spans[k]
    right = float(row[a:b].sum())
    dates = sum(float(row[s:e].sum()) for s, e in pair.spans)
    masses = {"right": right, "other_dates": dates - right, "elsewhere": max(0.0, 1.0 - dates)}
    if n_pred > pair.n_dates and step >= len(pair.target):
        diagnosis = "extra"
    elif n_pred < pair.n_dates and step >= len(predicted):
        diagnosis = "missing"
    else:
        region, top = max(zip(("misread", "other_date", "distractor"), masses.values(), strict=True),
                          key=lambda kv: kv[1])
        diagnosis = region if top >= CLEAR else "spread"
    return step, k, masses, diagnosis


def find_failures(model, sets=SETS, seed: int = SEED) -> list[Failure]:
    """Every wrong answer of `model` on the generated held-out sets, diagnosed from its attention."""
    out = []
    for name, n, length in sets:
        pairs = tasks.date_dataset(n, seed, "test", "long", length=length)
        preds, attns = decode(model, pairs, with_attention=True)
        for pair, pred, attn in zip(pairs, preds, attns, strict=True):
            if pred == pair.target or attn is None:
                continue
            step, k, m, diagnosis = diagnose(pair, pred, attn)
            out.append(Failure(name, pair.source, pair.target, pred, [list(s) for s in pair.spans], step, k,
                               round(m["right"], 4), round(m["other_dates"], 4), round(m["elsewhere"], 4),
                               int(attn[step].argmax()), _round(span_attention_mass(pair, pred, attn)), diagnosis))
    return out


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def pick(failures: list[Failure], limit: int = 10) -> list[Failure]:
    """A varied handful: for each diagnosis, the shortest case of each set (short memos are easier to read)."""
    chosen: list[Failure] = []
    for d in DIAGNOSES:
        for name, _, _ in SETS:
            found = sorted((f for f in failures if f.diagnosis == d and f.set_name == name), key=lambda f: len(f.source))
            chosen += found[:1]
    return sorted(chosen[:limit], key=lambda f: len(f.source))  # mixed, so the order gives nothing away


def main(argv: list[str] | None = None) -> int:
    from core.training.seq2seq import load, translate

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    model, _ = load(MODEL)
    failures = find_failures(model)
    totals = {name: n for name, n, _ in SETS}
    counts = {name: sum(f.set_name == name for f in failures) for name in totals}
    by_diagnosis = {d: sum(f.diagnosis == d for f in failures) for d in DIAGNOSES}
    # the page re-runs each case one memo at a time; keep the ones where that gives the same answer as the batch
    failures = [f for f in failures if translate(model, f.source).output == f.predicted]
    payload = {
        "produced_by": "python -m core.lessons.attention_cases", "model": MODEL, "seed": SEED,
        "produced_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "sets": [{"name": name, "memos": totals[name], "length": list(length), "wrong": counts[name]}
                 for name, _, length in SETS],
        "by_diagnosis": by_diagnosis,
        "cases": [asdict(f) for f in pick(failures)],
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(payload, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(json.dumps({k: payload[k] for k in ("sets", "by_diagnosis")}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
