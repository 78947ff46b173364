"""The training timelapse: snapshots of one shipped run (manifest "snapshots"), its loss curve, and milestones
detected in the real samples by measuring them against statistics of the training text (never hand-labelled).

`python -m core.lessons.timelapse` rebuilds the reference statistics (assets/timelapse_reference.json) from the
War and Peace training split, so pages and tests work without the corpus.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.data.corpora import CORPORA, REPO_ROOT, load_text, split_text

REFERENCE_PATH = REPO_ROOT / "assets" / "timelapse_reference.json"
WORD = re.compile(r"[A-Za-z]+")
SENTENCE_START = re.compile(r"[.!?][\"']?\s+[\"']?([A-Za-z])")
OPEN_QUOTE = re.compile(r'(?:^|\s)"[A-Z]')  # a quote that opens dialogue: after white space, before a capital
CLOSE_QUOTE = re.compile(r'[a-z,.!?]"(?=\s|$)')  # one that closes it: after a letter or punctuation
MIN_REAL_WORD_LEN = 2  # single letters are "real" too often by chance to tell anything
MIN_WORD_COUNT = 2  # a word must occur this often in the training split to count as real (drops one-off typos)


@dataclass(frozen=True)
class Reference:
    """What the training text looks like: its rates and its word list (lower case)."""

    source: str
    sha256: str
    rates: dict[str, float]
    words: frozenset[str]


@dataclass(frozen=True)
class TextStats:
    chars: int
    words: int
    space_share: float  # spaces / characters
    newline_share: float  # newlines / characters
    quotes_per_1k: float  # double quotes per 1,000 characters
    quote_pairs: int  # min(opening quotes, closing quotes), each well placed (see OPEN_QUOTE, CLOSE_QUOTE)
    mean_word_len: float
    real_word_share: float  # share of words of 2+ letters found in the reference word list (0: no such words)
    sentence_starts: int  # letters that follow . ! ? and white space
    capitalised_share: float  # share of those letters in upper case


def text_stats(text: str, words: frozenset[str] | set[str]) -> TextStats:
    n = max(len(text), 1)
    tokens = WORD.findall(text)
    starts = SENTENCE_START.findall(text)
    long = [t for t in tokens if len(t) >= MIN_REAL_WORD_LEN]
    real = sum(t.lower() in words for t in long)
    return TextStats(
        chars=len(text),
        words=len(tokens),
        space_share=text.count(" ") / n,
        newline_share=text.count("\n") / n,
        quotes_per_1k=1000 * text.count('"') / n,
        quote_pairs=min(len(OPEN_QUOTE.findall(text)), len(CLOSE_QUOTE.findall(text))),
        mean_word_len=sum(map(len, tokens)) / len(tokens) if tokens else 0.0,
        real_word_share=real / len(long) if long else 0.0,
        sentence_starts=len(starts),
        capitalised_share=sum(c.isupper() for c in starts) / len(starts) if starts else 0.0,
    )


def build_reference(train_text: str, source: str = "", sha256: str = "", min_count: int = MIN_WORD_COUNT) -> dict:
    """The JSON-ready reference of a training text: its rates, and the words seen at least `min_count` times."""
    counts = Counter(w.lower() for w in WORD.findall(train_text))
    words = sorted(w for w, c in counts.items() if c >= min_count)
    stats = text_stats(train_text, set(words))
    rates = {k: round(v, 6) for k, v in stats.__dict__.items() if k not in ("chars", "words", "sentence_starts", "quote_pairs")}
    return {"source": source, "sha256": sha256, "min_count": min_count, "train_chars": len(train_text),
            "rates": rates, "words": words}


def reference_from_dict(d: dict) -> Reference:
    return Reference(d.get("source", ""), d.get("sha256", ""), dict(d["rates"]), frozenset(d["words"]))


def load_reference(path: Path | str = REFERENCE_PATH) -> Reference:
    return reference_from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


def _within(value: float, target: float, low: float, high: float) -> bool:
    return target > 0 and low * target <= value <= high * target


@dataclass(frozen=True)
class Milestone:
    key: str
    label: str
    rule: str  # the test, in words, as shown to the learner
    passed: Callable[[TextStats, dict[str, float]], bool]


MILESTONES: tuple[Milestone, ...] = (
    Milestone("spaces", "Spaces at the right rate",
              "share of spaces within ±20% of the training text's",
              lambda s, r: _within(s.space_share, r["space_share"], 0.8, 1.2)),
    Milestone("word_length", "Word-sized chunks",
              "mean word length within ±20% of the training text's",
              lambda s, r: s.words >= 10 and _within(s.mean_word_len, r["mean_word_len"], 0.8, 1.2)),
    Milestone("real_words", "Mostly real words",
              "more than half of the words (2+ letters) occur in the training text",
              lambda s, r: s.words >= 10 and s.real_word_share > 0.5),
    Milestone("line_breaks", "Book-like line breaks",
              "share of newlines between half and twice the training text's",
              lambda s, r: _within(s.newline_share, r["newline_share"], 0.5, 2.0)),
    Milestone("capitals", "Capitalised sentences",
              "at least 3 sentence starts, and at least 80% of the training text's capitalised share",
              lambda s, r: s.sentence_starts >= 3 and s.capitalised_share >= 0.8 * r["capitalised_share"]),
    Milestone("quotes", "Dialogue in quotes",
              "a quote that opens before a capital and one that closes after a letter or punctuation, and double "
              "quotes at between half and twice the training text's rate",
              lambda s, r: s.quote_pairs >= 1 and _within(s.quotes_per_1k, r["quotes_per_1k"], 0.5, 2.0)),
    Milestone("fluent_words", "90% real words",
              "at least 90% of the words (2+ letters) occur in the training text",
              lambda s, r: s.words >= 10 and s.real_word_share >= 0.9),
)


@dataclass(frozen=True)
class Snapshot:
    iteration: int
    samples: dict[str, str]  # temperature (as written in the manifest) -> sample text
    val_loss: float | None  # nats/char on the first 50k validation characters


def snapshots_of(entry: dict) -> list[Snapshot]:
    """The manifest entry's snapshots, sorted by iteration (empty when the entry has none)."""
    snaps = [Snapshot(int(s["iteration"]), dict(s.get("samples", {})), s.get("val_loss_first_50k_nats_per_char"))
             for s in entry.get("snapshots", [])]
    return sorted(snaps, key=lambda s: s.iteration)


