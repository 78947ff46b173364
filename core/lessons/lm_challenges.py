"""Module 4's progressive perplexity challenges: train a small char model on a fixed slice of a corpus for a
bounded time, then the server measures it on held-out text and checks the level's goal.

Levels 1 and 2 must beat a counting baseline fitted on the same training slice (character frequencies, then
character pairs), so the bar is earned by the data rather than picked by hand. Level 3 asks for real words.
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import torch

from core.data.corpora import TextData, split_text
from core.lessons import timelapse
from core.models import sampling
from core.models.charlm import CharLMConfig, build
from core.training.loop import StepInfo, TrainConfig, evaluate_loss, train

KINDS = ("rnn", "lstm", "gru")
LEVEL3_WORDS = 100  # words checked in level 3
LEVEL3_REAL = 70  # of which at least this many must occur in the training slice
LEVEL3_DISTINCT = 40  # and at least this many must be different (no "the the the")
LEVEL3_SAMPLE = 1500  # characters sampled to find the words


@dataclass(frozen=True)
class Level:
    number: int
    stars: str
    chars: int  # characters of the corpus used (first N; the last 10% of them are held out)
    max_seconds: int  # training-time budget the learner may ask for
    goal: str


LEVELS: tuple[Level, ...] = (
    Level(1, "★", 10_000, 30,
          "Train on 10 KB. Beat the character-frequency baseline: a validation perplexity below that of a model "
          "that only knows how often each character occurs."),
    Level(2, "★★", 100_000, 60,
          "Train on 100 KB. Beat the character-pair baseline: a validation perplexity below that of a model that "
          "predicts each character from the one before it (add-one smoothed bigram counts)."),
    Level(3, "★★★", 1_000_000, 180,
          f"Train on 1 MB. Generate text whose first {LEVEL3_WORDS} words (two or more letters) contain at least "
          f"{LEVEL3_REAL} that occur in the training text, with at least {LEVEL3_DISTINCT} different ones."),
)


def level(number: int) -> Level:
    for lv in LEVELS:
        if lv.number == number:
            return lv
    raise ValueError(f"There is no level {number!r}; levels are {[lv.number for lv in LEVELS]}.")


@dataclass(frozen=True)
class Settings:
    kind: str = "lstm"
    hidden: int = 128
    layers: int = 1
    lr: float = 3e-3
    seconds: float = 20.0
    temperature: float = 0.8  # for level 3's sample
    seed: int = 0
    max_steps: int = 0  # 0: stop on the time budget only (tests set a step count to be independent of load)

    def check(self, lv: Level) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"Cell kind must be one of {KINDS}, got {self.kind!r}.")
        if not 8 <= self.hidden <= 512 or not 1 <= self.layers <= 3:
            raise ValueError("Hidden size must be 8-512 and layers 1-3.")
        if not (math.isfinite(self.lr) and 0 < self.lr <= 0.1):
            raise ValueError(f"Learning rate must be in (0, 0.1], got {self.lr!r}.")
        if not 1 <= self.seconds <= lv.max_seconds:
            raise ValueError(f"Level {lv.number} allows 1 to {lv.max_seconds} seconds of training.")
        if not (math.isfinite(self.temperature) and 0.1 <= self.temperature <= 2.0):
            raise ValueError("Temperature must be between 0.1 and 2.")


def level_text(corpus: str, lv: Level) -> str:
    if len(corpus) < lv.chars:
        raise ValueError(f"Level {lv.number} needs {lv.chars:,} characters of text; this corpus has {len(corpus):,}.")
    return corpus[: lv.chars]


def ngram_perplexity(train_text: str, val_text: str, order: int, vocab: list[str], alpha: float = 1.0) -> float:
    """Held-out perplexity of an add-alpha smoothed character n-gram model (order 1: frequencies; 2: pairs)."""
    if order not in (1, 2):
        raise ValueError("order must be 1 or 2.")
    if len(val_text) < 2:
        raise ValueError("Need at least 2 validation characters.")
    v = len(vocab)
    if order == 1:
        counts, total = Counter(train_text), len(train_text)
        nll = -sum(math.log((counts[c] + alpha) / (total + alpha * v)) for c in val_text[1:])
    else:
        pairs, firsts = Counter(zip(train_text, train_text[1:], strict=False)), Counter(train_text[:-1])
        nll = -sum(math.log((pairs[(a, b)] + alpha) / (firsts[a] + alpha * v))
                   for a, b in zip(val_text, val_text[1:], strict=False))
    return math.exp(nll / (len(val_text) - 1))  # the first validation character is context, as for the model


def word_check(sample: str, train_words: set[str] | frozenset[str]) -> dict:
    """Level 3: the first LEVEL3_WORDS words (2+ letters) of a sample, how many are real, how many distinct."""
    words = [w for w in timelapse.WORD.findall(sample) if len(w) >= timelapse.MIN_REAL_WORD_LEN][:LEVEL3_WORDS]
    real = sum(w.lower() in train_words for w in words)
    distinct = len({w.lower() for w in words})
    passed = len(words) == LEVEL3_WORDS and real >= LEVEL3_REAL and distinct >= LEVEL3_DISTINCT
    return {"words": len(words), "real": real, "distinct": distinct, "passed": passed,
            "unknown": sorted({w for w in words if w.lower() not in train_words})[:30]}


@dataclass
class Result:
    level: int
    settings: Settings
    steps: int
    seconds: float
    val_loss: float  # nats/char on the held-out 10%
    perplexity: float
    baseline: float | None  # the baseline's perplexity (levels 1-2)
    sample: str
    words: dict | None  # level 3's word_check
    passed: bool
    verdict: str

    def to_dict(self) -> dict:
        return {"level": self.level, "settings": self.settings.__dict__, "steps": self.steps,
                "seconds": round(self.seconds, 1), "val_loss": round(self.val_loss, 4),
                "perplexity": round(self.perplexity, 3),
                "baseline": None if self.baseline is None else round(self.baseline, 3),
                "words": self.words, "passed": self.passed, "verdict": self.verdict}


def attempt_record(result: Result, before: dict | None) -> dict:
    """What is stored for a learner's attempt: the result, and whether the level was ever passed (this time or
    in `before`, the record stored for the level until now)."""
    record = result.to_dict()
    record["ever_passed"] = bool(result.passed or (before or {}).get("ever_passed"))
    return record


def saved_attempts(rows: dict[tuple[str, str], str]) -> dict[int, dict]:
    """{level number: stored record} from reflections keyed (quiz id, "level-N") with JSON text; a row that does not
    read as one is skipped."""
    out = {}
    for (_, qid), text in rows.items():
        try:
            out[int(qid.split("-")[1])] = json.loads(text)
        except (ValueError, IndexError):
            continue
    return out


def run(lv: Level, corpus: str, settings: Settings, on_step: Callable[[StepInfo], None] | None = None,
        should_stop: Callable[[], bool] | None = None) -> Result:
    """Train a fresh model on the level's slice within the time budget, measure it, and judge the goal."""
    settings.check(lv)
    text = level_text(corpus, lv)
    data = TextData.from_text(text, name=f"level-{lv.number}")
    train_text, val_text = split_text(text)
    torch.manual_seed(settings.seed)
    model = build(CharLMConfig(kind=settings.kind, vocab_size=len(data.vocab), hidden=settings.hidden,
                               layers=settings.layers, embed=32, dropout=0.0))
    cfg = TrainConfig(batch=32, seq_len=64, lr=settings.lr, warmup_steps=20,
                      max_steps=settings.max_steps or 1_000_000,
                      time_budget_s=settings.seconds, eval_every=0, eval_chars=None, seed=settings.seed)
    start = time.perf_counter()
    history = train(model, data, cfg, on_step=on_step, should_stop=should_stop)
    seconds = time.perf_counter() - start
    model.eval()
    val_loss, _ = evaluate_loss(model, data.val)
    ppl = math.exp(val_loss)
    baseline, words = None, None
    sample = sampling.sample(model, data.vocab, LEVEL3_SAMPLE if lv.number == 3 else 300, settings.temperature,
                             prime="\n", seed=settings.seed)
    if lv.number in (1, 2):
        baseline = ngram_perplexity(train_text, val_text, lv.number, data.vocab.chars)
        passed = ppl < baseline
        verdict = (f"Validation perplexity {ppl:.2f} vs the {'frequency' if lv.number == 1 else 'pair'} "
                   f"baseline's {baseline:.2f}: " + ("passed." if passed else "not yet below it."))
    else:
        words = word_check(sample, {w.lower() for w in timelapse.WORD.findall(train_text)})
        passed = words["passed"]
        verdict = (f"{words['real']} of the first {words['words']} words occur in the training text, "
                   f"{words['distinct']} different: " + ("passed." if passed else "not yet."))
    return Result(lv.number, settings, len(history.steps), seconds, val_loss, ppl, baseline, sample, words,
                  passed, verdict)