def temperatures(snapshots: list[Snapshot]) -> list[str]:
    """Temperatures every snapshot has a sample for, coolest first."""
    if not snapshots:
        return []
    common = set.intersection(*(set(s.samples) for s in snapshots))
    return sorted(common, key=float)


def milestone_table(snapshots: list[Snapshot], ref: Reference, tau: str) -> list[dict]:
    """One row per snapshot: its measured stats and which milestones its sample at `tau` passes."""
    rows = []
    for snap in snapshots:
        stats = text_stats(snap.samples.get(tau, ""), ref.words)
        rows.append({"iteration": snap.iteration, "stats": stats,
                     "passed": {m.key: m.passed(stats, ref.rates) for m in MILESTONES}})
    return rows


def new_at(rows: list[dict], k: int) -> list[str]:
    """Labels of the milestones that row `k` of a milestone_table passes and the row before it did not."""
    return [m.label for m in MILESTONES if rows[k]["passed"][m.key] and (k == 0 or not rows[k - 1]["passed"][m.key])]


def first_reached(snapshots: list[Snapshot], ref: Reference, tau: str) -> dict[str, int | None]:
    """Milestone key -> the first snapshot iteration whose sample passes it (None: not reached by the last)."""
    first: dict[str, int | None] = {m.key: None for m in MILESTONES}
    for row in milestone_table(snapshots, ref, tau):
        for key, ok in row["passed"].items():
            if ok and first[key] is None:
                first[key] = row["iteration"]
    return first


def loss_curve(entry: dict) -> list[dict]:
    """Rows {step, loss, series} for a chart: the smoothed training loss, periodic validation losses, and the
    validation loss measured at each snapshot."""
    curve = entry.get("curve", {})
    rows = [{"step": int(s), "loss": float(v), "series": "training loss (smoothed)"}
            for s, v in zip(curve.get("step", []), curve.get("train_loss", []), strict=False)]
    rows += [{"step": int(s), "loss": float(v), "series": "validation loss"} for s, v in curve.get("evals", [])]
    rows += [{"step": s.iteration, "loss": float(s.val_loss), "series": "validation loss at a snapshot"}
             for s in snapshots_of(entry) if s.val_loss is not None]
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Rebuild the timelapse reference statistics from War and Peace.")
    parser.add_argument("--out", default=str(REFERENCE_PATH))
    args = parser.parse_args(argv)
    train_text, _ = split_text(load_text("warpeace"))
    corpus = CORPORA["warpeace"]
    ref = build_reference(train_text, f"{corpus.source}, training split (first 90%)", corpus.sha256)
    Path(args.out).write_text(json.dumps(ref, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"{args.out}: {len(ref['words']):,} words; rates {ref['rates']}")


if __name__ == "__main__":
    main()
